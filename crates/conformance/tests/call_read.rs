//! A node's `call-read` runs any function, public ones too, against the read-only
//! limit: both engines give the same result and cost, or both refuse a function
//! that writes (the node's `NotReadOnly`). Every call of the patient journey is
//! asked as a read first, at the state the journey has reached.

use clarimed_conformance::journey::{patient_journey, Cast, Step};
use clarimed_conformance::{serialized, Deploy};
use clarimed_engine::{principal_to_native, Engine, EngineError, MemoryStore};
use clarimed_reference::ReferenceVm;

/// The `write_count` of the first cost a `CostBalanceExceeded` message prints: the
/// call's, before the limit's.
fn written(message: &str) -> Option<u64> {
    let cost = message.split("CostBalanceExceeded(").nth(1)?;
    cost.split("write_count: ").nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[test]
fn both_engines_answer_call_read_alike_on_every_step_of_the_journey() {
    let cast = Cast::fixed();
    let mut vm = ReferenceVm::deploy(&cast.owner);
    let mut native = Engine::<MemoryStore>::deploy(&cast.owner);
    let (mut answered, mut refused) = (0, 0);
    for step in patient_journey(&cast) {
        if let Step::Call { sender, contract, function, args, .. } = &step {
            let on_vm = vm.call_read(sender, contract, function, args);
            let on_native = native.call_read(&principal_to_native(sender), contract, function, args);
            match (on_vm, on_native) {
                (Ok(vm_answer), Ok(native_answer)) => {
                    assert_eq!(serialized(&native_answer.value), serialized(&vm_answer.value), "{function}");
                    assert_eq!(native_answer.cost, vm_answer.cost, "{function}");
                    assert!(native_answer.events.is_empty() && !native_answer.committed);
                    answered += 1;
                }
                (Err(vm_error), Err(EngineError::NotReadOnly { .. })) => {
                    assert!(written(&vm_error.to_string()).is_some_and(|writes| writes > 0), "{function}: the VM refused otherwise: {vm_error}");
                    refused += 1;
                }
                (on_vm, on_native) => panic!("{function}: the VM gave {on_vm:?}, the engine {on_native:?}"),
            }
        }
        step.run(&mut vm).expect("the VM runs the journey");
        step.run(&mut native).expect("the engine runs the journey");
    }
    assert!(answered > 10 && refused > 10, "{answered} answered, {refused} refused as not read-only");
}
