//! A recorded feed checked without a node: newline-delimited JSON, one `/new_block`
//! body a line, in the order the node posted them (what `clarimed follow --record`
//! writes). Blank lines are skipped.

use std::io::BufRead;

use clarimed_engine::Store;

use crate::follower::{BlockReport, FollowError, Follower};

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The feed could not be read.
    #[error("reading the feed: {0}")]
    Read(#[from] std::io::Error),
    /// A block was refused; the blocks before it stay applied.
    #[error("line {line}: {error}")]
    Block {
        /// The line, from 1.
        line: usize,
        /// Why.
        error: FollowError,
    },
}

/// Applies every block of `feed` in order, telling `on_block` what each did (with
/// its line, from 1); stops at the first block refused.
pub fn replay<S: Store + 'static>(follower: &mut Follower<S>, feed: impl BufRead, mut on_block: impl FnMut(usize, &BlockReport)) -> Result<(), ReplayError> {
    for (index, line) in feed.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let report = follower.apply(line.as_bytes()).map_err(|error| ReplayError::Block { line: index + 1, error })?;
        on_block(index + 1, &report);
    }
    Ok(())
}
