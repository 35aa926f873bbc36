//! A random run for Clarinet's simnet to check, step by step, against the native
//! engine: the conformance crate's random operations, run natively at an epoch the
//! way simnet runs them, written with everything the native engine answered.
//!
//! Simnet (`@stacks/clarinet-sdk`) starts a chain at Stacks height 2, tenure height
//! 2, with both contracts deployed by Clarinet's devnet deployer; from epoch 3.0 its
//! `callPublicFn` mines one Stacks block in the current tenure and runs the call in
//! it, `callReadOnlyFn` reads at the tip, `mineEmptyBlocks(n)` starts `n` tenures of
//! one block and `mineEmptyStacksBlocks(n)` mines `n` blocks in the tenure. The plan
//! hands both contracts to the conformance crate's owner first (as calls of its
//! own), so that the owner's operations mean the same on both sides.
//!
//! The plan is JSON lines: a header (`epoch`, `deployer`, `constants_size`), then a
//! step a line, `{"advance": "burn"|"stacks", "count", "stacks_height",
//! "tenure_height"}` or `{"call": {"sender", "contract", "function", "read_only",
//! "args" (hex), "result" (hex), "events" (hex), "cost", "stacks_height",
//! "tenure_height"}}`, and last `{"state": [[key, value hex], …]}`: every data-map
//! entry and data var, keyed `{contract}::{map}::{key hex}` or `{contract}::{var}`.

use clarimed_engine::table::Contract;
use clarimed_engine::{
    hex, parse_principal, principal_to_native, principal_to_string, CallOutput, Engine, Epoch, MemoryStore, Principal, StoreType, Version, VmKey,
};
use serde_json::{json, Value as Json};

use crate::chain::serialized;
use crate::differential::read_back;
use crate::ops::{seeded_sequences, Call, Pool, OWNER};

/// Clarinet's devnet deployer, which deploys both contracts on simnet.
pub const SIMNET_DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";

/// The most blocks one mining step of a plan mines. Simnet mines every empty block
/// in its WebAssembly memory, and a few retention periods (1,576,800 blocks each)
/// exhaust it; so here no purge outlasts its retention, which the stacks-core
/// fixtures cover instead.
pub const MOST_BLOCKS_MINED: u32 = 50_000;

/// The plan of `steps` random operations (seeded by `seed`) at `epoch`.
pub fn plan(epoch: Epoch, seed: u64, steps: usize) -> String {
    let pool = Pool::new();
    let deployer = parse_principal(SIMNET_DEPLOYER).expect("Clarinet's deployer");
    let engine = Engine::in_memory(&deployer, epoch).expect("a memory engine");
    let constants = json!({
        "patient-consent": Contract::PatientConsent.size(Version::LATEST) - Contract::PatientConsent.source(Version::LATEST).len() as u64,
        "record-management": Contract::RecordManagement.size(Version::LATEST) - Contract::RecordManagement.source(Version::LATEST).len() as u64,
    });
    let mut out = vec![json!({ "epoch": epoch.name(), "deployer": SIMNET_DEPLOYER, "constants_size": constants, "seed": seed, "steps": steps })];
    // Simnet's chain after its deployments.
    engine.mine(1).expect("mined");
    let owner = principal_to_native(&pool.principal(OWNER));
    for contract in Contract::ALL {
        let args = [clarimed_engine::clarity::Value::Principal(pool.principal(OWNER))];
        out.push(public(&engine, &deployer, contract.name(), "transfer-ownership", &args));
    }
    let mut mines = 0usize;
    let mut reads = 0usize;
    let ops = seeded_sequences(seed, 1, steps).next().expect("one sequence");
    for op in &ops {
        match op.resolve(&pool, &engine) {
            Call::Mine(blocks) => {
                let blocks = blocks.min(MOST_BLOCKS_MINED);
                mines += 1;
                let in_tenure = epoch.rules().tenures && mines.is_multiple_of(2);
                if in_tenure { engine.mine_in_tenure(blocks) } else { engine.mine(blocks) }.expect("mined");
                let tip = engine.tip();
                out.push(json!({ "advance": if in_tenure { "stacks" } else { "burn" }, "count": blocks, "stacks_height": tip.stacks_height, "tenure_height": tip.tenure_height }));
            }
            call @ Call::Contract { .. } => {
                let Call::Contract { sender, contract, function, args } = &call else { unreachable!() };
                out.push(public(&engine, &principal_to_native(&pool.principal(*sender)), contract, function, args));
                let (contract, function, args) = read_back(&pool, &engine, &call, reads);
                reads += 1;
                out.push(read_only(&engine, &owner, contract, function, &args));
            }
        }
    }
    let state: Vec<Json> = engine
        .dump_state()
        .expect("the state")
        .into_iter()
        .map(|(key, value)| {
            let key = VmKey::parse(&key).expect("a VM key");
            let name = key.contract.rsplit('.').next().unwrap_or_default().to_string();
            let place = match key.store_type {
                StoreType::MapEntry => format!("{name}::{}::{}", key.name, hex(&key.map_key)),
                StoreType::DataVar => format!("{name}::{}", key.name),
            };
            json!([place, value])
        })
        .collect();
    out.push(json!({ "state": state }));
    out.iter().map(|line| format!("{line}\n")).collect()
}

/// A public call as simnet's `callPublicFn` makes it: in a new Stacks block.
fn public(engine: &Engine<MemoryStore>, sender: &Principal, contract: &str, function: &str, args: &[clarimed_engine::clarity::Value]) -> Json {
    engine.mine_in_tenure(1).expect("mined");
    let output = engine.call(sender, contract, function, args).expect("a call the operations make");
    step(engine, sender, contract, function, args, false, &output)
}

fn read_only(engine: &Engine<MemoryStore>, sender: &Principal, contract: &str, function: &str, args: &[clarimed_engine::clarity::Value]) -> Json {
    let output = engine.read(sender, contract, function, args).expect("a read-only call within the limit");
    step(engine, sender, contract, function, args, true, &output)
}

fn step(
    engine: &Engine<MemoryStore>,
    sender: &Principal,
    contract: &str,
    function: &str,
    args: &[clarimed_engine::clarity::Value],
    read_only: bool,
    output: &CallOutput,
) -> Json {
    let tip = engine.tip();
    let events: Vec<String> = if output.committed { output.event_bytes().iter().map(|e| hex(e)).collect() } else { Vec::new() };
    json!({ "call": {
        "sender": principal_to_string(sender),
        "contract": contract,
        "function": function,
        "read_only": read_only,
        "args": args.iter().map(|arg| format!("0x{}", hex(&serialized(arg)))).collect::<Vec<_>>(),
        "result": format!("0x{}", hex(&output.value_bytes())),
        "events": events,
        "cost": {
            "runtime": output.cost.runtime,
            "read_count": output.cost.read_count,
            "read_length": output.cost.read_length,
            "write_count": output.cost.write_count,
            "write_length": output.cost.write_length,
        },
        "stacks_height": tip.stacks_height,
        "tenure_height": tip.tenure_height,
    }})
}
