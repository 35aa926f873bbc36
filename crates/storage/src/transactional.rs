//! Nested transactions over any store.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxBuildHasher;

use crate::{Batch, Result, StateVersion, Store, StoreError};

/// Tells stores apart in [`StateVersion`]s.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// A store with a stack of open transactions. Reads see the innermost layer first;
/// writes go to the innermost layer, or straight to the backend when no transaction
/// is open. Committing the outermost layer writes it to the backend as one batch.
///
/// Over a backend with slow reads, the backend's values are also cached, written
/// through on every backend write, so the cache always holds the committed value.
pub struct Transactional<S> {
    backend: S,
    layers: Vec<Batch>,
    id: u64,
    writes: u64,
    read_cache: RefCell<HashMap<Vec<u8>, Option<Vec<u8>>, FxBuildHasher>>,
}

/// A bound on the read cache's entries; past it the cache starts over.
const MAX_CACHED_READS: usize = 1 << 20;

impl<S: Store> Transactional<S> {
    pub fn new(backend: S) -> Transactional<S> {
        Transactional {
            backend,
            layers: Vec::new(),
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            writes: 0,
            read_cache: RefCell::default(),
        }
    }

    fn write_backend(&mut self, batch: Batch) -> Result<()> {
        self.writes += 1;
        if self.backend.slow_reads() {
            let mut cache = self.read_cache.borrow_mut();
            if cache.len() + batch.len() > MAX_CACHED_READS {
                cache.clear();
            }
            for (key, value) in batch.iter() {
                cache.insert(key.to_vec(), value.map(<[u8]>::to_vec));
            }
        }
        let written = self.backend.write(batch);
        if written.is_err() {
            // What the backend holds is no longer known.
            self.read_cache.borrow_mut().clear();
        }
        written
    }

    fn get_backend(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        if !self.backend.slow_reads() {
            return self.backend.get(key);
        }
        if let Some(value) = self.read_cache.borrow().get(key) {
            return Ok(value.clone().map(Cow::Owned));
        }
        let value = self.backend.get(key)?.map(Cow::into_owned);
        let mut cache = self.read_cache.borrow_mut();
        if cache.len() >= MAX_CACHED_READS {
            cache.clear();
        }
        cache.insert(key.to_vec(), value.clone());
        Ok(value.map(Cow::Owned))
    }

    /// How many transactions are open.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    pub fn begin(&mut self) {
        self.layers.push(Batch::default());
    }

    /// Keeps the innermost transaction's writes: in the enclosing one, or in the
    /// backend when it was the outermost.
    pub fn commit(&mut self) -> Result<()> {
        let layer = self.layers.pop().ok_or(StoreError::NoTransaction)?;
        match self.layers.last_mut() {
            Some(outer) => outer.absorb(layer),
            None if layer.is_empty() => {}
            None => self.write_backend(layer)?,
        }
        Ok(())
    }

    /// Drops the innermost transaction's writes.
    pub fn roll_back(&mut self) -> Result<()> {
        self.layers.pop().map(drop).ok_or(StoreError::NoTransaction)
    }

    pub fn backend(&self) -> &S {
        &self.backend
    }
}

impl<S: Store> Store for Transactional<S> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        for layer in self.layers.iter().rev() {
            if let Some(value) = layer.writes.get(key) {
                return Ok(value.as_deref().map(Cow::Borrowed));
            }
        }
        self.get_backend(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut merged: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> = self
            .backend
            .scan_prefix(prefix)?
            .into_iter()
            .map(|(key, value)| (key, Some(value)))
            .collect();
        for layer in &self.layers {
            for (key, value) in layer.writes.range(prefix.to_vec()..) {
                if !key.starts_with(prefix) {
                    break;
                }
                merged.insert(key.clone(), value.clone());
            }
        }
        Ok(merged
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key, value)))
            .collect())
    }

    fn write(&mut self, batch: Batch) -> Result<()> {
        match self.layers.last_mut() {
            Some(layer) => {
                layer.absorb(batch);
                Ok(())
            }
            None => self.write_backend(batch),
        }
    }

    fn committed_version(&self) -> Option<StateVersion> {
        Some(StateVersion {
            store: self.id,
            writes: self.writes,
        })
    }

    fn in_transaction(&self) -> bool {
        !self.layers.is_empty()
    }

    fn written_in_transaction(&self, key: &[u8]) -> bool {
        self.layers.iter().any(|layer| layer.writes.contains_key(key))
    }
}
