//! clarimed's storage: what a backend is, two backends, and the layers the engine
//! assembles over them.
//!
//! - [`StoreRead`] and [`StoreCommit`]: a store's reads (a key, an ordered prefix
//!   scan) and its one write, an atomic [`Batch`]. A backend ([`Store`]) is both, and
//!   shareable between threads. Nothing else: no cache protocol, no transactions.
//! - [`MemoryStore`] (a hash map) and [`SqliteStore`] (one SQLite table in WAL mode,
//!   durable once a write returns, its rows held in memory within a byte budget
//!   and read there, [`IndexStatus`]); [`backup()`] copies a live SQLite state.
//! - [`Transactional`]: nested transactions over any store. Writes stay in memory
//!   layers ([`StoreWrite`]) until the outermost commit, which reaches the store below
//!   as one batch.
//! - [`Cached`]: a cache of committed values over any backend, updated key by key
//!   when a batch is committed, with consistent multi-key reads for concurrent
//!   readers ([`Cached::read_consistent`]).
//! - [`Memo`]: answers computed from the committed state, each dropped when a key it
//!   read is written ([`Recording`] records those keys).
//!
//! Keys and values are bytes. Above them, [`clarity`] gives typed data maps and vars
//! ([`clarity::Map`], [`clarity::Item`]) stored under the Clarity VM's own key layout
//! ([`clarity::VmKey`]) in Clarity's consensus serialization: the state machines use
//! those and never touch bytes.
//!
//! The SQLite backend is behind the `sqlite` feature (on by default), so the pure
//! state machines can depend on this crate without SQLite.

#![deny(missing_docs)]

mod batch;
mod cached;
pub mod clarity;
mod memo;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
pub mod testing;
mod transactional;

use std::borrow::Cow;

pub use batch::Batch;
pub use cached::Cached;
pub use memo::{Memo, ReadSet, Recording};
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{backup, IndexOff, IndexStatus, SqliteStore, DEFAULT_INDEX_BUDGET};
pub use transactional::Transactional;

/// Why a store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds a lock on the state, past the wait allowed.
    #[error("the state is locked by another process")]
    Busy,
    /// The file exists but is not a clarimed state (another kind of file, or corrupt).
    #[error("{0} is not a clarimed state")]
    NotAState(String),
    /// Any other failure of the SQLite backend.
    #[cfg(feature = "sqlite")]
    #[error("SQLite: {0}")]
    Sqlite(rusqlite::Error),
    /// The file was being bulk-loaded ([`SqliteStore::open_for_loading`]) and the
    /// load did not finish: it may hold half a write.
    #[error("{0} was being loaded and the load did not finish: load it again into a new file")]
    UnfinishedLoad(String),
    /// A row of the state does not read back.
    #[error("the state is corrupt: {0}")]
    Corrupt(String),
    /// A commit or roll back with no transaction open: a bug in the caller.
    #[error("no transaction is open")]
    NoTransaction,
}

impl StoreError {
    /// Whether the disk failed the operation (full, or a write or read error), as
    /// opposed to a lock, a file that is not a state, or a bug: nothing of a commit
    /// that failed so is applied, and it can succeed once the fault is fixed.
    pub fn is_io_fault(&self) -> bool {
        match self {
            #[cfg(feature = "sqlite")]
            StoreError::Sqlite(error) => matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)),
            _ => false,
        }
    }

    /// Whether the file is refused because a bulk load of it did not finish
    /// ([`StoreError::UnfinishedLoad`]).
    pub fn is_unfinished_load(&self) -> bool {
        matches!(self, StoreError::UnfinishedLoad(_))
    }
}

/// A store operation's result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Reading a store.
pub trait StoreRead {
    /// The value under `key`: borrowed where the store can lend it.
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>>;

    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// Whether [`StoreRead::get`] answers from memory, about as fast as a cache of
    /// values would: a [`Cached`] above it then keeps no copy of what it reads.
    fn answers_from_memory(&self) -> bool {
        false
    }
}

/// Writing a store: every put and delete of a batch, all or none.
pub trait StoreCommit {
    /// Applies `batch` atomically.
    fn write(&self, batch: Batch) -> Result<()>;
}

/// A backend: read and committed to through shared references, from any thread.
pub trait Store: StoreRead + StoreCommit + Send + Sync {}

impl<T: StoreRead + StoreCommit + Send + Sync + ?Sized> Store for T {}

/// Writing through a transaction: what the state machines' public functions do.
pub trait StoreWrite: StoreRead {
    /// Sets `key` to `value`.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()>;

    /// Removes `key`.
    fn delete(&mut self, key: &[u8]) -> Result<()>;
}

impl<T: StoreRead + ?Sized> StoreRead for &T {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        (**self).get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        (**self).scan_prefix(prefix)
    }

    fn answers_from_memory(&self) -> bool {
        (**self).answers_from_memory()
    }
}

impl<T: StoreCommit + ?Sized> StoreCommit for &T {
    fn write(&self, batch: Batch) -> Result<()> {
        (**self).write(batch)
    }
}

impl<T: StoreRead + ?Sized> StoreRead for std::sync::Arc<T> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        (**self).get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        (**self).scan_prefix(prefix)
    }

    fn answers_from_memory(&self) -> bool {
        (**self).answers_from_memory()
    }
}

impl<T: StoreCommit + ?Sized> StoreCommit for std::sync::Arc<T> {
    fn write(&self, batch: Batch) -> Result<()> {
        (**self).write(batch)
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::StoreError;

    fn sqlite(code: i32) -> StoreError {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None))
    }

    #[test]
    fn a_full_disk_and_a_failed_write_are_io_faults_and_a_lock_or_a_bug_is_not() {
        assert!(sqlite(rusqlite::ffi::SQLITE_FULL).is_io_fault());
        assert!(sqlite(rusqlite::ffi::SQLITE_IOERR_WRITE).is_io_fault());
        assert!(!sqlite(rusqlite::ffi::SQLITE_CONSTRAINT).is_io_fault());
        assert!(!StoreError::Busy.is_io_fault());
        assert!(!StoreError::NoTransaction.is_io_fault());
    }
}
