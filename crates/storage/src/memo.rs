//! Answers remembered while the keys they were computed from stay unwritten.
//!
//! An answer is stored with the keys its computation read ([`Recording`] collects
//! them). Committing a batch drops exactly the answers that read one of its keys
//! ([`Memo::invalidate`]): an access-log entry written by `get-record` drops no
//! permission check, a revoked grant drops the checks that read that grant.

use std::borrow::{Borrow, Cow};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use rustc_hash::FxBuildHasher;

use crate::{Result, StoreRead};

/// How many independently locked parts a shared map has: readers on different
/// cores rarely touch the same lock.
const SHARDS: usize = 64;

/// A hash map split into independently locked shards.
pub(crate) struct Shards<K, V> {
    shards: Vec<RwLock<HashMap<K, V, FxBuildHasher>>>,
    /// How many entries, kept beside the shards so a bound check locks none of them.
    entries: AtomicUsize,
}

impl<K, V> Default for Shards<K, V> {
    fn default() -> Shards<K, V> {
        Shards { shards: (0..SHARDS).map(|_| RwLock::default()).collect(), entries: AtomicUsize::new(0) }
    }
}

impl<K: Hash + Eq, V: Clone> Shards<K, V> {
    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> &RwLock<HashMap<K, V, FxBuildHasher>> {
        let hash = FxBuildHasher.hash_one(key);
        // The high bits: the map inside uses the low ones.
        &self.shards[(hash >> 58) as usize % SHARDS]
    }

    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let shard = self.shard(key).read().unwrap_or_else(|poisoned| poisoned.into_inner());
        shard.get(key).cloned()
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        self.insert_if(key, value, || true);
    }

    /// Inserts when `still_valid()` holds, checked under the shard's lock.
    pub(crate) fn insert_if(&self, key: K, value: V, still_valid: impl FnOnce() -> bool) {
        let mut shard = self.shard(&key).write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if still_valid() && shard.insert(key, value).is_none() {
            self.entries.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        if self.shard(key).write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key).is_some() {
            self.entries.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// How many entries, as of the last completed insert or remove.
    pub(crate) fn len(&self) -> usize {
        self.entries.load(Ordering::Relaxed)
    }

    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = shard.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            self.entries.fetch_sub(shard.len(), Ordering::Relaxed);
            shard.clear();
        }
    }
}

/// A bound on a memo's answers; past it, new answers are not remembered until the
/// next clear.
const MAX_ANSWERS: usize = 1 << 20;

/// Answers by key, each dropped when a store key it was computed from is written.
pub struct Memo<K, V> {
    answers: Shards<K, V>,
    /// Store key -> the answers computed from it.
    dependents: Mutex<HashMap<Vec<u8>, Vec<K>, FxBuildHasher>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Memo<K, V> {
        Memo { answers: Shards::default(), dependents: Mutex::default() }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Memo<K, V> {
    /// The remembered answer for `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        self.answers.get(key)
    }

    /// Remembers `answer` for `key`, computed from the store keys `read`, if
    /// `still_valid()` holds once the answer's shard is locked (the caller checks
    /// that no commit happened since it read).
    pub fn remember(&self, key: K, answer: V, read: Vec<Vec<u8>>, still_valid: impl FnOnce() -> bool) {
        if self.answers.len() >= MAX_ANSWERS {
            return;
        }
        // Dependents first: an invalidation that runs between the two steps then
        // finds nothing to drop, and `still_valid` fails.
        {
            let mut dependents = self.dependents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for store_key in read {
                // An answer computed again after an invalidation is listed once under
                // the keys that were not written, not once per computation.
                let list = dependents.entry(store_key).or_default();
                if !list.contains(&key) {
                    list.push(key.clone());
                }
            }
        }
        self.answers.insert_if(key, answer, still_valid);
    }

    /// Drops every answer computed from one of `written`.
    pub fn invalidate<'a>(&self, written: impl IntoIterator<Item = &'a [u8]>) {
        let mut dependents = self.dependents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for store_key in written {
            for key in dependents.remove(store_key).unwrap_or_default() {
                self.answers.remove(&key);
            }
        }
    }

    /// Forgets every answer.
    pub fn clear(&self) {
        let mut dependents = self.dependents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        dependents.clear();
        self.answers.clear();
    }
}

/// A store read through, recording every key read: what a memoized answer depends on.
pub struct Recording<'a, R: ?Sized> {
    inner: &'a R,
    read: RefCell<Vec<Vec<u8>>>,
    scanned: std::cell::Cell<bool>,
}

impl<'a, R: StoreRead + ?Sized> Recording<'a, R> {
    /// Reads of `inner`, recorded.
    pub fn new(inner: &'a R) -> Recording<'a, R> {
        Recording { inner, read: RefCell::default(), scanned: std::cell::Cell::new(false) }
    }

    /// The keys read, in order; `None` after a scan, which depends on keys that do
    /// not exist yet and so cannot be named.
    pub fn into_keys(self) -> Option<Vec<Vec<u8>>> {
        (!self.scanned.get()).then(|| self.read.into_inner())
    }
}

impl<R: StoreRead + ?Sized> StoreRead for Recording<'_, R> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        self.read.borrow_mut().push(key.to_vec());
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
    fn shards_count_their_entries_through_inserts_removes_and_clears() {
        let shards: Shards<u32, u32> = Shards::default();
        for key in 0..100 {
            shards.insert(key, 1);
        }
        shards.insert(7, 2);
        assert_eq!(shards.len(), 100, "replacing a value adds no entry");
        shards.remove(&7);
        shards.remove(&7);
        assert_eq!(shards.len(), 99, "removing what is gone removes nothing");
        shards.insert_if(1000, 1, || false);
        assert_eq!(shards.len(), 99);
        shards.clear();
        assert_eq!(shards.len(), 0);
    }

    #[test]
    fn an_answer_remembered_again_is_listed_once_under_each_key_it_read() {
        let memo: Memo<u32, u32> = Memo::default();
        for _ in 0..3 {
            memo.remember(1, 1, vec![b"a".to_vec(), b"b".to_vec()], || true);
            memo.invalidate([&b"b"[..]]);
        }
        let dependents = memo.dependents.lock().unwrap();
        assert_eq!(dependents.get(&b"a"[..]).map(Vec::len), Some(1));
    }
}
