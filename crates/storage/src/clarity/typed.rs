//! Typed data maps and data vars, stored as the Clarity VM stores a contract's data.
//!
//! A map entry holds the serialization of `(some value)`; deleting it leaves `none`
//! (`09`) in place, as `map-delete` does. A data var holds the serialization of its
//! value. Keys follow [`VmKey`]'s layout.

use std::borrow::Cow;
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

/// An entry's store key and the bytes stored under it, if any.
type Fetched<'s> = (Vec<u8>, Option<Cow<'s, [u8]>>);

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
        self.read_entry(store, key, None)
    }

    /// Some fields of `key`'s entry: the view stops at its last field and the rest of
    /// the entry is not decoded.
    pub fn view<W: ClarityView>(&self, store: &(impl StoreRead + ?Sized), key: &K) -> Result<Option<W>, StateError> {
        self.read_view(store, key, None)
    }

    /// Whether `key` has an entry.
    pub fn contains(&self, store: &(impl StoreRead + ?Sized), key: &K) -> Result<bool, StateError> {
        self.has_entry(store, key, None)
    }

    /// `map-set`.
    pub fn set(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, value: &V) -> Result<(), StateError> {
        self.write_entry(store, key, value, None)
    }

    /// `map-delete`: `none` in place of an existing entry; nothing written when there
    /// is none. Returns whether there was an entry.
    pub fn delete(&self, store: &mut (impl StoreWrite + ?Sized), key: &K) -> Result<bool, StateError> {
        self.delete_entry(store, key, None)
    }

    /// `(map-get? map key)` in a metered call: the entry, charged as clarity-vm
    /// charges it (the lookup of `map-get?`, then a fetch of the key's and the
    /// stored entry's serialized bytes, the key's alone when nothing is stored).
    pub fn map_get(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: &Meter) -> Result<Option<V>, StateError> {
        self.read_entry(store, key, Some(meter))
    }

    /// [`Map::view`] charged as [`Map::map_get`]: the VM reads the whole entry.
    pub fn map_view<W: ClarityView>(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: &Meter) -> Result<Option<W>, StateError> {
        self.read_view(store, key, Some(meter))
    }

    /// Whether `key` has an entry, charged as [`Map::map_get`].
    pub fn map_contains(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: &Meter) -> Result<bool, StateError> {
        self.has_entry(store, key, Some(meter))
    }

    /// `(map-set map key value)` in a metered call, charged by the key's and the
    /// stored `(some value)`'s serialized bytes.
    pub fn map_set(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, value: &V, meter: &Meter) -> Result<(), StateError> {
        self.write_entry(store, key, value, Some(meter))
    }

    /// `(map-delete map key)` in a metered call, charged by the key's bytes and,
    /// when there was an entry, the `none` left in its place.
    pub fn map_delete(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, meter: &Meter) -> Result<bool, StateError> {
        self.delete_entry(store, key, Some(meter))
    }

    /// Reads `key`'s stored bytes, charging the read to `meter` when there is one.
    fn fetch<'s, S: StoreRead + ?Sized>(&self, store: &'s S, key: &K, meter: Option<&Meter>) -> Result<Fetched<'s>, StateError> {
        let storage_key = self.storage_key(key);
        let bytes = store.get(&storage_key)?;
        if let Some(meter) = meter {
            meter.apply(CostFunction::FetchEntry, self.key_len(&storage_key) + bytes.as_ref().map_or(0, |bytes| bytes.len() as u64));
        }
        Ok((storage_key, bytes))
    }

    fn read_entry(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: Option<&Meter>) -> Result<Option<V>, StateError> {
        let (storage_key, bytes) = self.fetch(store, key, meter)?;
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        Option::<V>::from_bytes(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    fn read_view<W: ClarityView>(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: Option<&Meter>) -> Result<Option<W>, StateError> {
        let (storage_key, bytes) = self.fetch(store, key, meter)?;
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        decode_view(&bytes).map_err(|e| corrupt(&storage_key, e))
    }

    fn has_entry(&self, store: &(impl StoreRead + ?Sized), key: &K, meter: Option<&Meter>) -> Result<bool, StateError> {
        let (_, bytes) = self.fetch(store, key, meter)?;
        Ok(bytes.is_some_and(|bytes| bytes.first() == Some(&prefix::SOME)))
    }

    fn write_entry(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, value: &V, meter: Option<&Meter>) -> Result<(), StateError> {
        let storage_key = self.storage_key(key);
        let mut bytes = vec![prefix::SOME];
        value.encode(&mut bytes);
        if let Some(meter) = meter {
            meter.apply(CostFunction::SetEntry, self.key_len(&storage_key) + bytes.len() as u64);
        }
        store.put(&storage_key, &bytes)?;
        Ok(())
    }

    fn delete_entry(&self, store: &mut (impl StoreWrite + ?Sized), key: &K, meter: Option<&Meter>) -> Result<bool, StateError> {
        let existed = self.has_entry(store, key, None)?;
        let storage_key = self.storage_key(key);
        if let Some(meter) = meter {
            meter.apply(CostFunction::SetEntry, self.key_len(&storage_key) + u64::from(existed));
        }
        if existed {
            store.put(&storage_key, &[prefix::NONE])?;
        }
        Ok(existed)
    }

    /// The length of the serialized map key inside `storage_key`.
    fn key_len(&self, storage_key: &[u8]) -> u64 {
        (storage_key.len() - self.prefix.len()) as u64
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
        self.read(store, None)
    }

    /// `var-set`, and `define-data-var`'s initial value.
    pub fn set(&self, store: &mut (impl StoreWrite + ?Sized), value: &T) -> Result<(), StateError> {
        self.write(store, value, None)
    }

    /// `(var-get var)` in a metered call, charged by the stored value's bytes.
    pub fn var_get(&self, store: &(impl StoreRead + ?Sized), meter: &Meter) -> Result<T, StateError> {
        self.read(store, Some(meter))
    }

    /// `(var-set var value)` in a metered call, charged by the new value's bytes.
    pub fn var_set(&self, store: &mut (impl StoreWrite + ?Sized), value: &T, meter: &Meter) -> Result<(), StateError> {
        self.write(store, value, Some(meter))
    }

    fn read(&self, store: &(impl StoreRead + ?Sized), meter: Option<&Meter>) -> Result<T, StateError> {
        let bytes = store.get(self.key.as_bytes())?.ok_or_else(|| StateError::MissingVar(self.key.clone()))?;
        if let Some(meter) = meter {
            meter.apply(CostFunction::FetchVar, bytes.len() as u64);
        }
        T::from_bytes(&bytes).map_err(|e| corrupt(self.key.as_bytes(), e))
    }

    fn write(&self, store: &mut (impl StoreWrite + ?Sized), value: &T, meter: Option<&Meter>) -> Result<(), StateError> {
        let bytes = value.to_bytes();
        if let Some(meter) = meter {
            meter.apply(CostFunction::SetVar, bytes.len() as u64);
        }
        store.put(self.key.as_bytes(), &bytes)?;
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
        let meter = Meter::new(clarimed_costs::Epoch::Epoch25);
        assert_eq!(map.map_get(&store, &key, &meter).unwrap(), None);
        assert_eq!(meter.total(), fetch(17));
        let meter = Meter::new(clarimed_costs::Epoch::Epoch25);
        map.map_set(&mut store, &key, &true, &meter).unwrap();
        assert_eq!(meter.total(), write(17 + 2));
        let meter = Meter::new(clarimed_costs::Epoch::Epoch25);
        assert_eq!(map.map_get(&store, &key, &meter).unwrap(), Some(true));
        assert_eq!(meter.total(), fetch(17 + 2));
        // A delete charges the key and the `none` it leaves; a second finds no entry,
        // but a read still finds that `none`.
        let meter = Meter::new(clarimed_costs::Epoch::Epoch25);
        assert!(map.map_delete(&mut store, &key, &meter).unwrap());
        assert!(!map.map_delete(&mut store, &key, &meter).unwrap());
        assert_eq!(meter.total(), write(17 + 1) + write(17));
        let meter = Meter::new(clarimed_costs::Epoch::Epoch25);
        assert!(!map.map_contains(&store, &key, &meter).unwrap());
        assert_eq!(meter.total(), fetch(17 + 1));
    }
}
