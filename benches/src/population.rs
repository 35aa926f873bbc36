//! A realistic state: 1,000 patients with 5 signed records each, their consents to one
//! of 20 providers, and random traffic over it (the same on every engine and run).

use clarimed_engine::consent_codes::DataType;
use clarimed_engine::keys::{create_record_digest, SigningKey};
use clarimed_engine::records_codes::{AccessLevel, RecordType};
use clarimed_engine::{Content, Engine, Principal, Signed, Store};

/// Patients in the state.
pub const PATIENTS: usize = 1_000;
/// Providers they consent to (patient `i`'s is provider `i % PROVIDERS`).
pub const PROVIDERS: usize = 20;
/// Each patient's records, one of each type.
pub const RECORD_TYPES: [RecordType; 5] = [RecordType::Diagnosis, RecordType::LabResults, RecordType::BasicInfo, RecordType::Medications, RecordType::Vitals];

/// Who is in the state.
pub struct State {
    pub patients: Vec<Principal>,
    pub providers: Vec<Principal>,
    /// Record id -> (its patient's index).
    pub records: Vec<usize>,
}

/// A small xorshift: the same traffic on every engine.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Loads the state into `engine`, ten patients a block.
pub fn load<S: Store + 'static>(engine: &Engine<S>) -> State {
    let providers: Vec<Principal> = (0..PROVIDERS).map(|_| SigningKey::random().principal()).collect();
    let mut patients = Vec::new();
    let mut records = vec![usize::MAX];
    for chunk in (0..PATIENTS).collect::<Vec<_>>().chunks(10) {
        engine.begin_block().unwrap();
        for &i in chunk {
            let key = SigningKey::random();
            let patient = key.principal();
            let provider = &providers[i % PROVIDERS];
            engine.consent().register_patient(&patient, &format!("P-{i}"), 19_800_101, None, None).unwrap();
            engine
                .consent()
                .grant_consent_batch(
                    &patient,
                    provider,
                    &[DataType::BasicInfo, DataType::MedicalHistory, DataType::LabResults, DataType::TreatmentPlans],
                    None,
                    "care",
                )
                .unwrap();
            engine.records().grant_provider_access(&patient, &patient, provider, AccessLevel::Write, None, true).unwrap();
            for (k, record_type) in RECORD_TYPES.iter().enumerate() {
                let checksum = [(i % 251) as u8, k as u8, (i / 251) as u8, 7].repeat(8);
                let hash = clarimed_engine::hex(&create_record_digest(&patient, *record_type, &format!("{i}-{k}"), &checksum));
                let signature = key.sign(&create_record_digest(&patient, *record_type, &hash, &checksum)).unwrap();
                let content = Content { title: "Record", data_hash: &hash, checksum: &checksum };
                let signed = Signed { signature: &signature, public_key: &key.public_key() };
                engine.records().create_record(&patient, &patient, *record_type, &content, None, (k % 2) as u128, &signed).unwrap();
                records.push(patients.len());
            }
            patients.push(patient);
        }
        engine.commit_block().unwrap();
    }
    State { patients, providers, records }
}

/// A random record and who asks about it.
pub fn pick(state: &State, rng: &mut Rng) -> (u128, Principal) {
    let id = 1 + rng.below(state.records.len() - 1);
    let patient = state.records[id];
    let accessor = match rng.below(10) {
        0 => state.patients[patient].clone(),
        1 => state.providers[rng.below(PROVIDERS)].clone(),
        _ => state.providers[patient % PROVIDERS].clone(),
    };
    (id as u128, accessor)
}
