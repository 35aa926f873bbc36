//! Arbitrary bytes as a sequence of operations (the conformance crate's strategies,
//! each operation seeded by 8 of the fuzzer's bytes: `ops::from_bytes`), run on the
//! Clarity VM (the reference harness) and the native engine at once: results,
//! events, costs, state dumps and read-only answers must agree after every step.
#![no_main]

use clarimed_conformance::differential::{Differential, Stats};
use clarimed_conformance::ops::{from_bytes, opening};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ops = opening().into_iter().chain(from_bytes(data, 30)).collect::<Vec<_>>();
    if let Err(divergence) = Differential::new(1).run(&ops, &mut Stats::default()) {
        panic!("{divergence}");
    }
});
