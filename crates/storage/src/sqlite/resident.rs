//! When the store reads from its in-memory [`Index`] and when from SQLite.
//!
//! The index is built when a file is opened for durable commits, if it fits the
//! store's byte budget, and kept in step with every commit of the store, after
//! SQLite has made the commit durable: SQLite stays the durable log, and the index
//! is what reads look up. It is dropped for good, and reads go to SQLite's B-tree
//! as before, when:
//! - a commit would take it past the budget (a state bigger than the memory it
//!   may use still works, at B-tree speed);
//! - another connection (another process, another store on the same file) commits
//!   to the file: it is noticed within [`FRESHNESS`] by SQLite's `data_version`,
//!   which changes with every other connection's commit and never with this one's,
//!   and at this store's next commit at the latest.
//!
//! Each is said once on standard error, and [`IndexStatus`] tells which.
//! A file opened for loading is not indexed (a load is written, not read), nor one
//! opened with a budget of 0 (a command that reads a few rows and exits).

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::index::{Builder, Index, MAX_BYTES};

/// The bytes a store's index may take unless told otherwise: 8 GiB, a state of
/// about 2.9 million patients of the scale bench (10 consents and 5 records each,
/// 2.9 KB of index a patient).
pub const DEFAULT_INDEX_BUDGET: usize = 8 << 30;

/// Another connection's commit is noticed within this time.
pub(crate) const FRESHNESS: Duration = Duration::from_millis(1);

/// Whether a store's reads are answered from memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStatus {
    /// Every row is held in memory: `rows` of them in `bytes`.
    Complete {
        /// Rows of the state.
        rows: usize,
        /// Bytes the index takes: its table and its arena.
        bytes: usize,
    },
    /// Reads descend SQLite's B-tree, for the reason given.
    Off(IndexOff),
}

impl IndexStatus {
    /// Whether every row is held in memory.
    pub fn is_complete(&self) -> bool {
        matches!(self, IndexStatus::Complete { .. })
    }

    /// The bytes the index takes; 0 when it is off.
    pub fn bytes(&self) -> usize {
        match self {
            IndexStatus::Complete { bytes, .. } => *bytes,
            IndexStatus::Off(_) => 0,
        }
    }
}

/// Why a store reads from SQLite rather than from memory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexOff {
    /// The file is open for loading ([`super::SqliteStore::open_for_loading`]).
    #[error("the state is being loaded")]
    Loading,
    /// The store was opened with a budget of 0: no index asked for (a command
    /// that reads a few rows and exits).
    #[error("no index was asked for")]
    NotAsked,
    /// The index needs more than the budget.
    #[error("the state needs {needed} bytes in memory, past the budget of {budget}")]
    OverBudget {
        /// Bytes the index needs (at least).
        needed: usize,
        /// Bytes it may take.
        budget: usize,
    },
    /// Another connection committed to the file, which the index did not see.
    #[error("another connection wrote the state")]
    WrittenElsewhere,
}

enum State {
    Complete(Index),
    Off(IndexOff),
}

/// The index, or why there is none, and what keeps it current.
pub(crate) struct Resident {
    state: RwLock<State>,
    budget: AtomicUsize,
    /// The writer connection's `data_version` when the index last matched the file.
    data_version: AtomicI64,
    /// When the file was last checked for other connections' commits, in
    /// nanoseconds since `opened`; 0 before the first check.
    checked: AtomicU64,
    opened: Instant,
}

/// SQLite's count of other connections' commits, as `connection` sees it.
pub(crate) fn data_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.prepare_cached("PRAGMA data_version")?.query_row([], |row| row.get(0))
}

impl Resident {
    /// No index, for `why`.
    pub(crate) fn off(why: IndexOff) -> Resident {
        Resident::with_state(State::Off(why), 0, 0)
    }

    /// Every row of `connection`'s `entries`, if they fit in `budget` bytes.
    pub(crate) fn build(connection: &Connection, budget: usize) -> rusqlite::Result<Resident> {
        let budget = budget.min(MAX_BYTES);
        let version = data_version(connection)?;
        if budget == 0 {
            return Ok(Resident::with_state(State::Off(IndexOff::NotAsked), budget, version));
        }
        let least = Index::bytes_needed(0, 0);
        if budget < least {
            // Not even an empty index fits: the rows are not counted.
            let why = IndexOff::OverBudget { needed: least, budget };
            say_off(&why);
            return Ok(Resident::with_state(State::Off(why), budget, version));
        }
        // `length` of a blob reads the row's header, not its content.
        let (rows, data): (i64, i64) =
            connection.query_row("SELECT count(*), coalesce(sum(length(key) + length(value)), 0) FROM entries", [], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let (rows, data) = (usize::try_from(rows).unwrap_or(usize::MAX), usize::try_from(data).unwrap_or(usize::MAX));
        let needed = Index::bytes_needed(rows, data);
        if needed > budget {
            let why = IndexOff::OverBudget { needed, budget };
            say_off(&why);
            return Ok(Resident::with_state(State::Off(why), budget, version));
        }
        let mut builder = Builder::new(rows);
        let mut statement = connection.prepare("SELECT key, value FROM entries")?;
        let mut found = statement.query([])?;
        while let Some(row) = found.next()? {
            builder.add(row.get_ref(0)?.as_blob()?, row.get_ref(1)?.as_blob()?);
        }
        Ok(Resident::with_state(State::Complete(builder.finish()), budget, version))
    }

    fn with_state(state: State, budget: usize, version: i64) -> Resident {
        Resident {
            state: RwLock::new(state),
            budget: AtomicUsize::new(budget),
            data_version: AtomicI64::new(version),
            checked: AtomicU64::new(0),
            opened: Instant::now(),
        }
    }

    fn state(&self) -> RwLockReadGuard<'_, State> {
        // A panic while applying a commit leaves the index behind the file; the
        // writer that panicked is the store's only writer, and it turns the index
        // off at its next commit (or the store is dropped).
        self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn state_mut(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What the index says, or `None` when it is off.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Index) -> T) -> Option<T> {
        match &*self.state() {
            State::Complete(index) => Some(read(index)),
            State::Off(_) => None,
        }
    }

    /// Whether reads are answered from the index.
    pub(crate) fn is_complete(&self) -> bool {
        matches!(&*self.state(), State::Complete(_))
    }

    /// Whether reads are answered from the index, and how big it is.
    pub(crate) fn status(&self) -> IndexStatus {
        match &*self.state() {
            State::Complete(index) => IndexStatus::Complete { rows: index.len(), bytes: index.bytes() },
            State::Off(why) => IndexStatus::Off(why.clone()),
        }
    }

    /// Whether the file is due to be checked for other connections' commits: a
    /// check is at most [`FRESHNESS`] old. The caller checks it with
    /// [`Resident::seen_version`].
    /// The first read after opening always checks.
    pub(crate) fn check_due(&self) -> bool {
        // 0 is never: a check is recorded at 1 ns at the earliest.
        let now = (self.opened.elapsed().as_nanos() as u64).max(1);
        let checked = self.checked.load(Ordering::Relaxed);
        let due = checked == 0 || now.saturating_sub(checked) >= FRESHNESS.as_nanos() as u64;
        due && self.checked.compare_exchange(checked, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// Turns the index off if `version`, the writer connection's `data_version`
    /// read now, says another connection committed since it was built. Returns
    /// whether it was turned off by this call.
    pub(crate) fn seen_version(&self, version: i64) -> bool {
        if version == self.data_version.load(Ordering::SeqCst) {
            return false;
        }
        self.turn_off(IndexOff::WrittenElsewhere)
    }

    /// Applies a commit's rows (`None`: deleted), made durable by SQLite; turns the
    /// index off if it no longer fits the budget. Returns whether it was turned off
    /// by this call.
    pub(crate) fn apply(&self, rows: &[(Vec<u8>, Option<Vec<u8>>)]) -> bool {
        let mut state = self.state_mut();
        let State::Complete(index) = &mut *state else {
            return false;
        };
        for (key, value) in rows {
            match value {
                Some(value) => index.put(key, value),
                None => index.remove(key),
            }
        }
        index.compact();
        let (needed, budget) = (index.bytes(), self.budget.load(Ordering::SeqCst));
        if needed <= budget {
            return false;
        }
        let why = IndexOff::OverBudget { needed, budget };
        say_off(&why);
        *state = State::Off(why);
        true
    }

    /// Sets the budget; an index past it is turned off at once. Returns whether
    /// it was turned off by this call.
    pub(crate) fn set_budget(&self, budget: usize) -> bool {
        self.budget.store(budget.min(MAX_BYTES), Ordering::SeqCst);
        let needed = self.read(Index::bytes).unwrap_or(0);
        needed > budget && self.turn_off(IndexOff::OverBudget { needed, budget })
    }

    fn turn_off(&self, why: IndexOff) -> bool {
        let mut state = self.state_mut();
        if let State::Off(_) = &*state {
            return false;
        }
        say_off(&why);
        *state = State::Off(why);
        true
    }
}

/// Once, as a warning event: a server logs it with its other events; only a store
/// that indexes (a server's, an embedder's) can say it, as the one-shot commands
/// open theirs unindexed.
fn say_off(why: &IndexOff) {
    tracing::warn!(reason = %why, "the state is read from SQLite, not from memory: {why}");
}
