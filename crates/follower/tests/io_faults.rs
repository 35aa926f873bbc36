//! The follower on a disk that fails its commits: the observer refuses the block
//! (HTTP 500, so the node posts it again), applies nothing of it, and applies it
//! once the disk has room, ending where a follower that never met the fault ends.
//! The state file holds, throughout, the last block committed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_engine::{hex, principal_to_native, state_digest, Engine, SqliteStore};
use clarimed_follower::metrics::FollowMetrics;
use clarimed_follower::{observer, Follower, OnMismatch};
use clarimed_listener::health::Health;
use clarimed_storage::testing::FullDisk;
use serde_json::Value as Json;
use tokio::net::TcpListener;

/// One HTTP/1.1 request, as the node makes it; the status and the body.
async fn request(address: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    clarimed_listener::testing::request(address, method, path, body, Duration::from_secs(30)).await
}

async fn post_block(address: SocketAddr, block: &Json) -> (u16, String) {
    request(address, "POST", "/new_block", &serde_json::to_vec(block).unwrap()).await
}

/// What `/clarimed/status` says of where the follower stands: its tip, the block
/// height and the state's digest.
async fn standing(address: SocketAddr) -> (Json, Json, Json) {
    let (status, body) = request(address, "GET", "/clarimed/status", b"").await;
    assert_eq!(status, 200, "{body}");
    let status: Json = serde_json::from_str(&body).unwrap();
    (status["tip"].clone(), status["block_height"].clone(), status["state_digest"].clone())
}

/// The state file's digest and block height, read by an engine of its own.
fn on_file(path: &Path) -> (Json, Json) {
    let engine = Engine::open(path).unwrap();
    (Json::from(hex(&engine.state_digest().unwrap())), Json::from(engine.committed_block_height()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_the_disk_refuses_is_answered_500_applies_nothing_and_is_applied_when_posted_again() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&seeded_sequences(31, 1, 60).next().unwrap());
    let blocks = feed.blocks();
    let at = blocks.len() / 2;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("follower.db");
    let owner = principal_to_native(&Pool::new().owner().principal().into());
    let store = FullDisk::new(SqliteStore::open(&path).unwrap());
    let engine = Arc::new(Engine::with_store(store, Some((&owner, clarimed_engine::Epoch::Epoch25))).unwrap());
    let follower = Arc::new(Mutex::new(Follower::new(engine.clone(), 16, OnMismatch::Stop).unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let observer = tokio::spawn(observer::serve(
        listener,
        follower.clone(),
        None,
        Box::new(|_| ()),
        clarimed_listener::Limits::default(),
        Arc::new(FollowMetrics::new(Arc::new(Health::new(0)))),
        shutdown,
    ));

    for block in &blocks[..at] {
        assert_eq!(post_block(address, block).await, (200, String::new()));
    }
    let (tip, height, digest) = standing(address).await;

    // The disk fills: the block is refused, and so is the node's next post of it.
    engine.backend().set_full(true);
    for attempt in 1..=2 {
        let (status, reason) = post_block(address, &blocks[at]).await;
        assert_eq!(status, 500, "attempt {attempt}: refused, so that the node posts it again");
        assert!(reason.contains("database or disk is full"), "attempt {attempt}: {reason}");
        assert_eq!(standing(address).await, (tip.clone(), height.clone(), digest.clone()), "attempt {attempt}: nothing of it applied");
    }
    assert_eq!(on_file(&path), (digest, height), "the file holds the last block committed");

    // Room again: the node's next post is applied, and the feed goes on.
    engine.backend().set_full(false);
    let mut clean = Follower::new(Arc::new(Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap()), 16, OnMismatch::Stop).unwrap();
    for block in &blocks[..=at] {
        clean.apply(&serde_json::to_vec(block).unwrap()).unwrap();
    }
    assert_eq!(post_block(address, &blocks[at]).await, (200, String::new()));
    let (tip, height, digest) = standing(address).await;
    let clean_tip = clean.tip().unwrap().map(|(height, hash)| serde_json::json!({ "block_height": height, "index_block_hash": format!("0x{}", hex(&hash)) }));
    assert_eq!(tip, Json::from(clean_tip), "the block is the tip");
    assert_eq!(height, Json::from(clean.engine().committed_block_height()), "at the block's height, as if never refused");
    assert_eq!(digest, Json::from(hex(&clean.engine().state_digest().unwrap())));
    for block in &blocks[at + 1..] {
        assert_eq!(post_block(address, block).await, (200, String::new()));
    }
    let counts = follower.lock().unwrap().counts();
    assert_eq!((counts.blocks as usize, counts.refused, counts.mismatched), (blocks.len(), 2, 0));

    drop(stop);
    assert_eq!(observer.await.unwrap(), observer::Ended::Shutdown);
    drop((follower, engine));
    let digest = Json::from(hex(&state_digest(&feed.vm_state())));
    assert_eq!(on_file(&path).0, digest, "the file ends in the node's state");
}
