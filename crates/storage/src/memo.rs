//! Answers remembered while the keys they were computed from stay unwritten.
//!
//! An answer is stored with the keys its computation read ([`Recording`] collects
//! them). Committing a batch drops exactly the answers that read one of its keys
//! ([`Memo::invalidate`]): an access-log entry written by `get-record` drops no
//! permission check, a revoked grant drops the checks that read that grant.
//!
//! Keys are listed by a 64-bit hash, not their bytes: remembering an answer then
//! copies no key, and two keys sharing a hash only ever drop an answer that was
//! still good, never keep one that is not.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;

use rustc_hash::FxBuildHasher;

use crate::{Result, StoreRead};

/// A bound on a memo's answers; past it, new answers are not remembered until the
/// next clear.
const MAX_ANSWERS: usize = 1 << 20;

/// Answers by key, each dropped when a store key it was computed from is written.
///
/// Reading an answer takes no lock and writes nothing shared (a lock-free map), so
/// readers on several cores do not pass cache lines back and forth; remembering and
/// dropping answers, which only misses and commits do, take one lock.
pub struct Memo<K, V> {
    answers: papaya::HashMap<K, V, FxBuildHasher>,
    /// Which answers each store key's write drops. Its lock also orders
    /// remembering an answer against dropping it.
    dependents: Mutex<Dependents<K>>,
}

/// The answers computed from each store key.
struct Dependents<K> {
    /// Store key (its hash) -> the answers computed from it.
    by_key: HashMap<u64, Vec<K>, FxBuildHasher>,
    /// The answers listed under some store key since the last clear. An answer not
    /// among them is listed under each key it read without looking for it first:
    /// the keys every answer reads (the contract's version, say) have lists as long
    /// as the memo, and looking through them made remembering an answer cost time
    /// in proportion to how many were remembered.
    listed: HashSet<K, FxBuildHasher>,
}

impl<K> Default for Dependents<K> {
    fn default() -> Dependents<K> {
        Dependents { by_key: HashMap::default(), listed: HashSet::default() }
    }
}

/// The store keys an answer was computed from, by hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSet(Vec<u64>);

impl ReadSet {
    /// The set of `keys`.
    pub fn of<'a>(keys: impl IntoIterator<Item = &'a [u8]>) -> ReadSet {
        ReadSet(keys.into_iter().map(key_hash).collect())
    }
}

fn key_hash(key: &[u8]) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Memo<K, V> {
        Memo { answers: papaya::HashMap::builder().hasher(FxBuildHasher).build(), dependents: Mutex::default() }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync, V: Clone + Send + Sync> Memo<K, V> {
    /// The remembered answer for `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        self.answers.pin().get(key).cloned()
    }

    /// Remembers `answer` for `key`, computed from the store keys `read`, if
    /// `still_valid()` holds under the lock that dropping answers takes (the caller
    /// checks that no commit happened since it read): an answer computed before a
    /// commit is either refused here or dropped by that commit.
    pub fn remember(&self, key: K, answer: V, read: ReadSet, still_valid: impl FnOnce() -> bool) {
        if self.answers.len() >= MAX_ANSWERS {
            return;
        }
        let mut dependents = self.dependents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !still_valid() {
            return;
        }
        let listed = !dependents.listed.insert(key.clone());
        let mut read = read.0;
        read.sort_unstable();
        read.dedup();
        for store_key in read {
            let list = dependents.by_key.entry(store_key).or_default();
            // An answer computed again after an invalidation is listed once under
            // the keys that were not written, not once per computation.
            if !listed || !list.contains(&key) {
                list.push(key.clone());
            }
        }
        self.answers.pin().insert(key, answer);
    }

    /// Drops every answer computed from one of `written`.
    pub fn invalidate<'a>(&self, written: impl IntoIterator<Item = &'a [u8]>) {
        let mut dependents = self.dependents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let answers = self.answers.pin();
        for store_key in written {
            for key in dependents.by_key.remove(&key_hash(store_key)).unwrap_or_default() {
                answers.remove(&key);
            }
        }
    }

    /// Forgets every answer.
    pub fn clear(&self) {
        let mut dependents = self.dependents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        dependents.by_key.clear();
        dependents.listed.clear();
        self.answers.pin().clear();
    }
}

/// A store read through, recording every key read: what a memoized answer depends on.
pub struct Recording<'a, R: ?Sized> {
    inner: &'a R,
    read: RefCell<Vec<u64>>,
    scanned: std::cell::Cell<bool>,
}

impl<'a, R: StoreRead + ?Sized> Recording<'a, R> {
    /// Reads of `inner`, recorded.
    pub fn new(inner: &'a R) -> Recording<'a, R> {
        Recording { inner, read: RefCell::default(), scanned: std::cell::Cell::new(false) }
    }

    /// The keys read; `None` after a scan, which depends on keys that do not
    /// exist yet and so cannot be named.
    pub fn into_keys(self) -> Option<ReadSet> {
        (!self.scanned.get()).then(|| ReadSet(self.read.into_inner()))
    }
}

impl<R: StoreRead + ?Sized> StoreRead for Recording<'_, R> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        self.read.borrow_mut().push(key_hash(key));
        self.inner.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.scanned.set(true);
        self.inner.scan_prefix(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_remembered_again_is_listed_once_under_each_key_it_read() {
        let memo: Memo<u32, u32> = Memo::default();
        for _ in 0..3 {
            memo.remember(1, 1, ReadSet::of([&b"a"[..], b"b"]), || true);
            memo.invalidate([&b"b"[..]]);
        }
        let dependents = memo.dependents.lock().unwrap();
        assert_eq!(dependents.by_key.get(&key_hash(b"a")).map(Vec::len), Some(1));
    }

    #[test]
    fn a_key_read_twice_lists_its_answer_once_and_a_clear_forgets_what_was_listed() {
        let memo: Memo<u32, u32> = Memo::default();
        memo.remember(1, 1, ReadSet::of([&b"a"[..], b"a"]), || true);
        memo.remember(2, 2, ReadSet::of([&b"a"[..]]), || true);
        assert_eq!(memo.dependents.lock().unwrap().by_key.get(&key_hash(b"a")).map(Vec::len), Some(2));
        memo.clear();
        memo.remember(1, 1, ReadSet::of([&b"a"[..]]), || true);
        assert_eq!(memo.dependents.lock().unwrap().by_key.get(&key_hash(b"a")).map(Vec::len), Some(1));
        memo.invalidate([&b"a"[..]]);
        assert_eq!(memo.get(&1), None);
    }
}
