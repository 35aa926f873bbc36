//! The online backup ([`clarimed_storage::backup()`]): a copy of a SQLite state at
//! one commit, whatever another connection commits meanwhile, and the files it
//! refuses to copy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clarimed_storage::{backup, Batch, SqliteStore, StoreCommit, StoreError, StoreRead};

/// Rows every commit rewrites, each its own page: a copy mixing two commits would
/// hold two values among them.
const ROWS: usize = 64;
const ROW_BYTES: usize = 4096;

/// The commit numbered `n`: every row set to `n`.
fn commit(n: u64) -> Batch {
    let mut batch = Batch::default();
    for row in 0..ROWS {
        let mut value = n.to_be_bytes().to_vec();
        value.resize(ROW_BYTES, row as u8);
        batch.put(format!("row-{row:03}").as_bytes(), &value);
    }
    batch
}

/// The commit number every row of `store` holds, or a panic naming the rows that
/// differ.
fn commit_held(store: &SqliteStore) -> u64 {
    let numbers: Vec<u64> = (0..ROWS)
        .map(|row| {
            let value = store.get(format!("row-{row:03}").as_bytes()).unwrap().expect("every row is there");
            u64::from_be_bytes(value[..8].try_into().unwrap())
        })
        .collect();
    assert!(numbers.iter().all(|n| *n == numbers[0]), "a copy of more than one commit: {numbers:?}");
    numbers[0]
}

#[test]
fn each_backup_is_the_state_at_one_commit_while_another_connection_commits() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let store = Arc::new(SqliteStore::open(&live).unwrap());
    store.write(commit(0)).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let mut last = 0;
            // Bounded: at most 10,000 commits, however slow the copies are.
            for n in 1..=10_000 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                store.write(commit(n)).unwrap();
                last = n;
            }
            last
        })
    };
    let mut copied = Vec::new();
    for attempt in 0..5 {
        let copy = dir.path().join(format!("copy-{attempt}.db"));
        backup(&live, &copy).unwrap();
        copied.push(commit_held(&SqliteStore::open_existing(&copy).unwrap()));
    }
    done.store(true, Ordering::SeqCst);
    let last = writer.join().unwrap();

    assert!(copied.windows(2).all(|pair| pair[0] <= pair[1]), "each copy at a commit no earlier than the one before: {copied:?}");
    assert!(copied.iter().all(|n| *n <= last), "{copied:?} after {last} commits");
    assert!(store.answers_from_memory(), "reading the file for a copy left the writer's rows in memory");
}

#[test]
fn a_backup_of_a_state_no_process_holds_opens_as_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    SqliteStore::open(&live).unwrap().write(commit(7)).unwrap();
    let copy = dir.path().join("copy.db");
    backup(&live, &copy).unwrap();
    assert_eq!(commit_held(&SqliteStore::open_existing(&copy).unwrap()), 7);
}

#[test]
fn a_file_that_is_no_state_or_whose_load_did_not_finish_is_refused_and_nothing_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database, though long enough to look like one at first glance ".repeat(20)).unwrap();
    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty).unwrap().execute_batch("CREATE TABLE other (x)").unwrap();
    let unfinished = dir.path().join("unfinished.db");
    rusqlite::Connection::open(&unfinished).unwrap().execute_batch("CREATE TABLE entries (key BLOB); PRAGMA user_version = 1819238756;").unwrap();

    let copy = dir.path().join("copy.db");
    assert!(matches!(backup(&text, &copy), Err(StoreError::NotAState(_))));
    assert!(matches!(backup(&empty, &copy), Err(StoreError::NotAState(_))));
    assert!(matches!(backup(&unfinished, &copy), Err(StoreError::UnfinishedLoad(_))));
    assert!(!copy.exists(), "nothing written");
}
