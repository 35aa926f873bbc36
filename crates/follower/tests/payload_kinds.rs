//! Whatever a block holds, the follower never panics: a transaction of every payload
//! kind stacks-core 4.0.2 writes is passed over when it is not the contracts', read
//! when it is, and every truncation and byte flip of each is either applied or
//! refused with a reason, never a bug. (`fuzz/fuzz_targets/follower_blocks.rs`
//! searches the same space at random.)

use std::sync::Arc;

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::Pool;
use clarimed_conformance::payload_kinds::{block, transaction, Kind};
use clarimed_engine::{principal_to_native, Engine, MemoryStore, Principal};
use clarimed_follower::{FollowError, Follower, OnMismatch};

/// A follower that has applied the block deploying both contracts.
fn deployed() -> (Follower<MemoryStore>, Principal) {
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    let mut follower = Follower::new(Arc::new(Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap()), 16, OnMismatch::Log).unwrap();
    let feed = Feed::new(Layout::default());
    follower.apply(feed.blocks()[0].to_string().as_bytes()).unwrap();
    (follower, owner)
}

/// Applies a block of `transactions` on the follower's tip.
fn apply(follower: &mut Follower<MemoryStore>, transactions: &[Vec<u8>]) -> Result<clarimed_follower::BlockReport, FollowError> {
    let (height, tip) = follower.tip().unwrap().unwrap();
    follower.apply(block(height + 1, tip, transactions).to_string().as_bytes())
}

#[test]
fn a_block_of_every_kind_from_another_origin_is_passed_over() {
    let (mut follower, _) = deployed();
    let stranger = Principal::standard(26, [7; 20]);
    let transactions: Vec<Vec<u8>> = Kind::ALL.iter().map(|kind| transaction(*kind, &stranger, &[1, 2, 3, 4, 5])).collect();
    let before = follower.engine().state_digest().unwrap();
    let report = apply(&mut follower, &transactions).unwrap();
    assert_eq!((report.calls, report.mismatches.len()), (0, 0));
    assert_eq!(follower.engine().state_digest().unwrap(), before);
}

#[test]
fn the_deployers_calls_of_every_kind_are_read_and_compared() {
    let (mut follower, owner) = deployed();
    for seed in 0..12u8 {
        for kind in [Kind::ContractCall, Kind::ContractCallWith40PostConditions] {
            let report = apply(&mut follower, &[transaction(kind, &owner, &[seed, seed / 3, seed / 4, 9])]).unwrap();
            // Seeds 0 and 1 pick the two contracts, 2 another contract of the deployer's.
            let ours = seed % 3 != 2;
            assert_eq!(report.calls, u64::from(ours), "{kind:?} with seed {seed}");
        }
    }
}

#[test]
fn a_deployment_of_the_contracts_in_a_later_clarity_version_is_reported_not_refused() {
    let (mut follower, owner) = deployed();
    let report = apply(&mut follower, &[transaction(Kind::LaterClaritySmartContract, &owner, &[0, 0])]).unwrap();
    assert_eq!(report.mismatches.len(), 1);
    assert_eq!(report.mismatches[0].what, "deploy patient-consent");
}

#[test]
fn no_truncation_or_byte_flip_of_any_kind_is_a_bug() {
    let (mut follower, owner) = deployed();
    let stranger = Principal::standard(26, [7; 20]);
    let (mut applied, mut refused) = (0, 0);
    for kind in Kind::ALL {
        for origin in [&owner, &stranger] {
            let whole = transaction(kind, origin, &[3, 1, 4, 1, 5, 9, 2, 6]);
            let mut variants: Vec<Vec<u8>> = (0..whole.len()).map(|len| whole[..len].to_vec()).collect();
            for at in 0..whole.len() {
                for flip in [0x01, 0x80, 0xff] {
                    let mut flipped = whole.clone();
                    flipped[at] ^= flip;
                    variants.push(flipped);
                }
            }
            for variant in variants {
                match apply(&mut follower, &[variant]) {
                    Ok(_) => applied += 1,
                    Err(FollowError::Bug(bug)) => panic!("{kind:?}: {bug}"),
                    Err(_) => refused += 1,
                }
            }
        }
    }
    assert!(applied > 0 && refused > 0, "both outcomes are met: {applied} applied, {refused} refused");
    assert_eq!(follower.counts().refused, refused);
}
