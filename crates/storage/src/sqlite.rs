//! A SQLite store: one table of (key, value) blobs, in WAL mode.
//!
//! One connection writes; readers on other threads take connections of their own
//! from a small pool, so a read never waits for a commit's fsync (WAL lets readers
//! run beside the writer, each statement on the last committed state).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};

use crate::{Batch, Result, StoreCommit, StoreError, StoreRead};

/// How long a write waits for another process's lock before [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// A SQLite database holding one table, `kv`.
pub struct SqliteStore {
    /// Connections for reads, opened on demand; `None` for an in-memory database,
    /// which no other connection can see (its reads share the writer's). Declared
    /// first so they close first: the writer, closing last, moves the write-ahead
    /// log into the main file, which a read-only connection cannot do.
    readers: Option<(PathBuf, Mutex<Vec<Connection>>)>,
    writer: Mutex<Connection>,
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
            .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv')", [], |row| row.get(0))
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
        connection
            .execute_batch(
                "PRAGMA synchronous = FULL;
                 CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;",
            )
            .map_err(|e| classify(e, shown))?;
        Ok(SqliteStore { writer: Mutex::new(connection), readers: path.map(|path| (path.to_path_buf(), Mutex::new(Vec::new()))) })
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
        let Some((path, pool)) = &self.readers else {
            return read(&self.writer()).map_err(|e| self.classify(e));
        };
        let pooled = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => open_reader(path).map_err(|e| classify(e, path))?,
        };
        let result = read(&connection).map_err(|e| classify(e, path));
        pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(connection);
        result
    }
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
        let value: Option<Vec<u8>> = self.with_reader(|connection| {
            let mut statement = connection.prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
            statement.query_row([key], |row| row.get(0)).optional()
        })?;
        Ok(value.map(Cow::Owned))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.with_reader(|connection| {
            let read = |row: &rusqlite::Row| Ok((row.get(0)?, row.get(1)?));
            match prefix_end(prefix) {
                Some(end) => {
                    let mut statement = connection.prepare_cached("SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key")?;
                    let rows = statement.query_map(params![prefix, end], read)?;
                    rows.collect()
                }
                None => {
                    let mut statement = connection.prepare_cached("SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key")?;
                    let rows = statement.query_map(params![prefix], read)?;
                    rows.collect()
                }
            }
        })
    }
}

impl StoreCommit for SqliteStore {
    fn write(&self, batch: Batch) -> Result<()> {
        let mut writer = self.writer();
        let applied = (|| {
            let transaction = writer.transaction()?;
            {
                let mut put = transaction.prepare_cached("REPLACE INTO kv (key, value) VALUES (?1, ?2)")?;
                let mut delete = transaction.prepare_cached("DELETE FROM kv WHERE key = ?1")?;
                for (key, value) in batch.iter() {
                    match value {
                        Some(value) => put.execute(params![key, value])?,
                        None => delete.execute(params![key])?,
                    };
                }
            }
            transaction.commit()
        })();
        drop(writer);
        applied.map_err(|e| self.classify(e))
    }
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
