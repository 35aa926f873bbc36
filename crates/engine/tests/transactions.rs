//! Calls as transactions: `ok` keeps, `err` leaves no trace, read-only cannot write,
//! and blocks group calls into one commit.

use clarimed_engine::clarity::Value;
use clarimed_engine::consent_codes::{ConsentError, DataType};
use clarimed_engine::{principal_to_native, CallError, Engine, MemoryStore, Principal, SqliteStore};
use clarimed_reference::keys::Key;

fn principal(seed: &[u8]) -> Principal {
    principal_to_native(&Key::from_seed(seed).principal().into())
}

fn registered() -> (Engine<MemoryStore>, Principal) {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    let patient = principal(b"patient");
    let ctx = patient.clone();
    engine.consent().register_patient(&ctx, "PAT-1", 19_800_101, None, None).unwrap();
    (engine, patient)
}

#[test]
fn a_call_that_returns_err_leaves_no_trace() {
    let (engine, patient) = registered();
    let before = engine.dump_state().unwrap();
    let ctx = patient.clone();
    // A batch whose third type is invalid writes two consents, two audit entries and
    // a counter before it fails: none of that may remain.
    let codes: Vec<Value> = [0u128, 1, 9].into_iter().map(Value::UInt).collect();
    let args = [
        Value::Principal(clarimed_engine::principal_to_clarity(&principal(b"provider")).unwrap()),
        Value::cons_list_unsanitized(codes).unwrap(),
        Value::none(),
        Value::string_ascii_from_bytes(b"care".to_vec()).unwrap(),
    ];
    let output = engine.call(&ctx, "patient-consent", "grant-consent-batch", &args).unwrap();
    assert_eq!(output.value, Value::error(Value::UInt(103)).unwrap());
    assert!(!output.committed);
    assert!(output.events.is_empty());
    assert_eq!(engine.dump_state().unwrap(), before);
}

#[test]
fn the_typed_api_reports_the_contract_error_and_keeps_nothing() {
    let (engine, patient) = registered();
    let before = engine.dump_state().unwrap();
    let ctx = patient.clone();
    let result = engine.consent().grant_consent(&ctx, &patient, DataType::LabResults, None, "self");
    assert!(matches!(result, Err(CallError::Contract(ConsentError::InvalidInput))));
    assert_eq!(engine.dump_state().unwrap(), before);
}

#[test]
fn read_only_calls_write_nothing() {
    let (engine, patient) = registered();
    let before = engine.dump_state().unwrap();
    let ctx = patient.clone();
    let who = Value::Principal(clarimed_engine::principal_to_clarity(&patient).unwrap());
    for (contract, function, args) in [
        ("patient-consent", "get-patient", vec![who.clone()]),
        ("patient-consent", "has-consent", vec![who.clone(), who.clone(), Value::UInt(0)]),
        ("record-management", "check-access", vec![Value::UInt(1), who.clone(), Value::UInt(0)]),
        ("record-management", "get-stats", vec![]),
    ] {
        let output = engine.call(&ctx, contract, function, &args).unwrap();
        assert!(output.events.is_empty());
        engine.read(&ctx, contract, function, &args).unwrap();
    }
    assert_eq!(engine.dump_state().unwrap(), before);
}

#[test]
fn a_block_reaches_the_sqlite_file_only_when_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let patient = principal(b"patient");
    {
        let engine = Engine::open_or_create(&path, &principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
        engine.begin_block().unwrap();
        let ctx = patient.clone();
        engine.consent().register_patient(&ctx, "PAT-1", 19_800_101, None, None).unwrap();
        assert!(engine.consent().get_patient(&patient).unwrap().is_none(), "read-only calls see committed state only");
        assert!(!is_registered(&Engine::open(&path).unwrap(), &patient), "the block is not committed yet");
        engine.commit_block().unwrap();
        assert!(engine.consent().get_patient(&patient).unwrap().is_some());
    }
    assert!(is_registered(&Engine::open(&path).unwrap(), &patient));
}

#[test]
fn an_aborted_block_drops_its_calls_and_blocks() {
    let (engine, patient) = registered();
    let before = engine.dump_state().unwrap();
    engine.begin_block().unwrap();
    engine.mine(10).unwrap();
    let ctx = patient.clone();
    engine.consent().update_patient_preferences(&ctx, false, false, true).unwrap();
    engine.abort_block().unwrap();
    assert_eq!(engine.dump_state().unwrap(), before);
    assert_eq!(engine.block_height(), 1);
}

/// `get-patient` through a separate handle on the file.
fn is_registered(engine: &Engine<SqliteStore>, patient: &Principal) -> bool {
    let ctx = patient.clone();
    let who = Value::Principal(clarimed_engine::principal_to_clarity(patient).unwrap());
    engine.read(&ctx, "patient-consent", "get-patient", &[who]).unwrap().value != Value::none()
}
