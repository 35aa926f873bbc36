//! The chain's own Clarity as the oracle of every epoch: fixtures written by
//! stacks-core 4.0.2's `clarity` crate, replayed on the native engine call by call.
//!
//! stacks-core is not on crates.io and CI cannot fetch it, so a small tool kept
//! outside the workspace runs a `clarimed run` script through it (both contracts
//! deployed as Clarity 2 at the script's epoch, every call costed as a node's
//! receipt and `call-read` cost it) and writes one JSON line per step: the fixture.
//! [`script`] writes the scripts it runs; [`replay`] checks the native engine against
//! what it wrote. The fixtures' format: a header line (`epoch`, `deployer`, …),
//! then per call `sender`, `contract`, `function`, `args` (Clarity literals),
//! `read_only`, `status`, `result_hex`, `events` (`contract_identifier`, `hex`),
//! `cost` and both heights, and per chain step `advance` (`burn` or `stacks`),
//! `count` and both heights.

use std::collections::BTreeMap;
use std::fmt;

use clarimed_engine::{hex, parse_literal, parse_principal, Engine, Epoch, ExecutionCost, MemoryStore};
use serde_json::Value as Json;

use crate::differential::read_back;
use crate::ops::{seeded_sequences, Call, Pool, OWNER};

/// Where the native engine and the fixture disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The fixture's step number.
    pub step: u64,
    /// Its script line.
    pub line: u64,
    /// `{contract}.{function}`, or the chain step.
    pub what: String,
    /// What differs, the fixture's side first.
    pub detail: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} (line {}) {}: {}", self.step, self.line, self.what, self.detail)
    }
}

/// What a replay compared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    /// The fixture's epoch.
    pub epoch: Option<Epoch>,
    /// Calls compared, public and read-only.
    pub calls: usize,
    /// Calls compared, by `{contract}.{function}`.
    pub by_function: BTreeMap<String, usize>,
    /// Every difference.
    pub differences: Vec<Difference>,
}

/// Replays `fixture` on a fresh native engine at its epoch, comparing every call's
/// status, result, print events and cost, and both heights after every step.
pub fn replay(fixture: &str) -> Result<Replayed, String> {
    let mut lines = fixture.lines().filter(|line| !line.trim().is_empty());
    let header: Json = serde_json::from_str(lines.next().ok_or("an empty fixture")?).map_err(|e| format!("the header: {e}"))?;
    let epoch: Epoch = text(&header, "epoch")?.parse().map_err(|e| format!("the header: {e}"))?;
    let deployer = parse_principal(text(&header, "deployer")?).map_err(|e| e.to_string())?;
    let engine = Engine::in_memory(&deployer, epoch).map_err(|e| e.to_string())?;
    let mut replayed = Replayed { epoch: Some(epoch), ..Replayed::default() };
    for line in lines {
        let step: Json = serde_json::from_str(line).map_err(|e| format!("a step: {e}"))?;
        let (number, script_line) = (step["step"].as_u64().unwrap_or_default(), step["line"].as_u64().unwrap_or_default());
        let mut differ = |what: String, detail: String| replayed.differences.push(Difference { step: number, line: script_line, what, detail });
        let what = match step["advance"].as_str() {
            Some(kind) => {
                let count = u32::try_from(step["count"].as_u64().ok_or("an advance without its count")?).map_err(|e| e.to_string())?;
                match kind {
                    "burn" => engine.mine(count),
                    "stacks" => engine.mine_in_tenure(count),
                    other => return Err(format!("step {number}: an advance of `{other}`")),
                }
                .map_err(|e| e.to_string())?;
                format!("advance {kind} {count}")
            }
            None => {
                let call = compare_call(&engine, &step)?;
                replayed.calls += 1;
                *replayed.by_function.entry(call.what.clone()).or_default() += 1;
                for detail in call.differences {
                    differ(call.what.clone(), detail);
                }
                call.what
            }
        };
        let tip = engine.tip();
        let heights = (u64::from(tip.stacks_height), u64::from(tip.tenure_height));
        let expected = (step["stacks_height"].as_u64().unwrap_or_default(), step["tenure_height"].as_u64().unwrap_or_default());
        if heights != expected {
            differ(what, format!("heights (stacks, tenure) {expected:?} ≠ {heights:?}"));
        }
    }
    Ok(replayed)
}

struct Compared {
    what: String,
    differences: Vec<String>,
}

fn compare_call(engine: &Engine<MemoryStore>, step: &Json) -> Result<Compared, String> {
    let (contract, function) = (text(step, "contract")?, text(step, "function")?);
    let what = format!("{contract}.{function}");
    let sender = parse_principal(text(step, "sender")?).map_err(|e| e.to_string())?;
    let args = step["args"].as_array().ok_or("a call without args")?;
    let args = args.iter().map(|arg| parse_literal(arg.as_str().unwrap_or_default()).map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>()?;
    let read_only = step["read_only"].as_bool().unwrap_or(false);
    let ours = if read_only { engine.read(&sender, contract, function, &args) } else { engine.call(&sender, contract, function, &args) };
    let expected_status = text(step, "status")?;
    let mut differences = Vec::new();
    let output = match ours {
        Ok(output) => output,
        Err(error) => {
            if expected_status != "refused" {
                differences.push(format!("status {expected_status} ≠ refused ({error})"));
            }
            return Ok(Compared { what, differences });
        }
    };
    let status = match (read_only, output.committed) {
        (true, _) | (false, true) => "success",
        (false, false) => "abort_by_response",
    };
    if status != expected_status {
        differences.push(format!("status {expected_status} ≠ {status}"));
    }
    let result = hex(&output.value_bytes());
    if step["result_hex"].as_str() != Some(result.as_str()) {
        differences.push(format!("result {} ≠ {result}", step["result"]));
    }
    let events: Vec<String> =
        step["events"].as_array().map(|events| events.iter().map(|e| e["hex"].as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default();
    let ours_events: Vec<String> = if output.committed { output.event_bytes().iter().map(|e| hex(e)).collect() } else { Vec::new() };
    if events != ours_events {
        differences.push(format!("events {events:?} ≠ {ours_events:?}"));
    }
    let dimension = |name: &str| step["cost"][name].as_u64().ok_or_else(|| format!("a cost without {name}"));
    let expected_cost = ExecutionCost {
        runtime: dimension("runtime")?,
        read_count: dimension("read_count")?,
        read_length: dimension("read_length")?,
        write_count: dimension("write_count")?,
        write_length: dimension("write_length")?,
    };
    if expected_cost != output.cost {
        differences.push(format!("cost {} ≠ {} (runtime {:+})", expected_cost, output.cost, output.cost.runtime as i64 - expected_cost.runtime as i64));
    }
    Ok(Compared { what, differences })
}

fn text<'a>(json: &'a Json, field: &str) -> Result<&'a str, String> {
    json[field].as_str().ok_or_else(|| format!("no `{field}`"))
}

/// A random `clarimed run` script for the oracle at `epoch`: the conformance
/// crate's random operations (`steps` of them, seeded by `seed`), each resolved
/// against the native engine as it goes, and after every call one read-only
/// function of the state it touched (rotating through them). From 3.0 every other
/// mining step mines Stacks blocks in the current tenure instead of new tenures,
/// so the two heights part.
pub fn script(epoch: Epoch, seed: u64, steps: usize) -> String {
    let pool = Pool::new();
    let owner = clarimed_engine::principal_to_native(&pool.owner().principal().into());
    let engine = Engine::in_memory(&owner, epoch).expect("a memory engine");
    let mut out = format!(";; Random operations on both contracts at epoch {epoch}: clarimed_conformance::oracle::script(seed {seed}, {steps} steps).\n");
    let (mut mines, mut reads) = (0usize, 0usize);
    let ops = seeded_sequences(seed, 1, steps).next().expect("one sequence");
    for op in &ops {
        let call = op.resolve(&pool, &engine);
        match &call {
            Call::Mine(blocks) => {
                mines += 1;
                if epoch.rules().tenures && mines.is_multiple_of(2) {
                    engine.mine_in_tenure(*blocks).expect("mined");
                    out.push_str(&format!("::advance_stacks_chain_tip {blocks}\n"));
                } else {
                    engine.mine(*blocks).expect("mined");
                    out.push_str(&format!("::advance_burn_chain_tip {blocks}\n"));
                }
            }
            Call::Contract { sender, contract, function, args } => {
                let _ = engine.call(&clarimed_engine::principal_to_native(&pool.principal(*sender)), contract, function, args);
                out.push_str(&call.script_line(&pool));
                out.push('\n');
                let (contract, function, args) = read_back(&pool, &engine, &call, reads);
                reads += 1;
                let read = Call::Contract { sender: OWNER, contract, function, args };
                out.push_str(&read.script_line(&pool));
                out.push('\n');
            }
        }
    }
    out
}
