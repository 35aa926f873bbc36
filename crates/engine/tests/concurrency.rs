//! Readers on other threads, while one writer commits blocks, see committed states
//! only: never a call of an open block, never half of a commit.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clarimed_engine::consent_codes::DataType;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::records_codes::{AccessLevel, Action, RecordType};
use clarimed_engine::{Content, Engine, MemoryStore, Principal, Signed, SqliteStore, Store};

const BLOCKS: usize = 30;
const PATIENTS_PER_BLOCK: usize = 4;
const READERS: usize = 2;

/// Ends the readers when the writer is done, or has panicked.
struct Done<'a>(&'a AtomicBool);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Each block registers patients who each grant one consent: in every committed
/// state the two counters are equal, and a multiple of the block's size. Readers
/// read without pause; before each commit the writer waits until every reader has
/// made a read that began after the block's calls, so that every open block is
/// read whatever the scheduler does (whether reads also fall within commits is
/// left to it).
fn writer_and_readers<S: Store + 'static>(engine: &Engine<S>) {
    let provider = SigningKey::random().principal();
    let done = AtomicBool::new(false);
    let reads: [AtomicUsize; READERS] = Default::default();
    std::thread::scope(|scope| {
        let readers: Vec<_> = reads
            .iter()
            .map(|count| {
                scope.spawn(|| {
                    while !done.load(Ordering::SeqCst) {
                        let stats = engine.consent().get_stats().unwrap();
                        assert_eq!(stats.total_patients, stats.total_consents_granted, "half a block seen: {stats:?}");
                        assert_eq!(stats.total_patients % PATIENTS_PER_BLOCK as u128, 0, "a block's calls seen before its commit: {stats:?}");
                        let through_values = engine.read(engine.deployer(), "patient-consent", "get-stats", &[]).unwrap();
                        assert!(through_values.value.to_string().contains("total-patients"), "{}", through_values.value);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let _done = Done(&done);
        for block in 0..BLOCKS {
            engine.begin_block().unwrap();
            for index in 0..PATIENTS_PER_BLOCK {
                let patient = SigningKey::random().principal();
                engine.consent().register_patient(&patient, &format!("P-{block}-{index}"), 19_800_101, None, None).unwrap();
                engine.consent().grant_consent(&patient, &provider, DataType::LabResults, None, "care").unwrap();
            }
            engine.mine(1).unwrap();
            // A reader's second read from now began after the calls above; a reader
            // that stopped (its assertion failed) is waited for no longer.
            let marks: Vec<usize> = reads.iter().map(|count| count.load(Ordering::SeqCst)).collect();
            while reads.iter().zip(&marks).zip(&readers).any(|((count, mark), reader)| count.load(Ordering::SeqCst) < mark + 2 && !reader.is_finished()) {
                std::thread::yield_now();
            }
            engine.commit_block().unwrap();
        }
    });
    let stats = engine.consent().get_stats().unwrap();
    assert_eq!(stats.total_patients, (BLOCKS * PATIENTS_PER_BLOCK) as u128);
}

#[test]
fn readers_of_a_memory_engine_see_only_committed_blocks() {
    let engine = Engine::in_memory(&SigningKey::random().principal(), clarimed_engine::Epoch::Epoch25).unwrap();
    writer_and_readers(&engine);
}

#[test]
fn readers_of_a_sqlite_engine_see_only_committed_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_or_create(dir.path().join("state.db"), &SigningKey::random().principal(), clarimed_engine::Epoch::Epoch25).unwrap();
    writer_and_readers::<SqliteStore>(&engine);
}

#[test]
fn a_read_inside_an_open_block_sees_the_last_commit() {
    let engine = Engine::in_memory(&SigningKey::random().principal(), clarimed_engine::Epoch::Epoch25).unwrap();
    let patient = SigningKey::random().principal();
    engine.begin_block().unwrap();
    engine.consent().register_patient(&patient, "P-1", 19_800_101, None, None).unwrap();
    assert_eq!(engine.consent().get_patient(&patient).unwrap(), None, "not committed yet");
    engine.commit_block().unwrap();
    assert!(engine.consent().get_patient(&patient).unwrap().is_some());
}

/// A provider with a WRITE grant and consent, and one record they can read.
fn opened_record() -> (Engine<MemoryStore>, Principal, Principal, u128) {
    let owner = SigningKey::random().principal();
    let (patient_key, provider) = (SigningKey::random(), SigningKey::random().principal());
    let patient = patient_key.principal();
    let engine = Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap();
    engine.consent().register_patient(&patient, "P-1", 19_800_101, None, None).unwrap();
    engine.consent().grant_consent(&patient, &provider, DataType::MedicalHistory, None, "care").unwrap();
    engine.records().grant_provider_access(&patient, &patient, &provider, AccessLevel::Write, None, false).unwrap();
    let (hash, checksum) = ("ab".repeat(32), [1u8; 32]);
    let digest = clarimed_engine::keys::create_record_digest(&patient, RecordType::Diagnosis, &hash, &checksum);
    let signature = patient_key.sign(&digest).unwrap();
    let content = Content { title: "t", data_hash: &hash, checksum: &checksum };
    let signed = Signed { signature: &signature, public_key: &patient_key.public_key() };
    let (id, _) = engine.records().create_record(&patient, &patient, RecordType::Diagnosis, &content, None, 0, &signed).unwrap();
    (engine, patient, provider, id)
}

#[test]
fn a_remembered_permission_check_is_forgotten_when_what_it_read_is_written() {
    let (engine, patient, provider, id) = opened_record();
    assert_eq!(engine.records().check_access(id, &provider, Action::Read).unwrap(), AccessLevel::Write.code());
    engine.records().get_record(&provider, id).unwrap();
    assert_eq!(engine.records().check_access(id, &provider, Action::Read).unwrap(), AccessLevel::Write.code(), "a log entry changes nothing");
    engine.consent().revoke_consent(&patient, &provider, DataType::MedicalHistory).unwrap();
    let refused = engine.records().check_access(id, &provider, Action::Read);
    assert!(refused.is_err(), "the revocation is seen at once: {refused:?}");
}

#[test]
fn a_remembered_permission_check_is_not_carried_past_its_block() {
    let (engine, patient, provider, id) = opened_record();
    engine.records().revoke_provider_access(&patient, &patient, &provider).unwrap();
    engine.records().grant_provider_access(&patient, &patient, &provider, AccessLevel::Read, Some(u128::from(engine.block_height()) + 2), false).unwrap();
    assert_eq!(engine.records().check_access(id, &provider, Action::Read).unwrap(), AccessLevel::Read.code());
    engine.mine(2).unwrap();
    assert!(engine.records().check_access(id, &provider, Action::Read).is_err(), "the grant expired");
}
