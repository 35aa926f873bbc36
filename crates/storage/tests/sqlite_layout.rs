//! The SQLite store's dense layout gives back exactly the keys and values written:
//! map entries in the VM's layout (numbered prefixes, dense values) beside raw keys,
//! against a model; files of the layouts before are migrated on open; a store sees
//! what another connection on the same file numbered after it opened.

use std::collections::BTreeMap;

use clarimed_storage::{Batch, SqliteStore, StoreCommit, StoreRead};
use proptest::prelude::*;

mod common;

use common::{key, tuple_key, uint, value, CONTRACTS};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn every_key_and_value_reads_back_as_written(batches in prop::collection::vec(prop::collection::vec((key(), prop::option::of(value())), 1..12), 1..8)) {
        let store = SqliteStore::in_memory().unwrap();
        let mut model = BTreeMap::new();
        for writes in batches {
            let mut batch = Batch::default();
            for (key, value) in writes {
                match &value {
                    Some(value) => batch.put(&key, value),
                    None => batch.delete(&key),
                }
                match value {
                    Some(value) => model.insert(key, value),
                    None => model.remove(&key),
                };
            }
            store.write(batch).unwrap();
            for (key, value) in &model {
                let read = store.get(key).unwrap().map(|v| v.into_owned());
                prop_assert_eq!(read.as_ref(), Some(value));
            }
            let all: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
            prop_assert_eq!(store.scan_prefix(b"").unwrap(), all);
            for prefix in [format!("vm::{}.", &CONTRACTS[0][..41]), format!("vm::{}::", CONTRACTS[1]), format!("vm::{}::0::records::", CONTRACTS[0]), "clarimed::".to_string()] {
                let expected: Vec<(Vec<u8>, Vec<u8>)> = model.iter().filter(|(k, _)| k.starts_with(prefix.as_bytes())).map(|(k, v)| (k.clone(), v.clone())).collect();
                prop_assert_eq!(store.scan_prefix(prefix.as_bytes()).unwrap(), expected);
            }
        }
        let never = store.get(&[format!("vm::{}::0::never::", CONTRACTS[0]).into_bytes(), uint(1)].concat()).unwrap().map(|v| v.into_owned());
        prop_assert_eq!(never, None);
    }
}

#[test]
fn a_map_entry_takes_a_fraction_of_its_logical_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense.db");
    let store = SqliteStore::open(&path).unwrap();
    let key = [format!("vm::{}::0::grants::", CONTRACTS[1]).into_bytes(), tuple_key(7, 1)].concat();
    let value = [vec![0x0a], tuple_key(1_000, 2)].concat();
    let mut batch = Batch::default();
    batch.put(&key, &value);
    store.write(batch).unwrap();
    let connection = rusqlite::Connection::open(&path).unwrap();
    let (row_key, row_value): (Vec<u8>, Vec<u8>) = connection.query_row("SELECT key, value FROM entries", [], |row| Ok((row.get(0)?, row.get(1)?))).unwrap();
    assert!(row_key.len() * 3 < key.len(), "{} bytes for {}", row_key.len(), key.len());
    assert!(row_value.len() * 3 < value.len() * 2, "{} bytes for {}", row_value.len(), value.len());
}

#[test]
fn a_file_of_the_layout_before_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let rows: Vec<(Vec<u8>, Vec<u8>)> = vec![
        ([format!("vm::{}::0::records::", CONTRACTS[1]).into_bytes(), uint(1)].concat(), [vec![0x0a], tuple_key(5, 5)].concat()),
        (format!("vm::{}::1::paused", CONTRACTS[0]).into_bytes(), vec![0x04]),
        (b"clarimed::block-height".to_vec(), vec![0, 0, 0, 9]),
    ];
    {
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch("CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID").unwrap();
        for (key, value) in &rows {
            old.execute("INSERT INTO kv (key, value) VALUES (?1, ?2)", rusqlite::params![key, value]).unwrap();
        }
    }
    let store = SqliteStore::open_existing(&path).unwrap();
    let mut expected = rows.clone();
    expected.sort();
    assert_eq!(store.scan_prefix(b"").unwrap(), expected);
    for (key, value) in &rows {
        assert_eq!(store.get(key).unwrap().as_deref(), Some(value.as_slice()));
    }
    drop(store);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let old_left: bool = connection.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'kv')", [], |row| row.get(0)).unwrap();
    assert!(!old_left, "the old table is gone");
}

#[test]
fn a_file_of_the_dense_layout_before_principals_were_numbered_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unnumbered.db");
    let prefix = format!("vm::{}::0::grants::", CONTRACTS[0]);
    // {id: u3, who: principal} and (some {id: u5, who: …}), names 1 and 2, the
    // principals as 0x05, version, hash160.
    let dense_tuple = |id: u8, who: u8| [vec![0x0c, 2, 1, 0x01, id, 2, 0x05, 26], vec![who; 20]].concat();
    {
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE entries (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
             CREATE TABLE prefixes (id INTEGER PRIMARY KEY, prefix BLOB NOT NULL UNIQUE);
             CREATE TABLE names (id INTEGER PRIMARY KEY, name BLOB NOT NULL UNIQUE);
             INSERT INTO names (id, name) VALUES (1, x'6964'), (2, x'77686f');",
        )
        .unwrap();
        old.execute("INSERT INTO prefixes (id, prefix) VALUES (1, ?1)", [prefix.as_bytes()]).unwrap();
        let (row_key, row_value) = ([vec![1], dense_tuple(3, 3)].concat(), [vec![0x01, 0x0a], dense_tuple(5, 5)].concat());
        old.execute("INSERT INTO entries (key, value) VALUES (?1, ?2), (x'00616263', x'00ff')", rusqlite::params![row_key, row_value]).unwrap();
    }
    let store = SqliteStore::open_existing(&path).unwrap();
    let key = [prefix.into_bytes(), tuple_key(3, 3)].concat();
    let value = [vec![0x0a], tuple_key(5, 5)].concat();
    assert_eq!(store.get(&key).unwrap().as_deref(), Some(value.as_slice()));
    assert_eq!(store.scan_prefix(b"").unwrap(), vec![(b"abc".to_vec(), vec![0xff]), (key, value)]);
    drop(store);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let principals: i64 = connection.query_row("SELECT count(*) FROM principals", [], |row| row.get(0)).unwrap();
    assert_eq!(principals, 2, "both principals are numbered");
}

#[test]
fn a_store_reads_what_another_connection_numbered_after_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    let key = [format!("vm::{}::0::grants::", CONTRACTS[0]).into_bytes(), tuple_key(3, 3)].concat();
    let mut batch = Batch::default();
    batch.put(&key, &[0x0a, 0x03]);
    first.write(batch).unwrap();
    assert_eq!(second.get(&key).unwrap().as_deref(), Some(&[0x0a, 0x03][..]));
    // And the second, writing a new prefix and principal of its own, does not reuse
    // the first's numbers.
    let other = [format!("vm::{}::0::records::", CONTRACTS[1]).into_bytes(), tuple_key(4, 8)].concat();
    let mut batch = Batch::default();
    batch.put(&other, &[0x09]);
    second.write(batch).unwrap();
    assert_eq!(first.get(&other).unwrap().as_deref(), Some(&[0x09][..]));
    assert_eq!(first.get(&key).unwrap().as_deref(), Some(&[0x0a, 0x03][..]));
}
