//! The follower's `GET /clarimed/health`, over loopback: 200 while blocks come
//! within the max age and commit; 503, with the same JSON naming the reason, once
//! the last block is older than that (the time driven by a test clock, not slept)
//! or a commit failed on a full disk, and 200 again with the next block committed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_engine::{principal_to_native, Engine, Epoch, SqliteStore, Store};
use clarimed_follower::metrics::FollowMetrics;
use clarimed_follower::observer::{self, Ended};
use clarimed_follower::{Follower, OnMismatch};
use clarimed_listener::health::Health;
use clarimed_storage::testing::FullDisk;
use serde_json::Value as Json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// One HTTP/1.1 request, as the node makes it; the status and the body.
async fn request(address: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    clarimed_listener::testing::request(address, method, path, body, Duration::from_secs(30)).await
}

async fn post_block(address: SocketAddr, block: &Json) -> u16 {
    request(address, "POST", "/new_block", &serde_json::to_vec(block).unwrap()).await.0
}

/// The health answer: its status and its JSON, whose shape is the same either way.
async fn health(address: SocketAddr) -> (u16, Json) {
    let (status, body) = request(address, "GET", "/clarimed/health", b"").await;
    let body: Json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON: {body}"));
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["block_height", "reason", "seconds_since_last_block", "status"], "{body}");
    (status, body)
}

/// The block height `/clarimed/status` reports.
async fn status_height(address: SocketAddr) -> Json {
    let (status, body) = request(address, "GET", "/clarimed/status", b"").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Json>(&body).unwrap()["block_height"].clone()
}

fn blocks() -> Vec<Json> {
    let mut feed = Feed::new(Layout::default());
    feed.run(&seeded_sequences(47, 1, 20).next().unwrap());
    feed.blocks().to_vec()
}

/// The observer over `engine` on a free loopback port, answering health from
/// `health`; stopped by dropping the sender.
async fn observe<S: Store + Send + Sync + 'static>(
    engine: Arc<Engine<S>>,
    health: Health,
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<Ended>) {
    let follower = Arc::new(Mutex::new(Follower::new(engine, 16, OnMismatch::Stop).unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(observer::serve(
        listener,
        follower,
        None,
        Box::new(|_| ()),
        clarimed_listener::Limits::default(),
        Arc::new(FollowMetrics::new(Arc::new(health))),
        async move {
            let _ = stopped.await;
        },
    ));
    (address, stop, served)
}

fn owner() -> clarimed_engine::Principal {
    principal_to_native(&Pool::new().owner().principal().into())
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_503_once_the_last_block_is_older_than_the_max_age_and_200_again_with_the_next() {
    let blocks = blocks();
    let engine = Arc::new(Engine::in_memory(&owner(), Epoch::Epoch25).unwrap());
    // Seconds past `start`, moved by the test alone.
    let (start, elapsed) = (Instant::now(), Arc::new(AtomicU64::new(0)));
    let clock = {
        let elapsed = elapsed.clone();
        Arc::new(move || start + Duration::from_secs(elapsed.load(Ordering::SeqCst)))
    };
    let max_age = Duration::from_secs(600);
    let (address, stop, served) = observe(engine.clone(), Health::with_clock(0, Some(max_age), clock)).await;

    let (status, body) = health(address).await;
    assert_eq!((status, &body["status"], &body["reason"], &body["seconds_since_last_block"]), (200, &"ok".into(), &Json::Null, &0.into()), "{body}");

    assert_eq!(post_block(address, &blocks[0]).await, 200);
    elapsed.store(600, Ordering::SeqCst);
    let (status, body) = health(address).await;
    assert_eq!((status, &body["seconds_since_last_block"]), (200, &600.into()), "at the max age, not past it: {body}");
    assert_eq!(body["block_height"], status_height(address).await);

    elapsed.store(601, Ordering::SeqCst);
    let (status, body) = health(address).await;
    assert_eq!((status, &body["status"], &body["seconds_since_last_block"]), (503, &"unavailable".into(), &601.into()), "{body}");
    assert_eq!(body["reason"], "no block for 601 s, more than the 600 s allowed");

    assert_eq!(post_block(address, &blocks[1]).await, 200);
    let (status, body) = health(address).await;
    assert_eq!((status, &body["reason"], &body["seconds_since_last_block"]), (200, &Json::Null, &0.into()), "{body}");
    assert_eq!(body["block_height"], status_height(address).await);

    drop(stop);
    assert_eq!(served.await.unwrap(), Ended::Shutdown);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_503_after_the_disk_fails_a_commit_and_200_once_a_block_commits_again() {
    let blocks = blocks();
    let dir = tempfile::tempdir().unwrap();
    let store = FullDisk::new(SqliteStore::open(dir.path().join("follower.db")).unwrap());
    let engine = Arc::new(Engine::with_store(store, Some((&owner(), Epoch::Epoch25))).unwrap());
    let (address, stop, served) = observe(engine.clone(), Health::new(engine.committed_block_height().into())).await;

    assert_eq!(post_block(address, &blocks[0]).await, 200);
    assert_eq!(health(address).await.0, 200);

    engine.backend().set_full(true);
    assert_eq!(post_block(address, &blocks[1]).await, 500, "refused, so that the node posts it again");
    let (status, body) = health(address).await;
    assert_eq!((status, &body["status"]), (503, &"unavailable".into()), "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert_eq!(reason, "the last commit failed: SQLite: database or disk is full");

    // Room again: unhealthy until a block commits, healthy once it has.
    engine.backend().set_full(false);
    assert_eq!(health(address).await.0, 503, "room alone commits nothing");
    assert_eq!(post_block(address, &blocks[1]).await, 200);
    let (status, body) = health(address).await;
    assert_eq!((status, &body["reason"]), (200, &Json::Null), "{body}");
    assert_eq!(body["block_height"], status_height(address).await);

    drop(stop);
    assert_eq!(served.await.unwrap(), Ended::Shutdown);
}
