//! The follower against node-shaped feeds generated on the Clarity VM: it agrees on
//! every transaction, ends in the VM's state (same digest), reports a planted
//! mismatch with its transaction, rewinds a fork to the state of a straight replay
//! of the winning branch, and refuses a malformed block applying nothing.

use std::sync::Arc;

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Op, Pool};
use clarimed_engine::keys::SigningKey;
use clarimed_engine::table::Contract;
use clarimed_engine::{hex, principal_to_native, state_digest, Engine, MemoryStore, SqliteStore, Version};
use clarimed_follower::{FollowError, Follower, OnMismatch};
use clarimed_transactions::sign::{sign_deploy, Deploy};
use clarimed_transactions::TESTNET;
use serde_json::Value as Json;

fn ops(seed: u64, steps: usize) -> Vec<Op> {
    seeded_sequences(seed, 1, steps).next().unwrap()
}

fn follower(depth: u32, on_mismatch: OnMismatch) -> Follower<MemoryStore> {
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    Follower::new(Arc::new(Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap()), depth, on_mismatch).unwrap()
}

fn body(block: &Json) -> Vec<u8> {
    serde_json::to_vec(block).unwrap()
}

fn apply_all<S: clarimed_engine::Store + 'static>(follower: &mut Follower<S>, blocks: &[Json]) {
    for block in blocks {
        let report = follower.apply(&body(block)).unwrap();
        assert!(report.mismatches.is_empty(), "{:#?}", report.mismatches);
    }
}

fn digest<S: clarimed_engine::Store + 'static>(follower: &Follower<S>) -> [u8; 32] {
    follower.engine().state_digest().unwrap()
}

/// How many of the feed's transactions ended with `status`.
fn with_status(blocks: &[Json], status: &str) -> usize {
    blocks.iter().flat_map(|b| b["transactions"].as_array().unwrap()).filter(|tx| tx["status"] == status).count()
}

#[test]
fn the_follower_agrees_with_the_vm_on_every_transaction_and_ends_in_its_state() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&ops(14, 400));
    let blocks = feed.blocks();
    for status in ["success", "abort_by_response", "abort_by_post_condition"] {
        assert!(with_status(blocks, status) > 0, "the feed meets {status}");
    }

    let mut memory = follower(16, OnMismatch::Stop);
    apply_all(&mut memory, blocks);
    let counts = memory.counts();
    assert_eq!(counts.calls as usize, feed.calls() + 2, "every call and both deployments compared");
    assert_eq!((counts.agreed, counts.mismatched), (counts.calls, 0));
    assert_eq!(digest(&memory), state_digest(&feed.vm_state()), "the VM's state after the same history");
    assert_eq!(memory.engine().dump_state().unwrap(), feed.vm_state());

    // A second follower, on SQLite, fed the same feed, prints the same digest.
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    let sqlite = Engine::with_store(SqliteStore::in_memory().unwrap(), Some((&owner, clarimed_engine::Epoch::Epoch25))).unwrap();
    let mut second = Follower::new(Arc::new(sqlite), 16, OnMismatch::Stop).unwrap();
    apply_all(&mut second, blocks);
    assert_eq!(digest(&second), digest(&memory));
    assert_eq!(second.tip().unwrap(), memory.tip().unwrap());
}

#[test]
fn a_block_already_applied_is_ignored() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&ops(3, 40));
    let mut follower = follower(16, OnMismatch::Stop);
    apply_all(&mut follower, feed.blocks());
    let (before, tip) = (digest(&follower), follower.tip().unwrap());
    let report = follower.apply(&body(&feed.blocks()[1])).unwrap();
    assert!(report.already_applied);
    assert_eq!((digest(&follower), follower.tip().unwrap()), (before, tip));
}

#[test]
fn a_planted_mismatch_is_reported_with_its_transaction_in_each_field() {
    type Plant = fn(&mut Json);
    let cases: [(&str, Plant); 3] = [
        ("result", |block| {
            let tx = block["transactions"].as_array_mut().unwrap().iter_mut().find(|tx| tx["status"] == "success").unwrap();
            tx["raw_result"] = Json::from("0x0704");
        }),
        ("events", |block| block["events"][0]["contract_event"]["raw_value"] = Json::from("0x0100000000000000000000000000000007")),
        ("cost", |block| {
            let txid = block["events"][0]["txid"].clone();
            let tx = block["transactions"].as_array_mut().unwrap().iter_mut().find(|tx| tx["txid"] == txid).unwrap();
            tx["execution_cost"]["runtime"] = Json::from(tx["execution_cost"]["runtime"].as_u64().unwrap() + 1);
        }),
    ];
    let mut feed = Feed::new(Layout { failing_post_condition_every: 0, ..Layout::default() });
    feed.run(&ops(5, 60));
    let at = feed.blocks().iter().position(|b| b["block_height"].as_u64() > Some(1) && !b["events"].as_array().unwrap().is_empty()).unwrap();
    for (field, plant) in cases {
        let mut blocks = feed.blocks().to_vec();
        plant(&mut blocks[at]);
        let planted_txid = match field {
            "result" => blocks[at]["transactions"].as_array().unwrap().iter().find(|tx| tx["raw_result"] == "0x0704").unwrap()["txid"].clone(),
            _ => blocks[at]["events"][0]["txid"].clone(),
        };

        // Logged: reported with the transaction and both outcomes, and the feed goes on.
        let mut logging = follower(16, OnMismatch::Log);
        let mut reported = Vec::new();
        for block in &blocks {
            reported.extend(logging.apply(&body(block)).unwrap().mismatches);
        }
        assert_eq!(reported.len(), 1, "{field}: {reported:#?}");
        let mismatch = &reported[0];
        assert_eq!(Json::from(mismatch.txid.clone()), planted_txid, "{field}");
        assert_eq!(mismatch.differs, vec![field]);
        assert_ne!(mismatch.node, mismatch.ours);
        assert!(mismatch.what.contains('.'), "names the call: {}", mismatch.what);
        assert_eq!(logging.counts().mismatched, 1);

        // Stopped: the block is not applied.
        let mut stopping = follower(16, OnMismatch::Stop);
        apply_all(&mut stopping, &blocks[..at]);
        let (before, tip) = (digest(&stopping), stopping.tip().unwrap());
        match stopping.apply(&body(&blocks[at])) {
            Err(FollowError::Stopped(mismatch)) => assert_eq!(mismatch.differs, vec![field]),
            other => panic!("{field}: {other:?}"),
        }
        assert_eq!((digest(&stopping), stopping.tip().unwrap()), (before, tip), "{field}: nothing of the block applied");
    }
}

#[test]
fn a_fork_is_rewound_and_the_winning_branch_applied_as_a_straight_replay_would() {
    let (prefix, losing, winning) = (ops(21, 60), ops(22, 40), ops(23, 50));
    let mut lost = Feed::new(Layout::default());
    lost.run(&prefix);
    let common = lost.blocks().len();
    lost.branch(1);
    lost.run(&losing[3..]);
    let mut won = Feed::new(Layout::default());
    won.run(&prefix);
    assert_eq!(&won.blocks()[..common], &lost.blocks()[..common], "the same ops make the same blocks");
    won.branch(2);
    won.run(&winning[3..]);
    assert_ne!(lost.blocks()[common], won.blocks()[common]);

    let mut forked = follower(64, OnMismatch::Stop);
    apply_all(&mut forked, lost.blocks());
    let first_of_winning = forked.apply(&body(&won.blocks()[common])).unwrap();
    assert_eq!(first_of_winning.rewound as usize, lost.blocks().len() - common, "back to the common block");
    apply_all(&mut forked, &won.blocks()[common + 1..]);

    let mut straight = follower(64, OnMismatch::Stop);
    apply_all(&mut straight, won.blocks());
    assert_eq!(forked.engine().dump_state().unwrap(), straight.engine().dump_state().unwrap());
    assert_eq!(digest(&forked), state_digest(&won.vm_state()));
    assert_eq!(forked.tip().unwrap(), straight.tip().unwrap());
    assert_eq!(forked.counts().mismatched, 0);

    // The losing branch's blocks again: a fork back to it, rewound the same way.
    let again = forked.apply(&body(&lost.blocks()[common])).unwrap();
    assert_eq!(again.rewound as usize, won.blocks().len() - common);
}

#[test]
fn a_fork_deeper_than_the_depth_kept_is_refused_applying_nothing() {
    let mut lost = Feed::new(Layout { calls_per_block: 2, ..Layout::default() });
    lost.run(&ops(31, 30));
    let mut won = Feed::new(Layout { calls_per_block: 2, ..Layout::default() });
    won.run(&ops(31, 30)[..10]);
    let common = won.blocks().len();
    won.branch(2);
    won.run(&ops(32, 10)[3..]);
    assert!(lost.blocks().len() > common + 4, "the fork is deeper than 4");

    let mut follower = follower(3, OnMismatch::Stop);
    apply_all(&mut follower, lost.blocks());
    let (before, tip) = (digest(&follower), follower.tip().unwrap());
    let error = follower.apply(&body(&won.blocks()[common])).unwrap_err();
    assert!(matches!(error, FollowError::UnknownParent { depth: 3, known: 4, .. }), "{error}");
    assert!(error.to_string().contains("deeper than the 3 blocks kept"), "{error}");
    assert_eq!((digest(&follower), follower.tip().unwrap()), (before, tip));
}

#[test]
fn a_malformed_or_truncated_block_is_refused_with_a_clear_error_and_applies_nothing() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&ops(7, 30));
    let blocks = feed.blocks();
    let mut follower = follower(16, OnMismatch::Stop);
    follower.apply(&body(&blocks[0])).unwrap();
    let (before, tip) = (digest(&follower), follower.tip().unwrap());
    let next = body(&blocks[1]);

    let truncated = follower.apply(&next[..next.len() - 40]).unwrap_err();
    assert!(matches!(truncated, FollowError::Payload(_)), "{truncated}");

    let mut bad_tx = blocks[1].clone();
    let raw = bad_tx["transactions"][0]["raw_tx"].as_str().unwrap().to_string();
    bad_tx["transactions"][0]["raw_tx"] = Json::from(&raw[..raw.len() / 2]);
    let error = follower.apply(&body(&bad_tx)).unwrap_err();
    assert!(error.to_string().contains("transactions[0].raw_tx"), "{error}");

    let mut bad_hex = blocks[1].clone();
    bad_hex["transactions"][1]["raw_result"] = Json::from("0xzz");
    let error = follower.apply(&body(&bad_hex)).unwrap_err();
    assert!(error.to_string().contains("transactions[1].raw_result: `0xzz` is not hex"), "{error}");

    let mut bad_status = blocks[1].clone();
    bad_status["transactions"][0]["status"] = Json::from("done");
    let error = follower.apply(&body(&bad_status)).unwrap_err();
    assert!(error.to_string().contains("`done` is not a status the node writes"), "{error}");

    let orphan = follower.apply(&body(&blocks[3])).unwrap_err();
    assert!(matches!(orphan, FollowError::UnknownParent { .. }), "{orphan}");

    assert_eq!((digest(&follower), follower.tip().unwrap()), (before, tip));
    follower.apply(&next).unwrap();
}

#[test]
fn a_deployment_of_another_source_is_reported_and_its_calls_are_not_followed() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&ops(9, 20));
    let mut blocks = feed.blocks().to_vec();
    let owner = SigningKey::from_hex(&Pool::new().owner().private_key_hex()).unwrap();
    let other = format!("{}\n;; changed\n", Contract::PatientConsent.source(Version::LATEST));
    let bytes = sign_deploy(&owner, Deploy { network: TESTNET, nonce: 0, fee: 100_000, name: "patient-consent", source: &other }).unwrap();
    blocks[0]["transactions"][1]["raw_tx"] = Json::from(format!("0x{}", hex(&bytes)));
    blocks[0]["transactions"][1]["txid"] = Json::from(format!("0x{}", hex(&<sha2::Sha512_256 as sha2::Digest>::digest(&bytes))));

    let mut follower = follower(16, OnMismatch::Log);
    let report = follower.apply(&body(&blocks[0])).unwrap();
    assert_eq!(report.mismatches.len(), 1);
    assert_eq!((report.mismatches[0].what.as_str(), report.mismatches[0].differs.clone()), ("deploy patient-consent", vec!["source"]));
    assert_eq!(follower.deployed().unwrap(), vec![Contract::RecordManagement]);
    let error = follower.apply(&body(&blocks[1])).unwrap_err();
    assert!(matches!(error, FollowError::NotDeployed { ref contract, .. } if contract == "patient-consent"), "{error}");
}

#[test]
fn a_follower_restarted_on_its_state_file_goes_on_from_its_tip() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&ops(17, 120));
    let blocks = feed.blocks();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("follower.db");
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    {
        let mut first = Follower::new(Arc::new(Engine::open_or_create(&path, &owner, clarimed_engine::Epoch::Epoch25).unwrap()), 16, OnMismatch::Stop).unwrap();
        apply_all(&mut first, &blocks[..blocks.len() / 2]);
    }
    let mut restarted = Follower::new(Arc::new(Engine::open(&path).unwrap()), 16, OnMismatch::Stop).unwrap();
    assert!(restarted.apply(&body(&blocks[blocks.len() / 2 - 1])).unwrap().already_applied);
    apply_all(&mut restarted, &blocks[blocks.len() / 2..]);
    assert_eq!(digest(&restarted), state_digest(&feed.vm_state()));
}

#[test]
fn a_state_changed_by_anything_but_a_follower_is_refused() {
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    let called = Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap();
    called.consent().register_patient(&owner, "PAT-1", 19_800_101, None, None).unwrap();
    let mined = Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap();
    mined.mine(3).unwrap();
    for engine in [called, mined] {
        assert!(matches!(Follower::new(Arc::new(engine), 16, OnMismatch::Stop), Err(FollowError::NotAFollowersState)));
    }
}
