//! Typed data maps and data vars, stored as the Clarity VM stores a contract's data.
//!
//! A map entry lives under `vm::{contract}::0::{map}::{hex of the serialized key}` and
//! holds the serialization of `(some value)`; deleting it leaves `none` (`09`) in
//! place, as `map-delete` does. A data var lives under `vm::{contract}::1::{var}` and
//! holds the serialization of its value. (The VM keeps values as hex text; here they
//! are the raw bytes, and a state dump hex-encodes them.)

use std::marker::PhantomData;

use super::codec::{prefix, ClarityType, DecodeError, Reader};
use crate::{Store, StoreError};

/// A deployed contract's identifier, `{deployer address}.{contract name}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContractId(String);

impl ContractId {
    pub fn new(id: impl Into<String>) -> ContractId {
        ContractId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The prefix of every key of this contract's maps and vars.
    pub fn key_prefix(&self) -> String {
        format!("vm::{}::", self.0)
    }
}

impl std::fmt::Display for ContractId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("corrupt state under {key}: {error}")]
    Corrupt { key: String, error: DecodeError },
    #[error("data var {0} is missing: the contract was never deployed in this state")]
    MissingVar(String),
}

/// Lower-case hex, as the VM writes keys and values.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

fn corrupt(key: &[u8], error: DecodeError) -> StateError {
    StateError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        error,
    }
}

/// A contract's data map from `K` to `V`.
pub struct Map<K, V> {
    prefix: String,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K: ClarityType, V: ClarityType> Map<K, V> {
    pub fn new(contract: &ContractId, name: &str) -> Map<K, V> {
        Map {
            prefix: format!("vm::{contract}::0::{name}::"),
            _types: PhantomData,
        }
    }

    /// The store key of `key`'s entry.
    pub fn storage_key(&self, key: &K) -> Vec<u8> {
        let mut out = String::with_capacity(self.prefix.len() + 160);
        out.push_str(&self.prefix);
        out.push_str(&hex(&key.to_bytes()));
        out.into_bytes()
    }

    pub fn get(&self, store: &impl Store, key: &K) -> Result<Option<V>, StateError> {
        let storage_key = self.storage_key(key);
        let Some(bytes) = store.get(&storage_key)? else {
            return Ok(None);
        };
        Option::<V>::from_bytes(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    /// Reads the entry as another type with the same encoding, e.g. a view that
    /// decodes only some fields.
    pub fn get_as<W: ClarityType>(&self, store: &impl Store, key: &K) -> Result<Option<W>, StateError> {
        let storage_key = self.storage_key(key);
        let Some(bytes) = store.get(&storage_key)? else {
            return Ok(None);
        };
        let mut reader = Reader::new(&bytes);
        Option::<W>::decode(&mut reader).map_err(|e| corrupt(&storage_key, e))
    }

    pub fn contains(&self, store: &impl Store, key: &K) -> Result<bool, StateError> {
        let storage_key = self.storage_key(key);
        Ok(store
            .get(&storage_key)?
            .is_some_and(|bytes| bytes.first() == Some(&prefix::SOME)))
    }

    /// `map-set`.
    pub fn set(&self, store: &mut impl Store, key: &K, value: &V) -> Result<(), StateError> {
        let mut bytes = vec![prefix::SOME];
        value.encode(&mut bytes);
        store.put(&self.storage_key(key), &bytes)?;
        Ok(())
    }

    /// `map-delete`: `none` in place of an existing entry; nothing written when there
    /// is none. Returns whether there was an entry.
    pub fn delete(&self, store: &mut impl Store, key: &K) -> Result<bool, StateError> {
        if !self.contains(store, key)? {
            return Ok(false);
        }
        store.put(&self.storage_key(key), &[prefix::NONE])?;
        Ok(true)
    }
}

/// A contract's data var.
pub struct Item<T> {
    key: String,
    _type: PhantomData<fn() -> T>,
}

impl<T: ClarityType> Item<T> {
    pub fn new(contract: &ContractId, name: &str) -> Item<T> {
        Item {
            key: format!("vm::{contract}::1::{name}"),
            _type: PhantomData,
        }
    }

    pub fn get(&self, store: &impl Store) -> Result<T, StateError> {
        let bytes = store
            .get(self.key.as_bytes())?
            .ok_or_else(|| StateError::MissingVar(self.key.clone()))?;
        T::from_bytes(&bytes).map_err(|e| corrupt(self.key.as_bytes(), e))
    }

    /// `var-set`, and `define-data-var`'s initial value.
    pub fn set(&self, store: &mut impl Store, value: &T) -> Result<(), StateError> {
        store.put(self.key.as_bytes(), &value.to_bytes())?;
        Ok(())
    }
}
