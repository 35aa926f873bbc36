//! Arbitrary bytes as a sequence of engine operations (the conformance crate's
//! strategies, each operation seeded by 8 of the fuzzer's bytes: `ops::from_bytes`),
//! run on the native engine after the invariants' setup, with the access-control
//! invariants checked after every step against the independent model
//! (`clarimed_conformance::invariants`).
#![no_main]

use clarimed_conformance::invariants::{setup, Invariants};
use clarimed_conformance::ops::from_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ops = setup().into_iter().chain(from_bytes(data, 60)).collect::<Vec<_>>();
    if let Err(violation) = Invariants::new().run(&ops) {
        panic!("{violation}");
    }
});
