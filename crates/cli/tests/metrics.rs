//! `GET /metrics` on both servers, scraped after real work, each counter moved by
//! exactly what was done: `clarimed follow` after a replayed feed (one call in it
//! planted to mismatch, one block posted twice, one refused), and `clarimed serve`
//! after a load of signed transactions from several clients at once, followed by
//! transactions the mempool refuses.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_follower::metrics::MISMATCH_KINDS;
use clarimed_transactions::Rejection;
use common::{follow, init, register, request, response, serve, signed, terminate};

mod common;

/// How long a test waits for the miner to take a load (not a measure).
const PATIENCE: Duration = Duration::from_secs(120);

/// One scrape: every sample, by its name and labels as the text writes them. The
/// answer must be Prometheus' text format: its media type, and each metric's
/// `# HELP` and `# TYPE` before its samples.
fn scrape(address: &str) -> BTreeMap<String, f64> {
    let (status, head, text) = response(address, "GET", "/metrics", b"");
    assert_eq!(status, 200, "{text}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
    let mut samples = BTreeMap::new();
    let mut typed = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# TYPE ") {
            typed.push(comment.split(' ').next().unwrap().to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|suffix| name.strip_suffix(suffix)).filter(|f| typed.iter().any(|t| t == f));
        assert!(typed.iter().any(|t| t == family.unwrap_or(name)), "{name} has no # TYPE before it");
        assert!(name.starts_with("clarimed_"), "{name}");
        samples.insert(series.to_string(), value.parse().unwrap_or_else(|_| panic!("not a number: {line:?}")));
    }
    samples
}

/// The sample `series` of a scrape, which must be there.
fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples.get(series).unwrap_or_else(|| panic!("no {series} in {samples:#?}"))
}

/// The samples of a scrape that `before` also has and that changed, with how much.
fn moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    after.iter().filter_map(|(series, now)| before.get(series).filter(|then| *then != now).map(|then| (series.clone(), now - then))).collect()
}

/// What [`moved`] between two scrapes, but for what moves with time and
/// connections whatever the server did: histogram buckets and sums (the counts
/// stay), the time since the last block, and the scrapes' own connections.
fn counters_moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    moved(before, after)
        .into_iter()
        .filter(|(series, _)| !series.contains("_bucket") && !series.ends_with("_sum"))
        .filter(|(series, _)| series != "clarimed_seconds_since_last_block" && series != "clarimed_http_connections_open")
        .collect()
}

#[test]
fn follow_counts_every_block_call_and_mismatch_of_a_replayed_feed() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&seeded_sequences(43, 1, 150).next().unwrap());
    let calls = feed.calls() as f64;
    let mut lines: Vec<String> = feed.blocks().iter().map(|block| block.to_string()).collect();
    // One successful call's cost made one read more than ours: a `cost` mismatch.
    let at = lines.iter().position(|line| line.contains("\"status\":\"success\"") && !line.contains("\"block_height\":1,")).unwrap();
    let mut planted: serde_json::Value = serde_json::from_str(&lines[at]).unwrap();
    let tx = planted["transactions"].as_array_mut().unwrap().iter_mut().find(|tx| tx["status"] == "success").unwrap();
    tx["execution_cost"]["read_count"] = serde_json::json!(tx["execution_cost"]["read_count"].as_u64().unwrap() + 1);
    lines[at] = planted.to_string();
    let tip: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let tip_height = tip["block_height"].as_f64().unwrap();

    let (follower, observer, rest) = follow(&Pool::new().owner().principal().to_string(), &[]);
    let before = scrape(&observer);
    assert_eq!(value(&before, "clarimed_blocks_applied_total"), 0.0);
    for kind in MISMATCH_KINDS {
        assert_eq!(value(&before, &format!("clarimed_mismatches_total{{kind=\"{kind}\"}}")), 0.0, "{kind}");
    }
    for line in &lines {
        let (status, body) = request(&observer, "POST", "/new_block", line.as_bytes());
        assert_eq!(status, 200, "{body}");
    }
    let replayed = scrape(&observer);
    let blocks = lines.len() as f64;
    // The first block deploys both contracts: two more "calls" than the feed made.
    let expected = BTreeMap::from([
        ("clarimed_blocks_applied_total".to_string(), blocks),
        ("clarimed_calls_applied_total".to_string(), calls + 2.0),
        ("clarimed_calls_agreed_total".to_string(), calls + 1.0),
        ("clarimed_calls_mismatched_total".to_string(), 1.0),
        ("clarimed_mismatches_total{kind=\"cost\"}".to_string(), 1.0),
        ("clarimed_commit_seconds_count".to_string(), blocks),
        ("clarimed_call_seconds_count".to_string(), calls),
        ("clarimed_block_height".to_string(), tip_height - value(&before, "clarimed_block_height")),
    ]);
    let counted = counters_moved(&before, &replayed);
    assert_eq!(counted, expected, "what moved, against what the feed holds");
    assert_eq!(value(&replayed, "clarimed_block_height"), tip_height, "the followed tip");
    // Every call is in a bucket; the time since the last block is a time.
    assert_eq!(value(&replayed, "clarimed_call_seconds_bucket{le=\"+Inf\"}"), calls);
    assert!(value(&replayed, "clarimed_seconds_since_last_block") >= 0.0);
    assert!(value(&replayed, "clarimed_http_connections_open") >= 1.0, "the scrape's own connection is open");

    // The tip posted again is ignored, and a body that is no block is refused: one
    // refusal more, nothing else applied.
    assert_eq!(request(&observer, "POST", "/new_block", lines.last().unwrap().as_bytes()).0, 200);
    assert_eq!(request(&observer, "POST", "/new_block", b"{\"block_height\": 3").0, 400);
    let after = scrape(&observer);
    let refused: BTreeMap<String, f64> = moved(&replayed, &after).into_iter().filter(|(series, _)| series.ends_with("_total")).collect();
    assert_eq!(refused, BTreeMap::from([("clarimed_blocks_refused_total".to_string(), 1.0)]));
    terminate(follower);
    drop(rest);
}

#[test]
fn serve_counts_every_block_call_and_refusal_of_a_load() {
    const CLIENTS: u64 = 4;
    const EACH: u64 = 10;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let deployer = init(&db);
    let (server, address) = serve(&db, &["--block-per-tx"]);
    let before = scrape(&address);
    assert_eq!(value(&before, "clarimed_block_height"), 1.0, "init leaves the state at height 1");

    // The load: each client registers, then updates its preferences, a nonce each,
    // all clients at once.
    let keys: Vec<SigningKey> = (0..CLIENTS).map(|_| SigningKey::random()).collect();
    std::thread::scope(|scope| {
        for (client, key) in keys.iter().enumerate() {
            let (address, deployer) = (&address, &deployer);
            scope.spawn(move || {
                for nonce in 0..EACH {
                    let tx = if nonce == 0 {
                        register(key, deployer, 0, &format!("PAT-{client}"))
                    } else {
                        signed(key, deployer, nonce, "update-patient-preferences", vec![Value::Bool(nonce % 2 == 0), Value::Bool(false), Value::Bool(true)])
                    };
                    let (status, body) = request(address, "POST", "/v2/transactions", &tx);
                    assert_eq!(status, 200, "{body}");
                }
            });
        }
    });
    let transactions = (CLIENTS * EACH) as f64;
    let deadline = Instant::now() + PATIENCE;
    let loaded = loop {
        let samples = scrape(&address);
        if value(&samples, "clarimed_blocks_applied_total") == transactions && value(&samples, "clarimed_mempool_transactions") == 0.0 {
            break samples;
        }
        assert!(Instant::now() < deadline, "the load was not mined in time: {samples:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };

    // Refusals: each client's nonce 0 again (spent), and a new key's nonce far ahead.
    for (client, key) in keys.iter().enumerate() {
        assert_eq!(request(&address, "POST", "/v2/transactions", &register(key, &deployer, 0, &format!("PAT-{client}-again"))).0, 400);
    }
    let ahead = register(&SigningKey::random(), &deployer, 40, "PAT-AHEAD");
    assert_eq!(request(&address, "POST", "/v2/transactions", &ahead).0, 400);
    let after = scrape(&address);

    // A block a transaction: every counter moved by the load's size.
    let expected = BTreeMap::from([
        ("clarimed_blocks_applied_total".to_string(), transactions),
        ("clarimed_calls_applied_total".to_string(), transactions),
        ("clarimed_commit_seconds_count".to_string(), transactions),
        ("clarimed_call_seconds_count".to_string(), transactions),
        ("clarimed_block_height".to_string(), transactions),
        ("clarimed_mempool_rejections_total{reason=\"BadNonce\"}".to_string(), CLIENTS as f64),
        ("clarimed_mempool_rejections_total{reason=\"TooMuchChaining\"}".to_string(), 1.0),
    ]);
    let counted = counters_moved(&before, &after);
    assert_eq!(counted, expected, "what moved, against the load");
    assert_eq!(moved(&loaded, &after).keys().filter(|series| series.starts_with("clarimed_mempool_rejections_total")).count(), 2);
    for reason in Rejection::REASONS {
        assert!(after.contains_key(&format!("clarimed_mempool_rejections_total{{reason=\"{reason}\"}}")), "{reason} is counted from 0");
    }
    assert_eq!(value(&after, "clarimed_mempool_transactions"), 0.0);
    assert_eq!(value(&after, "clarimed_call_seconds_bucket{le=\"+Inf\"}"), transactions);
    terminate(server);
}
