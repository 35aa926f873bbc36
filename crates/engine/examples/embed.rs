//! Embedding the engine: both contracts in a SQLite state, used through the typed API
//! and the Clarity-valued API. `cargo run -p clarimed-engine --example embed`

use clarimed_engine::clarity::Value;
use clarimed_engine::consent_codes::DataType;
use clarimed_engine::records_codes::{AccessLevel, Action, RecordType};
use clarimed_engine::{principal_to_native, principal_to_string, Content, Engine, Signed};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, buff, principal, tuple, uint};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", run()?);
    Ok(())
}

/// Registers a patient, shares their medical history with a provider, lets the
/// provider file a signed record, and checks who may read it; returns a report.
pub fn run() -> Result<String, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let (owner, patient_key, provider_key) = (Key::from_seed(b"owner"), Key::from_seed(b"patient"), Key::from_seed(b"provider"));
    let native = |key: &Key| principal_to_native(&key.principal().into());
    let (owner, patient, provider) = (native(&owner), native(&patient_key), native(&provider_key));

    // A new file: both contracts are deployed by `owner` at block 1.
    let engine = Engine::open_or_create(dir.path().join("clarimed.db"), &owner, clarimed_engine::Epoch::NEWEST)?;

    // The typed API: each call a transaction, kept on ok.
    let as_patient = patient.clone();
    engine.consent().register_patient(&as_patient, "PAT-1", 19_800_412, None, Some(provider.clone()))?;
    engine.consent().grant_consent(&as_patient, &provider, DataType::MedicalHistory, None, "ongoing care")?;
    engine.records().grant_provider_access(&as_patient, &patient, &provider, AccessLevel::Write, None, true)?;

    // The provider signs what create-record checks: sha256 of to-consensus-buff? of
    // { patient, record-type, data-hash, checksum }.
    let checksum = [7u8; 32];
    let data_hash = "07".repeat(32);
    let message = tuple(&[
        ("patient", principal(patient_key.principal())),
        ("record-type", uint(RecordType::Diagnosis.code())),
        ("data-hash", ascii(&data_hash)),
        ("checksum", buff(&checksum)),
    ]);
    let signature = provider_key.sign_value(&message)?;
    let as_provider = provider.clone();
    let content = Content { title: "Initial diagnosis", data_hash: &data_hash, checksum: &checksum };
    let signed = Signed { signature: &signature, public_key: &provider_key.public_key() };
    let (record_id, _) = engine.records().create_record(&as_provider, &patient, RecordType::Diagnosis, &content, None, 1, &signed)?;

    // The permission check, as node software would run it per access.
    let level = engine.records().check_access(record_id, &provider, Action::Read)?;

    // The Clarity-valued API: the same contracts, with clarity-vm values.
    let read = engine.call(&as_provider, "record-management", "get-record", &[Value::UInt(record_id)])?;
    engine.mine(10)?;
    Ok(format!(
        "record u{record_id} created by {}; check-access gives level u{level}; get-record gave {} with {} event(s); block {}",
        principal_to_string(&provider),
        if read.committed { "ok" } else { "err" },
        read.events.len(),
        engine.block_height()
    ))
}
