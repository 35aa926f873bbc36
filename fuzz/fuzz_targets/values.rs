//! Text and bytes where values enter the engine.
//!
//! - As text: a Clarity literal (`clarimed call`'s arguments). Parsing never panics,
//!   and a parsed value printed back as a literal parses to the same value.
//! - As bytes: a consensus-serialized value (the state's values, imported states,
//!   signed messages). Whenever the native codec decodes bytes as one of the
//!   engine's types, clarity-vm decodes the same bytes to a value that serializes
//!   back to them, and the native value re-encodes to them too; and whenever
//!   clarity-vm decodes bytes to a value of a simple type, the native codec decodes
//!   them to the same value.
#![no_main]

use clarimed_engine::clarity::Value;
use clarimed_engine::consent_state::{AuditEntry, Consent, ConsentKey, EmergencyAccess, PatientProfile, Preferences};
use clarimed_engine::records_state::{Record, RecordVersion, VersionKey};
use clarimed_engine::to_literal;
use clarimed_engine::{parse_literal, principal_to_native};
use clarimed_storage::clarity::{Buff, ClarityType, Principal};
use clarity::vm::types::{CharType, SequenceData};
use libfuzzer_sys::fuzz_target;

fn literal(text: &str) {
    let Ok(value) = parse_literal(text) else { return };
    let printed = to_literal(&value);
    let again = parse_literal(&printed).unwrap_or_else(|e| panic!("`{printed}`, printed from `{text}`, does not parse: {e}"));
    assert_eq!(again.serialize_to_vec().ok(), value.serialize_to_vec().ok(), "`{text}` and `{printed}` differ");
}

/// clarity-vm's reading of all of `bytes` as one value.
fn vm_value(bytes: &[u8]) -> Option<Value> {
    let (value, read) = Value::deserialize_read_count(&mut &bytes[..], None, false).ok()?;
    (read == bytes.len() as u64).then_some(value)
}

/// What the native codec accepts as `T`, clarity-vm accepts as the same bytes.
fn native_implies_vm<T: ClarityType>(bytes: &[u8], vm: &Option<Value>) {
    let Ok(native) = T::from_bytes(bytes) else { return };
    assert_eq!(native.to_bytes(), bytes, "{}: the native value re-encodes differently", std::any::type_name::<T>());
    let vm = vm.as_ref().unwrap_or_else(|| panic!("{}: native decodes what clarity-vm refuses", std::any::type_name::<T>()));
    assert_eq!(vm.serialize_to_vec().ok().as_deref(), Some(bytes), "clarity-vm re-serializes differently");
}

/// What clarity-vm reads as a simple value, the native codec reads the same.
fn vm_implies_native(bytes: &[u8], vm: &Value) {
    match vm {
        Value::UInt(n) => assert_eq!(u128::from_bytes(bytes).ok(), Some(*n)),
        Value::Bool(b) => assert_eq!(bool::from_bytes(bytes).ok(), Some(*b)),
        Value::Principal(p) => assert_eq!(Principal::from_bytes(bytes).ok(), Some(principal_to_native(p))),
        Value::Sequence(SequenceData::String(CharType::ASCII(ascii))) => {
            assert_eq!(String::from_bytes(bytes).ok().map(String::into_bytes), Some(ascii.data.clone()));
        }
        Value::Sequence(SequenceData::Buffer(buffer)) => assert_eq!(Buff::from_bytes(bytes).ok(), Some(Buff(buffer.data.clone()))),
        _ => {}
    }
}

fn decoding(bytes: &[u8]) {
    let vm = vm_value(bytes);
    if let Some(value) = &vm {
        vm_implies_native(bytes, value);
        if let Value::Principal(principal) = value {
            let _printable = clarimed_engine::principal_to_string(&principal_to_native(principal));
        }
    }
    native_implies_vm::<u128>(bytes, &vm);
    native_implies_vm::<bool>(bytes, &vm);
    native_implies_vm::<Principal>(bytes, &vm);
    native_implies_vm::<String>(bytes, &vm);
    native_implies_vm::<Buff>(bytes, &vm);
    native_implies_vm::<Option<u128>>(bytes, &vm);
    native_implies_vm::<Vec<u128>>(bytes, &vm);
    native_implies_vm::<Result<u128, u128>>(bytes, &vm);
    native_implies_vm::<PatientProfile>(bytes, &vm);
    native_implies_vm::<Preferences>(bytes, &vm);
    native_implies_vm::<ConsentKey>(bytes, &vm);
    native_implies_vm::<Consent>(bytes, &vm);
    native_implies_vm::<EmergencyAccess>(bytes, &vm);
    native_implies_vm::<AuditEntry>(bytes, &vm);
    native_implies_vm::<Record>(bytes, &vm);
    native_implies_vm::<VersionKey>(bytes, &vm);
    native_implies_vm::<RecordVersion>(bytes, &vm);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        literal(text);
    }
    decoding(data);
});
