//! The seed's patient journey on every engine, and the engines against each other.

mod common;

use clarimed_conformance::journey::{patient_journey, Cast, Outcome, Step, START_HEIGHT};
use clarimed_conformance::{serialized, Deploy};
use clarimed_engine::{to_literal, ExecutionCost};
use common::*;

/// Runs the journey on `C`, checking every step as it goes; returns each step's
/// outcome and the final state.
fn walk<C: Deploy>() -> (Vec<Outcome>, Vec<(String, String)>) {
    let cast = Cast::fixed();
    let mut chain = C::deploy(&cast.owner);
    assert_eq!(chain.block_height(), START_HEIGHT);
    let mut outcomes = Vec::new();
    for step in patient_journey(&cast) {
        let outcome = step.run(&mut chain).expect("no runtime error");
        if let (Step::Call { expect, read_only, .. }, Outcome::Called { value, events, matched, .. }) = (&step, &outcome) {
            assert!(matched, "{}: {}\n  gave {}, expected {expect}", C::NAME, step.describe(&cast), to_literal(value));
            let succeeded = matches!(value, clarimed_reference::Value::Response(r) if r.committed);
            let printed = usize::from(!read_only && succeeded);
            assert_eq!(events.len(), printed, "{}: one event per successful public call", step.describe(&cast));
        }
        outcomes.push(outcome);
    }
    (outcomes, chain.dump_state().expect("a state dump"))
}

scenario! {
    fn the_patient_journey_runs_from_registration_to_purge() {
        let (outcomes, state) = walk::<C>();
        assert_eq!(outcomes.len(), 30);
        assert!(!state.is_empty());
    }
}

/// Results and events compared by their consensus serialization, and costs.
fn comparable(outcomes: &[Outcome]) -> Vec<(Vec<u8>, Vec<Vec<u8>>, ExecutionCost)> {
    outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Called { value, events, cost, .. } => Some((serialized(value), events.iter().map(serialized).collect(), *cost)),
            Outcome::Mined { .. } => None,
        })
        .collect()
}

fn assert_same_journey<N: Deploy>() {
    let (reference, reference_state) = walk::<ReferenceVm>();
    let (native, native_state) = walk::<N>();
    assert_eq!(comparable(&native), comparable(&reference), "{} results, events or costs differ from the Clarity VM", N::NAME);
    assert_eq!(native_state, reference_state, "{} state differs from the Clarity VM", N::NAME);
}

#[test]
fn the_native_engine_in_memory_gives_the_clarity_vms_results_events_costs_and_state() {
    assert_same_journey::<Engine<MemoryStore>>();
}

#[test]
fn the_native_engine_on_sqlite_gives_the_clarity_vms_results_events_costs_and_state() {
    assert_same_journey::<Engine<SqliteStore>>();
}
