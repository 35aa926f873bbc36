//! The subcommands that work on a state file, and the key tools.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use clarimed_engine::clarity::Value;
use clarimed_engine::consent_codes::{AuditAction, DataType};
use clarimed_engine::keys::{consensus_digest, SigningKey};
use clarimed_engine::records_codes::LogAction;
use clarimed_engine::table::Contract;
use clarimed_engine::{
    bytes_to_value, hex, parse_literal, parse_principal, principal_to_string, to_literal, unhex, CallOutput, Engine, EngineError, Epoch, ExecutionCost,
    Principal, SqliteStore, StoreType, VmKey,
};
use serde_json::{json, Value as Json};

use crate::state::{failure, open, Failure};

type Outcome = Result<ExitCode, Failure>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// `key value` lines, exactly as the Clarity VM stores them.
    Kv,
    /// Contracts, their data vars and map entries as Clarity literals.
    Json,
}

pub(crate) fn principal(text: &str) -> Result<Principal, String> {
    parse_principal(text).map_err(|_| format!("`{text}` is not a principal (expected ST… or ST….contract-name)"))
}

/// A buffer as a Clarity literal.
fn buffer_literal(bytes: &[u8]) -> String {
    format!("0x{}", hex(bytes))
}

fn print_json(value: &Json) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON values print"));
}

pub fn init(db: &Path, deployer: &str, epoch: Epoch, force: bool, json: bool) -> Outcome {
    let deployer = principal(deployer)?;
    if db.exists() {
        if !force {
            return Err(format!("{} already holds a state; use --force to replace it", db.display()).into());
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{}{suffix}", db.display());
            if Path::new(&file).exists() {
                std::fs::remove_file(&file).map_err(|e| format!("cannot replace {file}: {e}"))?;
            }
        }
    }
    let engine = Engine::open_or_create(db, &deployer, epoch).map_err(|e| failure(db, &e))?;
    let deployer = principal_to_string(engine.deployer());
    let tip = engine.tip();
    if json {
        print_json(&json!({
            "db": db.display().to_string(),
            "deployer": deployer,
            "epoch": tip.epoch.name(),
            "block-height": tip.stacks_height,
            "tenure-height": tip.tenure_height,
        }));
    } else {
        println!(
            "initialized {}: patient-consent and record-management deployed by {deployer} at block {}, epoch {}",
            db.display(),
            tip.stacks_height,
            tip.epoch
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_args(args: &[String]) -> Result<Vec<Value>, String> {
    args.iter().map(|arg| parse_literal(arg).map_err(|e| e.to_string())).collect()
}

/// An execution cost as JSON, with the node's field names.
pub fn cost_json(cost: &ExecutionCost) -> Json {
    json!({
        "runtime": cost.runtime,
        "read_count": cost.read_count,
        "read_length": cost.read_length,
        "write_count": cost.write_count,
        "write_length": cost.write_length,
    })
}

/// A call's result and events as JSON: each as Clarity text and as consensus
/// bytes in hex, each event with the contract that printed it; and its cost.
pub fn output_json(output: &CallOutput) -> Json {
    let events: Vec<Json> = output
        .events
        .iter()
        .zip(output.event_bytes())
        .map(|(event, bytes)| json!({ "contract_identifier": output.contract, "value": to_literal(event), "hex": format!("0x{}", hex(&bytes)) }))
        .collect();
    json!({
        "result": to_literal(&output.value),
        "result_hex": format!("0x{}", hex(&output.value_bytes())),
        "events": events,
        "committed": output.committed,
        "execution_cost": cost_json(&output.cost),
    })
}

/// A call's result, its cost, then its events (`print CONTRACT VALUE`), as text.
pub fn output_lines(output: &CallOutput) -> Vec<String> {
    let mut lines = vec![to_literal(&output.value), format!("cost {}", output.cost)];
    lines.extend(output.events.iter().map(|event| format!("print {} {}", output.contract, to_literal(event))));
    lines
}

/// Exit 1 for a contract's `err`.
pub fn exit_code(output: &CallOutput) -> ExitCode {
    let refused = matches!(&output.value, Value::Response(response) if !response.committed);
    if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(output: &CallOutput, json: bool) -> Outcome {
    if json {
        print_json(&output_json(output));
    } else {
        for line in output_lines(output) {
            println!("{line}");
        }
    }
    Ok(exit_code(output))
}

pub fn call(db: &Path, contract: &str, function: &str, args: &[String], sender: &str, json: bool) -> Outcome {
    let sender = principal(sender)?;
    let args = parse_args(args)?;
    let engine = open(db)?;
    let output = engine.call(&sender, contract, function, &args).map_err(|e| failure(db, &e))?;
    report(&output, json)
}

pub fn read(db: &Path, contract: &str, function: &str, args: &[String], sender: Option<&str>, json: bool) -> Outcome {
    let sender = sender.map(principal).transpose()?;
    let args = parse_args(args)?;
    let engine = open(db)?;
    let sender = sender.unwrap_or_else(|| engine.deployer().clone());
    let output = engine.read(&sender, contract, function, &args).map_err(|e| failure(db, &e))?;
    report(&output, json)
}

/// Mines `blocks` new tenures of one block each, or with `in_tenure` `blocks`
/// Stacks blocks in the current tenure.
pub fn mine(db: &Path, blocks: u32, in_tenure: bool, json: bool) -> Outcome {
    let engine = open(db)?;
    if in_tenure { engine.mine_in_tenure(blocks) } else { engine.mine(blocks) }.map_err(|e| failure(db, &e))?;
    let tip = engine.tip();
    if json {
        print_json(&json!({ "block-height": tip.stacks_height, "tenure-height": tip.tenure_height }));
    } else {
        println!("{}", crate::script::heights(&tip));
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(engine: &Engine<SqliteStore>, db: &Path) -> Result<Json, Failure> {
    let failed = |e: EngineError| failure(db, &e);
    let consent = engine.consent().get_stats().map_err(failed)?;
    let records = engine.records().get_stats().map_err(failed)?;
    Ok(json!({
        "patients": consent.total_patients.to_string(),
        "consents-granted": consent.total_consents_granted.to_string(),
        "consents-revoked": consent.total_consents_revoked.to_string(),
        "emergency-overrides": consent.total_emergency_overrides.to_string(),
        "records": records.total_records.to_string(),
        "access-log-entries": records.total_access_log_entries.to_string(),
        "provider-grants": records.total_provider_grants.to_string(),
    }))
}

pub fn status(db: &Path, json: bool) -> Outcome {
    let engine = open(db)?;
    let counters = stats(&engine, db)?;
    let digest = hex(&engine.state_digest().map_err(|e| failure(db, &e))?);
    let followed = clarimed_follower::followed_tip(&engine).map_err(|e| e.to_string())?;
    // v2 (contract-caller) unless the state followed a chain that deployed v1.
    let mut versions = serde_json::Map::new();
    for contract in Contract::ALL {
        versions.insert(contract.name().to_string(), json!(engine.version(contract).map_err(|e| failure(db, &e))?.to_string()));
    }
    let summary = json!({
        "db": db.display().to_string(),
        "deployer": principal_to_string(engine.deployer()),
        "contracts": versions,
        "epoch": engine.epoch().name(),
        "block-height": engine.block_height(),
        "tenure-height": engine.tip().tenure_height,
        "state-digest": digest,
        "followed-tip": followed.map(|(height, hash)| json!({ "block-height": height, "index-block-hash": format!("0x{}", hex(&hash)) })),
        "counters": counters,
    });
    if json {
        print_json(&summary);
    } else {
        println!("state        {}", db.display());
        println!("deployer     {}", principal_to_string(engine.deployer()));
        let running: Vec<String> = versions.iter().map(|(name, version)| format!("{name} {}", version.as_str().unwrap_or_default())).collect();
        println!("contracts    {}", running.join(", "));
        println!("epoch        {}", engine.epoch());
        println!("block height {}", engine.block_height());
        println!("tenure height {}", engine.tip().tenure_height);
        println!("state digest {digest}");
        if let Some((height, hash)) = followed {
            println!("followed tip {height} 0x{}", hex(&hash));
        }
        if let Some(counters) = summary["counters"].as_object() {
            for (name, value) in counters {
                println!("{name:<20} {}", value.as_str().unwrap_or_default());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of a patient's audit: a consent action or an access to one of their records.
struct AuditRow {
    block: u128,
    actor: String,
    action: String,
    subject: String,
}

pub fn audit(db: &Path, patient: &str, json: bool) -> Outcome {
    let patient = principal(patient)?;
    let engine = open(db)?;
    let failed = |e: EngineError| failure(db, &e);
    let mut rows = Vec::new();
    let count = engine.consent().get_audit_count(&patient).map_err(failed)?;
    for seq in 0..count {
        let Some(entry) = engine.consent().get_audit_entry(&patient, seq).map_err(failed)? else { continue };
        let data_type = entry.data_type.map(|t| DataType::from_code(t).map_or(format!("u{t}"), |t| t.name().to_string()));
        let provider = entry.provider.as_ref().map(principal_to_string);
        let subject = match (data_type, provider) {
            (Some(data_type), Some(provider)) => format!("{data_type} for {provider}"),
            (None, Some(provider)) => provider,
            (Some(data_type), None) => data_type,
            (None, None) => String::new(),
        };
        let action = AuditAction::from_code(entry.action).map_or(format!("u{}", entry.action), |a| a.name().to_string());
        rows.push((
            AuditRow { block: entry.block, actor: principal_to_string(&entry.actor), action, subject },
            json!({
                "seq": seq.to_string(), "block": entry.block.to_string(), "actor": principal_to_string(&entry.actor),
                "action": AuditAction::from_code(entry.action).map(|a| a.name()), "data-type": entry.data_type.map(|t| t.to_string()),
                "provider": entry.provider.as_ref().map(principal_to_string),
            }),
        ));
    }
    let records = engine.records().get_record_count(&patient).map_err(failed)?;
    let mut ids = Vec::new();
    for index in 0..records {
        if let Some(id) = engine.records().get_patient_record_id(&patient, index).map_err(failed)? {
            ids.push(id);
        }
    }
    let mut accesses = Vec::new();
    let total = engine.records().get_stats().map_err(failed)?.total_access_log_entries;
    for log_id in 1..=total {
        let Some(entry) = engine.records().get_access_log_entry(log_id).map_err(failed)? else { continue };
        if !ids.contains(&entry.record_id) {
            continue;
        }
        let action = LogAction::from_code(entry.action).map_or(format!("u{}", entry.action), |a| a.name().to_string());
        let subject = format!("record u{}{}", entry.record_id, if entry.emergency { " (emergency)" } else { "" });
        accesses.push((
            AuditRow { block: entry.block, actor: principal_to_string(&entry.accessor), action, subject },
            json!({
                "log-id": log_id.to_string(), "block": entry.block.to_string(), "accessor": principal_to_string(&entry.accessor),
                "action": LogAction::from_code(entry.action).map(|a| a.name()), "record-id": entry.record_id.to_string(), "emergency": entry.emergency,
            }),
        ));
    }
    if json {
        let consent: Vec<&Json> = rows.iter().map(|(_, j)| j).collect();
        let log: Vec<&Json> = accesses.iter().map(|(_, j)| j).collect();
        print_json(&json!({ "patient": principal_to_string(&patient), "consent-audit": consent, "access-log": log }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut table: Vec<&AuditRow> = rows.iter().chain(accesses.iter()).map(|(row, _)| row).collect();
    table.sort_by_key(|row| row.block);
    println!("{:>8}  {:<42} {:<20} data type or record", "block", "actor", "action");
    for row in table {
        println!("{:>8}  {:<42} {:<20} {}", row.block, row.actor, row.action, row.subject);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn key_new(json: bool) -> Outcome {
    let key = SigningKey::random();
    let (private_key, public_key, principal) = (key.to_hex(), buffer_literal(&key.public_key()), principal_to_string(&key.principal()));
    if json {
        print_json(&json!({ "private-key": private_key, "public-key": public_key, "principal": principal }));
    } else {
        println!("private-key {private_key}");
        println!("public-key  {public_key}");
        println!("principal   {principal}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn key_sign(key: &str, message: &str, json: bool) -> Outcome {
    let key = SigningKey::from_hex(key.trim_start_matches("0x")).map_err(|e| format!("--key: {e}"))?;
    let message = parse_literal(message).map_err(|e| format!("--message: {e}"))?;
    let digest = consensus_digest(&message).map_err(|e| format!("--message: {e}"))?;
    let signature = key.sign(&digest).map_err(|e| format!("--message: {e}"))?;
    let (signature, public_key) = (buffer_literal(&signature), buffer_literal(&key.public_key()));
    if json {
        print_json(&json!({ "signature": signature, "public-key": public_key }));
    } else {
        println!("signature  {signature}");
        println!("public-key {public_key}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A contract's data vars by name, as Clarity literals.
type DataVars = BTreeMap<String, String>;
/// A contract's map entries by map name.
type MapEntries = BTreeMap<String, Vec<Json>>;

pub fn export(db: &Path, format: ExportFormat) -> Outcome {
    let engine = open(db)?;
    let rows = engine.dump_state().map_err(|e| failure(db, &e))?;
    match format {
        ExportFormat::Kv => {
            for (key, value) in rows {
                println!("{key} {value}");
            }
        }
        ExportFormat::Json => {
            let mut contracts: BTreeMap<String, (DataVars, MapEntries)> = BTreeMap::new();
            for (key, value) in &rows {
                let decode = |text: &str| -> Result<String, String> {
                    let bytes = unhex(text).ok_or_else(|| format!("malformed hex under {key}"))?;
                    bytes_to_value(&bytes).map(|v| to_literal(&v)).map_err(|e| e.to_string())
                };
                let vm_key = VmKey::parse(key).ok_or_else(|| format!("unexpected key {key}"))?;
                let entry = contracts.entry(vm_key.contract.clone()).or_default();
                match vm_key.store_type {
                    StoreType::DataVar => {
                        entry.0.insert(vm_key.name, decode(value)?);
                    }
                    StoreType::MapEntry => {
                        entry.1.entry(vm_key.name).or_default().push(json!({ "key": decode(&hex(&vm_key.map_key))?, "value": decode(value)? }));
                    }
                }
            }
            let contracts: serde_json::Map<String, Json> =
                contracts.into_iter().map(|(id, (vars, maps))| (id, json!({ "data-vars": vars, "maps": maps }))).collect();
            print_json(&json!({ "block-height": engine.block_height(), "contracts": contracts }));
        }
    }
    Ok(ExitCode::SUCCESS)
}
