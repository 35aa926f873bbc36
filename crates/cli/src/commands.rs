//! The subcommands that work on a state file, and the key tools.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use clarimed_engine::clarity::Value;
use clarimed_engine::consent_codes::{AuditAction, DataType};
use clarimed_engine::records_codes::LogAction;
use clarimed_engine::{bytes_to_value, hex, parse_literal, parse_principal, unhex, principal_to_string, CallOutput, Engine, EngineError, Principal, SqliteStore, StateError};
use clarimed_reference::keys::Key;
use clarimed_reference::values::to_literal;
use serde_json::{json, Value as Json};

use crate::state::{explain, open};

type Outcome = Result<ExitCode, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// `key value` lines, exactly as the Clarity VM stores them.
    Kv,
    /// Contracts, their data vars and map entries as Clarity literals.
    Json,
}

fn principal(text: &str) -> Result<Principal, String> {
    parse_principal(text).map_err(|_| format!("`{text}` is not a principal (expected ST… or ST….contract-name)"))
}

/// A buffer as a Clarity literal.
fn buffer_literal(bytes: &[u8]) -> String {
    format!("0x{}", hex(bytes))
}

fn print_json(value: &Json) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON values print"));
}

pub fn init(db: &Path, deployer: &str, force: bool, json: bool) -> Outcome {
    let deployer = principal(deployer)?;
    if db.exists() {
        if !force {
            return Err(format!("{} already holds a state; use --force to replace it", db.display()));
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{}{suffix}", db.display());
            if Path::new(&file).exists() {
                std::fs::remove_file(&file).map_err(|e| format!("cannot replace {file}: {e}"))?;
            }
        }
    }
    let engine = Engine::open_or_create(db, &deployer).map_err(|e| explain(db, &e))?;
    let deployer = principal_to_string(engine.deployer());
    if json {
        print_json(&json!({ "db": db.display().to_string(), "deployer": deployer, "block-height": engine.block_height() }));
    } else {
        println!("initialized {}: patient-consent and record-management deployed by {deployer} at block {}", db.display(), engine.block_height());
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_args(args: &[String]) -> Result<Vec<Value>, String> {
    args.iter().map(|arg| parse_literal(arg).map_err(|e| e.to_string())).collect()
}

/// Prints a call's result then its events; exit 1 for a contract's `err`.
fn report(output: &CallOutput, json: bool) -> Outcome {
    let events: Vec<String> = output.events.iter().map(to_literal).collect();
    if json {
        print_json(&json!({ "result": to_literal(&output.value), "events": events, "committed": output.committed }));
    } else {
        println!("{}", to_literal(&output.value));
        for event in &events {
            println!("print {event}");
        }
    }
    let refused = matches!(&output.value, Value::Response(response) if !response.committed);
    Ok(if refused { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

pub fn call(db: &Path, contract: &str, function: &str, args: &[String], sender: &str, json: bool) -> Outcome {
    let sender = principal(sender)?;
    let args = parse_args(args)?;
    let mut engine = open(db)?;
    let ctx = engine.context(&sender);
    let output = engine.call(&ctx, contract, function, &args).map_err(|e| explain(db, &e))?;
    report(&output, json)
}

pub fn read(db: &Path, contract: &str, function: &str, args: &[String], sender: Option<&str>, json: bool) -> Outcome {
    let sender = sender.map(principal).transpose()?;
    let args = parse_args(args)?;
    let engine = open(db)?;
    let ctx = engine.context(sender.as_ref().unwrap_or(engine.deployer()));
    let output = engine.read(&ctx, contract, function, &args).map_err(|e| explain(db, &e))?;
    report(&output, json)
}

pub fn mine(db: &Path, blocks: u32, json: bool) -> Outcome {
    let mut engine = open(db)?;
    engine.mine(blocks).map_err(|e| explain(db, &e))?;
    if json {
        print_json(&json!({ "block-height": engine.block_height() }));
    } else {
        println!("block height: {}", engine.block_height());
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(engine: &mut Engine<SqliteStore>, db: &Path) -> Result<Json, String> {
    let failed = |e: StateError| explain(db, &EngineError::from(e));
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
    let mut engine = open(db)?;
    let counters = stats(&mut engine, db)?;
    let summary = json!({
        "db": db.display().to_string(),
        "deployer": principal_to_string(engine.deployer()),
        "block-height": engine.block_height(),
        "counters": counters,
    });
    if json {
        print_json(&summary);
    } else {
        println!("state        {}", db.display());
        println!("deployer     {}", principal_to_string(engine.deployer()));
        println!("block height {}", engine.block_height());
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
    let mut engine = open(db)?;
    let failed = |e: StateError| explain(db, &EngineError::from(e));
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
        rows.push((AuditRow { block: entry.block, actor: principal_to_string(&entry.actor), action, subject }, json!({
            "seq": seq.to_string(), "block": entry.block.to_string(), "actor": principal_to_string(&entry.actor),
            "action": AuditAction::from_code(entry.action).map(|a| a.name()), "data-type": entry.data_type.map(|t| t.to_string()),
            "provider": entry.provider.as_ref().map(principal_to_string),
        })));
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
        accesses.push((AuditRow { block: entry.block, actor: principal_to_string(&entry.accessor), action, subject }, json!({
            "log-id": log_id.to_string(), "block": entry.block.to_string(), "accessor": principal_to_string(&entry.accessor),
            "action": LogAction::from_code(entry.action).map(|a| a.name()), "record-id": entry.record_id.to_string(), "emergency": entry.emergency,
        })));
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
    let key = Key::random();
    let (private_key, public_key, principal) = (key.private_key_hex(), buffer_literal(&key.public_key()), key.principal().to_string());
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
    let key = Key::from_hex(key.trim_start_matches("0x")).map_err(|e| format!("--key: {e}"))?;
    let message = parse_literal(message).map_err(|e| format!("--message: {e}"))?;
    let signature = key.sign_value(&message).map_err(|e| format!("--message: {e}"))?;
    let (signature, public_key) = (buffer_literal(&signature), buffer_literal(&key.public_key()));
    if json {
        print_json(&json!({ "signature": signature, "public-key": public_key }));
    } else {
        println!("signature  {signature}");
        println!("public-key {public_key}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(db: &Path, format: ExportFormat) -> Outcome {
    let engine = open(db)?;
    let rows = engine.dump_state().map_err(|e| explain(db, &e))?;
    match format {
        ExportFormat::Kv => {
            for (key, value) in rows {
                println!("{key} {value}");
            }
        }
        ExportFormat::Json => {
            let mut contracts: BTreeMap<String, (BTreeMap<String, String>, BTreeMap<String, Vec<Json>>)> = BTreeMap::new();
            for (key, value) in &rows {
                let decode = |text: &str| -> Result<String, String> {
                    let bytes = unhex(text).ok_or_else(|| format!("malformed hex under {key}"))?;
                    bytes_to_value(&bytes).map(|v| to_literal(&v)).map_err(|e| e.to_string())
                };
                let rest = key.strip_prefix("vm::").ok_or_else(|| format!("unexpected key {key}"))?;
                let (contract, rest) = rest.split_once("::").ok_or_else(|| format!("unexpected key {key}"))?;
                let entry = contracts.entry(contract.to_string()).or_default();
                match rest.split_once("::") {
                    Some(("1", var)) => {
                        entry.0.insert(var.to_string(), decode(value)?);
                    }
                    Some(("0", map_and_key)) => {
                        let (map, map_key) = map_and_key.split_once("::").ok_or_else(|| format!("unexpected key {key}"))?;
                        entry.1.entry(map.to_string()).or_default().push(json!({ "key": decode(map_key)?, "value": decode(value)? }));
                    }
                    _ => return Err(format!("unexpected key {key}")),
                }
            }
            let contracts: serde_json::Map<String, Json> = contracts
                .into_iter()
                .map(|(id, (vars, maps))| (id, json!({ "data-vars": vars, "maps": maps })))
                .collect();
            print_json(&json!({ "block-height": engine.block_height(), "contracts": contracts }));
        }
    }
    Ok(ExitCode::SUCCESS)
}
