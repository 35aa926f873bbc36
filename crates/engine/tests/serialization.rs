//! The native encoding is clarity-vm's consensus serialization, byte for byte, and the
//! native signature built-ins agree with real secp256k1 keys.

use clarimed_engine::keys::TestnetCrypto;
use clarimed_engine::records_state::{CreateMessage, UpdateMessage};
use clarimed_engine::{principal_to_native, Principal};
use clarimed_records::Crypto;
use clarimed_reference::keys::{consensus_digest, Key};
use clarimed_reference::values;
use clarimed_storage::clarity::{Buff, ClarityType, TupleBuilder};
use clarity::vm::types::{PrincipalData, StandardPrincipalData};
use clarity::vm::Value;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Field {
    UInt(u128),
    Bool(bool),
    Ascii(String),
    Buff(Vec<u8>),
    OptionalUInt(Option<u128>),
    Principal(u8, [u8; 20]),
    ListOfUInt(Vec<u128>),
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        any::<u128>().prop_map(Field::UInt),
        any::<bool>().prop_map(Field::Bool),
        "[ -~]{0,100}".prop_map(Field::Ascii),
        prop::collection::vec(any::<u8>(), 0..65).prop_map(Field::Buff),
        any::<Option<u128>>().prop_map(Field::OptionalUInt),
        (0u8..32, any::<[u8; 20]>()).prop_map(|(v, h)| Field::Principal(v, h)),
        prop::collection::vec(any::<u128>(), 0..8).prop_map(Field::ListOfUInt),
    ]
}

fn add(builder: TupleBuilder, name: &'static str, field: &Field) -> TupleBuilder {
    match field {
        Field::UInt(n) => builder.field(name, n),
        Field::Bool(b) => builder.field(name, b),
        Field::Ascii(s) => builder.field(name, s),
        Field::Buff(b) => builder.field(name, &Buff(b.clone())),
        Field::OptionalUInt(o) => builder.field(name, o),
        Field::Principal(v, h) => builder.field(name, &Principal::standard(*v, *h)),
        Field::ListOfUInt(l) => builder.field(name, l),
    }
}

fn to_clarity(field: &Field) -> Value {
    match field {
        Field::UInt(n) => Value::UInt(*n),
        Field::Bool(b) => Value::Bool(*b),
        Field::Ascii(s) => values::ascii(s),
        Field::Buff(b) => values::buff(b),
        Field::OptionalUInt(o) => o.map_or_else(values::none, |n| values::some(Value::UInt(n))),
        Field::Principal(v, h) => Value::Principal(PrincipalData::Standard(StandardPrincipalData(*v, *h))),
        Field::ListOfUInt(l) => values::list(l.iter().map(|n| Value::UInt(*n)).collect()),
    }
}

const NAMES: [&str; 8] = ["a", "a-b", "b", "checksum", "data-hash", "record-id", "z", "version"];

proptest! {
    #[test]
    fn random_tuples_encode_as_clarity_serializes_them(fields in prop::collection::vec(field(), 1..8), order in Just(NAMES.to_vec()).prop_shuffle()) {
        let named: Vec<(&'static str, Field)> = order.into_iter().zip(fields).collect();
        let native = named.iter().fold(TupleBuilder::new(), |b, (name, field)| add(b, name, field)).encode();
        let clarity_fields: Vec<(&str, Value)> = named.iter().map(|(name, field)| (*name, to_clarity(field))).collect();
        let clarity = values::tuple(&clarity_fields).serialize_to_vec().unwrap();
        prop_assert_eq!(native, clarity);
    }

    #[test]
    fn the_signed_create_message_is_to_consensus_buff_of_its_tuple(hash in "[0-9a-f]{64}", checksum in prop::collection::vec(any::<u8>(), 32), record_type in 0u128..13, seed in any::<[u8; 8]>()) {
        let patient = Key::from_seed(&seed).principal();
        let native = CreateMessage {
            checksum: Buff(checksum.clone()),
            data_hash: hash.clone(),
            patient: principal_to_native(&patient.clone().into()),
            record_type,
        };
        let clarity = values::tuple(&[
            ("patient", values::principal(patient)),
            ("record-type", Value::UInt(record_type)),
            ("data-hash", values::ascii(&hash)),
            ("checksum", values::buff(&checksum)),
        ]);
        prop_assert_eq!(native.to_bytes(), clarity.serialize_to_vec().unwrap());
    }

    #[test]
    fn the_signed_update_message_is_to_consensus_buff_of_its_tuple(hash in "[0-9a-f]{64}", checksum in prop::collection::vec(any::<u8>(), 32), record_id in any::<u128>(), version in any::<u128>()) {
        let native = UpdateMessage { checksum: Buff(checksum.clone()), data_hash: hash.clone(), record_id, version };
        let clarity = values::tuple(&[
            ("record-id", Value::UInt(record_id)),
            ("version", Value::UInt(version)),
            ("data-hash", values::ascii(&hash)),
            ("checksum", values::buff(&checksum)),
        ]);
        prop_assert_eq!(native.to_bytes(), clarity.serialize_to_vec().unwrap());
    }

    #[test]
    fn a_keys_signature_verifies_and_a_changed_digest_does_not(seed in any::<[u8; 16]>(), message in any::<u128>(), flip in 0usize..32) {
        let key = Key::from_seed(&seed);
        let public_key: [u8; 33] = key.public_key().try_into().unwrap();
        let digest = consensus_digest(&Value::UInt(message)).unwrap();
        let signature = key.sign(&digest).unwrap();
        prop_assert!(TestnetCrypto.secp256k1_verify(&digest, &signature, &public_key));
        prop_assert!(TestnetCrypto.secp256k1_verify(&digest, &signature[..64], &public_key));
        let mut other = digest;
        other[flip] ^= 1;
        prop_assert!(!TestnetCrypto.secp256k1_verify(&other, &signature, &public_key));
        prop_assert_eq!(TestnetCrypto.principal_of(&public_key), Some(principal_to_native(&key.principal().into())));
    }
}

#[test]
fn a_signature_with_a_recovery_byte_above_3_or_under_64_bytes_does_not_verify() {
    let key = Key::from_seed(b"signer");
    let public_key: [u8; 33] = key.public_key().try_into().unwrap();
    let digest = [7u8; 32];
    let mut signature = key.sign(&digest).unwrap();
    signature[64] = 4;
    assert!(!TestnetCrypto.secp256k1_verify(&digest, &signature, &public_key));
    assert!(!TestnetCrypto.secp256k1_verify(&digest, &signature[..63], &public_key));
}

#[test]
fn an_invalid_public_key_has_no_principal() {
    assert_eq!(TestnetCrypto.principal_of(&[0u8; 33]), None);
}
