//! The purpose of a consent, kept once the consent closes (what a FHIR `Consent`
//! that has closed says it was for): a revocation or a new grant of the same pair
//! keeps the standing consent's purpose; an open consent and a refused call keep
//! nothing; an aborted block takes it back.

use clarimed_engine::keys::SigningKey;
use clarimed_engine::{Engine, Epoch, MemoryStore, Principal};
use clarimed_storage::StoreRead;

const MEDICAL_HISTORY: u128 = 1;

fn kept_rows(engine: &Engine<MemoryStore>) -> usize {
    engine.backend().scan_prefix(b"clarimed::purpose::").unwrap().len()
}

fn chain() -> (Engine<MemoryStore>, Principal, Principal) {
    let engine = Engine::in_memory(&SigningKey::random().principal(), Epoch::Epoch25).unwrap();
    let (patient, provider) = (SigningKey::random().principal(), SigningKey::random().principal());
    engine.consent().register_patient(&patient, "P-1", 19_800_101, None, None).unwrap();
    (engine, patient, provider)
}

#[test]
fn a_revoked_or_replaced_consent_keeps_its_purpose_and_an_open_one_costs_nothing() {
    let (engine, patient, provider) = chain();
    engine.consent().grant_consent(&patient, &provider, MEDICAL_HISTORY, None, "second opinion").unwrap();
    assert_eq!(kept_rows(&engine), 0, "an open consent's purpose is in the contract");
    let granted_at = u128::from(engine.block_height());

    engine.mine(1).unwrap();
    engine.consent().grant_consent(&patient, &provider, MEDICAL_HISTORY, None, "follow-up").unwrap();
    assert_eq!(engine.closed_consent_purpose(&patient, &provider, MEDICAL_HISTORY, granted_at).unwrap().as_deref(), Some("second opinion"));
    let regranted_at = u128::from(engine.block_height());

    engine.mine(1).unwrap();
    engine.consent().revoke_consent(&patient, &provider, MEDICAL_HISTORY).unwrap();
    assert_eq!(engine.closed_consent_purpose(&patient, &provider, MEDICAL_HISTORY, regranted_at).unwrap().as_deref(), Some("follow-up"));
    assert_eq!(kept_rows(&engine), 2);

    // Refused (no consent left to revoke): nothing kept.
    assert!(engine.consent().revoke_consent(&patient, &provider, MEDICAL_HISTORY).is_err());
    assert_eq!(kept_rows(&engine), 2);
}

#[test]
fn an_aborted_block_takes_back_what_its_calls_kept() {
    let (engine, patient, provider) = chain();
    engine.consent().grant_consent(&patient, &provider, MEDICAL_HISTORY, None, "care").unwrap();
    engine.begin_block().unwrap();
    engine.consent().revoke_consent(&patient, &provider, MEDICAL_HISTORY).unwrap();
    engine.abort_block().unwrap();
    assert_eq!(kept_rows(&engine), 0);
    assert!(engine.consent().get_consent(&patient, &provider, MEDICAL_HISTORY).unwrap().is_some(), "the revocation went with its block");
}
