//! The patient journey's native results and costs as `simnet/journey.json`, the
//! fixture the Clarinet simnet check (`simnet/journey-costs.mjs`) replays on
//! Clarinet's own Clarity VM and `costs-3`, comparing every call's result and cost.
//!
//! Clarinet's simnet mines a block for every public call, so here too each public
//! call runs in a block of its own, and a node's read-only call sees the block
//! before it. Regenerate the fixture after a change to the contracts or the
//! journey with `CLARIMED_UPDATE_FIXTURES=1 cargo test -p clarimed-conformance --test simnet_fixture`.

use clarimed_conformance::journey::{patient_journey, Cast, Outcome, Step};
use clarimed_conformance::{serialized, Chain, Deploy};
use clarimed_engine::{hex, Engine, ExecutionCost, MemoryStore};

/// Blocks mined before the journey: the simnet check makes its setup calls (the
/// contracts' ownership passed to the journey's owner) in them.
const SETUP_BLOCKS: u32 = 4;

fn cost_json(cost: &ExecutionCost) -> String {
    format!(
        r#"{{ "runtime": {}, "read_count": {}, "read_length": {}, "write_count": {}, "write_length": {} }}"#,
        cost.runtime, cost.read_count, cost.read_length, cost.write_count, cost.write_length
    )
}

fn fixture() -> String {
    let cast = Cast::fixed();
    let mut engine = Engine::<MemoryStore>::deploy(&cast.owner);
    Chain::mine(&mut engine, SETUP_BLOCKS).unwrap();
    let mut steps = Vec::new();
    let mut matched = 0;
    let journey = patient_journey(&cast);
    for step in &journey {
        if let Step::Call { read_only: false, .. } = step {
            Chain::mine(&mut engine, 1).unwrap();
        }
        let height = Chain::block_height(&engine);
        let outcome = step.run(&mut engine).expect("the journey runs natively");
        match (step, outcome) {
            (Step::Call { sender, contract, function, args, read_only, .. }, Outcome::Called { value, cost, matched: as_expected, .. }) => {
                matched += usize::from(as_expected);
                let args: Vec<String> = args.iter().map(|a| format!("\"0x{}\"", hex(&serialized(a)))).collect();
                steps.push(format!(
                    r#"    {{ "call": {{ "note": {:?}, "sender": "{sender}", "contract": "{contract}", "function": "{function}", "read_only": {read_only}, "args": [{}], "height": {height}, "result": "0x{}", "cost": {} }} }}"#,
                    step.note(),
                    args.join(", "),
                    hex(&serialized(&value)),
                    cost_json(&cost)
                ));
            }
            (Step::Mine { blocks, .. }, _) => steps.push(format!(r#"    {{ "mine": {blocks} }}"#)),
            (Step::Call { .. }, Outcome::Mined { .. }) => unreachable!("a call gives a call's outcome"),
        }
    }
    eprintln!("{matched} of {} calls as the journey expects at its own heights", journey.len());
    format!(
        "{{\n  \"owner\": \"{}\",\n  \"constants_size\": {{ \"patient-consent\": {}, \"record-management\": {} }},\n  \"steps\": [\n{}\n  ]\n}}\n",
        cast.owner.principal(),
        clarimed_consent::CONSTANTS_SIZE,
        clarimed_records::CONSTANTS_SIZE,
        steps.join(",\n")
    )
}

#[test]
fn the_simnet_fixture_holds_the_native_journey() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../simnet/journey.json");
    let fixture = fixture();
    if std::env::var_os("CLARIMED_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &fixture).expect("the fixture is written");
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == fixture,
        "simnet/journey.json is not the native journey's: regenerate it with CLARIMED_UPDATE_FIXTURES=1 cargo test -p clarimed-conformance --test simnet_fixture"
    );
}
