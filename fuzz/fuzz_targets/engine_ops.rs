//! Arbitrary bytes as a sequence of engine operations (the conformance crate's
//! operation strategies, fed the fuzzer's bytes in place of a random source), run on
//! the native engine with the access-control invariants checked after every step
//! against the independent model (`clarimed_conformance::invariants`).
#![no_main]

use clarimed_conformance::invariants::{sequence, Invariants};
use libfuzzer_sys::fuzz_target;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fuzz_target!(|data: &[u8]| {
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::PassThrough, data));
    let Ok(tree) = sequence(0, 60).new_tree(&mut runner) else { return };
    if let Err(violation) = Invariants::new().run(&tree.current()) {
        panic!("{violation}");
    }
});
