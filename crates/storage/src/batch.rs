//! A set of writes applied together.

use std::collections::BTreeMap;

/// Puts and deletes by key; a later write to a key replaces an earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// `None` is a delete.
    pub(crate) writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Batch {
    /// Adds a put of `value` under `key`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    /// Adds a delete of `key`.
    pub fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    /// Whether it writes nothing.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// How many keys it writes.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// The writes in key order: `(key, Some(value))` for a put, `(key, None)` for a delete.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.writes.iter().map(|(key, value)| (key.as_slice(), value.as_deref()))
    }

    /// The keys it writes, in order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.writes.keys().map(Vec::as_slice)
    }

    /// What it writes under `key`: `Some(Some(value))` a put, `Some(None)` a delete,
    /// `None` when it does not touch `key`.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.writes.get(key).map(Option::as_deref)
    }

    /// `newer`'s writes on top of these.
    pub(crate) fn absorb(&mut self, newer: Batch) {
        self.writes.extend(newer.writes);
    }
}
