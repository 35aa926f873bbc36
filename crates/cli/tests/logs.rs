//! The servers' logs: `clarimed serve --log-format json` writes every stderr line as
//! one JSON object, one `block mined` event a block with its fields and one event a
//! mempool rejection; `clarimed follow --log-format json` one event a block applied
//! and one a mismatch, with their fields; `RUST_LOG` filters them; a bad filter or
//! format is refused.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use clarimed_engine::keys::SigningKey;
use common::{address_in, init, register, request, terminate, Server};

mod common;

/// How long a line that is due may take to come: far longer than it ever does.
const DUE: Duration = Duration::from_secs(60);

/// `clarimed serve` over `db` mining each transaction at once, with `RUST_LOG` as
/// given (unset for `None`): the server and its stderr lines as they come.
fn serve(db: &std::path::Path, rust_log: Option<&str>, options: &[&str]) -> (Server, Receiver<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clarimed"));
    command.arg("--db").arg(db).args(["serve", "--listen", "127.0.0.1:0", "--block-per-tx"]).args(options).stderr(Stdio::piped());
    match rust_log {
        Some(filter) => command.env("RUST_LOG", filter),
        None => command.env_remove("RUST_LOG"),
    };
    let mut server = command.spawn().expect("clarimed serve starts");
    let stderr = BufReader::new(server.stderr.take().unwrap());
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (Server::new(server), lines)
}

/// The next line, within [`DUE`] (none once stderr closes).
fn next_line(lines: &Receiver<String>) -> Option<String> {
    lines.recv_timeout(DUE).ok()
}

/// Lines until one that `wanted` takes, every one parsed as a JSON object.
fn json_until(lines: &Receiver<String>, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    loop {
        let line = next_line(lines).expect("the line due came");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(event["timestamp"].is_string() && event["level"].is_string() && event["fields"]["message"].is_string(), "{line}");
        if wanted(&event) {
            return event;
        }
    }
}

#[test]
fn json_logs_give_one_event_per_block_mined_and_per_rejection_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let deployer = init(&db);
    let (server, lines) = serve(&db, None, &["--log-format", "json"]);
    let started = json_until(&lines, |event| event["fields"]["message"].as_str().is_some_and(|m| m.contains("http://")));
    assert_eq!(started["level"], "INFO");
    let address = address_in(started["fields"]["message"].as_str().unwrap());

    let key = SigningKey::random();
    let tx = register(&key, &deployer, 0, "PAT-1");
    assert_eq!(request(&address, "POST", "/v2/transactions", &tx).0, 200);
    let mined = json_until(&lines, |event| event["fields"]["message"] == "block mined");
    assert_eq!(mined["level"], "INFO");
    let fields = &mined["fields"];
    // `init` leaves the state at height 1; the block is the next one, in a tenure of its own.
    assert_eq!((fields["height"].as_u64(), fields["tenure_height"].as_u64(), fields["transactions"].as_u64()), (Some(2), Some(2), Some(1)), "{mined}");
    assert!(fields["elapsed_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{mined}");

    // Another transaction at the nonce now spent: the mempool refuses it, and says why.
    let (status, answer) = request(&address, "POST", "/v2/transactions", &register(&key, &deployer, 0, "PAT-2"));
    assert_eq!(status, 400, "{answer}");
    let reason = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["reason"].clone();
    let rejected = json_until(&lines, |event| event["fields"]["message"] == "transaction rejected by the mempool");
    assert_eq!(rejected["fields"]["reason"], reason, "{rejected}");
    terminate(server);
    // Every line to the end is JSON too.
    while let Some(line) = next_line(&lines) {
        serde_json::from_str::<serde_json::Value>(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
}

#[test]
fn rust_log_at_warn_keeps_the_block_mined_out_of_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let deployer = init(&db);
    // The start line at info, to read the address; the miner's events at warn.
    let (server, lines) = serve(&db, Some("warn,clarimed::serve=info"), &[]);
    let started = next_line(&lines).expect("the server's first line");
    let address = address_in(&started);

    assert_eq!(request(&address, "POST", "/v2/transactions", &register(&SigningKey::random(), &deployer, 0, "PAT-1")).0, 200);
    let height = || serde_json::from_str::<serde_json::Value>(&request(&address, "GET", "/v2/info", &[]).1).unwrap()["stacks_tip_height"].as_u64();
    let mined = (0..3000).any(|_| {
        let mined = height() == Some(2);
        if !mined {
            std::thread::sleep(Duration::from_millis(20));
        }
        mined
    });
    assert!(mined, "the block is mined within a minute");
    // The miner logs a block before it can stop, and stops before the process exits:
    // every line it wrote is read by the end of stderr.
    terminate(server);
    let rest: Vec<String> = std::iter::from_fn(|| next_line(&lines)).collect();
    assert!(!rest.iter().any(|line| line.contains("block mined")), "{rest:?}");
}

#[test]
fn a_bad_rust_log_or_log_format_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    init(&db);
    for (rust_log, format, says) in [("info,[", "text", "RUST_LOG=`info,[` is not a filter"), ("info", "xml", "invalid value 'xml' for '--log-format")] {
        let refused = Command::new(env!("CARGO_BIN_EXE_clarimed"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", format])
            .env("RUST_LOG", rust_log)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[test]
fn follow_logs_one_json_event_per_block_applied_and_per_mismatch_with_their_fields() {
    use clarimed_conformance::feed::{Feed, Layout};
    use clarimed_conformance::ops::{seeded_sequences, Pool};

    let mut feed = Feed::new(Layout::default());
    feed.run(&seeded_sequences(47, 1, 60).next().unwrap());
    let mut lines: Vec<String> = feed.blocks().iter().map(|block| block.to_string()).collect();
    // One successful call's result changed: a `result` mismatch, logged and applied.
    let at = lines.iter().position(|line| line.contains("\"status\":\"success\"") && !line.contains("\"block_height\":1,")).unwrap();
    lines[at] = lines[at].replacen("\"raw_result\":\"0x07", "\"raw_result\":\"0x08", 1);
    let (follower, observer, rest) = common::follow(&Pool::new().owner().principal().to_string(), &["--log-format", "json"]);
    for line in &lines {
        assert_eq!(request(&observer, "POST", "/new_block", line.as_bytes()).0, 200);
    }
    terminate(follower);
    let events: Vec<serde_json::Value> =
        rest.join().unwrap().lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))).collect();
    let applied: Vec<&serde_json::Value> = events
        .iter()
        .filter(|event| event["level"] == "INFO" && event["target"] == "clarimed_follower::observer" && event["fields"]["calls"].is_u64())
        .collect();
    assert_eq!(applied.len(), lines.len(), "one event a block: {events:#?}");
    for (event, line) in applied.iter().zip(&lines) {
        let block: serde_json::Value = serde_json::from_str(line).unwrap();
        let fields = &event["fields"];
        assert_eq!(fields["height"], block["block_height"], "{event}");
        for field in ["agreed", "mismatches", "rewound"] {
            assert!(fields[field].is_u64(), "{field} in {event}");
        }
        assert!(fields["elapsed_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{event}");
    }
    assert_eq!(applied[at]["fields"]["mismatches"], 1);
    let mismatches: Vec<&serde_json::Value> = events.iter().filter(|event| event["level"] == "WARN" && event["fields"]["kind"].is_string()).collect();
    assert_eq!(mismatches.len(), 1, "{events:#?}");
    let fields = &mismatches[0]["fields"];
    assert_eq!((fields["kind"].as_str(), fields["height"].as_u64()), (Some("result"), applied[at]["fields"]["height"].as_u64()));
    assert!(fields["txid"].as_str().is_some_and(|txid| txid.starts_with("0x")) && fields["what"].is_string(), "{}", mismatches[0]);
}
