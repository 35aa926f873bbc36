//! The harness charges as a node does: every call's cost comes from the `costs-3`
//! contract generated from `clarimed-costs`' table, against the node's limits.

use clarimed_costs::{CostFunction, ExecutionCost, READ_ONLY_CALL_LIMIT};
use clarimed_reference::{keys::Key, values::*, ReferenceVm, CONSENT_CONTRACT, CONTRACT_SOURCES, V1_CONTRACT_SOURCES};

fn vm() -> (ReferenceVm, Key) {
    let owner = Key::from_seed(b"owner");
    (ReferenceVm::new(owner.principal()).expect("the contracts deploy"), Key::from_seed(b"patient"))
}

#[test]
fn a_read_only_call_costs_its_contract_load_and_its_one_var_get() {
    let (mut vm, patient) = vm();
    let size = vm.contract_size(CONSENT_CONTRACT).unwrap();
    let result = vm.read_only(&patient.principal().into(), CONSENT_CONTRACT, "is-paused", &[]).unwrap();
    // Load the contract, enter a function of no parameters, then `(var-get paused)`:
    // the lookup of `var-get` and a fetch of the one byte `false` serializes to.
    let expected =
        CostFunction::LoadContract.at(size) + CostFunction::UserFunctionApplication.at(0) + CostFunction::LookupFunction.at(0) + CostFunction::FetchVar.at(1);
    assert_eq!(result.cost, expected);
}

#[test]
fn the_contract_load_is_charged_by_source_and_constants() {
    let (mut vm, _) = vm();
    let source = clarimed_reference::CONTRACT_SOURCES[0].1.len() as u64;
    assert!(vm.contract_size(CONSENT_CONTRACT).unwrap() > source, "the constants add to the size");
}

#[test]
fn a_public_call_is_charged_its_writes() {
    let (mut vm, patient) = vm();
    let args = [ascii("PAT-1"), uint(19_800_412), none(), none()];
    let result = vm.call_public(&patient.principal().into(), CONSENT_CONTRACT, "register-patient", &args).unwrap();
    assert!(result.committed);
    // The profile, the audit entry, the audit count and the patient total.
    assert_eq!(result.cost.write_count, 4);
    assert!(!result.cost.exceeds(&clarimed_costs::BLOCK_LIMIT_MAINNET_21));
}

#[test]
fn a_read_only_call_over_the_read_only_limit_is_refused() {
    let (mut vm, patient) = vm();
    vm.set_read_only_limit(ExecutionCost { read_count: 3, ..READ_ONLY_CALL_LIMIT }).unwrap();
    let refused = vm.read_only(&patient.principal().into(), CONSENT_CONTRACT, "is-paused", &[]).unwrap_err();
    assert!(refused.to_string().contains("CostBalanceExceeded"), "{refused}");
    vm.set_read_only_limit(READ_ONLY_CALL_LIMIT).unwrap();
    assert!(vm.read_only(&patient.principal().into(), CONSENT_CONTRACT, "is-paused", &[]).is_ok());
}

#[test]
fn the_native_modules_know_their_contracts_sizes_in_both_versions() {
    for sources in [CONTRACT_SOURCES, V1_CONTRACT_SOURCES] {
        let mut vm = ReferenceVm::with_sources(Key::from_seed(b"owner").principal(), sources).unwrap();
        let [(consent, consent_source), (records, records_source)] = sources;
        assert_eq!(vm.contract_size(consent).unwrap(), consent_source.len() as u64 + clarimed_consent::CONSTANTS_SIZE);
        assert_eq!(vm.contract_size(records).unwrap(), records_source.len() as u64 + clarimed_records::CONSTANTS_SIZE);
    }
}
