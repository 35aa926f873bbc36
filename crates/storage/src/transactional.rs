//! Nested transactions over any store.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::{Batch, Result, StoreCommit, StoreError, StoreRead, StoreWrite};

/// A store below a stack of open transactions. Reads see the innermost layer first;
/// writes go to the innermost layer, or straight to the store below when no
/// transaction is open. Committing the outermost layer writes it below as one batch.
pub struct Transactional<B> {
    base: B,
    layers: Vec<Batch>,
}

impl<B> Transactional<B> {
    /// No transaction open over `base`.
    pub fn new(base: B) -> Transactional<B> {
        Transactional::with_layers(base, Vec::new())
    }

    /// Transactions left open earlier (taken back with [`Transactional::into_layers`])
    /// over `base`: how a writer keeps an open block between calls.
    pub fn with_layers(base: B, layers: Vec<Batch>) -> Transactional<B> {
        Transactional { base, layers }
    }

    /// The open transactions' writes, outermost first.
    pub fn into_layers(self) -> Vec<Batch> {
        self.layers
    }

    /// How many transactions are open.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Opens a transaction inside the innermost one.
    pub fn begin(&mut self) {
        self.layers.push(Batch::default());
    }

    /// Drops the innermost transaction's writes.
    pub fn roll_back(&mut self) -> Result<()> {
        self.layers.pop().map(drop).ok_or(StoreError::NoTransaction)
    }

    /// The store below.
    pub fn base(&self) -> &B {
        &self.base
    }
}

impl<B: StoreCommit> Transactional<B> {
    /// Keeps the innermost transaction's writes: in the enclosing one, or in the
    /// store below when it was the outermost.
    pub fn commit(&mut self) -> Result<()> {
        let layer = self.layers.pop().ok_or(StoreError::NoTransaction)?;
        match self.layers.last_mut() {
            Some(outer) => outer.absorb(layer),
            None if layer.is_empty() => {}
            None => self.base.write(layer)?,
        }
        Ok(())
    }
}

impl<B: StoreRead> StoreRead for Transactional<B> {
    fn get(&self, key: &[u8]) -> Result<Option<Cow<'_, [u8]>>> {
        for layer in self.layers.iter().rev() {
            if let Some(value) = layer.get(key) {
                return Ok(value.map(Cow::Borrowed));
            }
        }
        self.base.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = self.base.scan_prefix(prefix)?.into_iter().map(|(key, value)| (key, Some(value))).collect();
        for layer in &self.layers {
            for (key, value) in layer.writes.range(prefix.to_vec()..) {
                if !key.starts_with(prefix) {
                    break;
                }
                merged.insert(key.clone(), value.clone());
            }
        }
        Ok(merged.into_iter().filter_map(|(key, value)| value.map(|value| (key, value))).collect())
    }
}

impl<B: StoreRead + StoreCommit> StoreWrite for Transactional<B> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        match self.layers.last_mut() {
            Some(layer) => layer.put(key, value),
            None => {
                let mut batch = Batch::default();
                batch.put(key, value);
                self.base.write(batch)?;
            }
        }
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        match self.layers.last_mut() {
            Some(layer) => layer.delete(key),
            None => {
                let mut batch = Batch::default();
                batch.delete(key);
                self.base.write(batch)?;
            }
        }
        Ok(())
    }
}
