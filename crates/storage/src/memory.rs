//! An in-memory store: a hash map, for O(1) reads at any size.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::RwLock;

use rustc_hash::FxBuildHasher;

use crate::{Batch, Result, StoreCommit, StoreRead};

/// A hash map behind a read-write lock: readers on many threads, one batch at a time.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: RwLock<HashMap<Vec<u8>, Vec<u8>, FxBuildHasher>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether it holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map; a writer that panicked left it whole (a batch is applied by plain
    /// inserts that cannot fail), so a poisoned lock is still read.
    fn entries(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Vec<u8>, Vec<u8>, FxBuildHasher>> {
        self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl StoreRead for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        Ok(self.entries().get(key).map(|value| Cow::Owned(value.clone())))
    }

    /// Sorts what it finds: scans serve dumps and exports, not the hot path.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut found: Vec<(Vec<u8>, Vec<u8>)> =
            self.entries().iter().filter(|(key, _)| key.starts_with(prefix)).map(|(key, value)| (key.clone(), value.clone())).collect();
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }
}

impl StoreCommit for MemoryStore {
    fn write(&self, batch: Batch) -> Result<()> {
        let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (key, value) in batch.writes {
            match value {
                Some(value) => entries.insert(key, value),
                None => entries.remove(&key),
            };
        }
        Ok(())
    }
}
