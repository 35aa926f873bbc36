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

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::memo::Shards;
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
    pub fn commit_with(&self, batch: Batch, published: impl FnOnce(&Batch)) -> Result<()> {
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
        published(&batch);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl<S: StoreRead + ?Sized> StoreRead for Cached<S> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        if let Some(value) = self.values.get(key) {
            return Ok(value.map(Cow::Owned));
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
        self.commit_with(batch, |_| ())
    }
}
