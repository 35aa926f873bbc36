//! `record-management`'s state machine on its own: consent and signatures are
//! stand-ins here, so each rule of `check-access` can be set up directly.

use std::cell::RefCell;
use std::collections::HashSet;

use clarimed_consent::{CallError, Context, Principal};
use clarimed_costs::{Epoch, Meter};
use clarimed_records::codes::{AccessLevel, RecordsError};
use clarimed_records::{ConsentView, Content, Crypto, RecordManagement, Signed};
use clarimed_storage::clarity::{ContractId, StateError};
use clarimed_storage::{MemoryStore, Transactional};

/// A store the contracts write to straight away.
type Store = Transactional<MemoryStore>;

fn who(n: u8) -> Principal {
    Principal::standard(26, [n; 20])
}

const PATIENT: u8 = 1;
const PROVIDER: u8 = 2;

/// Consent as a set of (provider, data type) pairs for patient 1, and a set of
/// providers with a live emergency override.
#[derive(Default)]
struct FakeConsent {
    consents: RefCell<HashSet<(Principal, u128)>>,
    emergencies: RefCell<HashSet<Principal>>,
}

impl ConsentView<Store> for FakeConsent {
    fn is_registered(&self, _: &Store, _: &Meter, patient: &Principal) -> Result<bool, StateError> {
        Ok(*patient == who(PATIENT))
    }
    fn has_consent(&self, _: &Store, _: &Meter, _: u128, _: &Principal, provider: &Principal, data_type: u128) -> Result<bool, StateError> {
        Ok(self.consents.borrow().contains(&(provider.clone(), data_type)))
    }
    fn has_emergency_access(&self, _: &Store, _: &Meter, _: u128, _: &Principal, provider: &Principal) -> Result<bool, StateError> {
        Ok(self.emergencies.borrow().contains(provider))
    }
}

/// Every key belongs to the principal its first byte names; a signature verifies
/// when it is the 64 bytes `[7; 64]`.
struct FakeCrypto;

impl Crypto for FakeCrypto {
    fn principal_of(&self, public_key: &[u8; 33]) -> Option<Principal> {
        Some(who(public_key[0]))
    }
    fn secp256k1_verify(&self, _: &[u8; 32], signature: &[u8], _: &[u8; 33]) -> bool {
        signature == [7u8; 64]
    }
}

struct Fixture {
    store: Store,
    contract: RecordManagement,
    consent: FakeConsent,
}

impl Fixture {
    fn new() -> Fixture {
        let contract = RecordManagement::new(&ContractId::new("ST000000000000000000002AMW42H.record-management"));
        let mut store = Transactional::new(MemoryStore::new());
        contract.deploy(&mut store, &who(0)).unwrap();
        Fixture { store, contract, consent: FakeConsent::default() }
    }

    /// Record u1, a DIAGNOSIS (MEDICAL-HISTORY, u1) at `confidentiality`, created by the patient.
    fn with_record(confidentiality: u128) -> Fixture {
        let mut f = Fixture::new();
        let ctx = Context::new(who(PATIENT), 1, Epoch::Epoch25);
        let content = Content { title: "Dx", data_hash: &"a".repeat(64), checksum: &[0; 32] };
        let key = [PATIENT; 33];
        let signed = Signed { signature: &[7; 64], public_key: &key };
        let (id, _) =
            f.contract.create_record(&mut f.store, &f.consent, &FakeCrypto, &ctx, &who(PATIENT), 2, &content, None, confidentiality, &signed).unwrap();
        assert_eq!(id, 1);
        f
    }

    fn grant(&mut self, level: AccessLevel) {
        let ctx = Context::new(who(PATIENT), 1, Epoch::Epoch25);
        self.contract.grant_provider_access(&mut self.store, &self.consent, &ctx, &who(PATIENT), &who(PROVIDER), level.code(), None, false).unwrap();
    }

    fn consent(&self) {
        self.consent.consents.borrow_mut().insert((who(PROVIDER), 1));
    }

    fn check(&self, accessor: u8, action: u128) -> Result<u128, Option<RecordsError>> {
        let ctx = Context::new(who(9), 1, Epoch::Epoch25);
        self.contract
            .check_access(&self.store, &self.consent, &ctx, 1, &who(accessor), action)
            .map_err(|e: CallError<RecordsError>| e.contract_error().copied())
    }
}

#[test]
fn the_patient_always_has_admin_access() {
    assert_eq!(Fixture::with_record(3).check(PATIENT, 1), Ok(2));
}

#[test]
fn a_live_grant_with_consent_gives_its_level() {
    let mut f = Fixture::with_record(1);
    f.grant(AccessLevel::Read);
    f.consent();
    assert_eq!(f.check(PROVIDER, 0), Ok(0));
    assert_eq!(f.check(PROVIDER, 1), Err(Some(RecordsError::Unauthorized)));
}

#[test]
fn a_grant_without_consent_is_no_consent_and_nothing_is_unauthorized() {
    let mut f = Fixture::with_record(1);
    assert_eq!(f.check(PROVIDER, 0), Err(Some(RecordsError::Unauthorized)));
    f.grant(AccessLevel::Write);
    assert_eq!(f.check(PROVIDER, 0), Err(Some(RecordsError::NoConsent)));
}

#[test]
fn confidentiality_two_and_above_needs_admin_or_the_creator() {
    let mut f = Fixture::with_record(2);
    f.grant(AccessLevel::Write);
    f.consent();
    assert_eq!(f.check(PROVIDER, 0), Err(Some(RecordsError::Unauthorized)));
    f.grant(AccessLevel::Admin);
    assert_eq!(f.check(PROVIDER, 0), Ok(2));
}

#[test]
fn an_emergency_reads_covered_low_confidentiality_records_only() {
    let f = Fixture::with_record(1);
    f.consent.emergencies.borrow_mut().insert(who(PROVIDER));
    assert_eq!(f.check(PROVIDER, 0), Ok(3));
    assert_eq!(f.check(PROVIDER, 1), Err(Some(RecordsError::EmergencyViolation)));
    let high = Fixture::with_record(2);
    high.consent.emergencies.borrow_mut().insert(who(PROVIDER));
    assert_eq!(high.check(PROVIDER, 0), Err(Some(RecordsError::EmergencyViolation)));
}

#[test]
fn an_unknown_action_or_record_is_refused_first() {
    let f = Fixture::with_record(0);
    assert_eq!(f.check(PATIENT, 2), Err(Some(RecordsError::InvalidInput)));
    let ctx = Context::new(who(9), 1, Epoch::Epoch25);
    let missing = f.contract.check_access(&f.store, &f.consent, &ctx, 2, &who(PATIENT), 0);
    assert_eq!(missing.err().and_then(|e| e.contract_error().copied()), Some(RecordsError::RecordNotFound));
}

#[test]
fn every_successful_get_record_adds_one_access_log_entry() {
    let mut f = Fixture::with_record(0);
    let ctx = Context::new(who(PATIENT), 5, Epoch::Epoch25);
    for expected in 2..5 {
        f.contract.get_record(&mut f.store, &f.consent, &ctx, 1).unwrap();
        assert_eq!(f.contract.get_record_access_count(&f.store, &Meter::new(Epoch::Epoch25), 1).unwrap(), expected);
    }
    let entry = f.contract.get_access_log_entry(&f.store, &Meter::new(Epoch::Epoch25), 4).unwrap().unwrap();
    assert_eq!((entry.action, entry.block, entry.emergency), (0, 5, false));
}

#[test]
fn a_signature_by_someone_other_than_the_caller_is_refused() {
    let mut f = Fixture::new();
    let ctx = Context::new(who(PATIENT), 1, Epoch::Epoch25);
    let content = Content { title: "Dx", data_hash: &"b".repeat(64), checksum: &[0; 32] };
    let key = [PROVIDER; 33];
    let signed = Signed { signature: &[7; 64], public_key: &key };
    let result = f.contract.create_record(&mut f.store, &f.consent, &FakeCrypto, &ctx, &who(PATIENT), 2, &content, None, 0, &signed);
    assert_eq!(result.err().and_then(|e| e.contract_error().copied()), Some(RecordsError::InvalidSignature));
}
