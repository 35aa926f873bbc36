//! A SQLite store: one table of (key, value) rows laid out densely ([`layout`]), in
//! WAL mode.
//!
//! One connection writes; readers on other threads take connections of their own
//! from a small pool, so a read never waits for a commit's fsync (WAL lets readers
//! run beside the writer, each statement on the last committed state).
//!
//! A file written before the dense layout (one `kv` table of the keys and values as
//! given) is migrated when it is opened, in one transaction.

mod layout;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use self::layout::{stored_counts, Additions, Layout, RowError, SCHEMA};
use crate::{Batch, Result, StoreCommit, StoreError, StoreRead};

/// How long a write waits for another process's lock before [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// A SQLite database holding the `entries` table and the `prefixes`, `names` and
/// `principals` its rows are numbered by.
pub struct SqliteStore {
    /// Connections for reads, opened on demand; `None` for an in-memory database,
    /// which no other connection can see (its reads share the writer's). Declared
    /// first so they close first: the writer, closing last, moves the write-ahead
    /// log into the main file, which a read-only connection cannot do.
    readers: Option<(PathBuf, Mutex<Vec<Reader>>)>,
    writer: Mutex<Connection>,
    /// The prefixes, names and principals numbered, as last read or written by
    /// this store.
    layout: RwLock<Layout>,
}

/// A reader connection, and the `data_version` it last checked the layout at.
struct Reader {
    connection: Connection,
    layout_checked_at: Option<i64>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.readers.as_ref().map(|(path, _)| path.as_path());
        f.debug_struct("SqliteStore").field("path", &path).finish()
    }
}

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
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(|e| classify(e, path))?;
        SqliteStore::with_connection(connection, Some(path))
    }

    /// Opens the store at `path`, which must exist and be one: nothing is created,
    /// and a file that is not a store is left untouched. Waits at most a second for
    /// another process's lock.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(e, path))?;
        let is_store: bool = connection
            .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('entries', 'kv'))", [], |row| row.get(0))
            .map_err(|e| classify(e, path))?;
        if !is_store {
            return Err(StoreError::NotAState(path.display().to_string()));
        }
        SqliteStore::with_connection(connection, Some(path))
    }

    /// A private database that lives as long as the store.
    pub fn in_memory() -> Result<SqliteStore> {
        let connection = Connection::open_in_memory().map_err(|e| classify(e, Path::new(":memory:")))?;
        SqliteStore::with_connection(connection, None)
    }

    fn with_connection(connection: Connection, path: Option<&Path>) -> Result<SqliteStore> {
        let shown = path.unwrap_or(Path::new(":memory:"));
        configure(&connection).map_err(|e| classify(e, shown))?;
        connection.execute_batch("PRAGMA synchronous = FULL;").map_err(|e| classify(e, shown))?;
        let unnumbered = has_table(&connection, "entries").and_then(|entries| Ok(entries && !has_table(&connection, "principals")?));
        let unnumbered = unnumbered.map_err(|e| classify(e, shown))?;
        connection.execute_batch(SCHEMA).map_err(|e| classify(e, shown))?;
        migrate(&connection).map_err(|e| classify(e, shown))?;
        if unnumbered {
            number_principals(&connection).map_err(|e| classify(e, shown))?;
        }
        let layout = Layout::load(&connection).map_err(|e| classify(e, shown))?;
        Ok(SqliteStore { writer: Mutex::new(connection), readers: path.map(|path| (path.to_path_buf(), Mutex::new(Vec::new()))), layout: RwLock::new(layout) })
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
    /// before a scan), and answered without reading the tables while no other
    /// connection has committed since the reader last asked (SQLite's
    /// `data_version`). An in-memory database has no other connection.
    fn catch_up(&self) -> Result<bool> {
        let Some((path, pool)) = &self.readers else {
            return Ok(false);
        };
        let saved = self.layout().saved();
        let additions = with_pooled(path, pool, |reader| {
            let version: i64 = reader.connection.query_row("PRAGMA data_version", [], |row| row.get(0))?;
            if reader.layout_checked_at == Some(version) {
                return Ok(None);
            }
            let stored = stored_counts(&reader.connection)?;
            reader.layout_checked_at = Some(version);
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

    /// Moves everything committed from the write-ahead log into the main file, so the
    /// file's size is the state's.
    pub fn checkpoint(&self) -> Result<()> {
        let writer = self.writer();
        writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(|e| self.classify(e))
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A connection is left consistent by SQLite whatever its user did.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn classify(&self, error: rusqlite::Error) -> StoreError {
        let path = self.readers.as_ref().map_or(Path::new(":memory:"), |(path, _)| path.as_path());
        classify(error, path)
    }

    /// Runs `read` on a reader connection (the writer's, in memory).
    fn with_reader<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        match &self.readers {
            None => read(&self.writer()).map_err(|e| self.classify(e)),
            Some((path, pool)) => with_pooled(path, pool, |reader| read(&reader.connection)),
        }
    }
}

/// Runs `read` on a reader connection of `pool` (opened on `path` if none is free).
fn with_pooled<T>(path: &Path, pool: &Mutex<Vec<Reader>>, read: impl FnOnce(&mut Reader) -> rusqlite::Result<T>) -> Result<T> {
    let pooled = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
    let mut reader = match pooled {
        Some(reader) => reader,
        None => Reader { connection: open_reader(path).map_err(|e| classify(e, path))?, layout_checked_at: None },
    };
    let result = read(&mut reader).map_err(|e| classify(e, path));
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(reader);
    result
}

/// WAL lets readers run beside the writer; reads of a large state go through a
/// memory map and a 64 MiB page cache rather than a read call per page.
fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    // An in-memory database answers the mmap pragma with no row.
    connection.query_row("PRAGMA mmap_size = 68719476736", [], |_| Ok(())).optional()?;
    connection.execute_batch("PRAGMA cache_size = -65536;")
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.query_row("PRAGMA mmap_size = 68719476736", [], |_| Ok(())).optional()?;
    connection.execute_batch("PRAGMA cache_size = -65536;")?;
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
        for attempt in 0..2 {
            // The layout is not held while SQLite reads: in memory, the read takes
            // the writer's connection, and the writer takes the layout.
            let row_key = self.layout().read_key(key);
            let outcome = match row_key {
                None => Err(RowError::Unknown),
                Some(row_key) => {
                    let row: Option<Vec<u8>> = self.with_reader(|connection| {
                        let mut statement = connection.prepare_cached("SELECT value FROM entries WHERE key = ?1")?;
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
            let rows: Vec<(Vec<u8>, Vec<u8>)> = self.with_reader(|connection| {
                let read = |row: &rusqlite::Row| Ok((row.get(0)?, row.get(1)?));
                match &end {
                    Some(end) => {
                        let mut statement = connection.prepare_cached("SELECT key, value FROM entries WHERE key >= ?1 AND key < ?2")?;
                        let rows = statement.query_map(params![start, end], read)?;
                        rows.collect()
                    }
                    None => {
                        let mut statement = connection.prepare_cached("SELECT key, value FROM entries WHERE key >= ?1")?;
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
}

fn corrupt() -> StoreError {
    StoreError::Corrupt("a row that does not read back in the state's layout".to_string())
}

impl StoreCommit for SqliteStore {
    fn write(&self, batch: Batch) -> Result<()> {
        let mut writer = self.writer();
        let applied = (|| {
            // Immediate: no other connection numbers anything between the check
            // below and this commit.
            let transaction = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if stored_counts(&transaction)? != self.layout().saved() {
                let saved = self.layout().saved();
                self.layout_mut().add(Additions::read(&transaction, saved)?);
            }
            {
                let mut put = transaction.prepare_cached("REPLACE INTO entries (key, value) VALUES (?1, ?2)")?;
                let mut delete = transaction.prepare_cached("DELETE FROM entries WHERE key = ?1")?;
                for (key, value) in batch.iter() {
                    match self.row(key, value) {
                        (row_key, Some(row_value)) => put.execute(params![row_key, row_value])?,
                        (row_key, None) => delete.execute(params![row_key])?,
                    };
                }
            }
            let counts = self.layout().save(&transaction)?;
            transaction.commit()?;
            Ok(counts)
        })();
        // Marked while this is still the only writer.
        let counts = applied.map_err(|e: rusqlite::Error| self.classify(e))?;
        self.layout_mut().mark_saved(counts);
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
