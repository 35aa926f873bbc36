//! `serve`'s miner on a disk that fails its commits: the block's transactions wait
//! in the mempool (pending, none dropped), the server goes on answering reads from
//! the state as it was, and once the disk is fixed the transactions are mined in
//! the next block, as if the failed attempts had never been. The state file holds,
//! throughout, the last block committed.

mod common;

use common::register;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::{hex, principal_to_string, Engine, SqliteStore};
use clarimed_node_rpc::Mining;
use clarimed_storage::testing::FullDisk;
use clarimed_transactions::sign::{sign, Unsigned};
use clarimed_transactions::{Transaction, TESTNET};
use serde_json::{json, Value as Json};
use tokio::net::TcpListener;

/// One HTTP/1.1 request; the status and the body as JSON.
async fn request(address: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Json) {
    let (status, body) = clarimed_listener::testing::request(address, method, path, body, Duration::from_secs(10)).await;
    (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON from {path}: {body}")))
}

async fn get(address: SocketAddr, path: &str) -> Json {
    let (status, body) = request(address, "GET", path, b"").await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Waits (at most 10 s) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: not after 10 s");
}

/// Polls a transaction until it is no longer pending (at most 10 s).
async fn mined(address: SocketAddr, txid: &str) -> Json {
    for _ in 0..1000 {
        let tx = get(address, &format!("/extended/v1/tx/{txid}")).await;
        if tx["tx_status"] != "pending" {
            return tx;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{txid} still pending after 10 s");
}

async fn broadcast(address: SocketAddr, tx: &[u8]) -> String {
    let txid = Transaction::decode(tx).unwrap().txid_hex();
    let (status, answer) = request(address, "POST", "/v2/transactions", json!({ "tx": hex(tx) }).to_string().as_bytes()).await;
    assert_eq!((status, answer), (200, json!(txid)), "admitted with its txid");
    txid
}

/// The state file's digest and block height, read by an engine of its own.
fn on_file(path: &Path) -> (String, u32) {
    let engine = Engine::open(path).unwrap();
    (hex(&engine.state_digest().unwrap()), engine.committed_block_height())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_the_disk_refuses_waits_in_the_mempool_and_is_mined_once_the_disk_has_room() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let deployer = SigningKey::random().principal();
    let store = FullDisk::new(SqliteStore::open(&path).unwrap());
    let engine = Arc::new(Engine::with_store(store, Some((&deployer, clarimed_engine::Epoch::Epoch25))).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mining = Mining::Every { interval: Duration::from_millis(20), max_transactions: 10 };
    let node = clarimed_node_rpc::Node::new(engine.clone(), mining).unwrap();
    let server = tokio::spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));

    let first = SigningKey::random();
    let txid = broadcast(address, &register(&deployer, &first, 0, "PAT-0")).await;
    assert_eq!(mined(address, &txid).await["tx_status"], "success");
    let before = get(address, "/clarimed/status").await;
    let height = before["block_height"].as_u64().unwrap();

    // The disk fills: two patients register, the second chaining a second call.
    engine.backend().set_full(true);
    let (second, third) = (SigningKey::random(), SigningKey::random());
    let waiting = [
        broadcast(address, &register(&deployer, &second, 0, "PAT-2")).await,
        broadcast(address, &register(&deployer, &third, 0, "PAT-3")).await,
        broadcast(address, &{
            let args = vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)];
            let call = Unsigned {
                network: TESTNET,
                nonce: 1,
                fee: 1_000,
                deployer: &deployer,
                contract: "patient-consent",
                function: "update-patient-preferences",
                args,
                post_conditions: Vec::new(),
            };
            sign(&second, call).unwrap()
        })
        .await,
    ];
    // The miner tries a block of all three, and the disk refuses it, twice over.
    let refused = engine.backend().refused();
    until("two more blocks refused", || engine.backend().refused() >= refused + 2).await;
    for txid in &waiting {
        assert_eq!(get(address, &format!("/extended/v1/tx/{txid}")).await["tx_status"], "pending", "{txid} waits, not dropped");
    }
    assert_eq!(get(address, "/clarimed/status").await, before, "reads answered from the state as it was");
    let account = get(address, &format!("/v2/accounts/{}?proof=0", principal_to_string(&second.principal()))).await;
    assert_eq!(account["nonce"], 0, "no nonce spent by a block not committed");
    assert_eq!(on_file(&path), (before["state_digest"].as_str().unwrap().to_string(), height as u32), "the file holds the last block committed");

    // Room again: the next block is the one after the last committed, with all three.
    engine.backend().set_full(false);
    let mut heights = Vec::new();
    for txid in &waiting {
        let tx = mined(address, txid).await;
        assert_eq!(tx["tx_status"], "success", "{tx}");
        heights.push(tx["block_height"].as_u64().unwrap());
    }
    assert_eq!(heights.iter().min(), Some(&(height + 1)), "no height spent by the refused attempts: {heights:?}");
    assert_eq!(engine.nonce(&second.principal()).unwrap(), 2);
    let after = get(address, "/clarimed/status").await;

    drop(stop);
    server.await.unwrap().unwrap();
    drop(engine);
    assert_eq!(on_file(&path), (after["state_digest"].as_str().unwrap().to_string(), after["block_height"].as_u64().unwrap() as u32));
}

/// `GET /clarimed/health`: its status and its JSON.
async fn health(address: SocketAddr) -> (u16, Json) {
    request(address, "GET", "/clarimed/health", b"").await
}

/// Asks for health until it answers `status` (at most 10 s): the miner tells it of
/// a commit just after the block's transactions read as mined.
async fn health_becomes(address: SocketAddr, status: u16) -> Json {
    for _ in 0..1000 {
        let (answered, body) = health(address).await;
        if answered == status {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("health not {status} after 10 s: {:?}", health(address).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_503_while_the_disk_refuses_the_miners_blocks_and_200_once_a_block_commits() {
    let dir = tempfile::tempdir().unwrap();
    let deployer = SigningKey::random().principal();
    let store = FullDisk::new(SqliteStore::open(dir.path().join("state.db")).unwrap());
    let engine = Arc::new(Engine::with_store(store, Some((&deployer, clarimed_engine::Epoch::Epoch25))).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = clarimed_node_rpc::Node::new(engine.clone(), Mining::Every { interval: Duration::from_millis(20), max_transactions: 10 }).unwrap();
    let server = tokio::spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));

    let (status, body) = health(address).await;
    assert_eq!((status, &body["status"], &body["reason"]), (200, &json!("ok"), &Json::Null), "{body}");
    let txid = broadcast(address, &register(&deployer, &SigningKey::random(), 0, "PAT-0")).await;
    assert_eq!(mined(address, &txid).await["tx_status"], "success");
    let body = health_becomes(address, 200).await;
    assert_eq!(body["block_height"], get(address, "/clarimed/status").await["block_height"], "{body}");

    // The disk fills: the miner's next block is refused. Once it has tried twice,
    // health has heard of the first refusal.
    engine.backend().set_full(true);
    let refused = engine.backend().refused();
    let waiting = broadcast(address, &register(&deployer, &SigningKey::random(), 0, "PAT-1")).await;
    until("two blocks refused", || engine.backend().refused() >= refused + 2).await;
    let (status, body) = health(address).await;
    assert_eq!((status, &body["status"]), (503, &json!("unavailable")), "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert_eq!(reason, "the last commit failed: SQLite: database or disk is full");

    // Room again: the block commits, and health is 200 from then on.
    engine.backend().set_full(false);
    assert_eq!(mined(address, &waiting).await["tx_status"], "success");
    let body = health_becomes(address, 200).await;
    assert_eq!((&body["reason"], &body["block_height"]), (&Json::Null, &get(address, "/clarimed/status").await["block_height"]), "{body}");

    drop(stop);
    server.await.unwrap().unwrap();
}
