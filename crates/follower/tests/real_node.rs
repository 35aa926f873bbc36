//! The follower on a real node's feed: stacks-node 4.0.2 on a local regtest chain in
//! epoch 2.5 (`fixtures/real-node-epoch-2.5/`, README there). Every block holds a
//! coinbase, one an STX transfer, and the events arrive out of `event_index` order;
//! the follower passes over what is not the contracts', agrees with the node on each
//! of the 36 transactions that are, and ends in the node's state.

use std::sync::Arc;

use clarimed_engine::table::Contract;
use clarimed_engine::{hex, parse_principal, unhex, Engine, MemoryStore, SqliteStore, Version};
use clarimed_follower::replay::replay;
use clarimed_follower::{Counts, Follower, OnMismatch};
use clarimed_transactions::envelope::{Envelope, Payload, PayloadKind};
use serde_json::Value as Json;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-node-epoch-2.5");
const DEPLOYER: &str = "ST1Q7NFPZB1935BAPF7YT2BHJY4G34DG1WMJV8SAX";
/// The SHA-256 of `node-state.kv`, as the fixture's README gives it.
const NODE_DIGEST: &str = "a8f6af6912f38ae92b47ff3f152fdc976f4dacf228fb2b46e7066888840ddf8e";

fn feed() -> Vec<String> {
    std::fs::read_to_string(format!("{FIXTURE}/new_block.ndjson")).unwrap().lines().map(str::to_string).collect()
}

fn node_state() -> Vec<String> {
    std::fs::read_to_string(format!("{FIXTURE}/node-state.kv")).unwrap().lines().map(str::to_string).collect()
}

fn memory_follower() -> Follower<MemoryStore> {
    let deployer = parse_principal(DEPLOYER).unwrap();
    Follower::new(Arc::new(Engine::in_memory(&deployer, clarimed_engine::Epoch::Epoch25).unwrap()), 16, OnMismatch::Log).unwrap()
}

/// Replays `lines`; every block must apply.
fn replay_all<S: clarimed_engine::Store + 'static>(follower: &mut Follower<S>, lines: &[String]) -> Vec<clarimed_follower::Mismatch> {
    let mut mismatches = Vec::new();
    replay(follower, lines.join("\n").as_bytes(), |_, report| mismatches.extend(report.mismatches.iter().cloned())).unwrap();
    mismatches
}

/// The state as `clarimed export --format kv` prints it: a row a line, key and value.
fn exported<S: clarimed_engine::Store + 'static>(follower: &Follower<S>) -> Vec<String> {
    follower.engine().dump_state().unwrap().into_iter().map(|(key, value)| format!("{key} {value}")).collect()
}

fn statuses(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .flat_map(|line| serde_json::from_str::<Json>(line).unwrap()["transactions"].as_array().unwrap().clone())
        .map(|tx| (tx["raw_tx"].as_str().unwrap().to_string(), tx["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn the_feed_holds_what_panicked_the_follower_before() {
    let kinds: Vec<PayloadKind> = statuses(&feed())
        .iter()
        .filter(|(raw, _)| raw != "0x00")
        .map(|(raw, _)| match Envelope::read(&unhex(&raw[2..]).unwrap()).unwrap().payload {
            Payload::Other(kind) => kind,
            Payload::Call(_) => PayloadKind::ContractCall,
            Payload::Deploy(_) => PayloadKind::SmartContract,
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == PayloadKind::Coinbase).count(), 44, "a coinbase in every block from 1 on");
    assert!(kinds.contains(&PayloadKind::TokenTransfer));
    let unordered = feed().into_iter().filter(|line| {
        let block: Json = serde_json::from_str(line).unwrap();
        let indexes: Vec<u64> = block["events"].as_array().unwrap().iter().map(|e| e["event_index"].as_u64().unwrap()).collect();
        indexes.windows(2).any(|pair| pair[0] > pair[1])
    });
    assert!(unordered.count() > 0, "some blocks' events are not in event_index order");
}

#[test]
fn every_call_agrees_with_the_node_and_the_state_ends_as_the_nodes() {
    let lines = feed();
    let mut follower = memory_follower();
    let mismatches = replay_all(&mut follower, &lines);
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    let counts = follower.counts();
    assert_eq!(counts, Counts { blocks: 45, calls: 36, agreed: 36, mismatched: 0, rewound: 0, refused: 0 });
    assert_eq!(exported(&follower), node_state());
    assert_eq!(hex(&follower.engine().state_digest().unwrap()), NODE_DIGEST);
}

#[test]
fn the_node_deployed_v1_and_the_follower_runs_v1() {
    // A fresh state runs v2, which the node never deployed: every call's cost
    // would be short or over by the difference in contract size.
    let mut follower = memory_follower();
    assert_eq!(Contract::ALL.map(|c| follower.engine().version(c).unwrap()), [Version::V2; 2]);
    assert!(replay_all(&mut follower, &feed()).is_empty());
    assert_eq!(Contract::ALL.map(|c| follower.engine().version(c).unwrap()), [Version::V1; 2]);
}

#[test]
fn the_compared_transactions_are_the_contracts_deployments_and_calls_with_every_status() {
    // Told apart by their bytes alone, as the fixture's README counts them.
    let deployer = parse_principal(DEPLOYER).unwrap();
    let mut by_status = std::collections::BTreeMap::new();
    for (raw, status) in statuses(&feed()).iter().filter(|(raw, _)| raw != "0x00") {
        let bytes = unhex(&raw[2..]).unwrap();
        let envelope = Envelope::read(&bytes).unwrap();
        let ours = match &envelope.payload {
            Payload::Deploy(deployment) => envelope.origin == deployer && ["patient-consent", "record-management"].contains(&deployment.name.as_str()),
            Payload::Call(call) => call.address == deployer,
            Payload::Other(_) => false,
        };
        if ours {
            *by_status.entry(status.as_str().to_string()).or_insert(0) += 1;
        }
    }
    let expected: std::collections::BTreeMap<String, i32> =
        [("success", 21), ("abort_by_response", 14), ("abort_by_post_condition", 1)].into_iter().map(|(s, n)| (s.to_string(), n)).collect();
    assert_eq!(by_status, expected);
}

#[test]
fn events_in_any_order_are_compared_in_event_index_order() {
    let shuffled: Vec<String> = feed()
        .iter()
        .map(|line| {
            let mut block: Json = serde_json::from_str(line).unwrap();
            let events = block["events"].as_array_mut().unwrap();
            events.reverse();
            let len = events.len();
            if len > 2 {
                events.rotate_left(len / 3);
            }
            block.to_string()
        })
        .collect();
    let mut follower = memory_follower();
    let mismatches = replay_all(&mut follower, &shuffled);
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(follower.counts().agreed, 36);
    assert_eq!(hex(&follower.engine().state_digest().unwrap()), NODE_DIGEST);
}

#[test]
fn the_counts_go_on_across_a_restart() {
    let lines = feed();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("follower.db");
    let deployer = parse_principal(DEPLOYER).unwrap();
    let open = || -> Follower<SqliteStore> {
        Follower::new(Arc::new(Engine::open_or_create(&path, &deployer, clarimed_engine::Epoch::Epoch25).unwrap()), 16, OnMismatch::Log).unwrap()
    };

    let mut first = open();
    assert!(replay_all(&mut first, &lines[..20]).is_empty());
    let halfway = first.counts();
    assert_eq!(halfway.blocks, 20);
    drop(first);

    let mut second = open();
    assert_eq!(second.counts(), halfway, "the counts were kept with the tip");
    assert!(replay_all(&mut second, &lines[20..]).is_empty());
    assert_eq!(second.counts(), Counts { blocks: 45, calls: 36, agreed: 36, mismatched: 0, rewound: 0, refused: 0 });
    assert_eq!(hex(&second.engine().state_digest().unwrap()), NODE_DIGEST);
}

#[test]
fn a_refused_block_is_counted_and_applies_nothing() {
    let lines = feed();
    let mut follower = memory_follower();
    assert!(replay_all(&mut follower, &lines[..10]).is_empty());
    let before = follower.engine().state_digest().unwrap();
    // The next block with its coinbase cut inside its authorization: not a
    // transaction any more, and whether it touched the contracts cannot be told.
    let mut block: Json = serde_json::from_str(&lines[10]).unwrap();
    let raw = block["transactions"][0]["raw_tx"].as_str().unwrap().to_string();
    let cut = &raw[..2 + 2 * 30];
    block["transactions"][0]["raw_tx"] = Json::from(cut);
    let digest = {
        use sha2::Digest;
        hex(&sha2::Sha512_256::digest(unhex(&cut[2..]).unwrap()))
    };
    block["transactions"][0]["txid"] = Json::from(format!("0x{digest}"));
    let error = follower.apply(block.to_string().as_bytes()).unwrap_err().to_string();
    assert!(error.contains(&digest) && error.contains("cannot be read"), "{error}");
    assert_eq!(follower.counts().refused, 1);
    assert_eq!(follower.engine().state_digest().unwrap(), before);
    // The node posts the block again, whole: it applies, and the feed goes on.
    assert!(replay_all(&mut follower, &lines[10..]).is_empty());
    assert_eq!(hex(&follower.engine().state_digest().unwrap()), NODE_DIGEST);
}

#[test]
fn a_txid_that_is_not_the_hash_of_its_transaction_refuses_the_block() {
    let lines = feed();
    let mut follower = memory_follower();
    let mut block: Json = serde_json::from_str(&lines[1]).unwrap();
    block["transactions"][0]["txid"] = Json::from(format!("0x{}", "00".repeat(32)));
    let error = follower.apply(block.to_string().as_bytes()).unwrap_err().to_string();
    assert!(error.contains("is not the SHA-512/256 of raw_tx"), "{error}");
}

#[test]
fn the_uncommitted_events_older_nodes_post_for_an_aborted_transaction_are_not_compared() {
    // Before 3.3.0.0.6 a node posted a post-condition-aborted transaction's events,
    // marked `committed: false`; 4.0.2 posts none. The same feed, as an older node
    // would have posted it, still agrees.
    let older: Vec<String> = feed()
        .iter()
        .map(|line| {
            let mut block: Json = serde_json::from_str(line).unwrap();
            let aborted: Vec<String> =
                block["transactions"].as_array().unwrap().iter().filter(|tx| tx["status"] == "abort_by_post_condition").map(|tx| tx["txid"].as_str().unwrap().to_string()).collect();
            let events = block["events"].as_array_mut().unwrap();
            for txid in aborted {
                let event_index = events.len();
                events.push(serde_json::json!({
                    "txid": txid,
                    "event_index": event_index,
                    "committed": false,
                    "type": "contract_event",
                    "contract_event": { "contract_identifier": format!("{DEPLOYER}.record-management"), "topic": "print", "raw_value": "0x0d00000001", "value": null },
                }));
            }
            block.to_string()
        })
        .collect();
    assert_ne!(older, feed(), "the feed has a post-condition-aborted transaction to mark");
    let mut follower = memory_follower();
    let mismatches = replay_all(&mut follower, &older);
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(follower.counts().agreed, 36);
}
