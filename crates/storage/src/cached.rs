//! A cache of committed values over any store, updated key by key as batches are
//! committed, read from many threads at once.
//!
//! Readers never wait for a commit's disk write. Consistency across the several
//! keys one call reads comes from a generation counter (a seqlock): the writer
//! makes it odd while it swaps the cached values of the keys a batch wrote, and
//! even again after; [`Cached::read_consistent`] runs a read again if the
//! generation moved under it. While the backend itself is being written (the slow
//! part), every key of the batch is already cached with its old value, so readers
//! keep seeing the old state whole until the swap.
//!
//! Over a backend that answers from memory ([`StoreRead::answers_from_memory`]: a
//! SQLite store holding its rows in its index) only the keys of commits are held
//! here, for the swap; reads go to the backend.

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::RwLock;

use rustc_hash::FxBuildHasher;

use crate::{Batch, Result, StoreCommit, StoreRead};

/// A bound on the cached values; past it the writer starts the cache over.
const MAX_CACHED_VALUES: usize = 1 << 21;

/// Committed values of `S`, cached in memory; commits go through it.
pub struct Cached<S: ?Sized> {
    values: Shards<Vec<u8>, Option<Vec<u8>>>,
    generation: AtomicU64,
    backend: S,
}

impl<S: StoreRead + StoreCommit> Cached<S> {
    /// An empty cache over `backend`.
    pub fn new(backend: S) -> Cached<S> {
        Cached { values: Shards::default(), generation: AtomicU64::new(0), backend }
    }
}

impl<S: StoreRead + StoreCommit + ?Sized> Cached<S> {
    /// The store below.
    pub fn backend(&self) -> &S {
        &self.backend
    }

    /// The generation a read starts at: even, so no swap is under way.
    pub fn generation(&self) -> u64 {
        loop {
            let generation = self.generation.load(Ordering::SeqCst);
            if generation.is_multiple_of(2) {
                return generation;
            }
            std::thread::yield_now();
        }
    }

    /// Whether nothing was swapped since `generation`.
    pub fn unchanged_since(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }

    /// `read`'s answer computed from one committed state: run again when a commit
    /// swapped values while it read. `read` must only read.
    pub fn read_consistent<T>(&self, mut read: impl FnMut(u64) -> T) -> T {
        loop {
            let generation = self.generation();
            let answer = read(generation);
            if self.unchanged_since(generation) {
                return answer;
            }
        }
    }

    /// Writes `batch` to the backend and then, with the generation odd, swaps the
    /// cached values of its keys and runs `published` (to drop what depended on
    /// them, and publish anything that goes with the new state). One writer at a
    /// time: the caller serializes commits.
    pub fn commit_with(&self, batch: &Batch, published: impl FnOnce(&Batch)) -> Result<()> {
        if self.values.len() > MAX_CACHED_VALUES {
            self.values.clear();
        }
        // Pin the old value of every key the batch writes, so a reader that comes
        // while the backend is written finds it rather than the new one.
        for key in batch.keys() {
            if self.values.get(key).is_none() {
                let old = self.backend.get(key)?.map(Cow::into_owned);
                self.values.insert(key.to_vec(), old);
            }
        }
        self.backend.write(batch.clone())?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        for (key, value) in batch.iter() {
            self.values.insert(key.to_vec(), value.map(<[u8]>::to_vec));
        }
        published(batch);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl<S: StoreRead + ?Sized> StoreRead for Cached<S> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        if let Some(value) = self.values.get(key) {
            return Ok(value.map(Cow::Owned));
        }
        if self.backend.answers_from_memory() {
            // A copy would cost what the backend's read costs, and hold the value twice.
            return self.backend.get(key);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let value = self.backend.get(key)?.map(Cow::into_owned);
        // Kept only if no swap happened since the backend was read: otherwise it
        // may be an older value than the one the writer just cached.
        if generation.is_multiple_of(2) && self.values.len() < MAX_CACHED_VALUES {
            self.values.insert_if(key.to_vec(), value.clone(), || self.generation.load(Ordering::SeqCst) == generation);
        }
        Ok(value.map(Cow::Owned))
    }

    /// Read from the backend: scans serve dumps and exports, not the hot path.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.backend.scan_prefix(prefix)
    }
}

impl<S: StoreRead + StoreCommit + ?Sized> StoreCommit for Cached<S> {
    fn write(&self, batch: Batch) -> Result<()> {
        self.commit_with(&batch, |_| ())
    }
}

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
        // Middle bits: the map inside uses the low bits for the bucket and the top
        // seven as each entry's tag, and a shard whose entries all shared their top
        // bits would compare keys on nearly every probe.
        &self.shards[(hash >> 40) as usize % SHARDS]
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

    /// How many entries, as of the last completed insert.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_count_their_entries_through_inserts_and_clears() {
        let shards: Shards<u32, u32> = Shards::default();
        for key in 0..100 {
            shards.insert(key, 1);
        }
        shards.insert(7, 2);
        assert_eq!(shards.len(), 100, "replacing a value adds no entry");
        shards.insert_if(1000, 1, || false);
        assert_eq!(shards.len(), 100, "a refused insert adds nothing");
        shards.clear();
        assert_eq!(shards.len(), 0);
    }
}
