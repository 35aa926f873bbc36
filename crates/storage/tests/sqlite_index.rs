//! The SQLite store's rows held in memory: every read answered from the index is
//! the one SQLite's B-tree gives, through random batches, a reopen, a budget the
//! state outgrows and another connection's commit.

use std::collections::BTreeMap;

use clarimed_storage::{Batch, IndexOff, IndexStatus, SqliteStore, StoreCommit, StoreRead};
use proptest::prelude::*;

mod common;

use common::{key, uint, value, CONTRACTS};

fn read(store: &SqliteStore, key: &[u8]) -> Option<Vec<u8>> {
    store.get(key).unwrap().map(|value| value.into_owned())
}

fn is_complete(store: &SqliteStore) -> bool {
    store.index_status().is_complete()
}

fn batch_of(writes: &[(Vec<u8>, Option<Vec<u8>>)], model: &mut BTreeMap<Vec<u8>, Vec<u8>>) -> Batch {
    let mut batch = Batch::default();
    for (key, value) in writes {
        match value {
            Some(value) => {
                batch.put(key, value);
                model.insert(key.clone(), value.clone());
            }
            None => {
                batch.delete(key);
                model.remove(key);
            }
        }
    }
    batch
}

/// Every key written, and some never written, as the model, the indexed store and
/// a store reading SQLite's rows (no index) on the same file each answer them.
fn all_agree(indexed: &SqliteStore, unindexed: &SqliteStore, model: &BTreeMap<Vec<u8>, Vec<u8>>, keys: &[Vec<u8>]) -> Result<(), TestCaseError> {
    // Another store's commit is read within a millisecond.
    std::thread::sleep(std::time::Duration::from_millis(2));
    for key in keys {
        let expected = model.get(key).cloned();
        prop_assert_eq!(read(indexed, key), expected.clone(), "the index, key {:?}", key.escape_ascii().to_string());
        prop_assert_eq!(read(unindexed, key), expected, "SQLite, key {:?}", key.escape_ascii().to_string());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// After each batch, after reopening the file, and once the index is dropped for
    /// its budget, the store answers every key as SQLite's rows and a model do.
    #[test]
    fn the_index_answers_every_read_as_sqlite_does(
        batches in prop::collection::vec(prop::collection::vec((key(), prop::option::of(value())), 1..16), 1..6),
        after_overflow in prop::collection::vec((key(), prop::option::of(value())), 1..16),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("indexed.db");
        let mut keys: Vec<Vec<u8>> = batches.iter().flatten().chain(&after_overflow).map(|(key, _)| key.clone()).collect();
        keys.push([format!("vm::{}::0::never::", CONTRACTS[0]).into_bytes(), uint(1)].concat());
        let mut model = BTreeMap::new();
        {
            let indexed = SqliteStore::open(&path).unwrap();
            let unindexed = SqliteStore::open_with_index_budget(&path, 0).unwrap();
            prop_assert!(is_complete(&indexed));
            prop_assert_eq!(unindexed.index_status(), IndexStatus::Off(IndexOff::NotAsked), "a budget of 0 asks for no index");
            for writes in &batches {
                indexed.write(batch_of(writes, &mut model)).unwrap();
                all_agree(&indexed, &unindexed, &model, &keys)?;
            }
            prop_assert!(is_complete(&indexed), "a store that only reads commits nothing the index misses");
        }
        let reopened = SqliteStore::open_existing(&path).unwrap();
        let unindexed = SqliteStore::open_existing_with_index_budget(&path, 0).unwrap();
        let IndexStatus::Complete { rows, .. } = reopened.index_status() else {
            panic!("the reopened store holds its rows: {:?}", reopened.index_status());
        };
        prop_assert_eq!(rows, model.len(), "every row, none twice");
        all_agree(&reopened, &unindexed, &model, &keys)?;
        reopened.set_index_budget(1).unwrap();
        prop_assert!(matches!(reopened.index_status(), IndexStatus::Off(IndexOff::OverBudget { budget: 1, .. })), "dropped for its budget");
        all_agree(&reopened, &unindexed, &model, &keys)?;
        reopened.write(batch_of(&after_overflow, &mut model)).unwrap();
        all_agree(&reopened, &unindexed, &model, &keys)?;
    }
}

#[test]
fn a_state_past_the_budget_is_read_from_sqlite_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let key = [format!("vm::{}::0::records::", CONTRACTS[1]).into_bytes(), uint(1)].concat();
    let mut batch = Batch::default();
    batch.put(&key, &uint(5));
    SqliteStore::open(&path).unwrap().write(batch).unwrap();
    let store = SqliteStore::open_existing_with_index_budget(&path, 1 << 20).unwrap();
    let IndexStatus::Off(IndexOff::OverBudget { needed, budget }) = store.index_status() else {
        panic!("a 1 MiB budget holds no index (its arena's first chunk alone is 16 MiB): {:?}", store.index_status());
    };
    assert!(needed > budget && budget == 1 << 20);
    assert!(!store.answers_from_memory());
    assert_eq!(read(&store, &key), Some(uint(5)));
}

#[test]
fn a_commit_that_outgrows_the_budget_drops_the_index_and_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.db");
    let store = SqliteStore::open(&path).unwrap();
    let IndexStatus::Complete { bytes, .. } = store.index_status() else { panic!("an empty state fits") };
    store.set_index_budget(bytes + 1024).unwrap();
    assert!(store.answers_from_memory());
    // Past 896 rows the table of slots doubles, by 8 KiB.
    let mut batch = Batch::default();
    for id in 0..1_000 {
        batch.put(&[format!("vm::{}::0::records::", CONTRACTS[1]).into_bytes(), uint(id)].concat(), &[7; 100]);
    }
    store.write(batch).unwrap();
    assert!(matches!(store.index_status(), IndexStatus::Off(IndexOff::OverBudget { .. })));
    for id in 0..1_000 {
        assert_eq!(read(&store, &[format!("vm::{}::0::records::", CONTRACTS[1]).into_bytes(), uint(id)].concat()), Some(vec![7; 100]));
    }
}

#[test]
fn another_connections_commit_drops_the_index_and_is_read_within_a_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let (first, second) = (SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap());
    assert!(is_complete(&first) && is_complete(&second));
    let mut batch = Batch::default();
    batch.put(b"k", b"x");
    first.write(batch).unwrap();
    assert_eq!(read(&first, b"k"), Some(b"x".to_vec()));
    assert!(is_complete(&first), "a store's own commit keeps its index");
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert_eq!(read(&second, b"k"), Some(b"x".to_vec()));
    assert_eq!(second.index_status(), IndexStatus::Off(IndexOff::WrittenElsewhere));
}
