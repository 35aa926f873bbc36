//! What every store promises, checked on each backend, and the nested transactions.

use clarimed_storage::{
    Batch, Cached, Memo, MemoryStore, ReadSet, Recording, SqliteStore, Store, StoreCommit, StoreError, StoreRead, StoreWrite, Transactional,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn backends() -> Vec<(&'static str, Box<dyn Store>)> {
    vec![
        ("memory", Box::new(MemoryStore::new())),
        ("sqlite", Box::new(SqliteStore::in_memory().unwrap())),
        ("cached memory", Box::new(Cached::new(MemoryStore::new()))),
    ]
}

/// Writes straight through to `backend`, a batch per put or delete.
fn writer(backend: &dyn Store) -> Transactional<&dyn Store> {
    Transactional::new(backend)
}

#[test]
fn a_put_is_read_back_and_a_delete_removes_it() {
    for (name, backend) in backends() {
        let mut store = writer(&*backend);
        store.put(b"k", b"v1").unwrap();
        store.put(b"k", b"v2").unwrap();
        assert_eq!(store.get(b"k").unwrap().as_deref(), Some(&b"v2"[..]), "{name}");
        store.delete(b"k").unwrap();
        assert_eq!(store.get(b"k").unwrap().as_deref(), None, "{name}");
        store.delete(b"never there").unwrap();
    }
}

#[test]
fn a_prefix_scan_returns_exactly_the_prefixed_keys_in_order() {
    for (name, backend) in backends() {
        let mut store = writer(&*backend);
        for key in [&b"b/2"[..], b"a/1", b"b/1", b"b", b"c/1", &[b'b', b'/', 0xff][..]] {
            store.put(key, key).unwrap();
        }
        let keys: Vec<Vec<u8>> = store.scan_prefix(b"b/").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [b"b/1".to_vec(), b"b/2".to_vec(), vec![b'b', b'/', 0xff]], "{name}");
    }
}

#[test]
fn a_batch_applies_its_puts_and_deletes_together() {
    for (name, store) in backends() {
        writer(&*store).put(b"gone", b"x").unwrap();
        let mut batch = Batch::default();
        batch.put(b"new", b"y");
        batch.delete(b"gone");
        store.write(batch).unwrap();
        assert_eq!(store.get(b"new").unwrap().as_deref(), Some(&b"y"[..]), "{name}");
        assert_eq!(store.get(b"gone").unwrap().as_deref(), None, "{name}");
    }
}

#[test]
fn a_rolled_back_transaction_leaves_no_trace() {
    let mut store = Transactional::new(MemoryStore::new());
    store.put(b"kept", b"1").unwrap();
    store.begin();
    store.put(b"kept", b"2").unwrap();
    store.put(b"new", b"3").unwrap();
    store.delete(b"kept").unwrap();
    assert_eq!(store.get(b"kept").unwrap().as_deref(), None);
    store.roll_back().unwrap();
    assert_eq!(store.get(b"kept").unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(store.get(b"new").unwrap().as_deref(), None);
}

#[test]
fn an_inner_commit_is_lost_when_the_outer_transaction_rolls_back() {
    let mut store = Transactional::new(MemoryStore::new());
    store.begin();
    store.begin();
    store.put(b"k", b"inner").unwrap();
    store.commit().unwrap();
    assert_eq!(store.get(b"k").unwrap().as_deref(), Some(&b"inner"[..]));
    store.roll_back().unwrap();
    assert_eq!(store.get(b"k").unwrap().as_deref(), None);
}

#[test]
fn only_the_outermost_commit_reaches_the_backend() {
    let mut store = Transactional::new(MemoryStore::new());
    store.begin();
    store.begin();
    store.put(b"k", b"v").unwrap();
    store.commit().unwrap();
    assert_eq!(store.base().get(b"k").unwrap().as_deref(), None);
    store.commit().unwrap();
    assert_eq!(store.base().get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn a_scan_inside_a_transaction_sees_its_writes_and_deletes() {
    let mut store = Transactional::new(MemoryStore::new());
    store.put(b"p/1", b"a").unwrap();
    store.put(b"p/2", b"b").unwrap();
    store.begin();
    store.delete(b"p/1").unwrap();
    store.put(b"p/3", b"c").unwrap();
    store.put(b"q/1", b"d").unwrap();
    let scanned = store.scan_prefix(b"p/").unwrap();
    assert_eq!(scanned, [(b"p/2".to_vec(), b"b".to_vec()), (b"p/3".to_vec(), b"c".to_vec())]);
}

#[test]
fn committing_or_rolling_back_with_no_transaction_open_is_an_error() {
    let mut store = Transactional::new(MemoryStore::new());
    assert!(matches!(store.commit(), Err(StoreError::NoTransaction)));
    assert!(matches!(store.roll_back(), Err(StoreError::NoTransaction)));
}

#[test]
fn a_sqlite_commit_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let mut store = Transactional::new(SqliteStore::open(&path).unwrap());
        store.begin();
        store.put(b"committed", b"yes").unwrap();
        store.commit().unwrap();
        store.begin();
        store.put(b"uncommitted", b"no").unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.get(b"committed").unwrap().as_deref(), Some(&b"yes"[..]));
    assert_eq!(store.get(b"uncommitted").unwrap().as_deref(), None);
}

#[test]
fn a_file_opened_for_loading_is_its_writers_alone_and_reopens_durable_with_everything_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loaded.db");
    let key = [b"vm::ST1.c::0::m::".to_vec(), vec![0x05, 26], vec![4; 20]].concat();
    {
        let loading = SqliteStore::open_for_loading(&path).unwrap();
        let mut batch = Batch::default();
        batch.put(&key, &[0x0a, 0x03]);
        batch.put(b"plain", b"bytes");
        loading.write(batch).unwrap();
        assert_eq!(loading.get(&key).unwrap().as_deref(), Some(&[0x0a, 0x03][..]));
        // The load's mark in the file's header is read before SQLite opens it.
        assert!(matches!(SqliteStore::open_existing(&path), Err(StoreError::UnfinishedLoad(_))), "no other connection reads while loading");
    }
    let store = SqliteStore::open_existing(&path).unwrap();
    assert_eq!(store.scan_prefix(b"").unwrap(), vec![(b"plain".to_vec(), b"bytes".to_vec()), (key, vec![0x0a, 0x03])]);
    let mode: String = rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

/// The file header's `user_version` (bytes 60..64, big-endian).
fn user_version(path: &std::path::Path) -> u32 {
    let header = std::fs::read(path).unwrap();
    u32::from_be_bytes(header[60..64].try_into().unwrap())
}

#[test]
fn a_load_marks_its_file_until_it_finishes_and_an_unfinished_load_is_refused_by_every_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loaded.db");
    let loading = SqliteStore::open_for_loading(&path).unwrap();
    assert_eq!(user_version(&path), 0x6c6f_6164, "marked as being loaded");
    loading.write(one_put(b"k")).unwrap();
    drop(loading);
    assert_eq!(user_version(&path), 0, "finished");
    // A file left marked, as a crash during its load would leave it.
    let unfinished = dir.path().join("unfinished.db");
    rusqlite::Connection::open(&unfinished).unwrap().execute_batch("CREATE TABLE entries (key BLOB); PRAGMA user_version = 1819238756;").unwrap();
    assert!(matches!(SqliteStore::open_existing(&unfinished), Err(StoreError::UnfinishedLoad(_))));
    assert!(matches!(SqliteStore::open(&unfinished), Err(StoreError::UnfinishedLoad(_))));
    assert!(matches!(SqliteStore::open_for_loading(&unfinished), Err(StoreError::UnfinishedLoad(_))));
}

#[test]
fn a_read_sees_its_stores_commit_at_once_and_another_stores_within_a_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.db");
    let (first, second) = (SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap());
    assert_eq!(second.get(b"k").unwrap(), None);
    first.write(one_put(b"k")).unwrap();
    assert_eq!(first.get(b"k").unwrap().as_deref(), Some(&b"x"[..]));
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert_eq!(second.get(b"k").unwrap().as_deref(), Some(&b"x"[..]));
}

#[test]
fn the_read_transactions_kept_open_do_not_hold_back_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpointed.db");
    let store = SqliteStore::open(&path).unwrap();
    store.write(one_put(b"a")).unwrap();
    assert!(store.get(b"a").unwrap().is_some());
    store.write(one_put(b"b")).unwrap();
    assert!(store.get(b"b").unwrap().is_some());
    store.checkpoint().unwrap();
    let wal = std::fs::metadata(dir.path().join("checkpointed.db-wal")).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal, 0, "the write-ahead log is truncated");
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, u8),
    Delete(u8),
    Begin,
    Commit,
    RollBack,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..8u8, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (0..8u8).prop_map(Op::Delete),
        1 => Just(Op::Begin),
        1 => Just(Op::Commit),
        1 => Just(Op::RollBack),
    ]
}

proptest! {
    /// The model: a stack of whole-map snapshots, one per open transaction.
    #[test]
    fn nested_transactions_behave_like_a_stack_of_snapshots(ops in prop::collection::vec(op(), 0..60)) {
        let mut store = Transactional::new(SqliteStore::in_memory().unwrap());
        let mut model: Vec<BTreeMap<u8, u8>> = vec![BTreeMap::new()];
        for op in ops {
            match op {
                Op::Put(k, v) => { store.put(&[k], &[v]).unwrap(); model.last_mut().unwrap().insert(k, v); }
                Op::Delete(k) => { store.delete(&[k]).unwrap(); model.last_mut().unwrap().remove(&k); }
                Op::Begin => { store.begin(); let top = model.last().unwrap().clone(); model.push(top); }
                Op::Commit if model.len() > 1 => { store.commit().unwrap(); let top = model.pop().unwrap(); *model.last_mut().unwrap() = top; }
                Op::RollBack if model.len() > 1 => { store.roll_back().unwrap(); model.pop(); }
                Op::Commit | Op::RollBack => {}
            }
            let expected: Vec<(Vec<u8>, Vec<u8>)> = model.last().unwrap().iter().map(|(k, v)| (vec![*k], vec![*v])).collect();
            prop_assert_eq!(store.scan_prefix(b"").unwrap(), expected);
            prop_assert_eq!(store.depth(), model.len() - 1);
        }
        while store.depth() > 0 { store.commit().unwrap(); let top = model.pop().unwrap(); *model.last_mut().unwrap() = top; }
        let backend: Vec<(Vec<u8>, Vec<u8>)> = store.base().scan_prefix(b"").unwrap();
        let expected: Vec<(Vec<u8>, Vec<u8>)> = model[0].iter().map(|(k, v)| (vec![*k], vec![*v])).collect();
        prop_assert_eq!(backend, expected);
    }
}

#[test]
fn a_cache_serves_each_committed_value_and_forgets_nothing_it_should_not() {
    let cached = Cached::new(MemoryStore::new());
    let mut store = Transactional::new(&cached);
    store.put(b"a", b"1").unwrap();
    store.put(b"b", b"1").unwrap();
    assert_eq!(cached.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
    store.put(b"a", b"2").unwrap();
    assert_eq!(cached.get(b"a").unwrap().as_deref(), Some(&b"2"[..]), "the new value, not the cached one");
    assert_eq!(cached.get(b"b").unwrap().as_deref(), Some(&b"1"[..]));
    store.delete(b"b").unwrap();
    assert_eq!(cached.get(b"b").unwrap().as_deref(), None);
    assert_eq!(cached.backend().get(b"a").unwrap().as_deref(), Some(&b"2"[..]));
}

#[test]
fn a_consistent_read_is_run_again_when_a_commit_swaps_values_under_it() {
    let cached = Cached::new(MemoryStore::new());
    let mut runs = 0;
    let answer = cached.read_consistent(|_| {
        runs += 1;
        if runs == 1 {
            Transactional::new(&cached).put(b"k", b"v").unwrap();
        }
        cached.get(b"k").unwrap().map(|v| v.into_owned())
    });
    assert_eq!((runs, answer), (2, Some(b"v".to_vec())));
}

#[test]
fn a_memo_forgets_exactly_the_answers_that_read_a_written_key() {
    let cached = Cached::new(MemoryStore::new());
    let memo: Memo<&str, u32> = Memo::default();
    let remember = |name, keys: &[&[u8]]| {
        let recording = Recording::new(&cached);
        for key in keys {
            recording.get(key).unwrap();
        }
        let generation = cached.generation();
        memo.remember(name, 1, recording.into_keys().unwrap(), || cached.unchanged_since(generation));
    };
    remember("reads a", &[b"a"]);
    remember("reads a and b", &[b"a", b"b"]);
    remember("reads c", &[b"c"]);
    cached.commit_with(&one_put(b"b"), |batch| memo.invalidate(batch.keys())).unwrap();
    assert_eq!(memo.get(&"reads a"), Some(1));
    assert_eq!(memo.get(&"reads a and b"), None);
    assert_eq!(memo.get(&"reads c"), Some(1));
    cached.commit_with(&one_put(b"a"), |batch| memo.invalidate(batch.keys())).unwrap();
    assert_eq!(memo.get(&"reads a"), None);
    assert_eq!(memo.get(&"reads c"), Some(1));
}

#[test]
fn an_answer_computed_before_a_commit_is_not_remembered_after_it() {
    let cached = Cached::new(MemoryStore::new());
    let memo: Memo<&str, u32> = Memo::default();
    let generation = cached.generation();
    cached.write(one_put(b"a")).unwrap();
    memo.remember("stale", 1, ReadSet::of([&b"a"[..]]), || cached.unchanged_since(generation));
    assert_eq!(memo.get(&"stale"), None);
}

#[test]
fn a_scan_leaves_an_answer_unremembered() {
    let store = MemoryStore::new();
    let recording = Recording::new(&store);
    recording.scan_prefix(b"").unwrap();
    assert_eq!(recording.into_keys(), None);
}

fn one_put(key: &[u8]) -> Batch {
    let mut batch = Batch::default();
    batch.put(key, b"x");
    batch
}
