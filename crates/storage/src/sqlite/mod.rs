//! A SQLite store: one table of (key, value) rows laid out densely ([`layout`]), in
//! WAL mode.
//!
//! One connection writes. Reads use it too while no commit holds it: its page
//! cache survives its own commits, where any other connection's is emptied by
//! each. While a commit holds it, a read takes a reader connection from a small
//! pool instead, so a read never waits for a commit's fsync (WAL lets readers run
//! beside the writer).
//!
//! Each connection keeps one read transaction open across consecutive reads, as
//! long as this store commits nothing and for at most a millisecond: a read sees
//! every commit of this store, and another process's within a millisecond.
//!
//! Reads of a file opened for durable commits are answered from memory: every row
//! is held in an [`index`] built at open and kept in step with every commit, as
//! long as it fits the store's byte budget and no other connection writes the file
//! ([`resident`] says when it is dropped). Otherwise they descend SQLite's B-tree.
//!
//! Files of the layouts before (one `kv` table of the keys and values as given;
//! the dense layout before principals were numbered) are migrated when opened,
//! each in one transaction. [`SqliteStore::open_for_loading`] sets up a large
//! state without syncing or logging. [`backup()`] copies a live state at one
//! committed block.

mod backup;
mod index;
mod layout;
mod resident;

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

pub use self::backup::backup;
use self::layout::{stored_counts, Additions, Layout, RowError, SCHEMA};
use self::resident::{data_version, Resident};
pub use self::resident::{IndexOff, IndexStatus, DEFAULT_INDEX_BUDGET};
use crate::{Batch, Result, StoreCommit, StoreError, StoreRead};

/// How long a write waits for another process's lock before [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// A SQLite database holding the `entries` table and the `prefixes`, `names` and
/// `principals` its rows are numbered by.
pub struct SqliteStore {
    /// Connections for reads, opened on demand; `None` for an in-memory database,
    /// which no other connection can see, and for a file opened for loading,
    /// which the writer holds exclusively (their reads share the writer's).
    /// Declared first so they close first: the writer, closing last, moves the
    /// write-ahead log into the main file, which a read-only connection cannot do.
    readers: Option<Mutex<Vec<Session>>>,
    /// The file, `None` in memory.
    path: Option<PathBuf>,
    writer: Mutex<Session>,
    /// The prefixes, names and principals numbered, as last read or written by
    /// this store.
    layout: RwLock<Layout>,
    /// How many writes this store committed: a reader's snapshot from before the
    /// last one is not read again.
    commits: AtomicU64,
    mode: Mode,
    /// A write failed, was cut short, or is under way while loading: with no
    /// journal, it may be half applied, so the load is never marked finished.
    failed: AtomicBool,
    /// Every row in memory, or why not.
    resident: Resident,
}

/// `PRAGMA user_version` while a file is being loaded ("load").
const LOADING_MARK: i64 = 0x6c6f_6164;

/// How long a reader keeps reading in one read transaction while this store
/// commits nothing: another process's (or another store's) commits are seen
/// within this time, this store's own at once.
const SNAPSHOT_AGE: Duration = Duration::from_millis(1);

/// A connection and the read transaction it keeps open between reads: beginning
/// and ending one for every read took more than the read itself (file-lock
/// system calls, the write-ahead log's read mark).
struct Session {
    connection: Connection,
    snapshot: Option<Snapshot>,
    /// Whether the layout was checked against the tables in this snapshot.
    layout_checked: bool,
}

/// An open read transaction: begun after which of this store's commits, and when.
struct Snapshot {
    commits: u64,
    began: Instant,
}

impl Session {
    fn new(connection: Connection) -> Session {
        Session { connection, snapshot: None, layout_checked: false }
    }

    /// Keeps the open read transaction if this store committed nothing since it
    /// began and it is younger than [`SNAPSHOT_AGE`]; otherwise begins a new one.
    fn current(&mut self, commits: u64) -> rusqlite::Result<()> {
        if let Some(snapshot) = &self.snapshot {
            if snapshot.commits == commits && snapshot.began.elapsed() < SNAPSHOT_AGE {
                return Ok(());
            }
        }
        self.end()?;
        self.connection.prepare_cached("BEGIN")?.execute([])?;
        self.snapshot = Some(Snapshot { commits, began: Instant::now() });
        self.layout_checked = false;
        Ok(())
    }

    /// Ends the open read transaction, if any.
    fn end(&mut self) -> rusqlite::Result<()> {
        if self.snapshot.take().is_some() {
            self.connection.prepare_cached("COMMIT")?.execute([])?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

/// How a file is opened: for durable commits beside readers, its rows held in
/// memory within a byte budget; or for loading.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Durable(usize),
    Loading,
}

/// The writer's page cache while reads descend the B-tree: up to 4 GiB (a million
/// patients' state, held in memory; pages are only allocated as they are read).
const READS_CACHE: &str = "PRAGMA cache_size = -4194304";
/// The writer's page cache while the index answers reads: 256 MiB, for the pages
/// commits touch.
const WRITES_CACHE: &str = "PRAGMA cache_size = -262144";

/// A SQLite error as a store error: locks and files that are not databases have
/// variants of their own.
fn classify(error: rusqlite::Error, path: &Path) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::NotAState(path.display().to_string()),
        _ => StoreError::Sqlite(error),
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating it if it does not exist.
    /// Its rows are held in memory if they fit in [`DEFAULT_INDEX_BUDGET`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        SqliteStore::open_with_index_budget(path, DEFAULT_INDEX_BUDGET)
    }

    /// Opens the database at `path`, creating it if it does not exist, holding its
    /// rows in memory if they fit in `budget` bytes ([`SqliteStore::index_status`]).
    pub fn open_with_index_budget(path: impl AsRef<Path>, budget: usize) -> Result<SqliteStore> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(|e| classify(e, path))?;
        SqliteStore::with_connection(connection, Some(path), Mode::Durable(budget))
    }

    /// Opens the database at `path`, creating it if it does not exist, to set up a
    /// large state fast: commits keep no journal and are not synced to disk, and
    /// this connection holds the file alone (no other connection or process can
    /// read it meanwhile). Dropping the store finishes the load: everything is
    /// synced, and the file opens as any other. Until then the file is marked as
    /// being loaded, and a file whose load did not finish (a crash, a failed
    /// write) is refused by every open ([`StoreError::UnfinishedLoad`]): load it
    /// again into a new file.
    pub fn open_for_loading(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(|e| classify(e, path))?;
        SqliteStore::with_connection(connection, Some(path), Mode::Loading)
    }

    /// While loading, makes everything written so far durable, the file still
    /// marked as being loaded: dropping the store then only clears the mark. A
    /// caller that must know the load is on disk (and time it) calls this last; a
    /// failure leaves the mark, as a failed write does. Does nothing otherwise.
    pub fn sync_load(&self) -> Result<()> {
        if self.mode != Mode::Loading {
            return Ok(());
        }
        if self.failed.load(Ordering::SeqCst) {
            return Err(self.unfinished());
        }
        write_mark(&self.writer().connection).map_err(|e| {
            self.failed.store(true, Ordering::SeqCst);
            self.classify(e)
        })
    }

    fn unfinished(&self) -> StoreError {
        StoreError::UnfinishedLoad(self.path.as_deref().unwrap_or(Path::new(":memory:")).display().to_string())
    }

    /// Opens the store at `path`, which must exist and be one: nothing is created,
    /// and a file that is not a store is left untouched. Waits at most a second for
    /// another process's lock. Its rows are held in memory if they fit in
    /// [`DEFAULT_INDEX_BUDGET`].
    pub fn open_existing(path: impl AsRef<Path>) -> Result<SqliteStore> {
        SqliteStore::open_existing_with_index_budget(path, DEFAULT_INDEX_BUDGET)
    }

    /// [`SqliteStore::open_existing`], holding the rows in memory if they fit in
    /// `budget` bytes.
    pub fn open_existing_with_index_budget(path: impl AsRef<Path>, budget: usize) -> Result<SqliteStore> {
        let path = path.as_ref();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(e, path))?;
        refuse_unfinished(path)?;
        let is_store: bool = connection
            .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('entries', 'kv'))", [], |row| row.get(0))
            .map_err(|e| classify(e, path))?;
        if !is_store {
            return Err(StoreError::NotAState(path.display().to_string()));
        }
        SqliteStore::with_connection(connection, Some(path), Mode::Durable(budget))
    }

    /// A private database that lives as long as the store.
    pub fn in_memory() -> Result<SqliteStore> {
        let connection = Connection::open_in_memory().map_err(|e| classify(e, Path::new(":memory:")))?;
        SqliteStore::with_connection(connection, None, Mode::Durable(DEFAULT_INDEX_BUDGET))
    }

    fn with_connection(connection: Connection, path: Option<&Path>, mode: Mode) -> Result<SqliteStore> {
        let shown = path.unwrap_or(Path::new(":memory:"));
        if let Some(path) = path {
            refuse_unfinished(path)?;
        }
        configure(&connection, mode).map_err(|e| classify(e, shown))?;
        let unnumbered = has_table(&connection, "entries").and_then(|entries| Ok(entries && !has_table(&connection, "principals")?));
        let unnumbered = unnumbered.map_err(|e| classify(e, shown))?;
        connection.execute_batch(SCHEMA).map_err(|e| classify(e, shown))?;
        migrate(&connection).map_err(|e| classify(e, shown))?;
        if unnumbered {
            number_principals(&connection).map_err(|e| classify(e, shown))?;
        }
        let layout = Layout::load(&connection).map_err(|e| classify(e, shown))?;
        let resident = match mode {
            Mode::Durable(budget) => Resident::build(&connection, budget).map_err(|e| classify(e, shown))?,
            Mode::Loading => Resident::off(IndexOff::Loading),
        };
        if resident.is_complete() {
            connection.execute_batch(WRITES_CACHE).map_err(|e| classify(e, shown))?;
        }
        let readers = (path.is_some() && mode != Mode::Loading).then(|| Mutex::new(Vec::new()));
        let writer = Mutex::new(Session::new(connection));
        Ok(SqliteStore {
            readers,
            path: path.map(Path::to_path_buf),
            writer,
            layout: RwLock::new(layout),
            commits: AtomicU64::new(0),
            mode,
            failed: AtomicBool::new(false),
            resident,
        })
    }

    /// Whether reads are answered from memory, and how much it takes.
    pub fn index_status(&self) -> IndexStatus {
        self.resident.status()
    }

    /// Sets the bytes the in-memory index may take: past them it is dropped, and
    /// reads go to SQLite from then on.
    pub fn set_index_budget(&self, budget: usize) -> Result<()> {
        if self.resident.set_budget(budget) {
            self.writer().connection.execute_batch(READS_CACHE).map_err(|e| self.classify(e))?;
        }
        Ok(())
    }

    /// Drops the index if another connection committed to the file since it was
    /// last checked, at most [`resident::FRESHNESS`] ago: its reads would miss
    /// that commit. Skipped while this store commits (the writer's connection is
    /// busy; the commit checks too), and for a database no other connection sees.
    fn check_freshness(&self) -> Result<()> {
        if self.readers.is_none() || !self.resident.check_due() {
            return Ok(());
        }
        let Ok(mut writer) = self.writer.try_lock() else {
            return Ok(());
        };
        // The version moves only outside a read transaction.
        writer.end().map_err(|e| self.classify(e))?;
        let version = data_version(&writer.connection).map_err(|e| self.classify(e))?;
        if self.resident.seen_version(version) {
            writer.connection.execute_batch(READS_CACHE).map_err(|e| self.classify(e))?;
        }
        Ok(())
    }

    /// The value under `key` from the index: `None` when the index is off.
    fn get_resident(&self, key: &[u8]) -> Result<Option<Option<Vec<u8>>>> {
        self.check_freshness()?;
        let layout = self.layout();
        let found = self.resident.read(|index| match layout.read_key(key) {
            // A key whose prefix, names or principals are numbered nowhere was
            // never written.
            None => Ok(None),
            Some(row_key) => index.get(&row_key).map(|row| layout.value_of(row)).transpose(),
        });
        found.transpose().map_err(|_| corrupt())
    }

    fn layout(&self) -> std::sync::RwLockReadGuard<'_, Layout> {
        self.layout.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn layout_mut(&self) -> std::sync::RwLockWriteGuard<'_, Layout> {
        self.layout.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the numbers another connection committed since the layout last saw
    /// the database, when there are any: only their rows, not the whole tables.
    /// Asked only when a key's prefix, names or principals are not numbered (or
    /// before a scan), and answered without reading the tables again in a
    /// reader's snapshot where they were read already. An in-memory database, or
    /// one held for loading, has no other connection.
    fn catch_up(&self) -> Result<bool> {
        if self.readers.is_none() {
            return Ok(false);
        }
        let saved = self.layout().saved();
        let additions = self.with_reader(|reader| {
            if reader.layout_checked {
                return Ok(None);
            }
            let stored = stored_counts(&reader.connection)?;
            reader.layout_checked = true;
            if stored == saved {
                return Ok(None);
            }
            Additions::read(&reader.connection, saved).map(Some)
        })?;
        match additions {
            Some(additions) => {
                self.layout_mut().add(additions);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The row of `key` and `value`: looked up under the shared lock, and numbered
    /// under the exclusive one only when something in it is new.
    fn row(&self, key: &[u8], value: Option<&[u8]>) -> (Vec<u8>, Option<Vec<u8>>) {
        let known = {
            let layout = self.layout();
            layout.read_key(key).and_then(|row_key| match value {
                Some(value) => layout.read_value(key, value).map(|row_value| (row_key, Some(row_value))),
                None => Some((row_key, None)),
            })
        };
        known.unwrap_or_else(|| {
            let mut layout = self.layout_mut();
            (layout.write_key(key), value.map(|value| layout.write_value(key, value)))
        })
    }

    /// Touches every page of the state once, so that it is resident in this
    /// process: the first reads of a freshly opened large state then cost what
    /// later ones do, instead of a page fault each (about a second per 200,000
    /// patients).
    pub fn warm_up(&self) -> Result<()> {
        let writer = self.writer();
        writer.connection.query_row("SELECT count(*) FROM entries", [], |_| Ok(())).map_err(|e| self.classify(e))
    }

    /// Moves everything committed from the write-ahead log into the main file, so the
    /// file's size is the state's.
    pub fn checkpoint(&self) -> Result<()> {
        let mut writer = self.writer();
        self.end_idle_snapshots(&mut writer)?;
        writer.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(|e| self.classify(e))
    }

    /// Ends the writer's read transaction and those of the readers not in use, so
    /// that none holds the write-ahead log back from a checkpoint (and the writer
    /// can begin a write). A reader in use ends its own at its next read after
    /// this store's next commit.
    fn end_idle_snapshots(&self, writer: &mut Session) -> Result<()> {
        writer.end().map_err(|e| self.classify(e))?;
        if let Some(pool) = &self.readers {
            for reader in pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter_mut() {
                reader.end().map_err(|e| self.classify(e))?;
            }
        }
        Ok(())
    }

    fn writer(&self) -> MutexGuard<'_, Session> {
        // A connection is left consistent by SQLite whatever its user did.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn classify(&self, error: rusqlite::Error) -> StoreError {
        classify(error, self.path.as_deref().unwrap_or(Path::new(":memory:")))
    }

    /// Runs `read` in a snapshot current as of this store's last commit: on the
    /// writer's connection when no commit holds it (its page cache outlives this
    /// store's commits, while another connection's is emptied by each), otherwise
    /// on a reader's. In memory, or while loading, on the writer's, in no snapshot.
    fn with_reader<T>(&self, read: impl FnOnce(&mut Session) -> rusqlite::Result<T>) -> Result<T> {
        let commits = self.commits.load(Ordering::SeqCst);
        match (&self.readers, &self.path) {
            (Some(pool), Some(path)) => match self.writer.try_lock() {
                Ok(mut writer) => in_snapshot(&mut writer, commits, read).map_err(|e| self.classify(e)),
                Err(_) => with_pooled(path, pool, commits, read),
            },
            _ => read(&mut self.writer()).map_err(|e| self.classify(e)),
        }
    }
}

/// Runs `read` on a reader connection of `pool` (opened on `path` if none is
/// free), in a snapshot current as of the store's `commits`.
fn with_pooled<T>(path: &Path, pool: &Mutex<Vec<Session>>, commits: u64, read: impl FnOnce(&mut Session) -> rusqlite::Result<T>) -> Result<T> {
    let pooled = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
    let mut reader = match pooled {
        Some(reader) => reader,
        None => Session::new(open_reader(path).map_err(|e| classify(e, path))?),
    };
    let result = in_snapshot(&mut reader, commits, read);
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(reader);
    result.map_err(|e| classify(e, path))
}

/// Runs `read` on `session` in a snapshot current as of the store's `commits`.
fn in_snapshot<T>(session: &mut Session, commits: u64, read: impl FnOnce(&mut Session) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let result = session.current(commits).and_then(|()| read(session));
    if result.is_err() {
        // Whatever failed, the next read starts afresh.
        let _ = session.end();
    }
    result
}

/// Durable: WAL lets readers run beside the writer, every commit is synced, and
/// the writer's page cache may grow to 4 GiB ([`READS_CACHE`], until an index
/// answers the reads).
/// Loading: no journal and nothing synced (the file is marked as being loaded
/// meanwhile), the file locked once for the connection's life, and a 1 GiB page
/// cache for the pages a load keeps returning to. Either way,
/// the writer's reads of a large state go through a memory map rather than a read
/// call per page (its own commits leave the map in place).
fn configure(connection: &Connection, mode: Mode) -> rusqlite::Result<()> {
    match mode {
        Mode::Durable(_) => {
            connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            connection.execute_batch("PRAGMA synchronous = FULL")?;
            connection.execute_batch(READS_CACHE)?;
        }
        Mode::Loading => {
            connection.execute_batch("PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -1048576;")?;
            // SQLite may answer with the mode it kept, not an error, when it
            // cannot change it: the writes below need the journal off.
            let journal: String = connection.query_row("PRAGMA journal_mode = OFF", [], |row| row.get(0))?;
            if !journal.eq_ignore_ascii_case("off") {
                let busy = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY);
                return Err(rusqlite::Error::SqliteFailure(busy, Some(format!("the journal stayed {journal}"))));
            }
            // The mark is synced before anything it guards is written.
            write_mark(connection)?;
        }
    }
    // An in-memory database answers the mmap pragma with no row.
    connection.query_row("PRAGMA mmap_size = 68719476736", [], |_| Ok(())).optional()?;
    Ok(())
}

/// Refuses a file marked as being loaded from its header alone (`user_version`,
/// bytes 60..64): past it the file may hold half a write, which SQLite may not
/// even open. A missing or short file is no load; opening it says what it is.
fn refuse_unfinished(path: &Path) -> Result<()> {
    let mut header = [0u8; 64];
    let read = std::fs::File::open(path).and_then(|mut file| file.read_exact(&mut header));
    let user_version = i64::from(u32::from_be_bytes([header[60], header[61], header[62], header[63]]));
    if read.is_ok() && header.starts_with(b"SQLite format 3\0") && user_version == LOADING_MARK {
        return Err(StoreError::UnfinishedLoad(path.display().to_string()));
    }
    Ok(())
}

/// Marks the file as being loaded, with a full sync: every page written before it
/// is durable too. Later writes are not synced.
fn write_mark(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(&format!("PRAGMA synchronous = FULL; PRAGMA user_version = {LOADING_MARK}; PRAGMA synchronous = OFF;"))
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // No memory map: SQLite unmaps a reader's whole map when another connection
    // has committed, and every page it touches then faults in again.
    connection.execute_batch("PRAGMA mmap_size = 0; PRAGMA cache_size = -65536;")?;
    Ok(connection)
}

/// The smallest key above every key that starts with `prefix`, or `None` when no
/// such key exists (the prefix is all 0xff bytes).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl StoreRead for SqliteStore {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        if let Some(value) = self.get_resident(key)? {
            return Ok(value.map(Cow::Owned));
        }
        for attempt in 0..2 {
            // The layout is not held while SQLite reads: in memory, the read takes
            // the writer's connection, and the writer takes the layout.
            let row_key = self.layout().read_key(key);
            let outcome = match row_key {
                None => Err(RowError::Unknown),
                Some(row_key) => {
                    let row: Option<Vec<u8>> = self.with_reader(|session| {
                        let mut statement = session.connection.prepare_cached("SELECT value FROM entries WHERE key = ?1")?;
                        statement.query_row([&row_key], |row| row.get(0)).optional()
                    })?;
                    row.map(|row| self.layout().value_of(&row)).transpose()
                }
            };
            match outcome {
                Ok(value) => return Ok(value.map(Cow::Owned)),
                // Another connection numbered what this layout has not read yet.
                Err(RowError::Unknown) if attempt == 0 && self.catch_up()? => {}
                // A key whose prefix or names are numbered nowhere was never written.
                Err(RowError::Unknown) if self.layout().read_key(key).is_none() => return Ok(None),
                Err(_) => break,
            }
        }
        Err(corrupt())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.catch_up()?;
        let ranges = self.layout().ranges(prefix);
        let mut found = Vec::new();
        for (start, end) in ranges {
            let rows: Vec<(Vec<u8>, Vec<u8>)> = self.with_reader(|session| {
                let read = |row: &rusqlite::Row| Ok((row.get(0)?, row.get(1)?));
                match &end {
                    Some(end) => {
                        let mut statement = session.connection.prepare_cached("SELECT key, value FROM entries WHERE key >= ?1 AND key < ?2")?;
                        let rows = statement.query_map(params![start, end], read)?;
                        rows.collect()
                    }
                    None => {
                        let mut statement = session.connection.prepare_cached("SELECT key, value FROM entries WHERE key >= ?1")?;
                        let rows = statement.query_map(params![start], read)?;
                        rows.collect()
                    }
                }
            })?;
            let layout = self.layout();
            for (row_key, row_value) in rows {
                let key = layout.key_of(&row_key).map_err(|_| corrupt())?;
                if key.starts_with(prefix) {
                    found.push((key, layout.value_of(&row_value).map_err(|_| corrupt())?));
                }
            }
        }
        // Numbered prefixes do not sort as the keys they stand for.
        found.sort();
        Ok(found)
    }

    fn answers_from_memory(&self) -> bool {
        self.resident.is_complete()
    }
}

fn corrupt() -> StoreError {
    StoreError::Corrupt("a row that does not read back in the state's layout".to_string())
}

/// Finishes a load: syncs everything written, then clears the mark, unless a write
/// failed or was cut short (the mark then stays, and the file is refused).
impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Nothing can be returned from here; a failure leaves the mark, and the
        // next open says the load did not finish. The mark is cleared only once
        // every page it guards is on disk.
        if self.mode == Mode::Loading && self.sync_load().is_ok() {
            let _ = self.writer().connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA user_version = 0;");
        }
    }
}

impl StoreCommit for SqliteStore {
    fn write(&self, batch: Batch) -> Result<()> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(self.unfinished());
        }
        let mut writer = self.writer();
        self.end_idle_snapshots(&mut writer)?;
        // With no journal, a write cut short (an error, or a panic its caller
        // caught) may be half applied: the load counts as failed until the write
        // is done, marked while this is still the only writer.
        let loading = self.mode == Mode::Loading;
        if loading {
            self.failed.store(true, Ordering::SeqCst);
        }
        let mut turned_off = false;
        let applied = (|| {
            // Immediate: no other connection numbers anything, or commits, between
            // the checks below and this commit.
            let transaction = writer.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if stored_counts(&transaction)? != self.layout().saved() {
                let saved = self.layout().saved();
                self.layout_mut().add(Additions::read(&transaction, saved)?);
            }
            let indexed = self.resident.is_complete() && {
                turned_off = self.resident.seen_version(data_version(&transaction)?);
                !turned_off
            };
            let mut rows = Vec::with_capacity(if indexed { batch.len() } else { 0 });
            {
                let mut put = transaction.prepare_cached("REPLACE INTO entries (key, value) VALUES (?1, ?2)")?;
                let mut delete = transaction.prepare_cached("DELETE FROM entries WHERE key = ?1")?;
                for (key, value) in batch.iter() {
                    let row = self.row(key, value);
                    match &row {
                        (row_key, Some(row_value)) => put.execute(params![row_key, row_value])?,
                        (row_key, None) => delete.execute(params![row_key])?,
                    };
                    if indexed {
                        rows.push(row);
                    }
                }
            }
            let counts = self.layout().save(&transaction)?;
            transaction.commit()?;
            Ok((counts, rows))
        })();
        if loading && applied.is_ok() {
            self.failed.store(false, Ordering::SeqCst);
        }
        if turned_off {
            writer.connection.execute_batch(READS_CACHE).map_err(|e| self.classify(e))?;
        }
        let (counts, rows) = applied.map_err(|e: rusqlite::Error| self.classify(e))?;
        // Durable now: the index takes the commit in.
        if self.resident.apply(&rows) {
            writer.connection.execute_batch(READS_CACHE).map_err(|e| self.classify(e))?;
        }
        self.layout_mut().mark_saved(counts);
        self.commits.fetch_add(1, Ordering::SeqCst);
        drop(writer);
        Ok(())
    }
}

fn has_table(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    connection.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)", [name], |row| row.get(0))
}

/// Moves a file of the first layout (the table `kv` of keys and values as given)
/// into the dense layout, in one transaction; a file without `kv` is left as it is.
fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    if !has_table(connection, "kv")? {
        return Ok(());
    }
    let transaction = connection.unchecked_transaction()?;
    let mut layout = Layout::load(&transaction)?;
    {
        let mut rows = transaction.prepare("SELECT key, value FROM kv")?;
        let mut put = transaction.prepare("REPLACE INTO entries (key, value) VALUES (?1, ?2)")?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let (key, value): (Vec<u8>, Vec<u8>) = (row.get(0)?, row.get(1)?);
            put.execute(params![layout.write_key(&key), layout.write_value(&key, &value)])?;
        }
    }
    layout.save(&transaction)?;
    transaction.execute_batch("DROP TABLE kv")?;
    transaction.commit()
}

/// Moves a file of the dense layout from before principals were numbered (it has
/// no `principals` table) into this one, in one transaction: every row is read
/// back and written again.
fn number_principals(connection: &Connection) -> rusqlite::Result<()> {
    let transaction = connection.unchecked_transaction()?;
    let mut layout = Layout::load(&transaction)?;
    transaction.execute_batch("CREATE TABLE renumbered (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")?;
    {
        let mut rows = transaction.prepare("SELECT key, value FROM entries")?;
        let mut put = transaction.prepare("INSERT INTO renumbered (key, value) VALUES (?1, ?2)")?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let (row_key, row_value): (Vec<u8>, Vec<u8>) = (row.get(0)?, row.get(1)?);
            let unreadable = |_| rusqlite::Error::InvalidColumnType(0, "key".into(), rusqlite::types::Type::Blob);
            let key = layout.key_of(&row_key).map_err(unreadable)?;
            let value = layout.value_of(&row_value).map_err(unreadable)?;
            put.execute(params![layout.write_key(&key), layout.write_value(&key, &value)])?;
        }
    }
    layout.save(&transaction)?;
    transaction.execute_batch("DROP TABLE entries; ALTER TABLE renumbered RENAME TO entries")?;
    transaction.commit()
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_next_key_past_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }
}
