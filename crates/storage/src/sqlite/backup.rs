//! An online backup: a copy of a state at one committed block, taken while another
//! process (`clarimed serve`, `clarimed follow`) goes on committing to it.
//!
//! SQLite's backup API copies the file page by page through a read-only
//! connection. Every page is copied in one step, and a step holds one read
//! transaction throughout: in WAL mode the writer goes on committing beside it, and
//! the copy is the state as of the last commit before the step began, never a mix
//! of two. (Copied in several steps, a commit by another connection between two of
//! them would restart the copy from its first page, and a busy writer could keep
//! it restarting.) Reading commits nothing, so the writer keeps its rows in memory
//! (only another connection's commit makes it drop them).

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{classify, has_table, refuse_unfinished, BUSY_TIMEOUT};
use crate::{Result, StoreError};

/// How many times the copy is tried when a lock keeps it from starting, and how
/// long it waits between tries: SQLite runs no busy handler for a backup's source.
const ATTEMPTS: u32 = 20;
const PAUSE: Duration = Duration::from_millis(50);

/// Copies the state at `live` into `to`, a new (absent or empty) file, as of the
/// last block committed to `live` when the copy began; `live` is only read.
///
/// Refuses, writing nothing to `to`, a `live` that is not a clarimed state
/// ([`StoreError::NotAState`]) or was being bulk-loaded
/// ([`StoreError::UnfinishedLoad`], [`StoreError::Busy`] while the load runs).
/// `to` may hold a partial copy when the copy fails midway: write it beside the
/// file it is meant for and rename it there once this returns.
pub fn backup(live: &Path, to: &Path) -> Result<()> {
    // From the header, before SQLite reads a file that may hold half a write.
    refuse_unfinished(live)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let source = Connection::open_with_flags(live, flags).map_err(|e| classify(e, live))?;
    source.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(e, live))?;
    // The layouts before the dense one kept their rows in `kv`; the copy migrates
    // when opened, as the file would.
    let is_state = has_table(&source, "entries").and_then(|entries| Ok(entries || has_table(&source, "kv")?));
    if !is_state.map_err(|e| classify(e, live))? {
        return Err(StoreError::NotAState(live.display().to_string()));
    }
    let mut copy = Connection::open(to).map_err(|e| classify(e, to))?;
    let backup = Backup::new(&source, &mut copy).map_err(|e| classify(e, to))?;
    for _ in 0..ATTEMPTS {
        // -1: every page, in one step (one read transaction).
        match backup.step(-1).map_err(|e| classify(e, live))? {
            StepResult::Done => return Ok(()),
            // Busy: a lock held (the source recovering its log, a load holding it);
            // Locked: never for a source read through its own connection. Tried again.
            _ => std::thread::sleep(PAUSE),
        }
    }
    Err(StoreError::Busy)
}
