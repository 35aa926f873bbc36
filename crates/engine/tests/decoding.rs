//! The native codec reads consensus bytes exactly as clarity-vm does: what one
//! refuses, so does the other. Cases found by the `values` fuzz target.

use clarimed_engine::clarity::Value;
use clarimed_storage::clarity::{Buff, ClarityType, DecodeError, Principal};

/// clarity-vm's reading of all of `bytes` as one value.
fn vm_reads(bytes: &[u8]) -> Option<Value> {
    let (value, read) = Value::deserialize_read_count(&mut &bytes[..], None, false).ok()?;
    (read == bytes.len() as u64).then_some(value)
}

fn contract_principal(name: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x06, 26];
    bytes.extend_from_slice(&[7; 20]);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes
}

fn string_ascii(text: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x0d];
    bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
    bytes.extend_from_slice(text);
    bytes
}

#[test]
fn a_contract_name_clarity_refuses_is_refused() {
    for name in [&[6u8; 10][..], b"", b"1abc", b"a.b", b"a b", &[b'a'; 129][..]] {
        let bytes = contract_principal(name);
        assert!(vm_reads(&bytes).is_none(), "{name:?}");
        assert!(matches!(Principal::from_bytes(&bytes), Err(DecodeError::BadContractName(_)) | Err(DecodeError::UnexpectedEnd)), "{name:?}");
    }
}

#[test]
fn a_contract_name_clarity_takes_is_taken() {
    for name in [&b"record-management"[..], b"a", b"A_1-b", b"__transient", &[b'a'; 128][..]] {
        let bytes = contract_principal(name);
        assert!(vm_reads(&bytes).is_some(), "{name:?}");
        assert_eq!(Principal::from_bytes(&bytes).unwrap().to_bytes(), bytes);
    }
}

#[test]
fn a_string_ascii_with_a_control_byte_is_refused() {
    for text in [&b"a\x00b"[..], b"\x01", b"\x1b[0m", b"\x7f"] {
        let bytes = string_ascii(text);
        assert!(vm_reads(&bytes).is_none(), "{text:?}");
        assert_eq!(String::from_bytes(&bytes), Err(DecodeError::NotAscii), "{text:?}");
    }
}

#[test]
fn a_string_ascii_with_whitespace_is_taken() {
    let bytes = string_ascii(b"a\tb\nc\rd\x0ce f");
    assert!(vm_reads(&bytes).is_some());
    assert_eq!(String::from_bytes(&bytes).unwrap().to_bytes(), bytes);
}

#[test]
fn a_length_over_clarity_s_limit_is_refused_before_reading() {
    let mut bytes = vec![0x02];
    bytes.extend_from_slice(&1_048_577u32.to_be_bytes());
    assert!(vm_reads(&bytes).is_none());
    assert_eq!(Buff::from_bytes(&bytes), Err(DecodeError::TooLong(1_048_577)));
}
