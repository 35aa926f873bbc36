//! An in-memory store: a hash map, for O(1) reads at any size.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::{Batch, Result, Store};

#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    entries: HashMap<Vec<u8>, Vec<u8>, FxBuildHasher>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        Ok(self.entries.get(key).map(|value| Cow::Borrowed(value.as_slice())))
    }

    /// Sorts what it finds: scans serve dumps and exports, not the hot path.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut found: Vec<(Vec<u8>, Vec<u8>)> = self
            .entries
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    fn write(&mut self, batch: Batch) -> Result<()> {
        for (key, value) in batch.writes {
            match value {
                Some(value) => self.entries.insert(key, value),
                None => self.entries.remove(&key),
            };
        }
        Ok(())
    }
}
