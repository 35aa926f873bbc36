//! Differential property test: random sequences of every public function of both
//! contracts (and mined blocks) run on the Clarity VM and on the native engine, with
//! results, events, state dumps and read-only answers compared after every step.
//! On a divergence proptest shrinks the sequence, and the failure prints the
//! shortest one found as a Clarity script.

use clarimed_conformance::differential::{Differential, Stats};
use clarimed_conformance::ops::sequence;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn the_native_engine_matches_the_clarity_vm_step_by_step(ops in sequence(1, 40)) {
        let mut run = Differential::new(1);
        if let Err(divergence) = run.run(&ops, &mut Stats::default()) {
            prop_assert!(false, "{}", divergence);
        }
    }
}
