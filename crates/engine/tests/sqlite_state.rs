//! The SQLite state file: created and deployed on first use, and kept across opens.

use clarimed_engine::consent_codes::DataType;
use clarimed_engine::{principal_to_native, Engine, EngineError, Principal, SqliteStore};
use clarimed_reference::keys::Key;

fn principal(seed: &[u8]) -> Principal {
    principal_to_native(&Key::from_seed(seed).principal().into())
}

#[test]
fn a_new_file_gets_both_contracts_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clarimed.db");
    let owner = principal(b"owner");
    let engine = Engine::open_or_create(&path, &owner, clarimed_engine::Epoch::Epoch25).unwrap();
    assert!(path.exists());
    assert_eq!(engine.deployer(), &owner);
    assert_eq!(engine.block_height(), 1);
    let vars: Vec<String> = engine.dump_state().unwrap().into_iter().map(|(key, _)| key).collect();
    assert!(vars.iter().any(|key| key.ends_with("patient-consent::1::contract-owner")));
    assert!(vars.iter().any(|key| key.ends_with("record-management::1::contract-owner")));
}

#[test]
fn reopening_keeps_the_state_the_deployer_and_the_block_height() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clarimed.db");
    let (owner, patient, provider) = (principal(b"owner"), principal(b"patient"), principal(b"provider"));
    let before = {
        let engine = Engine::open_or_create(&path, &owner, clarimed_engine::Epoch::Epoch25).unwrap();
        let ctx = patient.clone();
        engine.consent().register_patient(&ctx, "PAT-1", 19_800_101, None, None).unwrap();
        engine.consent().grant_consent(&ctx, &provider, DataType::LabResults, None, "labs").unwrap();
        engine.mine(25).unwrap();
        engine.dump_state().unwrap()
    };
    let engine = Engine::open_or_create(&path, &principal(b"someone else"), clarimed_engine::Epoch::Epoch25).unwrap();
    assert_eq!(engine.deployer(), &owner, "an existing state keeps its deployer");
    assert_eq!(engine.block_height(), 26);
    assert_eq!(engine.dump_state().unwrap(), before);
}

#[test]
fn opening_a_missing_file_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    assert!(Engine::open(&path).is_err());
    assert!(!path.exists());
}

#[test]
fn opening_a_store_without_contracts_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    drop(SqliteStore::open(&path).unwrap());
    assert!(matches!(Engine::open(&path), Err(EngineError::NotDeployed)));
}

#[test]
fn opening_a_sqlite_file_that_is_not_a_state_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE patients (name TEXT); INSERT INTO patients VALUES ('x');").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    assert!(Engine::open(&path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_memory_and_sqlite_engines_keep_the_same_state() {
    let owner = principal(b"owner");
    let patient = principal(b"patient");
    let memory = Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap();
    let sqlite = Engine::with_store(SqliteStore::in_memory().unwrap(), Some((&owner, clarimed_engine::Epoch::Epoch25))).unwrap();
    let ctx = patient.clone();
    memory.consent().register_patient(&ctx, "PAT-1", 19_800_101, None, None).unwrap();
    sqlite.consent().register_patient(&ctx, "PAT-1", 19_800_101, None, None).unwrap();
    assert_eq!(memory.dump_state().unwrap(), sqlite.dump_state().unwrap());
}

/// Three patients' registrations, consents and revocations, in two blocks.
fn some_patients<S: clarimed_engine::Store + 'static>(engine: &Engine<S>, provider: &Principal) {
    for block in [0..2, 2..3] {
        engine.begin_block().unwrap();
        for i in block {
            let patient = principal(format!("patient {i}").as_bytes());
            engine.consent().register_patient(&patient, &format!("PAT-{i}"), 19_800_101, None, None).unwrap();
            engine.consent().grant_consent(&patient, provider, DataType::LabResults, Some(500), "labs").unwrap();
            engine.consent().grant_consent(&patient, provider, DataType::BasicInfo, None, "care").unwrap();
            engine.consent().revoke_consent(&patient, provider, DataType::BasicInfo).unwrap();
        }
        engine.commit_block().unwrap();
    }
}

#[test]
fn a_bulk_load_leaves_the_state_ordinary_calls_leave_and_the_file_then_opens_as_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loaded.db");
    let (owner, provider) = (principal(b"owner"), principal(b"provider"));
    let memory = Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap();
    some_patients(&memory, &provider);
    {
        let loading = Engine::open_for_loading(&path, &owner, clarimed_engine::Epoch::Epoch25).unwrap();
        some_patients(&loading, &provider);
        assert_eq!(loading.dump_state().unwrap(), memory.dump_state().unwrap(), "what the load reads back");
    }
    let engine = Engine::open(&path).unwrap();
    assert_eq!(engine.dump_state().unwrap(), memory.dump_state().unwrap());
    assert_eq!(engine.state_digest().unwrap(), memory.state_digest().unwrap());
    // Durable again: a call commits as on any state.
    engine.consent().register_patient(&principal(b"late"), "PAT-9", 19_800_101, None, None).unwrap();
}
