//! clarimed's storage: a small key-value [`Store`] trait, two backends behind it, and
//! nested transactions on top.
//!
//! - [`MemoryStore`]: an ordered map, for tests and benchmarks.
//! - [`SqliteStore`]: one SQLite table in WAL mode; a write is durable once it returns.
//! - [`Transactional`]: wraps any store with begin / commit / roll back to any depth.
//!   Writes stay in memory layers until the outermost commit, which reaches the
//!   backend as one atomic [`Batch`]. The engine uses a layer per contract call (kept
//!   on `ok`, dropped on `err`) and chooses whether the outermost commit covers one
//!   call or a block of calls. It names each committed state it reaches
//!   ([`Store::committed_version`]), so decoded values can be cached safely
//!   ([`clarity::CachedView`]).
//!
//! Keys and values are bytes. Above them, [`clarity`] gives typed data maps and vars
//! ([`clarity::Map`], [`clarity::Item`]) stored under the Clarity VM's own key layout
//! in Clarity's consensus serialization: the state machines use those and never
//! touch bytes.
//!
//! The SQLite backend is behind the `sqlite` feature (on by default), so the pure
//! state machines can depend on this crate without SQLite.

mod batch;
pub mod clarity;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;
mod transactional;

pub use batch::Batch;
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use transactional::Transactional;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[cfg(feature = "sqlite")]
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no transaction is open")]
    NoTransaction,
    #[error("{0} is not a clarimed state")]
    NotAStore(String),
}

use std::borrow::Cow;

pub type Result<T> = std::result::Result<T, StoreError>;

/// A key-value store with ordered keys.
pub trait Store {
    /// The value under `key`: borrowed where the backend holds it in memory.
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>>;

    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// Applies every put and delete of `batch`, all or none.
    fn write(&mut self, batch: Batch) -> Result<()>;

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = Batch::default();
        batch.put(key, value);
        self.write(batch)
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        let mut batch = Batch::default();
        batch.delete(key);
        self.write(batch)
    }

    /// Names the committed state: it changes whenever that state does. `None` when
    /// the store cannot tell. Caches of decoded values key on this.
    fn committed_version(&self) -> Option<StateVersion> {
        None
    }

    /// Whether a transaction is open (so a read may see uncommitted writes).
    fn in_transaction(&self) -> bool {
        false
    }

    /// Whether an open transaction has written `key`: a read of it then sees
    /// something other than the committed state.
    fn written_in_transaction(&self, key: &[u8]) -> bool {
        let _ = key;
        false
    }

    /// Whether reads are slow enough to be worth caching in memory (a database on
    /// disk, not a map in memory).
    fn slow_reads(&self) -> bool {
        false
    }
}

/// Which store, and how many writes it has committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateVersion {
    pub store: u64,
    pub writes: u64,
}
