//! `clarimed costs`: what each function costs on realistic traffic, as clarity-vm
//! would charge it, from the native engine alone.
//!
//! It runs `clarimed conform`'s default random sequences on the native engine,
//! and after every step every read-only function for the principals and records the
//! step involved, collecting each call's [`ExecutionCost`].

use std::collections::BTreeMap;
use std::process::ExitCode;

use clarimed_conformance::differential::read_only_queries;
use clarimed_conformance::ops::{Call, Pool};
use clarimed_conformance::Deploy;
use clarimed_engine::table::{find, Access};
use clarimed_engine::{principal_to_native, Engine, ExecutionCost, MemoryStore, BLOCK_LIMIT_MAINNET_21, READ_ONLY_CALL_LIMIT};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value as Json};

use crate::commands::cost_json;
use crate::conform::Sequences;

/// Every cost one function was charged, and whether it is read-only.
struct Observed {
    read_only: bool,
    costs: Vec<ExecutionCost>,
}

/// Runs `clarimed conform`'s sequences (the same defaults) on the native engine.
pub fn run(options: &Sequences, json: bool) -> Result<ExitCode, String> {
    let bar = ProgressBar::new(options.total_steps());
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} steps, eta {eta}").expect("a valid progress template"));
    let mut observed: BTreeMap<String, Observed> = BTreeMap::new();
    let mut record = |contract: &str, function: &str, cost: ExecutionCost| {
        let read_only = find(contract, function).is_ok_and(|f| f.access == Access::ReadOnly);
        observed.entry(format!("{contract}.{function}")).or_insert_with(|| Observed { read_only, costs: Vec::new() }).costs.push(cost);
    };
    for ops in options.each() {
        let pool = Pool::new();
        let engine = Engine::<MemoryStore>::deploy(pool.owner());
        for op in &ops {
            let call = op.resolve(&pool, &engine);
            match &call {
                Call::Mine(blocks) => engine.mine(*blocks).map_err(|e| e.to_string())?,
                Call::Contract { sender, contract, function, args } => {
                    let output = engine.call(&principal_to_native(&pool.principal(*sender)), contract, function, args).map_err(|e| e.to_string())?;
                    record(contract, function, output.cost);
                }
            }
            let reader = principal_to_native(&pool.principal(0));
            for (contract, queries) in read_only_queries(&pool, &engine, &call) {
                for (function, args) in queries {
                    let output = engine.read(&reader, contract, function, &args).map_err(|e| e.to_string())?;
                    record(contract, function, output.cost);
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let rows: Vec<Row> = observed.into_iter().map(|(name, seen)| Row::of(name, seen)).collect();
    if json {
        let functions: Vec<Json> = rows.iter().map(Row::to_json).collect();
        let report = json!({
            "seed": options.seed,
            "cases": options.cases,
            "steps": options.steps,
            "block_limit": cost_json(&BLOCK_LIMIT_MAINNET_21),
            "read_only_limit": cost_json(&READ_ONLY_CALL_LIMIT),
            "functions": functions,
        });
        println!("{}", serde_json::to_string_pretty(&report).expect("JSON values print"));
    } else {
        print_table(options, &rows);
    }
    Ok(ExitCode::SUCCESS)
}

/// One function's costs summed up.
struct Row {
    name: String,
    read_only: bool,
    calls: usize,
    /// Per dimension (the node's order): min, median, max.
    spread: [(&'static str, [u64; 3]); 5],
    block_share: f64,
    /// Read-only functions only: a public one cannot be called read-only.
    read_only_share: Option<f64>,
}

impl Row {
    fn of(name: String, seen: Observed) -> Row {
        let costs = &seen.costs;
        let spread = ExecutionCost::ZERO.dimensions().map(|(dimension, _)| {
            let mut values: Vec<u64> = costs.iter().map(|c| c.dimensions().iter().find(|(d, _)| *d == dimension).map_or(0, |(_, v)| *v)).collect();
            values.sort_unstable();
            (dimension, [values[0], values[values.len() / 2], values[values.len() - 1]])
        });
        let share = |limit: &ExecutionCost| costs.iter().map(|c| c.share_of(limit)).fold(0.0, f64::max);
        Row {
            name,
            read_only: seen.read_only,
            calls: costs.len(),
            spread,
            block_share: share(&BLOCK_LIMIT_MAINNET_21),
            read_only_share: seen.read_only.then(|| share(&READ_ONLY_CALL_LIMIT)),
        }
    }

    fn to_json(&self) -> Json {
        let spread: serde_json::Map<String, Json> =
            self.spread.iter().map(|(dimension, [min, median, max])| (dimension.to_string(), json!({ "min": min, "median": median, "max": max }))).collect();
        json!({
            "function": self.name,
            "access": if self.read_only { "read-only" } else { "public" },
            "calls": self.calls,
            "execution_cost": spread,
            "max_share_of_block_limit": self.block_share,
            "max_share_of_read_only_limit": self.read_only_share,
        })
    }
}

fn print_table(options: &Sequences, rows: &[Row]) {
    println!(
        "clarimed costs: {} random sequences of {} steps (seed {}), each call charged as clarity-vm charges it",
        options.cases, options.steps, options.seed
    );
    println!("min / median / max per call; the largest share of the block limit and of the read-only limit\n");
    println!(
        "{:<47} {:>6}  {:>26}  {:>11}  {:>20}  {:>10}  {:>16}  {:>7} {:>7}",
        "function", "calls", "runtime", "read_count", "read_length", "write_count", "write_length", "block", "r-only"
    );
    for row in rows {
        let cells: Vec<String> = row.spread.iter().map(|(_, [min, median, max])| format!("{min}/{median}/{max}")).collect();
        let read_only = row.read_only_share.map_or("-".to_string(), |share| format!("{:.3}%", share * 100.0));
        println!(
            "{:<47} {:>6}  {:>26}  {:>11}  {:>20}  {:>10}  {:>16}  {:>7} {:>7}",
            row.name,
            row.calls,
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            format!("{:.3}%", row.block_share * 100.0),
            read_only
        );
    }
}
