//! `clarimed follow` and `clarimed replay` as a user runs them: a node's feed (here
//! generated on the Clarity VM) replayed from a file or posted over HTTP, checked
//! transaction by transaction; the digest `status` prints is the VM's, and the
//! SHA-256 of `export --format kv`.

use std::path::Path;
use std::process::{Command, Output};

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_engine::{hex, state_digest};
use common::follow;
use sha2::{Digest, Sha256};

mod common;

/// A POST (or GET) of `body` to the observer at `address`.
fn post(address: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    common::request(address, method, path, body.as_bytes())
}

fn clarimed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clarimed")).args(args).output().expect("clarimed runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A generated feed, its blocks as NDJSON lines, and the VM's digest after it.
fn feed() -> (Vec<String>, String, String) {
    let mut feed = Feed::new(Layout::default());
    feed.run(&seeded_sequences(41, 1, 120).next().unwrap());
    let lines = feed.blocks().iter().map(|block| block.to_string()).collect();
    (lines, hex(&state_digest(&feed.vm_state())), Pool::new().owner().principal().to_string())
}

fn write_feed(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn replay_checks_a_recorded_feed_and_status_prints_the_vms_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, vm_digest, address) = feed();
    let (file, db) = (dir.path().join("feed.ndjson"), dir.path().join("follower.db"));
    write_feed(&file, &lines);

    let replayed = clarimed(&["--db", db.to_str().unwrap(), "replay", file.to_str().unwrap(), "--contracts", &address, "--epoch", "2.5"]);
    assert!(replayed.status.success(), "{}{}", text(&replayed.stdout), text(&replayed.stderr));
    let out = text(&replayed.stdout);
    assert!(out.contains(" 0 mismatch"), "{out}");
    assert!(out.contains(&format!("state digest {vm_digest}")), "{out}");
    assert!(text(&replayed.stderr).contains("calls/s"));

    let status = clarimed(&["--db", db.to_str().unwrap(), "status"]);
    let status = text(&status.stdout);
    assert!(status.contains(&format!("state digest {vm_digest}")), "{status}");
    assert!(status.contains("followed tip "), "{status}");
    let export = clarimed(&["--db", db.to_str().unwrap(), "export", "--format", "kv"]);
    assert_eq!(hex(&Sha256::digest(&export.stdout)), vm_digest, "anyone recomputes the digest from the export");

    // Replayed again onto the same state: every block is applied already, and the
    // state's counts (kept with its tip) are the first replay's.
    let again = clarimed(&["--db", db.to_str().unwrap(), "--json", "replay", file.to_str().unwrap(), "--contracts", &address, "--epoch", "2.5"]);
    assert!(text(&again.stderr).contains("replayed 0 blocks, 0 calls"), "{}", text(&again.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((summary["counts"]["blocks"].as_u64(), summary["state_digest"].as_str()), (Some(lines.len() as u64), Some(vm_digest.as_str())));
}

#[test]
fn replay_of_a_real_nodes_feed_agrees_on_every_call_and_ends_in_the_nodes_state() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../follower/tests/fixtures/real-node-epoch-2.5/new_block.ndjson");
    let replayed = clarimed(&["--json", "replay", fixture, "--contracts", "ST1Q7NFPZB1935BAPF7YT2BHJY4G34DG1WMJV8SAX", "--epoch", "2.5"]);
    assert_eq!(replayed.status.code(), Some(0), "{}{}", text(&replayed.stdout), text(&replayed.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    let counts = &summary["counts"];
    assert_eq!((counts["blocks"].as_u64(), counts["calls"].as_u64(), counts["agreed"].as_u64()), (Some(45), Some(36), Some(36)));
    assert_eq!((counts["mismatched"].as_u64(), counts["refused"].as_u64()), (Some(0), Some(0)));
    assert_eq!(summary["state_digest"].as_str(), Some("a8f6af6912f38ae92b47ff3f152fdc976f4dacf228fb2b46e7066888840ddf8e"));
}

#[test]
fn replay_reports_a_mismatch_and_refuses_a_truncated_block() {
    let dir = tempfile::tempdir().unwrap();
    let (mut lines, _, address) = feed();
    let at = lines.iter().position(|line| line.contains("\"status\":\"success\"") && !line.contains("\"block_height\":1,")).unwrap();
    let mut block: serde_json::Value = serde_json::from_str(&lines[at]).unwrap();
    let tx = block["transactions"].as_array_mut().unwrap().iter_mut().find(|tx| tx["status"] == "success").unwrap();
    tx["execution_cost"]["read_count"] = serde_json::json!(tx["execution_cost"]["read_count"].as_u64().unwrap() + 1);
    let txid = tx["txid"].as_str().unwrap().to_string();
    lines[at] = block.to_string();
    let file = dir.path().join("planted.ndjson");
    write_feed(&file, &lines);

    let logged = clarimed(&["replay", file.to_str().unwrap(), "--contracts", &address, "--epoch", "2.5"]);
    assert_eq!(logged.status.code(), Some(1));
    let mismatch_line = text(&logged.stdout).lines().find(|line| line.starts_with("{\"mismatch\"")).map(str::to_string).expect("a mismatch line");
    let mismatch: serde_json::Value = serde_json::from_str(&mismatch_line).unwrap();
    assert_eq!((mismatch["mismatch"]["txid"].as_str(), mismatch["mismatch"]["differs"][0].as_str()), (Some(txid.as_str()), Some("cost")));
    assert!(mismatch["mismatch"]["node"]["cost"] != mismatch["mismatch"]["ours"]["cost"]);

    let stopped = clarimed(&["replay", file.to_str().unwrap(), "--contracts", &address, "--epoch", "2.5", "--on-mismatch", "stop"]);
    assert_eq!(stopped.status.code(), Some(1));
    assert!(text(&stopped.stderr).contains(&format!("line {}: stopped at block", at + 1)), "{}", text(&stopped.stderr));
    assert!(text(&stopped.stdout).contains(&txid), "the stopping mismatch is printed: {}", text(&stopped.stdout));

    let half = lines[at].len() / 2;
    lines[at].truncate(half);
    write_feed(&file, &lines);
    let refused = clarimed(&["replay", file.to_str().unwrap(), "--contracts", &address, "--epoch", "2.5"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains(&format!("line {}: not a /new_block payload", at + 1)), "{}", text(&refused.stderr));
}

#[test]
fn follow_answers_the_nodes_posts_records_the_feed_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, vm_digest, address) = feed();
    let record = dir.path().join("recorded.ndjson");
    let (follower, observer, rest) = follow(&address, &["--record", record.to_str().unwrap()]);
    let observer = observer.as_str();

    for route in ["/new_burn_block", "/new_mempool_tx", "/drop_mempool_tx", "/new_microblocks", "/attachments/new", "/stackerdb_chunks", "/proposal_response"] {
        assert_eq!(post(observer, "POST", route, "{}").0, 200, "{route}");
    }
    for line in &lines {
        let (status, body) = post(observer, "POST", "/new_block", line);
        assert_eq!(status, 200, "{body}");
    }
    let (status, refused) = post(observer, "POST", "/new_block", "{\"block_height\": 3");
    assert_eq!(status, 400);
    assert!(refused.contains("not a /new_block payload"), "{refused}");

    let (status, body) = post(observer, "GET", "/clarimed/status", "");
    assert_eq!(status, 200);
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["state_digest"].as_str(), Some(vm_digest.as_str()));
    assert_eq!(status["counts"]["mismatched"], 0);
    assert_eq!(status["deployed"], serde_json::json!(["patient-consent", "record-management"]));

    assert!(Command::new("kill").arg("-TERM").arg(follower.id().to_string()).status().unwrap().success());
    let exit = follower.wait_with_output();
    assert!(exit.status.success(), "{}", rest.join().unwrap());
    assert!(text(&exit.stdout).contains(&format!("state digest {vm_digest}")));
    assert!(rest.join().unwrap().contains("block refused: not a /new_block payload"));

    // What it recorded replays to the same state.
    let replayed = clarimed(&["replay", record.to_str().unwrap(), "--contracts", &address, "--epoch", "2.5"]);
    assert!(replayed.status.success(), "{}", text(&replayed.stderr));
    assert!(text(&replayed.stdout).contains(&format!("state digest {vm_digest}")));
}

#[test]
fn follow_with_on_mismatch_stop_answers_500_and_exits_1() {
    let (mut lines, _, address) = feed();
    let at = lines.iter().position(|line| line.contains("\"status\":\"success\"") && !line.contains("\"block_height\":1,")).unwrap();
    lines[at] = lines[at].replacen("\"raw_result\":\"0x07", "\"raw_result\":\"0x08", 1);
    let (follower, observer, rest) = follow(&address, &["--on-mismatch", "stop"]);
    for line in &lines[..at] {
        assert_eq!(post(&observer, "POST", "/new_block", line).0, 200);
    }
    let (status, body) = post(&observer, "POST", "/new_block", &lines[at]);
    assert_eq!(status, 500);
    assert!(body.contains("differs in"), "{body}");
    let exit = follower.wait_with_output();
    assert_eq!(exit.status.code(), Some(1), "{}", rest.join().unwrap());
    assert!(text(&exit.stdout).contains("\"differs\":[\"result\"]"), "{}", text(&exit.stdout));
}

#[test]
fn status_says_which_version_of_the_contracts_a_state_runs() {
    let dir = tempfile::tempdir().unwrap();
    let contracts = |db: &Path| {
        let status = clarimed(&["--db", db.to_str().unwrap(), "--json", "status"]);
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        (status["contracts"]["patient-consent"].clone(), status["contracts"]["record-management"].clone())
    };
    let fresh = dir.path().join("fresh.db");
    assert!(clarimed(&["--db", fresh.to_str().unwrap(), "init"]).status.success());
    assert_eq!(contracts(&fresh), ("v2".into(), "v2".into()), "init deploys v2");
    // The real node deployed v1, and a state following it runs v1.
    let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../follower/tests/fixtures/real-node-epoch-2.5/new_block.ndjson");
    let followed = dir.path().join("followed.db");
    let replay =
        ["--db", followed.to_str().unwrap(), "replay", feed.to_str().unwrap(), "--contracts", "ST1Q7NFPZB1935BAPF7YT2BHJY4G34DG1WMJV8SAX", "--epoch", "2.5"];
    assert!(clarimed(&replay).status.success());
    assert_eq!(contracts(&followed), ("v1".into(), "v1".into()));
}
