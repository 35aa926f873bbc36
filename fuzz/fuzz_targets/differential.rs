//! Arbitrary bytes as a sequence of operations (the conformance crate's strategies
//! fed the fuzzer's bytes), run on the Clarity VM (the reference harness) and the
//! native engine at once: results, events, state dumps and read-only answers must
//! agree after every step.
#![no_main]

use clarimed_conformance::differential::{Differential, Stats};
use clarimed_conformance::ops::sequence;
use libfuzzer_sys::fuzz_target;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fuzz_target!(|data: &[u8]| {
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::PassThrough, data));
    let Ok(tree) = sequence(0, 30).new_tree(&mut runner) else { return };
    if let Err(divergence) = Differential::new(1).run(&tree.current(), &mut Stats::default()) {
        panic!("{divergence}");
    }
});
