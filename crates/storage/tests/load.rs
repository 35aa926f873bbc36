//! A bulk load's mark ([`SqliteStore::open_for_loading`]): set before anything is
//! written, kept while the load goes on (even once synced), cleared when the store
//! is dropped; and a file another connection has open is not taken for a load.

use clarimed_storage::{Batch, SqliteStore, StoreCommit, StoreError, StoreRead};

/// `PRAGMA user_version` of a file being loaded.
const LOADING_MARK: u32 = 0x6c6f_6164;

/// The file header's `user_version` (bytes 60..64, big-endian).
fn user_version(path: &std::path::Path) -> u32 {
    let header = std::fs::read(path).unwrap();
    u32::from_be_bytes(header[60..64].try_into().unwrap())
}

fn one_put(key: &[u8]) -> Batch {
    let mut batch = Batch::default();
    batch.put(key, b"x");
    batch
}

#[test]
fn a_load_synced_before_its_end_stays_marked_until_the_store_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loaded.db");
    let loading = SqliteStore::open_for_loading(&path).unwrap();
    loading.write(one_put(b"a")).unwrap();
    loading.sync_load().unwrap();
    assert_eq!(user_version(&path), LOADING_MARK, "synced, but more may be written");
    loading.write(one_put(b"b")).unwrap();
    drop(loading);
    assert_eq!(user_version(&path), 0, "finished");
    let store = SqliteStore::open_existing(&path).unwrap();
    assert!(store.get(b"a").unwrap().is_some() && store.get(b"b").unwrap().is_some());
    assert!(store.sync_load().is_ok(), "nothing to do outside a load");
}

#[test]
fn a_state_another_connection_reads_is_not_taken_for_a_load_and_stays_unmarked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    SqliteStore::open(&path).unwrap().write(one_put(b"a")).unwrap();
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN; SELECT count(*) FROM entries;").unwrap();
    assert!(matches!(SqliteStore::open_for_loading(&path), Err(StoreError::Busy)));
    drop(reader);
    assert_eq!(user_version(&path), 0);
    assert!(SqliteStore::open_existing(&path).unwrap().get(b"a").unwrap().is_some());
}
