//! The follower on Nakamoto chains: `/new_block` bodies in the shape 3.x and 4.0
//! nodes post (`clarimed_conformance::nakamoto_feed`, every field of stacks-core
//! 4.0.2's `payloads.rs`), made from the chains stacks-core's own Clarity ran in the
//! conformance crate's fixtures. Each block's epoch comes from its burn height on
//! mainnet, its `block-height` from its `tenure_height`; every call agrees with
//! the node's status, result, print events and cost, and a transaction a 4.0 node
//! skipped as problematic is passed over.

use std::sync::Arc;

use clarimed_conformance::nakamoto_feed::blocks;
use clarimed_engine::{parse_principal, Engine, Epoch, Network};
use clarimed_follower::{Epochs, Follower, OnMismatch};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/tests/fixtures/stacks-core-4.0.2");

/// Where each epoch begins on mainnet (stacks-core's `STACKS_EPOCHS_MAINNET`).
fn mainnet_start(epoch: Epoch) -> u64 {
    match epoch {
        Epoch::Epoch30 => 867_867,
        Epoch::Epoch33 => 923_222,
        Epoch::Epoch34 => 943_333,
        Epoch::Epoch40 => 960_230,
        other => panic!("no Nakamoto fixture for {other}"),
    }
}

/// Follows the fixture `name`'s chain: in `epoch` throughout, or with `by_burn_height`
/// each block in the epoch its burn height is in on mainnet.
fn follow(name: &str, epoch: Epoch, by_burn_height: bool) {
    let fixture = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    let feed = blocks(&fixture, mainnet_start(epoch)).unwrap();
    let deployer = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
    let engine = Arc::new(Engine::in_memory(&deployer, if by_burn_height { Epoch::Epoch25 } else { epoch }).unwrap());
    let epochs = if by_burn_height { Epochs::Network(Network::Mainnet) } else { Epochs::Fixed(epoch) };
    let mut follower = Follower::new(engine, 16, OnMismatch::Log).unwrap().with_epochs(epochs);
    let (mut calls, mut skipped) = (0, 0);
    for block in &feed {
        skipped += block["transactions"].as_array().unwrap().iter().filter(|tx| tx["status"] == "problematic_skipped").count();
        let report = follower.apply(block.to_string().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.mismatches.is_empty(), "{name}: {:#?}", report.mismatches);
        calls += report.calls;
    }
    let public = fixture.lines().filter(|line| line.contains("\"read_only\": false") && !line.contains("\"status\": \"refused\"")).count();
    assert_eq!(calls as usize, public + 2, "{name}: every public call and both deployments compared");
    assert_eq!(skipped, 1, "{name}: the skipped transaction was in the feed");
    let tip = follower.engine().tip();
    assert_eq!(tip.epoch, epoch, "{name}: the burn heights put the chain in {epoch}");
    let last = feed.last().unwrap();
    assert_eq!((u64::from(tip.stacks_height), u64::from(tip.tenure_height)), (last["block_height"].as_u64().unwrap(), last["tenure_height"].as_u64().unwrap()));
}

#[test]
fn the_journey_is_followed_in_every_nakamoto_epoch() {
    // Its last tenures are a retention period (1,576,800 of them) later: more than
    // an epoch's burn blocks, so the epoch is given.
    for epoch in [Epoch::Epoch30, Epoch::Epoch33, Epoch::Epoch34, Epoch::Epoch40] {
        follow(&format!("journey-{epoch}.ndjson"), epoch, false);
    }
}

#[test]
fn random_chains_are_followed_at_3_0_3_3_and_3_4() {
    // Their retention periods also outlast an epoch's burn blocks.
    for epoch in [Epoch::Epoch30, Epoch::Epoch33, Epoch::Epoch34] {
        follow(&format!("random-{epoch}.ndjson"), epoch, false);
    }
}

#[test]
fn a_random_4_0_chain_is_followed_in_the_epoch_its_burn_heights_are_in() {
    // 4.0 is mainnet's last epoch: every burn height from 960,230 on is in it, and
    // the state, made at 2.5, moves to 4.0 with the first block.
    follow("random-4.0.ndjson", Epoch::Epoch40, true);
}

#[test]
fn a_nakamoto_block_without_its_tenure_height_is_refused() {
    let fixture = std::fs::read_to_string(format!("{FIXTURES}/journey-4.0.ndjson")).unwrap();
    let mut feed = blocks(&fixture, mainnet_start(Epoch::Epoch40)).unwrap();
    feed[0].as_object_mut().unwrap().remove("tenure_height");
    let deployer = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
    let engine = Arc::new(Engine::in_memory(&deployer, Epoch::Epoch25).unwrap());
    let mut follower = Follower::new(engine, 16, OnMismatch::Log).unwrap().with_epochs(Epochs::Network(Network::Mainnet));
    let error = follower.apply(feed[0].to_string().as_bytes()).unwrap_err().to_string();
    assert!(error.contains("no tenure_height"), "{error}");
}
