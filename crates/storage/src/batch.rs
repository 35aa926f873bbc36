//! A set of writes applied together.

use std::collections::BTreeMap;

/// Puts and deletes by key; a later write to a key replaces an earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// `None` is a delete.
    pub(crate) writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Batch {
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    pub fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// The writes in key order: `(key, Some(value))` for a put, `(key, None)` for a delete.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.writes
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()))
    }

    /// `newer`'s writes on top of these.
    pub(crate) fn absorb(&mut self, newer: Batch) {
        self.writes.extend(newer.writes);
    }
}
