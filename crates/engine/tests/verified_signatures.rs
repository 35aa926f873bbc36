//! Record signatures verified ahead of the engine, on other threads
//! ([`VerifiedSignatures`], [`Engine::records_verified`]): the same answers, the
//! same costs and the same state as the engine verifying each itself, and a
//! signature that does not verify is refused however it came.

use clarimed_engine::keys::{create_record_digest, update_record_digest, SigningKey};
use clarimed_engine::records_codes::{RecordType, RecordsError};
use clarimed_engine::{CallError, Content, Engine, ExecutionCost, MemoryStore, Principal, RecordsCalls, Signed, VerifiedSignatures};

/// One record call as a loader holds it before the writer runs it: what it
/// signs and the signature.
#[derive(Clone)]
struct RecordCall {
    key: SigningKey,
    patient: Principal,
    record_type: RecordType,
    data_hash: String,
    checksum: Vec<u8>,
    /// The record it updates (with the version it creates), or `None` to create one.
    update: Option<(u128, u128)>,
    signature: [u8; 65],
}

impl RecordCall {
    fn digest(&self) -> [u8; 32] {
        match self.update {
            None => create_record_digest(&self.patient, self.record_type, &self.data_hash, &self.checksum),
            Some((record_id, version)) => update_record_digest(record_id, version, &self.data_hash, &self.checksum),
        }
    }

    /// Runs the call; its result (the record id or version) and its cost.
    fn run(&self, records: &RecordsCalls<'_>) -> (Result<u128, CallError<RecordsError>>, ExecutionCost) {
        let content = Content { title: "Record", data_hash: &self.data_hash, checksum: &self.checksum };
        let public_key = self.key.public_key();
        let signed = Signed { signature: &self.signature, public_key: &public_key };
        let result = match self.update {
            None => records.create_record(&self.patient, &self.patient, self.record_type, &content, None, 1, &signed),
            Some((record_id, _)) => records.update_record(&self.patient, record_id, &content, &signed),
        };
        (result.map(|(value, _)| value), records.last_cost())
    }
}

fn deployer() -> Principal {
    SigningKey::from_hex(&format!("{:064x}", 0xd_u64)).unwrap().principal()
}

/// Six patients, registered, each creating two records and updating the first;
/// the second patient's update is signed by the first patient's key (refused).
fn patients_and_calls(engine: &Engine<MemoryStore>) -> Vec<RecordCall> {
    let keys: Vec<SigningKey> = (1..=6).map(|i| SigningKey::from_hex(&format!("{:064x}", 0x1000_u64 + i)).unwrap()).collect();
    for (i, key) in keys.iter().enumerate() {
        engine.consent().register_patient(&key.principal(), &format!("PAT-{i}"), 19_800_101, None, None).unwrap();
    }
    let mut calls = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let patient = key.principal();
        for (k, record_type) in [RecordType::Diagnosis, RecordType::LabResults].into_iter().enumerate() {
            let (data_hash, checksum) = (format!("{i:02}{k:02}").repeat(16), vec![i as u8; 32]);
            let signature = key.sign(&create_record_digest(&patient, record_type, &data_hash, &checksum)).unwrap();
            calls.push(RecordCall { key: key.clone(), patient: patient.clone(), record_type, data_hash, checksum, update: None, signature });
        }
        // Records are numbered from 1 in the order created, two a patient.
        let (record_id, version) = (1 + 2 * i as u128, 2);
        let (data_hash, checksum) = (format!("{i:02}ff").repeat(16), vec![0xee; 32]);
        let signer = if i == 1 { &keys[0] } else { key };
        let signature = signer.sign(&update_record_digest(record_id, version, &data_hash, &checksum)).unwrap();
        let update = Some((record_id, version));
        calls.push(RecordCall { key: key.clone(), patient, record_type: RecordType::Diagnosis, data_hash, checksum, update, signature });
    }
    calls
}

#[test]
fn signatures_verified_ahead_give_the_same_answers_costs_and_state() {
    let plain = Engine::in_memory(&deployer(), clarimed_engine::Epoch::Epoch25).unwrap();
    let ahead = Engine::in_memory(&deployer(), clarimed_engine::Epoch::Epoch25).unwrap();
    let calls = patients_and_calls(&plain);
    patients_and_calls(&ahead);

    let verified = VerifiedSignatures::new();
    // Verified on two other threads, as a loader's workers verify them.
    let answers: Vec<bool> = std::thread::scope(|scope| {
        let halves: Vec<_> = calls
            .chunks(calls.len() / 2 + 1)
            .map(|half| scope.spawn(|| half.iter().map(|call| verified.verify(&call.digest(), &call.signature, &call.key.public_key())).collect::<Vec<_>>()))
            .collect();
        halves.into_iter().flat_map(|half| half.join().unwrap()).collect()
    });
    // Every signature verifies but the second patient's update, signed by another key.
    assert_eq!(answers.iter().filter(|ok| !**ok).count(), 1);
    assert_eq!(verified.len(), calls.len() - 1);

    let mut refused = 0;
    for call in &calls {
        let (expected, expected_cost) = call.run(&plain.records());
        let (answer, cost) = call.run(&ahead.records_verified(&verified));
        assert_eq!(format!("{answer:?}"), format!("{expected:?}"));
        assert_eq!(cost, expected_cost, "the cost charged for {:?}", call.update);
        refused += usize::from(matches!(answer, Err(CallError::Contract(RecordsError::InvalidSignature))));
    }
    assert_eq!(refused, 1, "the update signed by another key");
    // Each signature verified ahead was found by its call, and forgotten.
    assert!(verified.is_empty());
    assert_eq!(ahead.state_digest().unwrap(), plain.state_digest().unwrap());
}

#[test]
fn a_forged_signature_in_a_verified_batch_is_refused() {
    let engine = Engine::in_memory(&deployer(), clarimed_engine::Epoch::Epoch25).unwrap();
    let calls = patients_and_calls(&engine);
    let (genuine, forged) = (&calls[0], &calls[1]);
    let mut forged = RecordCall { signature: genuine.signature, ..forged.clone() };
    let verified = VerifiedSignatures::new();
    assert!(verified.verify(&genuine.digest(), &genuine.signature, &genuine.key.public_key()));
    // The genuine signature, over another record's message: not verified, not remembered.
    assert!(!verified.verify(&forged.digest(), &forged.signature, &forged.key.public_key()));
    assert_eq!(verified.len(), 1);

    let records = engine.records_verified(&verified);
    let (answer, _) = forged.run(&records);
    assert!(matches!(answer, Err(CallError::Contract(RecordsError::InvalidSignature))), "{answer:?}");
    // A byte flipped: the remembered signature is not found, and verifying refuses it.
    forged = RecordCall { data_hash: genuine.data_hash.clone(), checksum: genuine.checksum.clone(), record_type: genuine.record_type, ..forged };
    forged.signature[10] ^= 1;
    let (answer, _) = forged.run(&records);
    assert!(matches!(answer, Err(CallError::Contract(RecordsError::InvalidSignature))), "{answer:?}");
    assert_eq!(verified.len(), 1, "a refused call uses no remembered signature");
    let (answer, _) = genuine.run(&records);
    assert_eq!(answer.unwrap(), 1);
    assert!(verified.is_empty());
}
