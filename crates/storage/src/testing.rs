//! A store whose disk fills on demand, for the tests of what a failing commit does
//! to the engine, `serve`'s miner and the follower.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{Batch, Result, SqliteStore, StoreCommit, StoreError, StoreRead};

/// A SQLite state whose commits fail while its disk is full, as SQLite fails them
/// (`SQLITE_FULL`): the batch never reaches the file. Reads go on.
pub struct FullDisk {
    store: SqliteStore,
    full: AtomicBool,
    refused: AtomicUsize,
}

impl FullDisk {
    /// `store`, with room on its disk.
    pub fn new(store: SqliteStore) -> FullDisk {
        FullDisk { store, full: AtomicBool::new(false), refused: AtomicUsize::new(0) }
    }

    /// Fills the disk (`true`) or makes room again (`false`).
    pub fn set_full(&self, full: bool) {
        self.full.store(full, Ordering::SeqCst);
    }

    /// How many commits the full disk refused.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl StoreRead for FullDisk {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        self.store.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.store.scan_prefix(prefix)
    }

    fn answers_from_memory(&self) -> bool {
        self.store.answers_from_memory()
    }
}

impl StoreCommit for FullDisk {
    fn write(&self, batch: Batch) -> Result<()> {
        if self.full.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            let full = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL);
            return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(full, Some("database or disk is full".to_string()))));
        }
        self.store.write(batch)
    }
}
