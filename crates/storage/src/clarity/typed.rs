//! Typed data maps and data vars, stored as the Clarity VM stores a contract's data.
//!
//! A map entry lives under `vm::{contract}::0::{map}::{serialized key}` and holds the
//! serialization of `(some value)`; deleting it leaves `none` (`09`) in place, as
//! `map-delete` does. A data var lives under `vm::{contract}::1::{var}` and holds the
//! serialization of its value.
//!
//! The VM writes the serialized key and value as hex text; here they are kept as
//! the raw bytes (half the size, and no hex on the read path), and [`vm_key`] and
//! [`hex`] give the VM's text form back, so a state dump matches the VM's byte for
//! byte.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use rustc_hash::FxBuildHasher;

use super::codec::{prefix, ClarityType, ClarityView, DecodeError, Reader};
use crate::{StateVersion, Store, StoreError};

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

/// The bytes of lower-case or upper-case hex; `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// A store key as the VM writes it: a map entry's serialized key as hex text, a data
/// var's key as it is. `None` for a key outside the `vm::` layout.
pub fn vm_key(storage_key: &[u8]) -> Option<String> {
    let text = |bytes: &[u8]| std::str::from_utf8(bytes).ok().map(str::to_string);
    let rest = storage_key.strip_prefix(b"vm::")?;
    let contract_end = find(rest, b"::")?;
    let kind_and_name = &rest[contract_end + 2..];
    if let Some(map_and_key) = kind_and_name.strip_prefix(b"0::") {
        // Map names have no `:`, so the first `::` ends the name.
        let name_end = find(map_and_key, b"::")?;
        let head = &storage_key[..storage_key.len() - map_and_key.len() + name_end + 2];
        let serialized_key = &map_and_key[name_end + 2..];
        Some(format!("{}{}", text(head)?, hex(serialized_key)))
    } else {
        text(storage_key)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
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
        let mut out = Vec::with_capacity(self.prefix.len() + 96);
        out.extend_from_slice(self.prefix.as_bytes());
        key.encode(&mut out);
        out
    }

    pub fn get(&self, store: &impl Store, key: &K) -> Result<Option<V>, StateError> {
        let storage_key = self.storage_key(key);
        let Some(bytes) = store.get(&storage_key)? else {
            return Ok(None);
        };
        Option::<V>::from_bytes(&bytes).map_err(|e| corrupt(&storage_key, e))
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

/// A cache of one view of a map's entries, for the reads on the hot path.
///
/// It holds views of the committed state only: a read of an entry an open
/// transaction has written goes to the store, and any committed write to the store
/// empties the cache (reads that follow refill it). Absent entries are cached too.
pub struct CachedView<K, W> {
    prefix: String,
    cache: RefCell<Versioned<K, Option<W>>>,
}

/// Entries valid for one committed state, forgotten when it changes.
struct Versioned<K, V> {
    version: Option<StateVersion>,
    entries: HashMap<K, V, FxBuildHasher>,
}

impl<K, V> Versioned<K, V> {
    fn new() -> Versioned<K, V> {
        Versioned {
            version: None,
            entries: HashMap::default(),
        }
    }

    /// The entries for `version`: emptied first if they were for another state, or
    /// if they have reached their bound.
    fn at(&mut self, version: StateVersion) -> &mut HashMap<K, V, FxBuildHasher> {
        if self.version != Some(version) || self.entries.len() >= MAX_CACHED_VIEWS {
            self.entries.clear();
            self.version = Some(version);
        }
        &mut self.entries
    }
}

/// A bound on a cache's or memo's entries; past it, it starts over.
const MAX_CACHED_VIEWS: usize = 1 << 20;

impl<K: ClarityType + Hash + Eq + Clone, W: ClarityView + Clone> CachedView<K, W> {
    /// A cache of `W`s of `map`'s entries.
    pub fn of<V>(map: &Map<K, V>) -> CachedView<K, W> {
        CachedView {
            prefix: map.prefix.clone(),
            cache: RefCell::new(Versioned::new()),
        }
    }

    pub fn get(&self, store: &impl Store, key: &K) -> Result<Option<W>, StateError> {
        let Some(version) = store.committed_version() else {
            return self.read(store, &self.storage_key(key));
        };
        // Only inside a transaction can the entry differ from the committed one.
        let mut storage_key = None;
        if store.in_transaction() {
            let built = self.storage_key(key);
            if store.written_in_transaction(&built) {
                return self.read(store, &built);
            }
            storage_key = Some(built);
        }
        if let Some(view) = self.cache.borrow_mut().at(version).get(key) {
            return Ok(view.clone());
        }
        let storage_key = storage_key.unwrap_or_else(|| self.storage_key(key));
        let view = self.read(store, &storage_key)?;
        self.cache.borrow_mut().at(version).insert(key.clone(), view.clone());
        Ok(view)
    }

    fn storage_key(&self, key: &K) -> Vec<u8> {
        let mut storage_key = Vec::with_capacity(self.prefix.len() + 96);
        storage_key.extend_from_slice(self.prefix.as_bytes());
        key.encode(&mut storage_key);
        storage_key
    }

    fn read(&self, store: &impl Store, storage_key: &[u8]) -> Result<Option<W>, StateError> {
        let Some(bytes) = store.get(storage_key)? else {
            return Ok(None);
        };
        decode_view(&bytes).map_err(|e| corrupt(storage_key, e))
    }
}

/// Values computed from the committed state, remembered until it changes: for a
/// read-only function answered again and again with the same arguments (the
/// permission check). Used outside transactions only, where a read sees the
/// committed state; any committed write empties it.
pub struct Memo<K, V> {
    cache: RefCell<Versioned<K, V>>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    pub fn new() -> Memo<K, V> {
        Memo {
            cache: RefCell::new(Versioned::new()),
        }
    }

    /// The value for `key`: remembered, or computed by `compute` (and remembered if
    /// the store names its committed state and no transaction is open).
    pub fn get_or_try_insert<E>(&self, store: &impl Store, key: K, compute: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let version = match store.committed_version() {
            Some(version) if !store.in_transaction() => version,
            _ => return compute(),
        };
        if let Some(value) = self.cache.borrow_mut().at(version).get(&key) {
            return Ok(value.clone());
        }
        let value = compute()?;
        self.cache.borrow_mut().at(version).insert(key, value.clone());
        Ok(value)
    }
}

impl<K: Hash + Eq, V: Clone> Default for Memo<K, V> {
    fn default() -> Memo<K, V> {
        Memo::new()
    }
}

/// A stored `(some tuple)` or `none` as a view of the tuple; the view stops at its
/// last field and the rest is not read.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn unhex_reverses_hex_and_refuses_what_is_not_hex() {
        assert_eq!(unhex("000fa5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(unhex(""), Some(vec![]));
        for bad in ["0", "zz", "0é", "0x00"] {
            assert_eq!(unhex(bad), None, "{bad}");
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
    fn the_vm_key_of_a_map_entry_has_its_serialized_key_in_hex() {
        let map: Map<String, bool> = Map::new(&ContractId::new("ST1.c-d"), "hash-index");
        let key = map.storage_key(&"a::b".to_string());
        let expected = format!("vm::ST1.c-d::0::hash-index::{}", hex(&"a::b".to_string().to_bytes()));
        assert_eq!(vm_key(&key), Some(expected));
    }

    #[test]
    fn the_vm_key_of_a_data_var_is_unchanged() {
        let var: Item<bool> = Item::new(&ContractId::new("ST1.c"), "paused");
        assert_eq!(vm_key(var.key.as_bytes()), Some("vm::ST1.c::1::paused".to_string()));
        assert_eq!(vm_key(b"clarimed::block-height"), None);
    }
}

#[cfg(test)]
mod cache_tests {
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

    fn fixture() -> (Transactional<MemoryStore>, Map<u128, Grant>, CachedView<u128, Level>) {
        let map = Map::new(&ContractId::new("ST1.c"), "grants");
        let view = CachedView::of(&map);
        (Transactional::new(MemoryStore::new()), map, view)
    }

    fn grant(level: u128) -> Grant {
        Grant { level, note: "n".into() }
    }

    #[test]
    fn a_cached_view_sees_each_committed_write() {
        let (mut store, map, view) = fixture();
        assert_eq!(view.get(&store, &1).unwrap(), None);
        map.set(&mut store, &1, &grant(2)).unwrap();
        assert_eq!(view.get(&store, &1).unwrap(), Some(Level { level: 2 }));
        map.delete(&mut store, &1).unwrap();
        assert_eq!(view.get(&store, &1).unwrap(), None);
    }

    #[test]
    fn inside_a_transaction_a_cached_view_reads_through_and_a_roll_back_leaves_it_right() {
        let (mut store, map, view) = fixture();
        map.set(&mut store, &1, &grant(1)).unwrap();
        assert_eq!(view.get(&store, &1).unwrap(), Some(Level { level: 1 }));
        store.begin();
        map.set(&mut store, &1, &grant(3)).unwrap();
        assert_eq!(view.get(&store, &1).unwrap(), Some(Level { level: 3 }));
        store.roll_back().unwrap();
        assert_eq!(view.get(&store, &1).unwrap(), Some(Level { level: 1 }));
    }

    #[test]
    fn a_cached_view_is_not_fooled_by_another_store() {
        let (mut first, map, view) = fixture();
        let mut second = Transactional::new(MemoryStore::new());
        map.set(&mut first, &1, &grant(1)).unwrap();
        map.set(&mut second, &1, &grant(2)).unwrap();
        assert_eq!(view.get(&first, &1).unwrap(), Some(Level { level: 1 }));
        assert_eq!(view.get(&second, &1).unwrap(), Some(Level { level: 2 }));
    }
}

#[cfg(test)]
mod memo_tests {
    use super::*;
    use crate::{MemoryStore, Transactional};

    #[test]
    fn a_memo_recomputes_after_a_committed_write_and_inside_a_transaction() {
        let mut store = Transactional::new(MemoryStore::new());
        let memo: Memo<u8, u32> = Memo::new();
        let computed = std::cell::Cell::new(0);
        let ask = |store: &Transactional<MemoryStore>| {
            memo.get_or_try_insert(store, 1, || {
                computed.set(computed.get() + 1);
                Ok::<_, ()>(computed.get())
            })
        };
        assert_eq!(ask(&store), Ok(1));
        assert_eq!(ask(&store), Ok(1), "remembered");
        store.put(b"k", b"v").unwrap();
        assert_eq!(ask(&store), Ok(2), "the state changed");
        store.begin();
        assert_eq!(ask(&store), Ok(3), "inside a transaction it is computed");
        assert_eq!(ask(&store), Ok(4));
    }
}
