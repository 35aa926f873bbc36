//! Arbitrary `/new_block` bodies on a follower that has seen both contracts
//! deployed: transactions of every payload kind stacks-core 4.0.2 writes
//! (`clarimed_conformance::payload_kinds`: those stacks-codec encodes, and the raw
//! bytes of those it cannot), from the deployer or another origin, cut short or
//! with bytes flipped, beside arbitrary bytes. No input may panic (libFuzzer aborts
//! on any panic, caught or not) or be refused as a bug.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Result, Unstructured};
use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::Pool;
use clarimed_conformance::payload_kinds::{block, transaction, Kind};
use clarimed_engine::{principal_to_native, Engine, Principal};
use clarimed_follower::{FollowError, Follower, OnMismatch};
use libfuzzer_sys::fuzz_target;

/// The block that deploys both contracts, made once on the Clarity VM.
fn deploy_block() -> &'static [u8] {
    static BLOCK: OnceLock<Vec<u8>> = OnceLock::new();
    BLOCK.get_or_init(|| Feed::new(Layout::default()).blocks()[0].to_string().into_bytes())
}

fn transaction_of(u: &mut Unstructured<'_>, owner: &Principal) -> Result<Vec<u8>> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let kind = *u.choose(&Kind::ALL)?;
    let origin = if u.arbitrary()? { owner.clone() } else { Principal::standard(26, [u.arbitrary()?; 20]) };
    let seed: Vec<u8> = u.arbitrary()?;
    let mut bytes = transaction(kind, &origin, &seed);
    for _ in 0..u.int_in_range(0..=3)? {
        if bytes.is_empty() {
            break;
        }
        let at = u.choose_index(bytes.len())?;
        bytes[at] ^= u8::arbitrary(u)?.max(1);
    }
    if u.ratio(1, 4)? {
        bytes.truncate(u.choose_index(bytes.len() + 1)?);
    }
    Ok(bytes)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    let mut follower = Follower::new(Arc::new(Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).expect("a memory engine")), 16, OnMismatch::Log).expect("a fresh follower");
    follower.apply(deploy_block()).expect("the deploy block applies");
    for _ in 0..u.int_in_range(1..=3).unwrap_or(1) {
        let Ok(count) = u.int_in_range(1..=6) else { return };
        let Ok(transactions) = (0..count).map(|_| transaction_of(&mut u, &owner)).collect::<Result<Vec<_>>>() else { return };
        let (height, tip) = follower.tip().expect("the tip reads").expect("a tip");
        match follower.apply(block(height + 1, tip, &transactions).to_string().as_bytes()) {
            Err(FollowError::Bug(bug)) => panic!("a bug: {bug}"),
            Err(FollowError::Engine(error)) => panic!("the memory engine failed: {error}"),
            _ => {}
        }
    }
});
