//! The node's RPC with every resource bounded, over loopback: reads answered at
//! once while thousands of connections idle and others trickle their headers;
//! slow and idle clients dropped; connections past the bound refused; and a full
//! mempool that refuses new transactions in the node's shape while it goes on
//! serving reads and mining.

mod common;

use common::register;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::{hex, principal_to_clarity, principal_to_string, Engine, MemoryStore, Principal};
use clarimed_listener::testing::closed_by_server;
use clarimed_node_rpc::{Limits, MempoolLimits, Mining};
use clarimed_transactions::Transaction;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// How long a test waits for what it expects before failing (not a measure).
const PATIENCE: Duration = Duration::from_secs(20);
/// A limit too long to close anything during a test.
const LONG: Duration = Duration::from_secs(3600);

struct Served {
    address: SocketAddr,
    deployer: Principal,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Both contracts deployed by `deployer`, served on a free loopback port within
/// `limits`, mining each transaction at once.
async fn served(deployer: Principal, limits: Limits, mempool: MempoolLimits) -> Served {
    let engine = Arc::new(Engine::<MemoryStore>::in_memory(&deployer, clarimed_engine::Epoch::Epoch25).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = clarimed_node_rpc::Node::new(engine, Mining::PerTransaction).unwrap().with_limits(limits).with_mempool_limits(mempool);
    tokio::spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));
    Served { address, deployer, _stop: stop }
}

fn anyone() -> Principal {
    SigningKey::random().principal()
}

/// A request on its own connection; the status and the body.
async fn request(address: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    exchange(&mut stream, method, path, body, true).await
}

/// A request on `stream`, closing it after the answer or keeping it alive; the
/// status and the body.
async fn exchange(stream: &mut TcpStream, method: &str, path: &str, body: &str, close: bool) -> (u16, String) {
    let connection = if close { "close" } else { "keep-alive" };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: {connection}\r\n\r\n",
        body.len()
    );
    stream.write_all(format!("{head}{body}").as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0; 4096];
    let answer = async {
        loop {
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "closed before the whole answer: {}", String::from_utf8_lossy(&bytes));
            bytes.extend_from_slice(&chunk[..read]);
            let text = String::from_utf8_lossy(&bytes).to_string();
            let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
            let length: usize = head
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|value| value.trim().parse().unwrap()))
                .expect("a content-length");
            if body.len() >= length {
                let status = head.split_whitespace().nth(1).and_then(|status| status.parse().ok()).expect("a status");
                return (status, body.to_string());
            }
        }
    };
    tokio::time::timeout(PATIENCE, answer).await.expect("an answer in time")
}

/// `get-patient` of the deployer as a `call-read`, as stacks.js's
/// `fetchCallReadOnlyFunction` asks it.
async fn call_read(s: &Served) -> (u16, Json) {
    let path = format!("/v2/contracts/call-read/{}/patient-consent/get-patient", principal_to_string(&s.deployer));
    let argument = Value::Principal(principal_to_clarity(&s.deployer).unwrap());
    let body = json!({ "sender": principal_to_string(&s.deployer), "arguments": [format!("0x{}", hex(&argument.serialize_to_vec().unwrap()))] });
    let (status, body) = request(s.address, "POST", &path, &body.to_string()).await;
    (status, serde_json::from_str(&body).unwrap())
}

/// Raises this process's soft limit on open descriptors to its hard one; the soft
/// limit after.
#[cfg(unix)]
fn raise_descriptor_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = setrlimit(Resource::Nofile, Rlimit { current: limit.maximum, maximum: limit.maximum }).is_ok();
    (if raised { limit.maximum } else { limit.current }).unwrap_or(u64::MAX)
}

#[cfg(not(unix))]
fn raise_descriptor_limit() -> u64 {
    u64::MAX
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_read_is_answered_within_100_ms_while_thousands_of_connections_idle_and_others_trickle_headers() {
    const SLOW: usize = 50;
    // Each connection is two descriptors here, the client's and the server's; a
    // few hundred are kept for everything else.
    let idle_count = usize::try_from(raise_descriptor_limit().saturating_sub(400) / 2).unwrap_or(usize::MAX).min(2_000) - SLOW;
    let s = served(anyone(), Limits { max_connections: idle_count + SLOW + 16, ..Limits::default() }, MempoolLimits::default()).await;
    // The first read of a contract warms the engine up: not what is measured.
    assert_eq!(call_read(&s).await.0, 200);

    // Idle keep-alive connections, each having asked once.
    let mut idle = Vec::with_capacity(idle_count);
    for _ in 0..idle_count {
        let mut stream = TcpStream::connect(s.address).await.unwrap();
        assert_eq!(exchange(&mut stream, "GET", "/v2/fees/transfer", "", false).await.0, 200);
        idle.push(stream);
    }
    // Slow clients: a header line a second, never the end of the headers.
    let mut slow = JoinSet::new();
    for _ in 0..SLOW {
        let mut stream = TcpStream::connect(s.address).await.unwrap();
        slow.spawn(async move {
            let _ = stream.write_all(b"GET /v2/info HTTP/1.1\r\nhost: localhost\r\n").await;
            for line in 0.. {
                if stream.write_all(format!("x-slow-{line}: 1\r\n").as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    // Let the slow clients send a line or two.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    for _ in 0..3 {
        let asked = Instant::now();
        let (status, answer) = call_read(&s).await;
        let took = asked.elapsed();
        assert_eq!((status, &answer["okay"]), (200, &json!(true)), "{answer}");
        assert!(took < Duration::from_millis(100), "a call-read took {took:?} with {idle_count} idle and {SLOW} slow connections");
    }
    // The idle connections are still open and served.
    for stream in idle.iter_mut().step_by(100) {
        assert_eq!(exchange(stream, "GET", "/v2/fees/transfer", "", false).await.0, 200);
    }
    slow.abort_all();
}

#[tokio::test]
async fn a_client_slow_with_its_headers_and_an_idle_one_are_dropped_after_their_timeouts() {
    let s = served(
        anyone(),
        Limits { header_timeout: Duration::from_secs(1), idle_timeout: Duration::from_secs(1), ..Limits::default() },
        MempoolLimits::default(),
    )
    .await;
    let mut slow = TcpStream::connect(s.address).await.unwrap();
    slow.write_all(b"GET /v2/info HTTP/1.1\r\nhost: localhost\r\n").await.unwrap();
    let mut idle = TcpStream::connect(s.address).await.unwrap();
    assert_eq!(exchange(&mut idle, "GET", "/v2/fees/transfer", "", false).await.0, 200);
    assert!(closed_by_server(&mut slow, PATIENCE).await, "slow headers are dropped");
    assert!(closed_by_server(&mut idle, PATIENCE).await, "an idle connection is closed");
    assert_eq!(call_read(&s).await.0, 200);
}

#[tokio::test]
async fn connections_past_the_bound_are_refused_and_those_open_are_still_served() {
    const BOUND: usize = 8;
    let s = served(anyone(), Limits { max_connections: BOUND, header_timeout: LONG, idle_timeout: LONG, ..Limits::default() }, MempoolLimits::default()).await;
    let mut open = Vec::new();
    for _ in 0..BOUND {
        let mut stream = TcpStream::connect(s.address).await.unwrap();
        assert_eq!(exchange(&mut stream, "GET", "/v2/info", "", false).await.0, 200);
        open.push(stream);
    }
    let mut refused = TcpStream::connect(s.address).await.unwrap();
    let _ = refused.write_all(b"GET /v2/info HTTP/1.1\r\nhost: localhost\r\n\r\n").await;
    assert!(closed_by_server(&mut refused, PATIENCE).await, "the connection past the bound is closed");
    let mut refused_body = Vec::new();
    let _ = refused.read_to_end(&mut refused_body).await;
    assert!(refused_body.is_empty(), "and not answered");
    for stream in &mut open {
        assert_eq!(exchange(stream, "GET", "/v2/info", "", false).await.0, 200);
    }
}

fn txid(tx: &[u8]) -> String {
    Transaction::decode(tx).unwrap().txid_hex()
}

async fn broadcast(address: SocketAddr, tx: &[u8]) -> (u16, Json) {
    let (status, body) = request(address, "POST", "/v2/transactions", &json!({ "tx": hex(tx) }).to_string()).await;
    (status, serde_json::from_str(&body).unwrap())
}

async fn tx_status(address: SocketAddr, tx: &[u8]) -> Json {
    let (status, body) = request(address, "GET", &format!("/extended/v1/tx/0x{}", txid(tx)), "").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Json>(&body).unwrap()["tx_status"].clone()
}

/// Polls until `tx` is no longer pending (bounded).
async fn mined(address: SocketAddr, tx: &[u8]) -> Json {
    for _ in 0..2_000 {
        let status = tx_status(address, tx).await;
        if status != "pending" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} still pending", txid(tx));
}

/// The node's rejection for a full mempool.
fn assert_full(tx: &[u8], (status, answer): (u16, Json)) {
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["txid"], txid(tx));
    assert_eq!(answer["error"], "transaction rejected");
    assert_eq!(answer["reason"], "ServerFailureOther");
    assert!(answer["reason_data"]["message"].as_str().is_some_and(|message| message.starts_with("Mempool is full")), "{answer}");
}

#[tokio::test]
async fn a_full_mempool_refuses_new_transactions_and_goes_on_serving_reads_and_mining() {
    // A's transactions after its first wait for it (a nonce ahead waits), so they fill
    // the mempool without being mined; A's first then fits in exactly what is left,
    // and B's, longer, does not.
    let (a, b) = (SigningKey::random(), SigningKey::random());
    let deployer = SigningKey::random().principal();
    let waiting: Vec<Vec<u8>> = (1..=3).map(|nonce| register(&deployer, &a, nonce, &format!("PAT-A-{nonce}"))).collect();
    let first = register(&deployer, &a, 0, "A");
    let longer = register(&deployer, &b, 0, "PATIENT-B-WITH-A-LONGER-ID");
    assert!(longer.len() > first.len());
    let max_bytes = waiting.iter().map(Vec::len).sum::<usize>() + first.len();
    let s = served(deployer, Limits::default(), MempoolLimits { max_transactions: 100, max_bytes }).await;

    for tx in &waiting {
        assert_eq!(broadcast(s.address, tx).await, (200, json!(txid(tx))));
    }
    assert_full(&longer, broadcast(s.address, &longer).await);
    // Reads go on, and what waits is still there.
    assert_eq!(call_read(&s).await.0, 200);
    for tx in &waiting {
        assert_eq!(tx_status(s.address, tx).await, "pending");
    }
    // The first one fits; once it is mined, so are those that waited for it.
    assert_eq!(broadcast(s.address, &first).await, (200, json!(txid(&first))));
    assert_eq!(mined(s.address, &first).await, "success");
    for tx in &waiting {
        // A registered once already: the call's own error, mined.
        assert_eq!(mined(s.address, tx).await, "abort_by_response");
    }
    // Room again.
    assert_eq!(broadcast(s.address, &longer).await, (200, json!(txid(&longer))));
    assert_eq!(mined(s.address, &longer).await, "success");
}

#[tokio::test]
async fn a_mempool_with_its_most_transactions_refuses_another_and_keeps_those_waiting() {
    let a = SigningKey::random();
    let deployer = SigningKey::random().principal();
    let waiting: Vec<Vec<u8>> = (1..=3).map(|nonce| register(&deployer, &a, nonce, &format!("PAT-A-{nonce}"))).collect();
    let s = served(deployer.clone(), Limits::default(), MempoolLimits { max_transactions: 3, max_bytes: usize::MAX }).await;
    for tx in &waiting {
        assert_eq!(broadcast(s.address, tx).await.0, 200);
    }
    let other = register(&deployer, &SigningKey::random(), 0, "PAT-B");
    assert_full(&other, broadcast(s.address, &other).await);
    // Even the transaction they wait for: nothing waiting is let go to make room.
    let first = register(&deployer, &a, 0, "PAT-A-0");
    assert_full(&first, broadcast(s.address, &first).await);
    // A transaction already waiting, sent again, is answered with its txid.
    assert_eq!(broadcast(s.address, &waiting[0]).await, (200, json!(txid(&waiting[0]))));
    assert_eq!(call_read(&s).await.0, 200);
    for tx in &waiting {
        assert_eq!(tx_status(s.address, tx).await, "pending");
    }
}
