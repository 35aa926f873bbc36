//! The `clarimed` binary, driven as a user drives it: the whole journey from the
//! command line, and every kind of bad input refused with one line, exit status 2,
//! and the state file left byte for byte as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn clarimed(db: &Path, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_clarimed")).arg("--db").arg(db).args(args).output().expect("clarimed runs");
    Run {
        code: output.status.code().expect("an exit status"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8"),
    }
}

#[track_caller]
fn ok(db: &Path, args: &[&str]) -> String {
    let run = clarimed(db, args);
    assert_eq!(run.code, 0, "{args:?}\nstdout: {}\nstderr: {}", run.stdout, run.stderr);
    run.stdout
}

#[track_caller]
fn json(db: &Path, args: &[&str]) -> Json {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(db, &all)).expect("JSON output")
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

fn initialized() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clarimed.db");
    ok(&db, &["init"]);
    Fixture { _dir: dir, db }
}

struct Account {
    private_key: String,
    public_key: String,
    principal: String,
}

fn new_key(db: &Path) -> Account {
    let key = json(db, &["key", "new"]);
    let field = |name: &str| key[name].as_str().expect("a string field").to_string();
    Account { private_key: field("private-key"), public_key: field("public-key"), principal: field("principal") }
}

const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
const HASH: &str = "f8af31eda05fa766bb6aeb413e42314b5617f47f072c627448627dd50e7fb23d";

#[test]
fn the_whole_journey_runs_from_the_command_line() {
    let f = initialized();
    let db = f.db.as_path();
    let (patient, provider, responder) = (new_key(db), new_key(db), new_key(db));
    let (pt, dr, er) = (format!("'{}", patient.principal), format!("'{}", provider.principal), format!("'{}", responder.principal));

    let out =
        ok(db, &["call", "patient-consent", "register-patient", "\"PAT-1\"", "u19800412", "none", &format!("(some {dr})"), "--sender", &patient.principal]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "(ok true)");
    assert!(lines[1].starts_with("cost runtime ") && lines[1].contains("write_count 4,"), "the profile, audit entry and count, total: {out}");
    assert!(lines[2].starts_with(&format!("print {DEPLOYER}.patient-consent {{ event: \"patient-registered\"")), "{out}");
    ok(db, &["call", "patient-consent", "grant-consent", &dr, "u1", "none", "\"care\"", "--sender", &patient.principal]);
    ok(db, &["call", "record-management", "grant-provider-access", &pt, &dr, "u1", "none", "true", "--sender", &patient.principal]);

    let message = format!("{{ patient: {pt}, record-type: u2, data-hash: \"{HASH}\", checksum: 0x{HASH} }}");
    let signed = json(db, &["key", "sign", "--key", &provider.private_key, "--message", &message]);
    assert_eq!(signed["public-key"].as_str(), Some(provider.public_key.as_str()));
    let signature = signed["signature"].as_str().unwrap();
    let created = json(
        db,
        &[
            "call",
            "record-management",
            "create-record",
            &pt,
            "u2",
            "\"Diagnosis\"",
            &format!("\"{HASH}\""),
            &format!("0x{HASH}"),
            "none",
            "u1",
            signature,
            &provider.public_key,
            "--sender",
            &provider.principal,
        ],
    );
    assert_eq!(created["result"], "(ok u1)");
    assert_eq!(created["committed"], true);
    assert_eq!(created["events"].as_array().map(Vec::len), Some(1));
    let cost = &created["execution_cost"];
    assert!(cost["runtime"].as_u64() > Some(0) && cost["read_count"].as_u64() > Some(0), "{cost}");
    // The record, its first version, the hash index, the patient's index and count,
    // the next record id, the log entry, the record's log count and the next log id.
    assert_eq!(cost["write_count"].as_u64(), Some(9), "{cost}");

    let check = ok(db, &["read", "record-management", "check-access", "u1", &dr, "u0"]);
    assert_eq!(check.lines().next(), Some("(ok u1)"));
    assert!(check.lines().nth(1).is_some_and(|line| line.starts_with("cost runtime ") && line.contains("write_count 0,")), "{check}");
    assert!(ok(db, &["call", "record-management", "get-record", "u1", "--sender", &provider.principal]).starts_with("(ok {"));

    ok(db, &["call", "patient-consent", "set-emergency-responder", &er, "true", "--sender", DEPLOYER]);
    assert_eq!(ok(db, &["call", "patient-consent", "emergency-override", &pt, "\"ER\"", "--sender", &responder.principal]).lines().next(), Some("(ok u433)"));
    assert_eq!(ok(db, &["mine", "432"]).trim(), "block height 433, tenure height 433");
    assert_eq!(ok(db, &["read", "patient-consent", "has-emergency-access", &pt, &er]).lines().next(), Some("false"));

    let denied = clarimed(db, &["call", "patient-consent", "revoke-consent", &dr, "u5", "--sender", &patient.principal]);
    assert_eq!((denied.code, denied.stdout.lines().next()), (1, Some("(err u104)")), "a contract err exits 1");

    let audit = ok(db, &["audit", &patient.principal]);
    for action in ["REGISTER", "GRANT", "EMERGENCY-OVERRIDE", "CREATE", "READ"] {
        assert!(audit.contains(action), "{action} missing from\n{audit}");
    }
    let audit = json(db, &["audit", &patient.principal]);
    assert_eq!(audit["consent-audit"].as_array().map(Vec::len), Some(3));
    assert_eq!(audit["access-log"].as_array().map(Vec::len), Some(2));

    let status = json(db, &["status"]);
    assert_eq!(status["block-height"], 433);
    assert_eq!(status["counters"]["records"], "1");
    let kv = ok(db, &["export"]);
    assert!(kv.lines().all(|line| line.starts_with("vm::") && line.split(' ').count() == 2), "{kv}");
    let exported = json(db, &["export", "--format", "json"]);
    assert_eq!(exported["block-height"], 433);
}

#[test]
fn init_refuses_to_replace_a_state_without_force() {
    let f = initialized();
    ok(&f.db, &["mine", "9"]);
    let before = std::fs::read(&f.db).unwrap();
    let refused = clarimed(&f.db, &["init"]);
    assert_eq!(refused.code, 2);
    assert_eq!(std::fs::read(&f.db).unwrap(), before);
    ok(&f.db, &["init", "--force"]);
    assert_eq!(json(&f.db, &["status"])["block-height"], 1);
}

/// The command is refused with one line on stderr and exit 2, and the state file
/// is byte for byte what it was.
#[track_caller]
fn assert_refused(db: &Path, args: &[&str], mentions: &str) {
    let before = std::fs::read(db).ok();
    refused(db, args, mentions);
    assert_eq!(std::fs::read(db).ok(), before, "{args:?} changed the state file");
}

/// One line on stderr naming the problem, nothing on stdout, exit 2.
#[track_caller]
fn refused(db: &Path, args: &[&str], mentions: &str) {
    let run = clarimed(db, args);
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{args:?}: one line on stderr, got {:?}", run.stderr);
    assert!(run.stderr.contains(mentions), "{args:?}: {:?} should mention {mentions}", run.stderr);
    assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
}

#[test]
fn an_unknown_contract_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["call", "no-such-contract", "get-stats", "--sender", DEPLOYER], "unknown contract");
}

#[test]
fn an_unknown_function_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["call", "patient-consent", "steal-records", "--sender", DEPLOYER], "steal-records");
}

#[test]
fn wrong_arity_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["call", "patient-consent", "register-patient", "\"P\"", "--sender", DEPLOYER], "4 argument(s), 1 given");
}

#[test]
fn a_malformed_literal_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["call", "patient-consent", "set-paused", "(some", "--sender", DEPLOYER], "does not parse");
    assert_refused(&f.db, &["call", "patient-consent", "set-paused", "(+ u1 u2)", "--sender", DEPLOYER], "not a Clarity literal");
}

#[test]
fn a_type_mismatch_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["call", "patient-consent", "set-paused", "u1", "--sender", DEPLOYER], "must be bool");
    let long = format!("\"{}\"", "x".repeat(65));
    assert_refused(&f.db, &["call", "patient-consent", "register-patient", &long, "u19800101", "none", "none", "--sender", DEPLOYER], "patient-id");
}

#[test]
fn a_principal_that_does_not_parse_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["call", "patient-consent", "set-paused", "true", "--sender", "ST-NOBODY"], "not a principal");
    assert_refused(&f.db, &["call", "patient-consent", "mark-deceased", "'ST-NOBODY", "--sender", DEPLOYER], "does not parse");
    assert_refused(&f.db, &["audit", "nobody"], "not a principal");
}

#[test]
fn a_public_function_is_refused_as_a_read() {
    let f = initialized();
    assert_refused(&f.db, &["read", "patient-consent", "set-paused", "true"], "cannot be called read-only");
}

#[test]
fn a_missing_state_is_refused_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    assert_refused(&db, &["call", "patient-consent", "set-paused", "true", "--sender", DEPLOYER], "no state");
    assert_refused(&db, &["status"], "no state");
    assert!(!db.exists());
}

#[test]
fn a_corrupt_state_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("corrupt.db");
    std::fs::write(&db, b"this is not a database, it is a text file that happens to be long enough").unwrap();
    assert_refused(&db, &["call", "patient-consent", "set-paused", "true", "--sender", DEPLOYER], "not a clarimed state");
    assert_refused(&db, &["mine"], "not a clarimed state");
}

#[test]
fn a_locked_state_is_refused_and_left_as_it_was() {
    let f = initialized();
    // Read the file only while no lock is held: closing any handle on it in this
    // process would drop the process's SQLite locks.
    let before = std::fs::read(&f.db).unwrap();
    let holder = rusqlite::Connection::open(&f.db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    refused(&f.db, &["call", "patient-consent", "set-paused", "true", "--sender", DEPLOYER], "locked");
    refused(&f.db, &["mine", "3"], "locked");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(std::fs::read(&f.db).unwrap(), before);
    assert_eq!(json(&f.db, &["status"])["block-height"], 1);
}

#[test]
fn a_bad_private_key_or_message_is_refused() {
    let f = initialized();
    assert_refused(&f.db, &["key", "sign", "--key", "zz", "--message", "u1"], "--key");
    assert_refused(&f.db, &["key", "sign", "--key", &"11".repeat(32), "--message", "(tuple"], "--message");
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("help.db");
    for command in ["init", "call", "read", "run", "mine", "status", "audit", "key", "demo", "export", "conform"] {
        let run = clarimed(&db, &[command, "--help"]);
        assert_eq!(run.code, 0, "{command} --help");
        assert!(run.stdout.contains("--db"), "{command} --help mentions --db");
    }
    assert!(!db.exists());
}

#[test]
fn costs_reports_every_function_of_both_contracts_with_its_spread_and_shares() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.db");
    let report = json(&db, &["costs", "--cases", "3", "--steps", "30"]);
    assert_eq!(report["block_limit"]["runtime"], 5_000_000_000u64);
    assert_eq!(report["read_only_limit"]["read_count"], 100);
    let functions = report["functions"].as_array().expect("a list of functions");
    let named = |name: &str| functions.iter().find(|f| f["function"] == name).unwrap_or_else(|| panic!("{name} missing"));
    for function in functions {
        assert!(function["calls"].as_u64() > Some(0), "{function}");
        for (dimension, spread) in function["execution_cost"].as_object().expect("five dimensions") {
            let [min, median, max] = ["min", "median", "max"].map(|k| spread[k].as_u64().expect("a number"));
            assert!(min <= median && median <= max, "{dimension} of {function}");
        }
    }
    let check = named("record-management.check-access");
    assert_eq!(check["access"], "read-only");
    assert!(check["max_share_of_read_only_limit"].as_f64().is_some_and(|share| share > 0.0 && share < 1.0), "{check}");
    let create = named("record-management.create-record");
    assert!(create["max_share_of_read_only_limit"].is_null(), "a public function has no read-only share");
    assert!(!db.exists(), "costs runs in memory");
    let table = ok(&db, &["costs", "--cases", "1", "--steps", "10"]);
    assert!(table.lines().any(|line| line.starts_with("patient-consent.register-patient")), "{table}");
}
