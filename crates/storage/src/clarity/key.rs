//! The Clarity VM's key layout, in one place.
//!
//! The VM stores a contract's data under text keys: a map entry under
//! `vm::{contract}::0::{map}::{hex of the serialized key}`, a data var under
//! `vm::{contract}::1::{var}`. clarimed's stores keep the serialized map key as raw
//! bytes after the same text prefix (half the size, no hex on the read path).
//! [`VmKey`] renders and parses both forms.

use std::fmt;

use super::hex::{hex, unhex};

/// What a key holds, as the VM numbers it in the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoreType {
    /// A data-map entry (`0`).
    MapEntry,
    /// A data var (`1`).
    DataVar,
}

impl StoreType {
    /// The digit the VM writes for it.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreType::MapEntry => "0",
            StoreType::DataVar => "1",
        }
    }
}

/// One key of a contract's data, in the VM's layout.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VmKey {
    /// The contract's identifier, `{address}.{name}`.
    pub contract: String,
    /// A map entry or a data var.
    pub store_type: StoreType,
    /// The map's or the var's name.
    pub name: String,
    /// A map entry's serialized key; empty for a data var.
    pub map_key: Vec<u8>,
}

impl VmKey {
    /// The key of `map`'s entry under the serialized key `map_key`.
    pub fn map_entry(contract: &str, map: &str, map_key: Vec<u8>) -> VmKey {
        VmKey { contract: contract.to_string(), store_type: StoreType::MapEntry, name: map.to_string(), map_key }
    }

    /// The key of data var `var`.
    pub fn data_var(contract: &str, var: &str) -> VmKey {
        VmKey { contract: contract.to_string(), store_type: StoreType::DataVar, name: var.to_string(), map_key: Vec::new() }
    }

    /// The text every key of `contract` starts with.
    pub fn contract_prefix(contract: &str) -> String {
        format!("vm::{contract}::")
    }

    /// The text every entry of `contract`'s `map` starts with, in both forms.
    pub fn map_prefix(contract: &str, map: &str) -> String {
        format!("vm::{contract}::0::{map}::")
    }

    /// The key as clarimed's stores hold it: the serialized map key as raw bytes.
    pub fn storage_key(&self) -> Vec<u8> {
        let mut key = self.head().into_bytes();
        key.extend_from_slice(&self.map_key);
        key
    }

    /// A key as clarimed's stores hold it; `None` for one outside the VM's layout.
    pub fn from_storage_key(key: &[u8]) -> Option<VmKey> {
        let rest = key.strip_prefix(b"vm::")?;
        let contract_end = find(rest, b"::")?;
        let contract = std::str::from_utf8(&rest[..contract_end]).ok()?;
        let rest = &rest[contract_end + 2..];
        if let Some(map_and_key) = rest.strip_prefix(b"0::") {
            // Map names have no `:`, so the first `::` ends the name.
            let name_end = find(map_and_key, b"::")?;
            let map = std::str::from_utf8(&map_and_key[..name_end]).ok()?;
            Some(VmKey::map_entry(contract, map, map_and_key[name_end + 2..].to_vec()))
        } else {
            let var = std::str::from_utf8(rest.strip_prefix(b"1::")?).ok()?;
            Some(VmKey::data_var(contract, var))
        }
    }

    /// A key in the VM's text form, as a dump or `export` prints it; `None` for text
    /// outside the layout.
    pub fn parse(text: &str) -> Option<VmKey> {
        let (contract, rest) = text.strip_prefix("vm::")?.split_once("::")?;
        match rest.split_once("::")? {
            ("0", map_and_key) => {
                let (map, hex_key) = map_and_key.split_once("::")?;
                Some(VmKey::map_entry(contract, map, unhex(hex_key)?))
            }
            ("1", var) if !var.contains("::") => Some(VmKey::data_var(contract, var)),
            _ => None,
        }
    }

    /// `vm::{contract}::{store type}::{name}::` for a map entry, without the `::`
    /// and the key for a data var.
    fn head(&self) -> String {
        match self.store_type {
            StoreType::MapEntry => VmKey::map_prefix(&self.contract, &self.name),
            StoreType::DataVar => format!("vm::{}::1::{}", self.contract, self.name),
        }
    }
}

/// The VM's text form: a map entry's key in hex.
impl fmt::Display for VmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.store_type {
            StoreType::MapEntry => write!(f, "{}{}", self.head(), hex(&self.map_key)),
            StoreType::DataVar => f.write_str(&self.head()),
        }
    }
}

/// A store key for messages: the VM's text form where it has one, else its bytes
/// escaped (never lossy UTF-8 of binary).
pub fn describe_storage_key(key: &[u8]) -> String {
    match VmKey::from_storage_key(key) {
        Some(vm_key) => vm_key.to_string(),
        None => key.escape_ascii().to_string(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_entry_renders_its_key_in_hex_and_stores_it_raw() {
        let key = VmKey::map_entry("ST1.c-d", "hash-index", b"a::b".to_vec());
        assert_eq!(key.to_string(), format!("vm::ST1.c-d::0::hash-index::{}", hex(b"a::b")));
        let mut stored = b"vm::ST1.c-d::0::hash-index::".to_vec();
        stored.extend(b"a::b");
        assert_eq!(key.storage_key(), stored);
        assert_eq!(VmKey::from_storage_key(&stored), Some(key.clone()));
        assert_eq!(VmKey::parse(&key.to_string()), Some(key));
    }

    #[test]
    fn a_data_var_is_the_same_in_both_forms() {
        let key = VmKey::data_var("ST1.c", "paused");
        assert_eq!(key.to_string(), "vm::ST1.c::1::paused");
        assert_eq!(key.storage_key(), b"vm::ST1.c::1::paused");
        assert_eq!(VmKey::from_storage_key(b"vm::ST1.c::1::paused"), Some(key.clone()));
        assert_eq!(VmKey::parse("vm::ST1.c::1::paused"), Some(key));
    }

    #[test]
    fn text_outside_the_layout_is_refused() {
        for text in ["clarimed::block-height", "vm::ST1.c", "vm::ST1.c::2::x", "vm::ST1.c::0::m::zz", "vm::ST1.c::0::m"] {
            assert_eq!(VmKey::parse(text), None, "{text}");
        }
        assert_eq!(VmKey::from_storage_key(b"clarimed::block-height"), None);
        assert_eq!(describe_storage_key(b"clarimed::\xff"), "clarimed::\\xff");
    }
}
