//! A SQLite store: one table of (key, value) blobs, in WAL mode.

use std::borrow::Cow;
use std::path::Path;

use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::{Batch, Result, Store, StoreError};

pub struct SqliteStore {
    connection: Connection,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it if it does not exist.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        SqliteStore::with_connection(Connection::open(path)?)
    }

    /// Opens the store at `path`, which must exist and be one: nothing is created,
    /// and a file that is not a store is left untouched. Waits at most a second for
    /// another process's lock.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        connection.busy_timeout(Duration::from_secs(1))?;
        let is_store: bool = connection.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv')",
            [],
            |row| row.get(0),
        )?;
        if !is_store {
            return Err(StoreError::NotAStore(path.display().to_string()));
        }
        SqliteStore::with_connection(connection)
    }

    /// Moves everything committed from the write-ahead log into the main file, so the
    /// file's size is the state's.
    pub fn checkpoint(&self) -> Result<()> {
        self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// A private database that lives as long as the store.
    pub fn in_memory() -> Result<SqliteStore> {
        SqliteStore::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(connection: Connection) -> Result<SqliteStore> {
        // WAL lets readers run beside the writer; FULL makes every commit durable
        // before `write` returns. Reads of a large state go through a memory map and
        // a 64 MiB page cache rather than a read call per page.
        connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        // An in-memory database answers the mmap pragma with no row.
        connection.query_row("PRAGMA mmap_size = 68719476736", [], |_| Ok(())).optional()?;
        connection.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA cache_size = -65536;
             CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;",
        )?;
        Ok(SqliteStore { connection })
    }
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

impl Store for SqliteStore {
    fn slow_reads(&self) -> bool {
        true
    }

    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
        let value: Option<Vec<u8>> = statement.query_row([key], |row| row.get(0)).optional()?;
        Ok(value.map(Cow::Owned))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let read = |row: &rusqlite::Row| Ok((row.get(0)?, row.get(1)?));
        let rows = match prefix_end(prefix) {
            Some(end) => {
                let mut statement = self.connection.prepare_cached(
                    "SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key",
                )?;
                let rows = statement.query_map(params![prefix, end], read)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
            None => {
                let mut statement = self
                    .connection
                    .prepare_cached("SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key")?;
                let rows = statement.query_map(params![prefix], read)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        Ok(rows)
    }

    fn write(&mut self, batch: Batch) -> Result<()> {
        let transaction = self.connection.transaction()?;
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
        transaction.commit()?;
        Ok(())
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
