//! `patient-consent`'s state machine on its own, over an in-memory store.

use clarimed_consent::codes::{AuditAction, ConsentError, DataType};
use clarimed_consent::{CallError, ConsentEvent, Context, PatientConsent, Principal};
use clarimed_costs::{Epoch, Meter};
use clarimed_storage::clarity::ContractId;
use clarimed_storage::{MemoryStore, Transactional};

/// A store the contracts write to straight away.
type Store = Transactional<MemoryStore>;

fn who(n: u8) -> Principal {
    Principal::standard(26, [n; 20])
}

struct Fixture {
    store: Store,
    contract: PatientConsent,
}

impl Fixture {
    fn new() -> Fixture {
        let contract = PatientConsent::new(&ContractId::new("ST000000000000000000002AMW42H.patient-consent"));
        let mut store = Transactional::new(MemoryStore::new());
        contract.deploy(&mut store, &who(0)).unwrap();
        Fixture { store, contract }
    }

    fn registered(patient: u8) -> Fixture {
        let mut f = Fixture::new();
        f.contract.register_patient(&mut f.store, &Context::new(who(patient), 1, Epoch::Epoch25), "PAT", 19_800_101, None, None).unwrap();
        f
    }
}

fn contract_error<T>(result: Result<T, CallError<ConsentError>>) -> Option<ConsentError> {
    result.err().and_then(|e| e.contract_error().copied())
}

#[test]
fn registration_writes_the_profile_one_audit_entry_and_one_event() {
    let mut f = Fixture::new();
    let ctx = Context::new(who(1), 7, Epoch::Epoch25);
    let (value, event) = f.contract.register_patient(&mut f.store, &ctx, "PAT-1", 19_800_101, None, Some(who(2))).unwrap();
    assert!(value);
    assert_eq!(event, ConsentEvent::PatientRegistered { patient: who(1), patient_id: "PAT-1".into() });
    let profile = f.contract.get_patient(&f.store, &Meter::new(Epoch::Epoch25), &who(1)).unwrap().unwrap();
    assert_eq!((profile.registration_date, profile.primary_physician), (7, Some(who(2))));
    assert_eq!(f.contract.get_audit_count(&f.store, &Meter::new(Epoch::Epoch25), &who(1)).unwrap(), 1);
    let entry = f.contract.get_audit_entry(&f.store, &Meter::new(Epoch::Epoch25), &who(1), 0).unwrap().unwrap();
    assert_eq!((entry.action, entry.block), (AuditAction::Register.code(), 7));
}

#[test]
fn a_consent_is_live_while_its_expiry_is_above_block_height() {
    let mut f = Fixture::registered(1);
    let ctx = Context::new(who(1), 1, Epoch::Epoch25);
    f.contract.grant_consent(&mut f.store, &ctx, &who(2), DataType::LabResults.code(), Some(10), "labs").unwrap();
    let live = |f: &Fixture, height| f.contract.has_consent(&f.store, &Meter::new(Epoch::Epoch25), height, &who(1), &who(2), 2).unwrap();
    assert!(live(&f, 9));
    assert!(!live(&f, 10));
}

#[test]
fn an_emergency_override_covers_basic_types_only() {
    let mut f = Fixture::registered(1);
    let owner = Context::new(who(0), 1, Epoch::Epoch25);
    f.contract.set_emergency_responder(&mut f.store, &owner, &who(3), true).unwrap();
    let (expires_at, _) = f.contract.emergency_override(&mut f.store, &Context::new(who(3), 1, Epoch::Epoch25), &who(1), "ER").unwrap();
    assert_eq!(expires_at, 433);
    for data_type in DataType::ALL {
        let allowed = f.contract.can_access(&f.store, &Meter::new(Epoch::Epoch25), 1, &who(1), &who(3), data_type.code()).unwrap();
        assert_eq!(allowed, data_type.is_emergency_covered(), "{data_type}");
    }
    assert!(!f.contract.has_emergency_access(&f.store, &Meter::new(Epoch::Epoch25), 433, &who(1), &who(3)).unwrap());
}

#[test]
fn a_batch_refuses_at_its_first_invalid_data_type() {
    let mut f = Fixture::registered(1);
    let ctx = Context::new(who(1), 1, Epoch::Epoch25);
    let result = f.contract.grant_consent_batch(&mut f.store, &ctx, &who(2), &[0, 8, 1], None, "care");
    assert_eq!(contract_error(result), Some(ConsentError::InvalidDataType));
}

#[test]
fn revoking_leaves_none_in_place_of_the_consent() {
    let mut f = Fixture::registered(1);
    let ctx = Context::new(who(1), 1, Epoch::Epoch25);
    f.contract.grant_consent(&mut f.store, &ctx, &who(2), 0, None, "care").unwrap();
    f.contract.revoke_consent(&mut f.store, &ctx, &who(2), 0).unwrap();
    assert_eq!(f.contract.get_consent(&f.store, &Meter::new(Epoch::Epoch25), &who(1), &who(2), 0).unwrap(), None);
    let again = f.contract.revoke_consent(&mut f.store, &ctx, &who(2), 0);
    assert_eq!(contract_error(again), Some(ConsentError::ConsentNotFound));
}

#[test]
fn only_the_owner_sets_the_emergency_timeout_within_6_to_4320() {
    let mut f = Fixture::new();
    let stranger = Context::new(who(9), 1, Epoch::Epoch25);
    assert_eq!(contract_error(f.contract.set_emergency_timeout(&mut f.store, &stranger, 100)), Some(ConsentError::Unauthorized));
    let owner = Context::new(who(0), 1, Epoch::Epoch25);
    assert_eq!(contract_error(f.contract.set_emergency_timeout(&mut f.store, &owner, 5)), Some(ConsentError::InvalidTimeout));
    f.contract.set_emergency_timeout(&mut f.store, &owner, 6).unwrap();
    assert_eq!(f.contract.get_emergency_timeout(&f.store, &Meter::new(Epoch::Epoch25)).unwrap(), 6);
}
