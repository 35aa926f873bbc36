//! Committed blocks undone, newest first: what a node's follower needs when the
//! chain it follows forks.
//!
//! When [`Engine::keep_undo`] asks for it, every [`Engine::commit_block`] also
//! stores, in the same commit, the value each key the block wrote held before it
//! (or that it held none): the block's undo record. [`Engine::undo_blocks`] writes
//! those values back in one commit. Only the last `depth` records are kept; older
//! blocks can no longer be undone.
//!
//! Records live beside the contracts' data (never under `vm::`):
//! `clarimed::undo` holds the newest record's number and how many are kept, and
//! `clarimed::undo::{number as 16 hex digits}` each record.

use std::sync::atomic::Ordering;

use clarimed_storage::{Batch, StoreCommit, StoreRead};

use crate::codec::{put_bytes, take, take_bytes, take_u32, take_u64};
use crate::engine::{Committer, Core, Engine};
use crate::error::EngineError;

const HEADER_KEY: &[u8] = b"clarimed::undo";

impl<S> Engine<S> {
    /// From the next committed block on, keeps what undoes each of the last `depth`
    /// blocks (0, the default, keeps nothing and drops what was kept).
    pub fn keep_undo(&self, depth: u32) {
        self.core().undo_depth.store(depth, Ordering::SeqCst);
    }

    /// How many of the last committed blocks can be undone.
    pub fn undoable_blocks(&self) -> Result<u32, EngineError> {
        Ok(undo_header(self.core().committed())?.1)
    }

    /// Undoes the last `blocks` committed blocks, newest first, in one commit: the
    /// state, the block height and the engine's bookkeeping return to what they were
    /// before them. Refused, changing nothing, while a block is open or when fewer
    /// blocks are kept ([`EngineError::UndoTooDeep`]).
    pub fn undo_blocks(&self, blocks: u32) -> Result<(), EngineError> {
        let core = self.core();
        let _turn = core.block_turn();
        let mut writer = core.writer();
        core.ready(&mut writer)?;
        if !writer.layers.is_empty() {
            return Err(EngineError::BlockAlreadyOpen);
        }
        let (newest, kept) = undo_header(core.committed())?;
        if blocks > kept {
            return Err(EngineError::UndoTooDeep { asked: blocks, kept });
        }
        let mut restore = Batch::default();
        // Newest first, so that where two blocks wrote a key the older value wins.
        for number in (newest + 1 - u64::from(blocks)..=newest).rev() {
            let key = record_key(number);
            let corrupt =
                || EngineError::Corrupt { key: String::from_utf8_lossy(&key).into_owned(), error: clarimed_storage::clarity::DecodeError::UnexpectedEnd };
            let record = core.committed().get(&key)?.ok_or_else(corrupt)?;
            restore_from(&record, &mut restore).ok_or_else(corrupt)?;
            restore.delete(&key);
        }
        restore.put(HEADER_KEY, &encode_header(newest - u64::from(blocks), kept - blocks));
        Committer(core).write(restore)?;
        writer.tip = core.committed_tip()?;
        writer.reset_block_cost();
        Ok(())
    }
}

/// The newest record's number and how many records are kept, in `store`.
fn undo_header(store: &impl StoreRead) -> Result<(u64, u32), EngineError> {
    match store.get(HEADER_KEY)? {
        None => Ok((0, 0)),
        Some(bytes) => {
            let mut input = &bytes[..];
            let header = (take_u64(&mut input), take_u32(&mut input));
            match header {
                (Some(newest), Some(kept)) if input.is_empty() => Ok((newest, kept)),
                _ => Err(EngineError::Corrupt { key: "clarimed::undo".into(), error: clarimed_storage::clarity::DecodeError::UnexpectedEnd }),
            }
        }
    }
}

impl Core {
    /// Adds to `block`, about to be committed, its undo record, and drops the
    /// records past the depth kept. Adds nothing when no record is kept or asked for.
    pub(crate) fn add_undo_record(&self, block: &mut Batch) -> Result<(), EngineError> {
        let depth = self.undo_depth.load(Ordering::SeqCst);
        // As the writer sees the state: over the blocks still in flight.
        let writer_view = Committer(self);
        let (newest, kept) = undo_header(&writer_view)?;
        if depth == 0 && kept == 0 {
            return Ok(());
        }
        let number = newest + 1;
        let now_kept = depth.min(kept + 1);
        let mut record = Vec::new();
        record.extend_from_slice(&(block.len() as u32).to_be_bytes());
        for key in block.keys() {
            put_bytes(&mut record, key);
            match writer_view.get(key)? {
                Some(before) => {
                    record.push(1);
                    put_bytes(&mut record, &before);
                }
                None => record.push(0),
            }
        }
        // Records `number - kept ..= newest` were kept; keep the newest `now_kept`
        // of them and this one.
        for dropped in number - u64::from(kept)..number + 1 - u64::from(now_kept) {
            block.delete(&record_key(dropped));
        }
        if now_kept > 0 {
            block.put(&record_key(number), &record);
        }
        block.put(HEADER_KEY, &encode_header(number, now_kept));
        Ok(())
    }
}

fn record_key(number: u64) -> Vec<u8> {
    format!("clarimed::undo::{number:016x}").into_bytes()
}

fn encode_header(newest: u64, kept: u32) -> Vec<u8> {
    let mut out = newest.to_be_bytes().to_vec();
    out.extend_from_slice(&kept.to_be_bytes());
    out
}

/// Adds to `restore` what `record` says each key held before its block: a put of
/// that value, or a delete where it held none.
fn restore_from(mut record: &[u8], restore: &mut Batch) -> Option<()> {
    let input = &mut record;
    for _ in 0..take_u32(input)? {
        let key = take_bytes(input)?;
        match take(input, 1)?[0] {
            0 => restore.delete(&key),
            1 => restore.put(&key, &take_bytes(input)?),
            _ => return None,
        }
    }
    input.is_empty().then_some(())
}
