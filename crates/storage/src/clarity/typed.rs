//! Typed data maps and data vars, stored as the Clarity VM stores a contract's data.
//!
//! A map entry holds the serialization of `(some value)`; deleting it leaves `none`
//! (`09`) in place, as `map-delete` does. A data var holds the serialization of its
//! value. Keys follow [`VmKey`]'s layout.

use std::marker::PhantomData;

use clarimed_costs::{CostFunction, Meter};

use super::codec::{prefix, ClarityType, ClarityView, DecodeError, Reader};
use super::key::{describe_storage_key, VmKey};
use crate::{StoreError, StoreRead, StoreWrite};

/// A deployed contract's identifier, `{deployer address}.{contract name}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContractId(String);

impl ContractId {
    /// The identifier `id` (`{address}.{name}`).
    pub fn new(id: impl Into<String>) -> ContractId {
        ContractId(id.into())
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The prefix of every key of this contract's maps and vars.
    pub fn key_prefix(&self) -> String {
        VmKey::contract_prefix(&self.0)
    }
}

impl std::fmt::Display for ContractId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a contract's state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry is not what its map or var holds; `key` is the VM's text form.
    #[error("corrupt state under {key}: {error}")]
    Corrupt {
        /// The entry's key, as the VM writes it.
        key: String,
        /// What is wrong with its bytes.
        error: DecodeError,
    },
    /// A data var has no value: the contract was never deployed in this state.
    #[error("data var {0} is missing: the contract was never deployed in this state")]
    MissingVar(String),
}

fn corrupt(key: &[u8], error: DecodeError) -> StateError {
    StateError::Corrupt { key: describe_storage_key(key), error }
}

/// A contract's data map from `K` to `V`.
pub struct Map<K, V> {
    prefix: String,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K: ClarityType, V: ClarityType> Map<K, V> {
    /// The map `name` of `contract`.
    pub fn new(contract: &ContractId, name: &str) -> Map<K, V> {
        Map { prefix: VmKey::map_prefix(contract.as_str(), name), _types: PhantomData }
    }

    /// The store key of `key`'s entry.
    pub fn storage_key(&self, key: &K) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.prefix.len() + 96);
        out.extend_from_slice(self.prefix.as_bytes());
        key.encode(&mut out);
        out
    }

    /// `map-get?`.
    pub fn get(&self, store: &(impl StoreRead + ?Sized), key: &K) -> Result<Option<V>, StateError> {
        let storage_key = self.storage_key(key);
        let Some(bytes) = store.get(&storage_key)? else {
            return Ok(None);
        };
        Option::<V>::from_bytes(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    /// Some fields of `key`'s entry: the view stops at its last field and the rest of
    /// the entry is not decoded.
    pub fn view<W: ClarityView>(&self, store: &(impl StoreRead + ?Sized), key: &K) -> Result<Option<W>, StateError> {
        let storage_key = self.storage_key(key);
        let Some(bytes) = store.get(&storage_key)? else {
            return Ok(None);
        };
        decode_view(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    /// Whether `key` has an entry.
    pub fn contains(&self, store: &(impl StoreRead + ?Sized), key: &K) -> Result<bool, StateError> {
        let storage_key = self.storage_key(key);
        Ok(store.get(&storage_key)?.is_some_and(|bytes| bytes.first() == Some(&prefix::SOME)))
    }

    /// `map-set`.
    pub fn set(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, value: &V) -> Result<(), StateError> {
        let mut bytes = vec![prefix::SOME];
        value.encode(&mut bytes);
        store.put(&self.storage_key(key), &bytes)?;
        Ok(())
    }

    /// `(map-get? map key)` in a metered call: the entry, charged as clarity-vm
    /// charges it (the lookup of `map-get?`, then a fetch of the key's and the
    /// stored entry's serialized bytes, the key's alone when nothing is stored).
    pub fn map_get(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: &Meter) -> Result<Option<V>, StateError> {
        let storage_key = self.storage_key(key);
        let bytes = store.get(&storage_key)?;
        self.charge_fetch(meter, &storage_key, bytes.as_deref());
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        Option::<V>::from_bytes(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    /// [`Map::view`] charged as [`Map::map_get`]: the VM reads the whole entry.
    pub fn map_view<W: ClarityView>(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: &Meter) -> Result<Option<W>, StateError> {
        let storage_key = self.storage_key(key);
        let bytes = store.get(&storage_key)?;
        self.charge_fetch(meter, &storage_key, bytes.as_deref());
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        decode_view(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    /// Whether `key` has an entry, charged as [`Map::map_get`].
    pub fn map_contains(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: &Meter) -> Result<bool, StateError> {
        let storage_key = self.storage_key(key);
        let bytes = store.get(&storage_key)?;
        self.charge_fetch(meter, &storage_key, bytes.as_deref());
        Ok(bytes.is_some_and(|bytes| bytes.first() == Some(&prefix::SOME)))
    }

    /// `(map-set map key value)` in a metered call, charged by the key's and the
    /// stored `(some value)`'s serialized bytes.
    pub fn map_set(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, value: &V, meter: &Meter) -> Result<(), StateError> {
        let storage_key = self.storage_key(key);
        let mut bytes = vec![prefix::SOME];
        value.encode(&mut bytes);
        meter.apply(CostFunction::SetEntry, self.key_len(&storage_key) + bytes.len() as u64);
        store.put(&storage_key, &bytes)?;
        Ok(())
    }

    /// `(map-delete map key)` in a metered call, charged by the key's bytes and,
    /// when there was an entry, the `none` left in its place.
    pub fn map_delete(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, meter: &Meter) -> Result<bool, StateError> {
        let storage_key = self.storage_key(key);
        let existed = store.get(&storage_key)?.is_some_and(|bytes| bytes.first() == Some(&prefix::SOME));
        meter.apply(CostFunction::SetEntry, self.key_len(&storage_key) + u64::from(existed));
        if existed {
            store.put(&storage_key, &[prefix::NONE])?;
        }
        Ok(existed)
    }

    fn key_len(&self, storage_key: &[u8]) -> u64 {
        (storage_key.len() - self.prefix.len()) as u64
    }

    fn charge_fetch(&self, meter: &Meter, storage_key: &[u8], stored: Option<&[u8]>) {
        meter.apply(CostFunction::FetchEntry, self.key_len(storage_key) + stored.map_or(0, |bytes| bytes.len() as u64));
    }

    /// `map-delete`: `none` in place of an existing entry; nothing written when there
    /// is none. Returns whether there was an entry.
    pub fn delete(&self, store: &mut (impl StoreWrite + ?Sized), key: &K) -> Result<bool, StateError> {
        if !self.contains(store, key)? {
            return Ok(false);
        }
        store.put(&self.storage_key(key), &[prefix::NONE])?;
        Ok(true)
    }
}

/// A stored `(some tuple)` or `none` as a view of the tuple.
fn decode_view<W: ClarityView>(bytes: &[u8]) -> Result<Option<W>, DecodeError> {
    let mut reader = Reader::new(bytes);
    match reader.byte()? {
        prefix::NONE => Ok(None),
        prefix::SOME => Ok(Some(W::decode_view(&mut reader)?)),
        found => Err(DecodeError::UnexpectedPrefix { expected: prefix::SOME, found }),
    }
}

/// A contract's data var.
pub struct Item<T> {
    key: String,
    _type: PhantomData<fn() -> T>,
}

impl<T: ClarityType> Item<T> {
    /// The data var `name` of `contract`.
    pub fn new(contract: &ContractId, name: &str) -> Item<T> {
        Item { key: VmKey::data_var(contract.as_str(), name).to_string(), _type: PhantomData }
    }

    /// `var-get`.
    pub fn get(&self, store: &(impl StoreRead + ?Sized)) -> Result<T, StateError> {
        let bytes = store.get(self.key.as_bytes())?.ok_or_else(|| StateError::MissingVar(self.key.clone()))?;
        T::from_bytes(&bytes).map_err(|e| corrupt(self.key.as_bytes(), e))
    }

    /// `(var-get var)` in a metered call, charged by the stored value's bytes.
    pub fn var_get(&self, store: &(impl StoreRead + ?Sized), meter: &Meter) -> Result<T, StateError> {
        let bytes = store.get(self.key.as_bytes())?.ok_or_else(|| StateError::MissingVar(self.key.clone()))?;
        meter.apply(CostFunction::FetchVar, bytes.len() as u64);
        T::from_bytes(&bytes).map_err(|e| corrupt(self.key.as_bytes(), e))
    }

    /// `(var-set var value)` in a metered call, charged by the new value's bytes.
    pub fn var_set(&self, store: &mut (impl StoreWrite + ?Sized), value: &T, meter: &Meter) -> Result<(), StateError> {
        let bytes = value.to_bytes();
        meter.apply(CostFunction::SetVar, bytes.len() as u64);
        store.put(self.key.as_bytes(), &bytes)?;
        Ok(())
    }

    /// `var-set`, and `define-data-var`'s initial value.
    pub fn set(&self, store: &mut (impl StoreWrite + ?Sized), value: &T) -> Result<(), StateError> {
        store.put(self.key.as_bytes(), &value.to_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{clarity_view, MemoryStore, Transactional};

    clarity_view! {
        pub struct Level {
            "level" => level: u128,
        }
    }

    crate::clarity_tuple! {
        pub struct Grant {
            "level" => level: u128,
            "note" => note: String,
        }
    }

    #[test]
    fn a_map_key_is_the_vm_layout_with_the_serialized_key() {
        let map: Map<u128, bool> = Map::new(&ContractId::new("ST1.c"), "m");
        let mut expected = b"vm::ST1.c::0::m::".to_vec();
        expected.extend(5u128.to_bytes());
        assert_eq!(map.storage_key(&5), expected);
    }

    #[test]
    fn a_view_reads_the_fields_it_names_of_the_entry_as_written() {
        let map: Map<u128, Grant> = Map::new(&ContractId::new("ST1.c"), "grants");
        let mut store = Transactional::new(MemoryStore::new());
        assert_eq!(map.view::<Level>(&store, &1).unwrap(), None);
        map.set(&mut store, &1, &Grant { level: 2, note: "n".into() }).unwrap();
        assert_eq!(map.view::<Level>(&store, &1).unwrap(), Some(Level { level: 2 }));
        map.delete(&mut store, &1).unwrap();
        assert_eq!(map.view::<Level>(&store, &1).unwrap(), None);
    }

    #[test]
    fn a_corrupt_entry_is_named_by_its_vm_key() {
        let map: Map<u128, Grant> = Map::new(&ContractId::new("ST1.c"), "grants");
        let mut store = Transactional::new(MemoryStore::new());
        store.put(&map.storage_key(&1), &[0x0a, 0x01]).unwrap();
        let error = map.get(&store, &1).unwrap_err();
        let StateError::Corrupt { key, .. } = error else { panic!("{error}") };
        assert_eq!(key, format!("vm::ST1.c::0::grants::{}", super::super::hex(&1u128.to_bytes())));
    }

    #[test]
    fn metered_map_operations_charge_the_bytes_clarity_vm_charges() {
        let map: Map<u128, bool> = Map::new(&ContractId::new("ST1.c"), "m");
        let mut store = Transactional::new(MemoryStore::new());
        let key = 17;
        let fetch = |n| CostFunction::LookupFunction.at(0) + CostFunction::FetchEntry.at(n);
        let write = |n| CostFunction::LookupFunction.at(0) + CostFunction::SetEntry.at(n);
        // Nothing stored: the key's 17 bytes. Stored: the key and `(some true)`.
        let meter = Meter::new();
        assert_eq!(map.map_get(&store, &key, &meter).unwrap(), None);
        assert_eq!(meter.total(), fetch(17));
        let meter = Meter::new();
        map.map_set(&mut store, &key, &true, &meter).unwrap();
        assert_eq!(meter.total(), write(17 + 2));
        let meter = Meter::new();
        assert_eq!(map.map_get(&store, &key, &meter).unwrap(), Some(true));
        assert_eq!(meter.total(), fetch(17 + 2));
        // A delete charges the key and the `none` it leaves; a second finds no entry,
        // but a read still finds that `none`.
        let meter = Meter::new();
        assert!(map.map_delete(&mut store, &key, &meter).unwrap());
        assert!(!map.map_delete(&mut store, &key, &meter).unwrap());
        assert_eq!(meter.total(), write(17 + 1) + write(17));
        let meter = Meter::new();
        assert!(!map.map_contains(&store, &key, &meter).unwrap());
        assert_eq!(meter.total(), fetch(17 + 1));
    }
}
