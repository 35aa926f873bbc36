//! Costs as a node holds calls to them: every call reports its cost, a read-only
//! call over the read-only limit and a public call over the block limit are refused
//! and change nothing, and a block's calls share the block limit.

use clarimed_engine::clarity::Value;
use clarimed_engine::consent_codes::DataType;
use clarimed_engine::{principal_to_clarity, principal_to_native, Engine, EngineError, ExecutionCost, MemoryStore, Principal, READ_ONLY_CALL_LIMIT};
use clarimed_reference::keys::Key;

fn principal(seed: &[u8]) -> Principal {
    principal_to_native(&Key::from_seed(seed).principal().into())
}

fn registered() -> (Engine<MemoryStore>, Principal) {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    let patient = principal(b"patient");
    engine.consent().register_patient(&patient, "PAT-1", 19_800_101, None, None).unwrap();
    (engine, patient)
}

fn who(p: &Principal) -> Value {
    Value::Principal(principal_to_clarity(p).unwrap())
}

#[test]
fn the_typed_and_the_clarity_valued_api_report_the_same_cost() {
    let (engine, patient) = registered();
    let calls = engine.consent();
    assert!(calls.get_patient(&patient).unwrap().is_some());
    let typed = calls.last_cost();
    let output = engine.read(&patient, "patient-consent", "get-patient", &[who(&patient)]).unwrap();
    assert_eq!(output.cost, typed);
    // Loading the contract counts three reads, the profile one; nothing is written.
    assert_eq!((typed.read_count, typed.write_count), (4, 0));
}

#[test]
fn a_read_only_call_over_the_read_only_limit_is_refused() {
    let (engine, patient) = registered();
    let args = [who(&patient), who(&patient), Value::UInt(0)];
    let cost = engine.read(&patient, "patient-consent", "can-access", &args).unwrap().cost;
    engine.set_read_only_limit(ExecutionCost { read_count: cost.read_count - 1, ..READ_ONLY_CALL_LIMIT });
    let refused = engine.read(&patient, "patient-consent", "can-access", &args).unwrap_err();
    assert!(matches!(&refused, EngineError::CostBalanceExceeded(over) if over.cost == cost), "{refused}");
    engine.set_read_only_limit(READ_ONLY_CALL_LIMIT);
    assert!(engine.read(&patient, "patient-consent", "can-access", &args).is_ok());
}

#[test]
fn a_remembered_permission_check_is_held_to_the_limit_too() {
    let (engine, patient) = registered();
    let checks = engine.records();
    let answer = checks.check_access(1, &patient, 0u128);
    let cost = checks.last_cost();
    assert!(answer.is_err(), "there is no record 1");
    assert!(cost.runtime > 0);
    // Asked again, the answer comes from memory, with the same cost.
    assert_eq!(checks.check_access(1, &patient, 0u128).unwrap_err().to_string(), answer.unwrap_err().to_string());
    assert_eq!(checks.last_cost(), cost);
    engine.set_read_only_limit(ExecutionCost { runtime: cost.runtime - 1, ..READ_ONLY_CALL_LIMIT });
    let refused = checks.check_access(1, &patient, 0u128).unwrap_err();
    assert!(refused.to_string().contains("CostBalanceExceeded"), "{refused}");
}

#[test]
fn a_public_call_over_the_block_limit_is_refused_and_changes_nothing() {
    let (engine, patient) = registered();
    let provider = principal(b"provider");
    let before = engine.dump_state().unwrap();
    let block_before = engine.block_cost();
    // A consent writes the consent, the audit entry and count, and the total: 4 writes.
    engine.set_block_limit(ExecutionCost { write_count: 3, ..engine.block_limit() });
    let refused = engine.consent().grant_consent(&patient, &provider, DataType::LabResults, None, "care").unwrap_err();
    assert!(refused.to_string().contains("CostBalanceExceeded"), "{refused}");
    assert_eq!(engine.dump_state().unwrap(), before);
    assert_eq!(engine.block_cost(), block_before, "a refused call costs the block nothing");
}

#[test]
fn a_block_refuses_the_call_that_would_fill_it_until_the_next_block() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    let first = principal(b"first");
    let calls = engine.consent();
    calls.register_patient(&first, "PAT-1", 19_800_101, None, None).unwrap();
    let registration = calls.last_cost();
    assert_eq!(engine.block_cost(), registration);
    // Room for two registrations in a block.
    let limit = ExecutionCost { write_count: 2 * registration.write_count, ..engine.block_limit() };
    engine.set_block_limit(limit);
    calls.register_patient(&principal(b"second"), "PAT-2", 19_800_101, None, None).unwrap();
    let third = principal(b"third");
    let before = engine.dump_state().unwrap();
    let full = calls.register_patient(&third, "PAT-3", 19_800_101, None, None).unwrap_err();
    assert!(full.to_string().contains("block is full"), "{full}");
    assert_eq!(engine.dump_state().unwrap(), before);
    engine.mine(1).unwrap();
    assert_eq!(engine.block_cost(), ExecutionCost::ZERO);
    calls.register_patient(&third, "PAT-3", 19_800_101, None, None).unwrap();
    assert_eq!(engine.block_cost(), calls.last_cost());
}

#[test]
fn an_err_result_still_costs_its_block() {
    let (engine, patient) = registered();
    let before = engine.block_cost();
    let calls = engine.consent();
    assert!(calls.revoke_consent(&patient, &principal(b"nobody"), DataType::Genetic).is_err());
    assert_eq!(engine.block_cost(), before + calls.last_cost(), "a node mines a call that returns err, and counts its cost");
}

#[test]
fn an_aborted_block_gives_back_its_cost() {
    let (engine, patient) = registered();
    let before = engine.block_cost();
    engine.begin_block().unwrap();
    engine.consent().grant_consent(&patient, &principal(b"provider"), DataType::LabResults, None, "care").unwrap();
    assert!(engine.block_cost() != before);
    engine.abort_block().unwrap();
    assert_eq!(engine.block_cost(), before);
}

/// An engine in `epoch` whose block limit takes `grants` `update-patient-preferences`
/// calls of the registered patient (by write count) and no more.
fn with_room_for(epoch: clarimed_engine::Epoch, grants: u64) -> (Engine<MemoryStore>, Principal, ExecutionCost) {
    let engine = Engine::in_memory(&principal(b"owner"), epoch).unwrap();
    let patient = principal(b"patient");
    engine.consent().register_patient(&patient, "PAT-1", 19_800_101, None, None).unwrap();
    engine.mine(1).unwrap();
    let calls = engine.consent();
    calls.update_patient_preferences(&patient, true, true, false).unwrap();
    let one = calls.last_cost();
    assert!(one.write_count > 0);
    engine.mine(1).unwrap();
    engine.set_block_limit(ExecutionCost { write_count: one.write_count * grants, ..ExecutionCost::MAX });
    (engine, patient, one)
}

#[test]
fn from_3_0_the_blocks_of_a_tenure_share_its_budget_and_a_new_tenure_resets_it() {
    let (engine, patient, _) = with_room_for(clarimed_engine::Epoch::Epoch30, 1);
    engine.consent().update_patient_preferences(&patient, true, false, false).unwrap();
    engine.mine_in_tenure(1).unwrap();
    let refused = engine.consent().update_patient_preferences(&patient, false, false, false).unwrap_err();
    assert!(matches!(refused, clarimed_engine::CallError::Engine(EngineError::BlockFull(_))), "{refused:?}");
    engine.mine(1).unwrap();
    engine.consent().update_patient_preferences(&patient, false, false, false).unwrap();
}

#[test]
fn before_3_0_each_block_has_its_own_budget() {
    let (engine, patient, _) = with_room_for(clarimed_engine::Epoch::Epoch25, 1);
    engine.consent().update_patient_preferences(&patient, true, false, false).unwrap();
    engine.mine_in_tenure(1).unwrap();
    engine.consent().update_patient_preferences(&patient, false, false, false).unwrap();
}

#[test]
fn each_epoch_holds_blocks_to_its_own_limit() {
    let limit = |epoch| Engine::in_memory(&principal(b"owner"), epoch).unwrap().block_limit();
    assert_eq!(limit(clarimed_engine::Epoch::Epoch34), clarimed_engine::BLOCK_LIMIT_MAINNET_21);
    assert_eq!(limit(clarimed_engine::Epoch::Epoch40), clarimed_engine::BLOCK_LIMIT_MAINNET_40);
    assert_eq!(limit(clarimed_engine::Epoch::Epoch40).read_count, 30_000);
}
