//! Replaying a recorded node feed of at least 100,000 contract calls: the follower
//! (the native engine, in memory and on a SQLite file) beside the Clarity VM
//! replaying the same feed.
//!
//! The feed is what a node posts to `/new_block`: signed transactions of random
//! operations on both contracts (the conformance suite's, each mine capped at a year
//! and a block so that the chain stays within the heights the follower holds), in
//! blocks of at most 100 calls, each run on the Clarity VM with its costs when the
//! feed is made. Making it is not measured. Each replayer then takes every block in
//! order: the follower as `clarimed replay` does (decode, re-execute, compare
//! status, result, events and cost, commit the block with its undo record), the VM
//! by decoding each call and running it (mined to the block's height, aborted where
//! a post-condition fails) and comparing result, status and cost.
//!
//! The follower on SQLite replays it twice: a durable commit per block (`clarimed
//! replay`), and as a bulk load (`clarimed replay --bulk`: no journal, one sync at
//! the end, timed), each onto a state with both contracts deployed.
//!
//! `cargo bench -p clarimed-benches --bench follow_replay` (CLARIMED_FEED_CALLS sets
//! another size; CLARIMED_FEED=FILE keeps the feed in FILE, and replays FILE without
//! making it again when it exists, as `clarimed replay` can).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::sync::Arc;
use std::time::Instant;

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_engine::{hex, principal_to_native, Engine, SqliteStore};
use clarimed_follower::payload::NewBlock;
use clarimed_follower::{Follower, OnMismatch};
use clarimed_reference::{PrincipalData, ReferenceVm};
use clarimed_transactions::{Transaction, TESTNET};

fn main() {
    let calls: usize = std::env::var("CLARIMED_FEED_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var_os("CLARIMED_FEED").map_or_else(|| dir.path().join("feed.ndjson"), std::path::PathBuf::from);
    let blocks = if path.exists() { BufReader::new(std::fs::File::open(&path).unwrap()).lines().count() } else { make_feed(&path, calls) };
    println!("feed: {} in {blocks} blocks (≤ 100 calls each)\n", path.display());
    println!("| replayer | calls | seconds | calls per second |");
    println!("|---|---:|---:|---:|");

    let owner = principal_to_native(&Pool::new().owner().principal().into());
    let memory =
        Follower::new(Arc::new(Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap()), clarimed_follower::DEFAULT_FORK_DEPTH, OnMismatch::Stop)
            .unwrap();
    report("follower, in memory", follow(memory, &path, |_| ()));
    let sqlite = Engine::with_store(SqliteStore::open(dir.path().join("follower.db")).unwrap(), Some((&owner, clarimed_engine::Epoch::Epoch25))).unwrap();
    let sqlite = Follower::new(Arc::new(sqlite), clarimed_follower::DEFAULT_FORK_DEPTH, OnMismatch::Stop).unwrap();
    report("follower, SQLite file (a commit per block)", follow(sqlite, &path, |_| ()));
    // As `clarimed init` then `clarimed replay --bulk`.
    let bulk_path = dir.path().join("bulk.db");
    drop(Engine::open_or_create(&bulk_path, &owner, clarimed_engine::Epoch::Epoch25).unwrap());
    let bulk = Engine::open_for_loading(&bulk_path, &owner, clarimed_engine::Epoch::Epoch25).unwrap();
    let bulk = Follower::new(Arc::new(bulk), clarimed_follower::DEFAULT_FORK_DEPTH, OnMismatch::Stop).unwrap();
    report("follower, SQLite file, bulk (one sync at the end)", follow(bulk, &path, |engine| engine.backend().sync_load().unwrap()));
    report("Clarity VM (clarity-vm 2.3.0)", vm_replay(&path));
}

/// Writes a feed of at least `calls` calls to `path`; the blocks written.
fn make_feed(path: &std::path::Path, calls: usize) -> usize {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut feed = Feed::new(Layout { calls_per_block: 100, failing_post_condition_every: 50 });
    let (mut blocks, mut seed, started) = (0, 0, Instant::now());
    while feed.calls() < calls {
        feed.run(&seeded_sequences(seed, 1, 2_000).next().unwrap());
        seed += 1;
        for block in feed.take_blocks() {
            serde_json::to_writer(&mut out, &block).unwrap();
            out.write_all(b"\n").unwrap();
            blocks += 1;
        }
        eprintln!("making the feed: {} calls, {:.0} s", feed.calls(), started.elapsed().as_secs_f64());
    }
    out.flush().unwrap();
    blocks
}

fn report(replayer: &str, (calls, seconds): (u64, f64)) {
    println!("| {replayer} | {calls} | {seconds:.1} | {:.0} |", calls as f64 / seconds);
}

/// The follower over the feed, then `finish` (what makes it durable, if anything
/// is left to): its calls (deployments included) and seconds.
fn follow<S: clarimed_engine::Store + 'static>(mut follower: Follower<S>, path: &std::path::Path, finish: impl FnOnce(&Engine<S>)) -> (u64, f64) {
    let feed = BufReader::new(std::fs::File::open(path).unwrap());
    let started = Instant::now();
    clarimed_follower::replay::replay(&mut follower, feed, |_, _| {}).expect("the follower agrees on every transaction");
    finish(follower.engine());
    let seconds = started.elapsed().as_secs_f64();
    let counts = follower.counts();
    assert_eq!(counts.mismatched, 0);
    (counts.calls, seconds)
}

/// The VM over the feed: each call decoded and run at its block's height, its
/// status, result and cost compared with the feed's.
fn vm_replay(path: &std::path::Path) -> (u64, f64) {
    let owner = Pool::new().owner().principal();
    let deployer = principal_to_native(&owner.clone().into());
    let mut vm = ReferenceVm::new(owner).unwrap();
    let (mut calls, started) = (0u64, Instant::now());
    for line in BufReader::new(std::fs::File::open(path).unwrap()).lines() {
        let block = NewBlock::parse(line.unwrap().as_bytes()).unwrap();
        let height = block.block_height as u32;
        let at = vm.block_height();
        vm.mine(height.saturating_sub(at));
        for tx in &block.transactions {
            let raw = clarimed_engine::unhex(tx.raw_tx.trim_start_matches("0x")).unwrap();
            let Ok(decoded) = Transaction::decode(&raw) else { continue };
            // Deployments: the VM deployed both contracts when it was made.
            let Ok(call) = decoded.contract_call(&TESTNET, &deployer) else { continue };
            let sender: PrincipalData = clarimed_engine::principal_to_clarity(&decoded.origin()).unwrap();
            let run = if decoded.post_conditions_hold() {
                vm.call_public(&sender, call.contract.name(), &call.function, &call.args)
            } else {
                vm.call_public_aborted(&sender, call.contract.name(), &call.function, &call.args)
            };
            let result = run.expect("the VM runs every call of the feed");
            let status = match (decoded.post_conditions_hold(), result.committed) {
                (false, _) => "abort_by_post_condition",
                (true, true) => "success",
                (true, false) => "abort_by_response",
            };
            let agrees =
                status == tx.status && format!("0x{}", hex(&result.value.serialize_to_vec().unwrap())) == tx.raw_result && result.cost == tx.execution_cost;
            assert!(agrees, "the VM replays transaction {} as the feed says", tx.txid);
            calls += 1;
        }
    }
    (calls, started.elapsed().as_secs_f64())
}
