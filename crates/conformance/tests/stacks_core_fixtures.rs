//! The native engine against stacks-core 4.0.2's own Clarity, in every epoch it runs:
//! each fixture of `fixtures/stacks-core-4.0.2/` (README there) replayed call by call,
//! with no difference in any status, result, print event, cost dimension or height;
//! and the 4.0 fixtures together reach every public and read-only function of both
//! contracts and every error code, in at least 5,000 random calls.

use std::collections::BTreeSet;

use clarimed_conformance::oracle::{replay, Replayed};
use clarimed_consent::codes::ConsentError;
use clarimed_engine::table::{functions, Contract};
use clarimed_engine::Epoch;
use clarimed_records::codes::RecordsError;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stacks-core-4.0.2");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn replayed(name: &str, epoch: Epoch) -> Replayed {
    let replayed = replay(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(replayed.epoch, Some(epoch), "{name} is for epoch {epoch}");
    let shown: Vec<String> = replayed.differences.iter().take(20).map(|d| d.to_string()).collect();
    assert!(replayed.differences.is_empty(), "{name}: {} differences, the first:\n{}", replayed.differences.len(), shown.join("\n"));
    assert!(replayed.calls > 0);
    replayed
}

#[test]
fn every_epochs_fixtures_agree_call_by_call() {
    for epoch in [Epoch::Epoch25, Epoch::Epoch30, Epoch::Epoch33, Epoch::Epoch34, Epoch::Epoch40] {
        for kind in ["journey", "edges", "random"] {
            replayed(&format!("{kind}-{epoch}.ndjson"), epoch);
        }
    }
}

#[test]
fn the_4_0_fixtures_reach_every_function_and_error_code() {
    let random = replayed("random-4.0.ndjson", Epoch::Epoch40);
    assert!(random.calls >= 5_000, "{} random calls", random.calls);
    let mut called: BTreeSet<String> = BTreeSet::new();
    let mut errors: BTreeSet<u128> = BTreeSet::new();
    for name in ["journey-4.0.ndjson", "edges-4.0.ndjson", "random-4.0.ndjson"] {
        called.extend(replayed(name, Epoch::Epoch40).by_function.into_keys());
        for line in fixture(name).lines() {
            if let Some(code) = line.split("\"result\": \"(err u").nth(1).and_then(|rest| rest.split(')').next()) {
                errors.insert(code.parse().unwrap());
            }
        }
    }
    for contract in Contract::ALL {
        for function in functions(contract) {
            assert!(called.contains(&format!("{}.{}", contract.name(), function.name)), "{}.{} is never called", contract.name(), function.name);
        }
    }
    let codes = ConsentError::ALL.iter().map(|e| e.code()).chain(RecordsError::ALL.iter().map(|e| e.code()));
    let missing: Vec<u128> = codes.filter(|code| !errors.contains(code)).collect();
    assert!(missing.is_empty(), "no fixture raises {missing:?}");
}
