//! The two versions of the contracts' sources: a new state runs v2, a state made
//! before v2 runs v1, a deployment seen on a followed chain switches a contract to
//! the version deployed (with its block, undone with it), and each version's calls
//! cost what the Clarity VM charges for that version.

use clarimed_engine::clarity::Value;
use clarimed_engine::table::Contract;
use clarimed_engine::{principal_to_native, Engine, EngineError, Epoch, MemoryStore, Principal, Store, Version};
use clarimed_reference::keys::Key;
use clarimed_reference::{ReferenceVm, CONTRACT_SOURCES, V1_CONTRACT_SOURCES};
use clarimed_storage::{Batch, StoreCommit, StoreRead};

fn principal(key: &Key) -> Principal {
    principal_to_native(&key.principal().into())
}

fn versions<S>(engine: &Engine<S>) -> [Version; 2] {
    Contract::ALL.map(|contract| engine.version(contract).unwrap())
}

fn register_args() -> [Value; 4] {
    [Value::string_ascii_from_bytes(b"PAT-1".to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()]
}

/// The engine's cost of a registration and of a `check-access` (which loads both
/// contracts), and the Clarity VM's, deployed from `sources`.
fn costs_agree<S: Store>(engine: &Engine<S>, sources: [(&str, &str); 2], owner: &Key) {
    let patient = Key::from_seed(b"patient");
    let mut vm = ReferenceVm::with_sources(owner.principal(), sources).unwrap();
    let ours = engine.call(&principal(&patient), "patient-consent", "register-patient", &register_args()).unwrap();
    let theirs = vm.call_public(&patient.principal().into(), "patient-consent", "register-patient", &register_args()).unwrap();
    assert_eq!(ours.cost, theirs.cost);
    let check = [Value::UInt(1), Value::Principal(patient.principal().into()), Value::UInt(0)];
    let ours = engine.call_read(&principal(&patient), "record-management", "check-access", &check).unwrap();
    let theirs = vm.call_read(&patient.principal().into(), "record-management", "check-access", &check).unwrap();
    assert_eq!((ours.value, ours.cost), (theirs.value, theirs.cost));
}

#[test]
fn a_new_state_runs_v2_and_costs_what_v2_costs() {
    let owner = Key::from_seed(b"owner");
    let engine = Engine::in_memory(&principal(&owner), Epoch::Epoch25).unwrap();
    assert_eq!(versions(&engine), [Version::V2; 2]);
    costs_agree(&engine, CONTRACT_SOURCES, &owner);
}

#[test]
fn a_state_made_before_v2_runs_v1_and_costs_what_v1_costs() {
    let owner = Key::from_seed(b"owner");
    let new = Engine::in_memory(&principal(&owner), Epoch::Epoch25).unwrap();
    // The same state without the row that records the versions: what every state
    // made before v2 existed holds.
    let old = MemoryStore::new();
    let mut rows = Batch::default();
    for (key, value) in new.backend().scan_prefix(b"").unwrap() {
        if !key.starts_with(b"clarimed::versions") {
            rows.put(&key, &value);
        }
    }
    assert!(rows.len() < new.backend().scan_prefix(b"").unwrap().len(), "the row was there to leave out");
    old.write(rows).unwrap();
    let engine = Engine::with_store(old, None).unwrap();
    assert_eq!(versions(&engine), [Version::V1; 2]);
    costs_agree(&engine, V1_CONTRACT_SOURCES, &owner);
}

#[test]
fn a_recorded_deployment_commits_with_its_block_and_goes_with_an_aborted_or_undone_one() {
    let engine = Engine::in_memory(&principal(&Key::from_seed(b"owner")), Epoch::Epoch25).unwrap();
    engine.keep_undo(4);
    let refused = engine.record_deployment(Contract::PatientConsent, Version::V1).unwrap_err();
    assert!(matches!(refused, EngineError::NoBlockOpen), "{refused}");

    engine.begin_block().unwrap();
    engine.record_deployment(Contract::PatientConsent, Version::V1).unwrap();
    assert_eq!(versions(&engine), [Version::V2; 2], "readers see only committed blocks");
    engine.abort_block().unwrap();
    assert_eq!(versions(&engine), [Version::V2; 2]);

    engine.begin_block().unwrap();
    engine.mine(1).unwrap();
    engine.record_deployment(Contract::RecordManagement, Version::V1).unwrap();
    engine.commit_block().unwrap();
    assert_eq!(versions(&engine), [Version::V2, Version::V1]);

    engine.undo_blocks(1).unwrap();
    assert_eq!(versions(&engine), [Version::V2; 2]);
}

#[test]
fn a_source_is_known_by_its_bytes() {
    for contract in Contract::ALL {
        for version in Version::ALL {
            assert_eq!(Version::of(contract, contract.source(version)), Some(version));
        }
        assert_eq!(Version::of(contract, &format!("{} ", contract.source(Version::V2))), None);
        assert!(contract.size(Version::V2) > contract.size(Version::V1), "contract-caller is longer than tx-sender");
    }
}
