//! A read-only call over the read-only limit is refused on both engines alike: the
//! same calls refused at the same limits, in every dimension a read-only call has.

use clarimed_conformance::journey::{patient_journey, Cast};
use clarimed_conformance::{Chain, Deploy};
use clarimed_engine::{principal_to_native, Engine, ExecutionCost, MemoryStore, READ_ONLY_CALL_LIMIT};
use clarimed_reference::values::{buff, principal, uint};
use clarimed_reference::{PrincipalData, ReferenceVm, Value, CONSENT_CONTRACT, RECORDS_CONTRACT};

/// The limit `cost` breaks by one unit of one dimension, or meets exactly.
fn limits(cost: &ExecutionCost) -> Vec<(ExecutionCost, bool)> {
    let base = READ_ONLY_CALL_LIMIT;
    vec![
        (ExecutionCost { runtime: cost.runtime - 1, ..base }, false),
        (ExecutionCost { read_count: cost.read_count - 1, ..base }, false),
        (ExecutionCost { read_length: cost.read_length - 1, ..base }, false),
        (ExecutionCost { runtime: cost.runtime, read_count: cost.read_count, read_length: cost.read_length, ..base }, true),
    ]
}

#[test]
fn a_read_only_call_over_the_limit_is_refused_by_both_engines_alike() {
    let cast = Cast::fixed();
    let mut vm = ReferenceVm::deploy(&cast.owner);
    let mut native = Engine::<MemoryStore>::deploy(&cast.owner);
    // Up to the record's first read: a state where the checks below read much.
    for step in patient_journey(&cast).into_iter().take(12) {
        step.run(&mut vm).expect("the VM runs the journey");
        step.run(&mut native).expect("the engine runs the journey");
    }
    let (patient, provider) = (principal(cast.patient.principal()), principal(cast.provider.principal()));
    let calls: [(&str, &str, Vec<Value>); 5] = [
        (RECORDS_CONTRACT, "check-access", vec![uint(1), provider.clone(), uint(0)]),
        (RECORDS_CONTRACT, "verify-checksum", vec![uint(1), buff(&[0; 32])]),
        (CONSENT_CONTRACT, "can-access", vec![patient.clone(), provider.clone(), uint(1)]),
        (CONSENT_CONTRACT, "get-audit-entry", vec![patient, uint(0)]),
        (CONSENT_CONTRACT, "get-stats", vec![]),
    ];
    let sender: PrincipalData = cast.responder.principal().into();
    for (contract, function, args) in calls {
        let cost = vm.read_only(&sender, contract, function, &args).unwrap().cost;
        assert_eq!(Chain::call_read_only(&mut native, &sender, contract, function, &args).unwrap().cost, cost, "{function}");
        for (limit, allowed) in limits(&cost) {
            vm.set_read_only_limit(limit).unwrap();
            native.set_read_only_limit(limit);
            let on_vm = vm.read_only(&sender, contract, function, &args);
            let on_native = native.read(&principal_to_native(&sender), contract, function, &args);
            assert_eq!(on_vm.is_ok(), allowed, "{function} at {limit} on the VM: {:?}", on_vm.err());
            assert_eq!(on_native.is_ok(), allowed, "{function} at {limit} natively: {:?}", on_native.err());
            if !allowed {
                assert!(on_vm.unwrap_err().to_string().contains("CostBalanceExceeded"));
                assert!(on_native.unwrap_err().to_string().contains("CostBalanceExceeded"));
            }
        }
        vm.set_read_only_limit(READ_ONLY_CALL_LIMIT).unwrap();
        native.set_read_only_limit(READ_ONLY_CALL_LIMIT);
    }
}
