//! The seed's patient journey on the Clarity VM: every step gives what it must.

use clarimed_reference::journey::{patient_journey, Cast, Outcome, Step, START_HEIGHT};
use clarimed_reference::ReferenceVm;

#[test]
fn the_patient_journey_runs_from_registration_to_purge() {
    let cast = Cast::fixed();
    let mut vm = ReferenceVm::new(cast.owner.principal()).expect("both contracts deploy");
    assert_eq!(vm.block_height(), START_HEIGHT);
    for step in patient_journey(&cast) {
        let outcome = step.run(&mut vm).expect("no runtime error");
        if let (Step::Call { expect, read_only, .. }, Outcome::Called { value, events, matched }) = (&step, &outcome) {
            assert!(matched, "{}\n  gave {value:?}, expected {expect}", step.describe(&cast));
            let printed = usize::from(!read_only && matches!(value, clarimed_reference::Value::Response(r) if r.committed));
            assert_eq!(events.len(), printed, "{}: one event per successful public call", step.describe(&cast));
        }
    }
}

#[test]
fn the_journey_leaves_the_same_state_every_run() {
    let run = || {
        let cast = Cast::fixed();
        let mut vm = ReferenceVm::new(cast.owner.principal()).unwrap();
        for step in patient_journey(&cast) {
            step.run(&mut vm).unwrap();
        }
        vm.dump_state().unwrap()
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}
