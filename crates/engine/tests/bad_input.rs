//! Bad input at the library boundary. Whatever `Engine::call` and `Engine::read` are
//! handed, they answer with a typed `EngineError`, or, for a well-typed value out of
//! the contract's range, with the contract's own `(err uN)`; they never panic (a
//! panic fails the test), and a refused call changes nothing. Where clarity-vm takes
//! an odd value, the engine takes it too and does what the VM does.

use clarimed_engine::clarity::{PrincipalData, Value};
use clarimed_engine::table::{find, Access, CONSENT_CONTRACT, RECORDS_CONTRACT};
use clarimed_engine::{
    parse_literal, parse_principal, principal_to_clarity, principal_to_native, principal_to_string, Engine, EngineError, MemoryStore, Principal,
};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, buff, list, none, principal, some, tuple, uint};
use clarimed_reference::ReferenceVm;
use clarity::vm::types::{
    ASCIIData, BuffData, CallableData, CharType, ListData, ListTypeData, OptionalData, QualifiedContractIdentifier, SequenceData, StandardPrincipalData,
    TypeSignature,
};

const HASH: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OTHER_HASH: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const TWO_MB: usize = 2 << 20;

fn owner() -> Key {
    Key::from_seed(b"bad-input owner")
}

fn patient() -> Key {
    Key::from_seed(b"bad-input patient")
}

fn provider() -> Key {
    Key::from_seed(b"bad-input provider")
}

fn native(key: &Key) -> Principal {
    principal_to_native(&key.principal().into())
}

fn who(key: &Key) -> Value {
    principal(key.principal())
}

/// A principal no key gives: version byte 200, which c32 cannot write.
fn version_200() -> Value {
    principal(StandardPrincipalData(200, [7; 20]))
}

fn contract_principal() -> Value {
    principal(QualifiedContractIdentifier::new(provider().principal(), "clinic-registry".into()))
}

/// A string-ascii `Value` holding whatever bytes it is given.
fn raw_ascii(data: Vec<u8>) -> Value {
    Value::Sequence(SequenceData::String(CharType::ASCII(ASCIIData { data })))
}

fn raw_buff(data: Vec<u8>) -> Value {
    Value::Sequence(SequenceData::Buffer(BuffData { data }))
}

/// A list `Value` whose type says `(list max_len uint)`, whatever it holds.
fn uint_list_claiming(max_len: u32, data: Vec<Value>) -> Value {
    let type_signature = ListTypeData::new_list(TypeSignature::UIntType, max_len).unwrap();
    Value::Sequence(SequenceData::List(ListData { data, type_signature }))
}

/// `create-record` arguments for the patient's own record, signed by the patient.
fn record(record_type: u128, confidentiality: u128, data_hash: &str) -> Vec<Value> {
    let patient = patient();
    let checksum = buff(&[7; 32]);
    let message = tuple(&[("patient", who(&patient)), ("record-type", uint(record_type)), ("data-hash", ascii(data_hash)), ("checksum", checksum.clone())]);
    let signature = patient.sign_value(&message).unwrap();
    vec![
        who(&patient),
        uint(record_type),
        ascii("Blood panel"),
        ascii(data_hash),
        checksum,
        none(),
        uint(confidentiality),
        buff(&signature),
        buff(&patient.public_key()),
    ]
}

/// `update-record` arguments for record u1; the signature is not checked before the
/// argument types.
fn update(title: Value, data_hash: Value, checksum: Value, signature: Value, public_key: Value) -> Vec<Value> {
    vec![uint(1), title, data_hash, checksum, signature, public_key]
}

/// A registered patient with one record of their own: u1, version u1.
fn engine() -> Engine<MemoryStore> {
    let engine = Engine::in_memory(&native(&owner()), clarimed_engine::Epoch::Epoch25).unwrap();
    let ctx = native(&patient());
    let registered = engine.call(&ctx, CONSENT_CONTRACT, "register-patient", &[ascii("PAT-1"), uint(19_800_101), none(), none()]).unwrap();
    assert_eq!(registered.value, Value::okay_true());
    let created = engine.call(&ctx, RECORDS_CONTRACT, "create-record", &record(0, 0, HASH)).unwrap();
    assert_eq!(created.value, Value::okay(uint(1)).unwrap());
    engine
}

/// `key`'s call is refused and the state is as it was.
fn refused_call(key: &Key, contract: &str, function: &str, args: &[Value]) -> EngineError {
    let engine = engine();
    let before = engine.dump_state().unwrap();
    let ctx = native(key);
    let error = engine.call(&ctx, contract, function, args).expect_err("a refused call");
    assert_eq!(engine.dump_state().unwrap(), before, "{contract}.{function}: a refused call changed the state");
    error
}

/// The read-only call is refused through `read` and `call` alike, changing nothing.
fn refused_read(contract: &str, function: &str, args: &[Value]) -> EngineError {
    let engine = engine();
    let ctx = native(&patient());
    let error = engine.read(&ctx, contract, function, args).expect_err("a refused read");
    let through_call = refused_call(&patient(), contract, function, args);
    assert_eq!(error.to_string(), through_call.to_string());
    error
}

/// The error refuses argument `name` as not of its type.
#[track_caller]
fn assert_refuses(error: EngineError, name: &str) {
    assert!(matches!(&error, EngineError::ArgumentType { argument, .. } if argument == name), "{error}");
}

/// `key`'s call answers `(err code)` and keeps nothing.
#[track_caller]
fn assert_err(key: &Key, contract: &str, function: &str, args: &[Value], code: u128) {
    let engine = engine();
    let before = engine.dump_state().unwrap();
    let ctx = native(key);
    let output = engine.call(&ctx, contract, function, args).unwrap();
    assert_eq!(output.value, Value::error(uint(code)).unwrap(), "{contract}.{function}");
    assert!(!output.committed && output.events.is_empty());
    assert_eq!(engine.dump_state().unwrap(), before);
}

/// `key`'s call answers `(ok value)` and keeps its writes.
#[track_caller]
fn assert_ok(key: &Key, contract: &str, function: &str, args: &[Value], value: Value) {
    let engine = engine();
    let ctx = native(key);
    let output = engine.call(&ctx, contract, function, args).unwrap();
    assert_eq!(output.value, Value::okay(value).unwrap(), "{contract}.{function}");
    assert!(output.committed);
}

/// The read-only function answers `value` through `read` and `call` alike.
#[track_caller]
fn assert_reads(contract: &str, function: &str, args: &[Value], value: Value) {
    let engine = engine();
    let before = engine.dump_state().unwrap();
    let ctx = native(&patient());
    assert_eq!(engine.read(&ctx, contract, function, args).unwrap().value, value, "{contract}.{function}");
    assert_eq!(engine.call(&ctx, contract, function, args).unwrap().value, value, "{contract}.{function}");
    assert_eq!(engine.dump_state().unwrap(), before);
}

/// The calls, all by the patient (registered first), give the same answers, events
/// and state on the engine (through `call`, and `read` where it applies) as on
/// clarity-vm.
fn assert_as_clarity_vm(calls: &[(&str, &str, Vec<Value>)]) {
    let (owner, patient) = (owner(), patient());
    let mut vm = ReferenceVm::new(owner.principal()).unwrap();
    let engine = Engine::in_memory(&native(&owner), clarimed_engine::Epoch::Epoch25).unwrap();
    let sender: PrincipalData = patient.principal().into();
    let ctx = native(&patient);
    let register = (CONSENT_CONTRACT, "register-patient", vec![ascii("PAT-1"), uint(19_800_101), none(), none()]);
    for (contract, function, args) in std::iter::once(&register).chain(calls) {
        let read_only = find(contract, function).unwrap().access == Access::ReadOnly;
        let (value, events) = if read_only {
            let value = vm.call_read_only(&sender, contract, function, args).unwrap();
            assert_eq!(engine.read(&ctx, contract, function, args).unwrap().value, value, "{contract}.{function}");
            (value, Vec::new())
        } else {
            let result = vm.call_public(&sender, contract, function, args).unwrap();
            (result.value, result.events)
        };
        let output = engine.call(&ctx, contract, function, args).unwrap();
        assert_eq!((output.value, output.events), (value, events), "{contract}.{function}");
    }
    assert_eq!(engine.dump_state().unwrap(), vm.dump_state().unwrap());
}

// Strings.

#[test]
fn a_string_ascii_of_65_where_64_is_declared_is_refused() {
    let long = ascii(&"a".repeat(65));
    let (patient, provider) = (patient(), provider());
    assert_refuses(refused_call(&provider, CONSENT_CONTRACT, "register-patient", &[long.clone(), uint(19_800_101), none(), none()]), "patient-id");
    assert_refuses(refused_call(&patient, CONSENT_CONTRACT, "grant-consent", &[who(&provider), uint(0), none(), long.clone()]), "purpose");
    assert_refuses(refused_call(&patient, CONSENT_CONTRACT, "grant-consent-batch", &[who(&provider), list(vec![uint(0)]), none(), long.clone()]), "purpose");
    let mut args = record(0, 0, OTHER_HASH);
    args[3] = long.clone();
    assert_refuses(refused_call(&patient, RECORDS_CONTRACT, "create-record", &args), "data-hash");
    let mut args = record(0, 0, OTHER_HASH);
    args[5] = some(long.clone());
    assert_refuses(refused_call(&patient, RECORDS_CONTRACT, "create-record", &args), "encryption-key-id");
    let args = update(ascii("t"), long, buff(&[0; 32]), buff(&[0; 65]), buff(&[0; 33]));
    assert_refuses(refused_call(&patient, RECORDS_CONTRACT, "update-record", &args), "data-hash");
}

#[test]
fn a_string_ascii_of_101_where_100_is_declared_is_refused() {
    let long = ascii(&"a".repeat(101));
    let mut args = record(0, 0, OTHER_HASH);
    args[2] = long.clone();
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "title");
    let args = update(long, ascii(OTHER_HASH), buff(&[0; 32]), buff(&[0; 65]), buff(&[0; 33]));
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "update-record", &args), "title");
}

#[test]
fn a_string_ascii_of_129_where_128_is_declared_is_refused() {
    let long = ascii(&"a".repeat(129));
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "emergency-override", &[who(&patient()), long]), "reason");
}

#[test]
fn a_string_ascii_holding_non_ascii_bytes_is_refused() {
    for bytes in [vec![0xff], "é".as_bytes().to_vec(), vec![b'a', 0x80]] {
        let args = [raw_ascii(bytes), uint(19_800_101), none(), none()];
        assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "register-patient", &args), "patient-id");
    }
}

/// clarity-vm does not look into a string-ascii it is handed: it registers a patient
/// whose id holds 0x01, and then fails to read the entry back (its deserializer, like
/// every transaction's, refuses the byte). No chain can carry such a value: the
/// engine refuses it.
#[test]
fn a_string_ascii_holding_control_bytes_is_refused() {
    for byte in [0x00, 0x01, 0x1b, 0x7f] {
        let args = [raw_ascii(vec![b'P', byte]), uint(19_800_101), none(), none()];
        assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "register-patient", &args), "patient-id");
    }
    let reason = raw_ascii(b"fell\x07".to_vec());
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "emergency-override", &[who(&patient()), reason]), "reason");
}

#[test]
fn a_string_ascii_holding_whitespace_is_taken_as_clarity_takes_it() {
    assert_as_clarity_vm(&[(CONSENT_CONTRACT, "grant-consent", vec![who(&provider()), uint(0), none(), raw_ascii(b"care\tplan\r\n".to_vec())])]);
}

#[test]
fn a_string_utf8_where_a_string_ascii_is_expected_is_refused() {
    let utf8 = Value::string_utf8_from_bytes("PAT-1".as_bytes().to_vec()).unwrap();
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "register-patient", &[utf8.clone(), uint(19_800_101), none(), none()]), "patient-id");
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "emergency-override", &[who(&patient()), utf8]), "reason");
}

#[test]
fn an_enormous_string_ascii_is_refused() {
    let enormous = raw_ascii(vec![b'a'; TWO_MB]);
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "register-patient", &[enormous.clone(), uint(19_800_101), none(), none()]), "patient-id");
    let mut args = record(0, 0, OTHER_HASH);
    args[2] = enormous;
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "title");
}

// Lists.

#[test]
fn a_list_of_9_data_types_is_refused() {
    let nine = list((0..9).map(uint).collect());
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent-batch", &[who(&provider()), nine, none(), ascii("care")]), "data-types");
}

#[test]
fn a_list_of_21_record_ids_is_refused() {
    let twenty_one = list((1..=21).map(uint).collect());
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "archive-records", &[twenty_one]), "record-ids");
}

#[test]
fn a_list_of_the_wrong_element_type_is_refused() {
    for data_types in [list(vec![Value::Bool(true)]), list(vec![Value::Int(0), Value::Int(1)]), list(vec![some(uint(0))])] {
        let args = [who(&provider()), data_types, none(), ascii("care")];
        assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent-batch", &args), "data-types");
    }
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "archive-records", &[list(vec![ascii("1")])]), "record-ids");
}

#[test]
fn an_enormous_list_is_refused() {
    let enormous = list((0..50_000).map(uint).collect());
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "archive-records", &[enormous]), "record-ids");
}

/// clarity-vm sanitizes a call's arguments against their own types and refuses this
/// call too.
#[test]
fn a_list_whose_type_lies_about_its_items_is_refused() {
    let lying = uint_list_claiming(8, vec![uint(1), Value::Bool(true)]);
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent-batch", &[who(&provider()), lying, none(), ascii("care")]), "data-types");
}

/// As clarity-vm, which refuses these calls when it sanitizes their arguments.
#[test]
fn a_list_whose_type_lies_about_its_length_is_refused() {
    let nine = uint_list_claiming(8, (0..9).map(|code| uint(code % 8)).collect());
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent-batch", &[who(&provider()), nine, none(), ascii("care")]), "data-types");
    for lying in [uint_list_claiming(20, (1..=21).map(uint).collect()), uint_list_claiming(20, vec![uint(1); 1_000_000]), uint_list_claiming(0, vec![uint(1)])]
    {
        assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "archive-records", &[lying]), "record-ids");
    }
}

// Uints: an int is another type; every uint is well-typed and gets the contract's answer.

#[test]
fn an_int_where_a_uint_is_expected_is_refused() {
    for int in [Value::Int(-1), Value::Int(1), Value::Int(i128::MIN), Value::Int(i128::MAX)] {
        assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent", &[who(&provider()), int.clone(), none(), ascii("care")]), "data-type");
        assert_refuses(refused_read(RECORDS_CONTRACT, "check-access", &[uint(1), who(&patient()), int.clone()]), "action");
        assert_refuses(refused_read(RECORDS_CONTRACT, "get-record-info", &[int]), "record-id");
    }
}

#[test]
fn record_ids_0_and_u128_max_are_record_not_found() {
    for id in [uint(0), uint(u128::MAX)] {
        for function in ["get-record", "archive-record", "purge-record"] {
            assert_err(&patient(), RECORDS_CONTRACT, function, std::slice::from_ref(&id), 201);
        }
        assert_err(&patient(), RECORDS_CONTRACT, "archive-records", &[list(vec![id.clone()])], 201);
        assert_err(&patient(), RECORDS_CONTRACT, "rollback-record", &[id.clone(), uint(1)], 201);
        assert_reads(RECORDS_CONTRACT, "check-access", &[id.clone(), who(&patient()), uint(0)], Value::error(uint(201)).unwrap());
        assert_reads(RECORDS_CONTRACT, "verify-checksum", &[id.clone(), buff(&[7; 32])], Value::Bool(false));
        assert_reads(RECORDS_CONTRACT, "get-record-info", &[id], none());
    }
}

#[test]
fn versions_0_and_u128_max_are_invalid_version() {
    for version in [uint(0), uint(u128::MAX)] {
        assert_err(&patient(), RECORDS_CONTRACT, "rollback-record", &[uint(1), version.clone()], 213);
        assert_reads(RECORDS_CONTRACT, "get-record-version", &[uint(1), version], none());
    }
}

#[test]
fn data_types_8_and_u128_max_are_invalid_data_type_and_0_is_basic_info() {
    for data_type in [uint(8), uint(u128::MAX)] {
        assert_err(&patient(), CONSENT_CONTRACT, "grant-consent", &[who(&provider()), data_type.clone(), none(), ascii("care")], 103);
        assert_err(
            &patient(),
            CONSENT_CONTRACT,
            "grant-consent-batch",
            &[who(&provider()), list(vec![uint(0), data_type.clone()]), none(), ascii("care")],
            103,
        );
        assert_reads(CONSENT_CONTRACT, "has-consent", &[who(&patient()), who(&provider()), data_type.clone()], Value::Bool(false));
        assert_reads(CONSENT_CONTRACT, "can-access", &[who(&patient()), who(&provider()), data_type], Value::Bool(false));
    }
    assert_ok(&patient(), CONSENT_CONTRACT, "grant-consent", &[who(&provider()), uint(0), none(), ascii("care")], Value::Bool(true));
}

#[test]
fn record_types_13_and_u128_max_are_invalid_record_type_and_0_is_basic_info() {
    for record_type in [13, u128::MAX] {
        assert_err(&patient(), RECORDS_CONTRACT, "create-record", &record(record_type, 0, OTHER_HASH), 204);
    }
    assert_ok(&patient(), RECORDS_CONTRACT, "create-record", &record(0, 0, OTHER_HASH), uint(2));
}

#[test]
fn access_levels_3_and_u128_max_are_invalid_access_level_and_0_is_read() {
    let grant = |level: u128| [who(&patient()), who(&provider()), uint(level), none(), Value::Bool(false)];
    for level in [3, u128::MAX] {
        assert_err(&patient(), RECORDS_CONTRACT, "grant-provider-access", &grant(level), 205);
    }
    assert_ok(&patient(), RECORDS_CONTRACT, "grant-provider-access", &grant(0), Value::Bool(true));
}

#[test]
fn confidentiality_levels_4_and_u128_max_are_invalid_input_and_0_is_created() {
    for level in [4, u128::MAX] {
        assert_err(&patient(), RECORDS_CONTRACT, "create-record", &record(0, level, OTHER_HASH), 211);
    }
    assert_ok(&patient(), RECORDS_CONTRACT, "create-record", &record(0, 0, OTHER_HASH), uint(2));
}

#[test]
fn expiries_0_and_u128_max_get_the_contracts_answers() {
    let consent = |data_type: u128, expiry: u128| [who(&provider()), uint(data_type), some(uint(expiry)), ascii("care")];
    assert_err(&patient(), CONSENT_CONTRACT, "grant-consent", &consent(0, 0), 105);
    assert_ok(&patient(), CONSENT_CONTRACT, "grant-consent", &consent(0, u128::MAX), Value::Bool(true));
    // MENTAL-HEALTH needs an expiry within a year.
    assert_err(&patient(), CONSENT_CONTRACT, "grant-consent", &consent(4, u128::MAX), 105);
    let grant = |expiry: u128| [who(&patient()), who(&provider()), uint(0), some(uint(expiry)), Value::Bool(false)];
    assert_err(&patient(), RECORDS_CONTRACT, "grant-provider-access", &grant(0), 215);
    assert_ok(&patient(), RECORDS_CONTRACT, "grant-provider-access", &grant(u128::MAX), Value::Bool(true));
}

#[test]
fn emergency_timeouts_0_and_u128_max_are_invalid_timeout() {
    for blocks in [0, u128::MAX] {
        assert_err(&owner(), CONSENT_CONTRACT, "set-emergency-timeout", &[uint(blocks)], 110);
    }
}

#[test]
fn retention_periods_0_and_u128_max_are_invalid_input() {
    for blocks in [0, u128::MAX] {
        assert_err(&owner(), RECORDS_CONTRACT, "set-retention-period", &[uint(blocks)], 211);
    }
}

#[test]
fn dates_of_birth_0_and_u128_max_are_invalid_input() {
    for date in [0, u128::MAX] {
        assert_err(&provider(), CONSENT_CONTRACT, "register-patient", &[ascii("PAT-2"), uint(date), none(), none()], 109);
    }
}

#[test]
fn actions_2_and_u128_max_are_invalid_input() {
    for action in [2, u128::MAX] {
        assert_reads(RECORDS_CONTRACT, "check-access", &[uint(1), who(&patient()), uint(action)], Value::error(uint(211)).unwrap());
    }
}

#[test]
fn sequence_numbers_log_ids_and_indexes_of_u128_max_read_as_none() {
    let max = uint(u128::MAX);
    assert_reads(CONSENT_CONTRACT, "get-audit-entry", &[who(&patient()), max.clone()], none());
    assert_reads(RECORDS_CONTRACT, "get-patient-record-id", &[who(&patient()), max.clone()], none());
    assert_reads(RECORDS_CONTRACT, "get-access-log-entry", &[max], none());
}

// Principals.

/// clarity-vm takes a principal whose version byte c32 cannot write (it stores the
/// byte and prints the address as `INVALID_C32_ADD`): so does the engine, in the
/// arguments, in the state and in the events.
#[test]
fn a_principal_with_version_byte_200_is_taken_as_clarity_vm_takes_it() {
    assert_as_clarity_vm(&[
        (CONSENT_CONTRACT, "grant-consent", vec![version_200(), uint(0), none(), ascii("care")]),
        (CONSENT_CONTRACT, "get-consent", vec![who(&patient()), version_200(), uint(0)]),
        (CONSENT_CONTRACT, "get-audit-entry", vec![who(&patient()), uint(1)]),
        (CONSENT_CONTRACT, "get-patient", vec![version_200()]),
        (RECORDS_CONTRACT, "check-access", vec![uint(1), version_200(), uint(0)]),
    ]);
}

#[test]
fn a_version_200_principal_converts_and_prints_as_clarity_vm_prints_it() {
    let principal = Principal::standard(200, [7; 20]);
    assert_eq!(principal_to_string(&principal), StandardPrincipalData(200, [7; 20]).to_string());
    assert_eq!(principal_to_clarity(&principal).unwrap(), PrincipalData::Standard(StandardPrincipalData(200, [7; 20])));
}

#[test]
fn a_contract_principal_argument_is_taken_as_clarity_vm_takes_it() {
    assert_as_clarity_vm(&[
        (CONSENT_CONTRACT, "grant-consent", vec![contract_principal(), uint(0), none(), ascii("care")]),
        (CONSENT_CONTRACT, "has-consent", vec![who(&patient()), contract_principal(), uint(0)]),
        (CONSENT_CONTRACT, "update-patient-profile", vec![some(contract_principal()), none()]),
        (CONSENT_CONTRACT, "get-patient", vec![who(&patient())]),
    ]);
}

/// clarity-vm refuses a callable contract for a `principal` parameter when it
/// sanitizes the call's arguments.
#[test]
fn a_callable_contract_where_a_principal_is_expected_is_refused() {
    let callable = Value::CallableContract(CallableData {
        contract_identifier: QualifiedContractIdentifier::new(provider().principal(), "clinic-registry".into()),
        trait_identifier: None,
    });
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent", &[callable.clone(), uint(0), none(), ascii("care")]), "provider");
    assert_refuses(refused_read(CONSENT_CONTRACT, "get-patient", &[callable]), "patient");
}

#[test]
fn texts_that_are_not_principals_are_invalid_principal() {
    let address = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    let too_long_name = format!("{address}.a{}", "b".repeat(128));
    let texts = [
        "",
        "ST",
        "'",
        "not-a-principal",
        "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGN",
        &format!("{address}."),
        ".patient-consent",
        &format!("{address}.1clinic"),
        &format!("{address}.clinic registry"),
        &format!(" {address}"),
        &format!("{address}é"),
        &too_long_name,
    ];
    for text in texts {
        assert!(matches!(parse_principal(text), Err(EngineError::InvalidPrincipal(ref t)) if t == text), "{text}");
    }
}

#[test]
fn texts_that_are_not_principal_literals_are_invalid_literal() {
    let address = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    for text in
        ["'", "'ST1NOTAPRINCIPAL", "'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGN", address, &format!("'{address}."), &format!("'{address}.1clinic"), "'.clinic"]
    {
        assert!(matches!(parse_literal(text), Err(EngineError::InvalidLiteral(_))), "{text}");
    }
}

/// A native `Principal` is plain data: it can hold a contract name no Clarity
/// principal has. It still prints, but does not convert.
#[test]
fn a_native_principal_with_a_contract_name_clarity_refuses_is_invalid_principal() {
    for name in ["", "1clinic", "clinic registry", &"c".repeat(129)] {
        let principal = Principal { contract_name: Some(name.into()), ..native(&provider()) };
        assert!(matches!(principal_to_clarity(&principal), Err(EngineError::InvalidPrincipal(_))), "{name}");
        assert!(principal_to_string(&principal).ends_with(&format!(".{name}")));
    }
}

/// The contracts' ids, and so every key of their data, hold the deployer's c32
/// address: a contract, or a version c32 cannot write, cannot deploy.
#[test]
fn a_deployer_without_a_c32_address_is_refused() {
    let contract = Principal { contract_name: Some("clinic-registry".into()), ..native(&owner()) };
    for deployer in [Principal::standard(200, [7; 20]), Principal::standard(32, [7; 20]), contract] {
        assert!(matches!(Engine::in_memory(&deployer, clarimed_engine::Epoch::Epoch25), Err(EngineError::InvalidDeployer(_))), "{deployer:?}");
    }
}

#[test]
fn a_sender_clarity_cannot_represent_is_refused() {
    let engine = engine();
    let before = engine.dump_state().unwrap();
    let sender = Principal { contract_name: Some("clinic registry".into()), ..native(&provider()) };
    let ctx = sender.clone();
    let error = engine.call(&ctx, CONSENT_CONTRACT, "register-patient", &[ascii("PAT-2"), uint(19_800_101), none(), none()]).unwrap_err();
    assert!(matches!(error, EngineError::InvalidPrincipal(_)), "{error}");
    assert!(matches!(engine.read(&ctx, CONSENT_CONTRACT, "get-stats", &[]), Err(EngineError::InvalidPrincipal(_))));
    assert_eq!(engine.dump_state().unwrap(), before);
}

/// Clarity's block height is 32-bit, and the engine owns it: mining past it is
/// refused, and no call can name another height.
#[test]
fn mining_past_the_last_32_bit_block_height_is_refused() {
    let engine = engine();
    let before = (engine.dump_state().unwrap(), engine.block_height());
    let error = engine.mine(u32::MAX).unwrap_err();
    assert!(matches!(error, EngineError::BlockHeightOutOfRange(u32::MAX)), "{error}");
    assert_eq!((engine.dump_state().unwrap(), engine.block_height()), before);
}

// Buffers.

#[test]
fn a_checksum_of_33_bytes_is_refused() {
    let mut args = record(0, 0, OTHER_HASH);
    args[4] = buff(&[7; 33]);
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "checksum");
    let args = update(ascii("t"), ascii(OTHER_HASH), buff(&[7; 33]), buff(&[0; 65]), buff(&[0; 33]));
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "update-record", &args), "checksum");
    assert_refuses(refused_read(RECORDS_CONTRACT, "verify-checksum", &[uint(1), buff(&[7; 33])]), "checksum");
}

#[test]
fn a_signature_of_66_bytes_is_refused() {
    let mut args = record(0, 0, OTHER_HASH);
    args[7] = buff(&[1; 66]);
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "signature");
    let args = update(ascii("t"), ascii(OTHER_HASH), buff(&[7; 32]), buff(&[1; 66]), buff(&[0; 33]));
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "update-record", &args), "signature");
}

#[test]
fn a_public_key_of_34_bytes_is_refused() {
    let mut args = record(0, 0, OTHER_HASH);
    args[8] = buff(&[2; 34]);
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "public-key");
    let args = update(ascii("t"), ascii(OTHER_HASH), buff(&[7; 32]), buff(&[0; 65]), buff(&[2; 34]));
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "update-record", &args), "public-key");
}

#[test]
fn empty_buffers_are_well_typed_and_get_the_contracts_answers() {
    // An empty signature, then an empty public key.
    for index in [7, 8] {
        let mut args = record(0, 0, OTHER_HASH);
        args[index] = raw_buff(Vec::new());
        assert_err(&patient(), RECORDS_CONTRACT, "create-record", &args, 206);
    }
    assert_reads(RECORDS_CONTRACT, "verify-checksum", &[uint(1), raw_buff(Vec::new())], Value::Bool(false));
}

#[test]
fn an_enormous_buffer_is_refused() {
    let enormous = raw_buff(vec![7; TWO_MB]);
    let mut args = record(0, 0, OTHER_HASH);
    args[4] = enormous.clone();
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "checksum");
    assert_refuses(refused_read(RECORDS_CONTRACT, "verify-checksum", &[uint(1), enormous]), "checksum");
}

#[test]
fn a_buffer_where_a_string_is_expected_is_refused() {
    let bytes = buff(b"PAT-2");
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "register-patient", &[bytes.clone(), uint(19_800_101), none(), none()]), "patient-id");
    let mut args = record(0, 0, OTHER_HASH);
    args[3] = buff(OTHER_HASH.as_bytes());
    assert_refuses(refused_call(&patient(), RECORDS_CONTRACT, "create-record", &args), "data-hash");
}

// Other shapes.

#[test]
fn a_scalar_of_another_type_is_refused() {
    assert_refuses(refused_call(&provider(), CONSENT_CONTRACT, "register-patient", &[uint(1), uint(19_800_101), none(), none()]), "patient-id");
    assert_refuses(refused_call(&owner(), CONSENT_CONTRACT, "set-paused", &[uint(1)]), "new-paused");
    assert_refuses(refused_read(CONSENT_CONTRACT, "get-patient", &[Value::Bool(true)]), "patient");
}

#[test]
fn a_tuple_optional_or_response_where_a_scalar_is_expected_is_refused() {
    for wrapped in [some(uint(0)), Value::okay(uint(0)).unwrap(), Value::error(uint(0)).unwrap(), tuple(&[("data-type", uint(0))])] {
        assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent", &[who(&provider()), wrapped.clone(), none(), ascii("care")]), "data-type");
        assert_refuses(refused_read(RECORDS_CONTRACT, "get-record-info", &[wrapped]), "record-id");
    }
    assert_refuses(refused_read(CONSENT_CONTRACT, "get-patient", &[some(who(&patient()))]), "patient");
    assert_refuses(refused_call(&owner(), CONSENT_CONTRACT, "set-paused", &[Value::okay_true()]), "new-paused");
}

#[test]
fn an_optional_of_the_wrong_type_is_refused() {
    let args = [who(&provider()), uint(0), some(Value::Int(10)), ascii("care")];
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent", &args), "expires-at");
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "update-patient-profile", &[some(uint(1)), none()]), "emergency-contact");
}

/// clarity-vm types a value recursively: one nested a thousand deep would exhaust
/// the stack before its type could be refused.
#[test]
fn a_value_nested_deeper_than_clarity_allows_is_refused() {
    let mut deep = uint(1);
    for _ in 0..1_000 {
        deep = Value::Optional(OptionalData { data: Some(Box::new(deep)) });
    }
    assert_refuses(refused_read(RECORDS_CONTRACT, "get-record-info", &[deep.clone()]), "record-id");
    assert_refuses(refused_call(&patient(), CONSENT_CONTRACT, "grant-consent", &[who(&provider()), uint(0), deep, ascii("care")]), "expires-at");
}
