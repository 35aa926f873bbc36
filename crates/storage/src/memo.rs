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
use std::sync::{Mutex, RwLock};

use rustc_hash::FxBuildHasher;

use crate::{Result, StoreRead};

/// How many independently locked parts a shared map has: readers on different
/// cores rarely touch the same lock.
const SHARDS: usize = 64;

/// A hash map split into independently locked shards.
pub(crate) struct Shards<K, V> {
    shards: Vec<RwLock<HashMap<K, V, FxBuildHasher>>>,
}

impl<K, V> Default for Shards<K, V> {
    fn default() -> Shards<K, V> {
        Shards { shards: (0..SHARDS).map(|_| RwLock::default()).collect() }
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
        if still_valid() {
            shard.insert(key, value);
        }
    }

    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.shard(key).write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.read().unwrap_or_else(|poisoned| poisoned.into_inner()).len()).sum()
    }

    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard.write().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
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
                dependents.entry(store_key).or_default().push(key.clone());
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
