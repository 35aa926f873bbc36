//! The default differential run reaches every public function and every error code
//! of both contracts, comparing each call's cost, and compares the cost of every
//! read-only function: the same seeded sequences `clarimed conform` runs by default.

use clarimed_conformance::differential::{Differential, Stats};
use clarimed_conformance::ops::seeded_sequences;
use clarimed_consent::codes::ConsentError;
use clarimed_records::codes::RecordsError;

/// `clarimed conform`'s defaults, so the command and this test cover the same ground.
const SEED: u64 = 0;
const CASES: usize = 40;
const STEPS: usize = 80;

#[test]
fn the_default_run_compares_the_cost_of_every_function_and_every_error_code() {
    let mut stats = Stats::default();
    for ops in seeded_sequences(SEED, CASES, STEPS) {
        let mut run = Differential::new(STEPS);
        if let Err(divergence) = run.run(&ops, &mut stats) {
            panic!("{divergence}");
        }
    }
    let uncalled = stats.functions_not_called();
    assert!(uncalled.is_empty(), "never called: {uncalled:?}");
    let codes = ConsentError::ALL.iter().map(|e| e.code()).chain(RecordsError::ALL.iter().map(|e| e.code()));
    let unreturned: Vec<u128> = codes.filter(|code| !stats.errors.contains_key(code)).collect();
    assert!(unreturned.is_empty(), "never returned: {unreturned:?}\nreturned: {:?}", stats.errors);
    // Every public call above had its cost compared with its result; read-only
    // calls have theirs compared at each state check.
    let uncompared = stats.read_only_costs_not_compared();
    assert!(uncompared.is_empty(), "read-only costs never compared: {uncompared:?}");
}
