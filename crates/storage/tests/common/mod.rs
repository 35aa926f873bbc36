//! Keys and values of every shape the SQLite store lays out: map entries in the VM's
//! layout (numbered prefixes, tuple names and principals, dense values) beside raw
//! keys and values.

use proptest::prelude::*;

pub const CONTRACTS: [&str; 2] = ["ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.patient-consent", "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.record-management"];

pub fn uint(n: u128) -> Vec<u8> {
    [vec![0x01], n.to_be_bytes().to_vec()].concat()
}

/// `{id: uint, who: principal}` as Clarity serializes it.
pub fn tuple_key(id: u128, who: u8) -> Vec<u8> {
    [vec![0x0c, 0, 0, 0, 2, 2], b"id".to_vec(), uint(id), vec![3], b"who".to_vec(), vec![0x05, 26], vec![who; 20]].concat()
}

/// A key of one of several shapes: a map entry (uint or tuple key), a data var, the
/// engine's bookkeeping, a map key that is not one value.
pub fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0..2usize, prop::sample::select(vec!["records", "consents", "audit-log"]), 0u128..400).prop_map(|(c, map, id)| [
            format!("vm::{}::0::{map}::", CONTRACTS[c]).into_bytes(),
            uint(id)
        ]
        .concat()),
        (0..2usize, 0u128..50, 0u8..4).prop_map(|(c, id, who)| [format!("vm::{}::0::grants::", CONTRACTS[c]).into_bytes(), tuple_key(id, who)].concat()),
        (0..2usize, prop::sample::select(vec!["paused", "total-patients"])).prop_map(|(c, var)| format!("vm::{}::1::{var}", CONTRACTS[c]).into_bytes()),
        (0u8..20).prop_map(|n| format!("clarimed::note::{n}").into_bytes()),
        (0u8..5).prop_map(|n| [format!("vm::{}::0::records::", CONTRACTS[0]).into_bytes(), vec![0xff, n]].concat()),
    ]
}

/// A value: a Clarity value (`(some {…})`, `none`, a uint) or other bytes.
pub fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u128..100_000, 0u8..9).prop_map(|(n, who)| [vec![0x0a], tuple_key(n, who)].concat()),
        Just(vec![0x09]),
        any::<u128>().prop_map(uint),
        prop::collection::vec(any::<u8>(), 0..40),
    ]
}
