//! `clarimed serve` under load on loopback: `call-read` requests and signed
//! transactions per second at 1, 8 and 64 concurrent clients, with p50 and p99
//! latency; beside the same `check-access` through the command line (a process per
//! call) and through clarity-vm.
//!
//! `cargo bench -p clarimed-benches --bench rpc_load -- [--loads call-read,transactions] [--clients 1,8,64] [--runs N]`
//!
//! `--loads` and `--clients` pick which loads and client counts run (default:
//! all); `--runs N` runs each N times and reports each figure's median, with the
//! range of the rates (default 1).
//!
//! The server runs in this process (its own runtime, two worker threads) over a
//! SQLite state of 1,000 patients with 5 records each; every client is a task
//! holding one keep-alive HTTP/1.1 connection and sending its next request when the
//! last is answered. Every run is bounded in count and in time.
//! - call-read: `check-access` on random records, asked by their patient's provider
//!   (80%), the patient (10%) or another provider (10%, refused);
//! - transactions: 512 keys shared out among the clients, each client's taking turns
//!   (signed before timing): each key's `register-patient`, then 24 `grant-consent`s
//!   with the next nonces. "Submitted" is
//!   the rate the node admitted them (each answered with its txid after its signature,
//!   nonce and payload were checked); "mined" is the rate until the last of them was
//!   committed, in blocks of up to 100 (`--block-time 10 --block-txs 100`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clarimed_benches::population::{load, pick, Rng, State};
use clarimed_benches::{deployed, without_block_limit, Cast};
use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::{hex, principal_to_clarity, principal_to_string, Engine, Principal, SqliteStore, BLOCK_LIMIT_MAINNET_21};
use clarimed_node_rpc::{Mining, Node};
use clarimed_reference::values::{principal, uint};
use clarimed_reference::{ReferenceVm, RECORDS_CONTRACT};
use clarimed_transactions::sign::{sign, Unsigned};
use clarimed_transactions::TESTNET;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use tokio::net::TcpStream;

/// Which loads run, at how many clients, how many times.
struct Options {
    call_reads: bool,
    transactions: bool,
    clients: Vec<usize>,
    runs: usize,
}

fn options() -> Options {
    let mut options = Options { call_reads: true, transactions: true, clients: vec![1, 8, 64], runs: 1 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--loads" => {
                let loads = args.next().expect("--loads call-read,transactions");
                options.call_reads = loads.split(',').any(|load| load == "call-read");
                options.transactions = loads.split(',').any(|load| load == "transactions");
            }
            "--clients" => options.clients = args.next().expect("--clients N,N").split(',').map(|n| n.parse().expect("a number of clients")).collect(),
            "--runs" => options.runs = args.next().expect("--runs N").parse().expect("a number of runs"),
            _ => {} // cargo bench passes --bench
        }
    }
    assert!(options.clients.iter().all(|clients| (1..=KEYS).contains(clients)), "1 to {KEYS} clients");
    options.runs = options.runs.max(1);
    options
}

const CALL_READS: usize = 40_000;
const TRANSACTIONS: usize = 12_800;
const TIME_LIMIT: Duration = Duration::from_secs(30);
/// Keys the transaction clients share out, as apps send for many users: each signs
/// 25 transactions, since one key's nonces may run only 25 ahead of what is mined.
const KEYS: usize = 512;

fn main() {
    let options = options();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("load.db");
    let deployer = SigningKey::random().principal();
    let engine = Arc::new(Engine::open_or_create(&path, &deployer, clarimed_engine::Epoch::Epoch25).unwrap());
    eprintln!("loading 1,000 patients…");
    // The set-up is not what is measured: it runs unbounded, in one block height;
    // the node's blocks then keep the node's limit.
    without_block_limit(&engine);
    let state = load(&*engine);
    engine.set_block_limit(BLOCK_LIMIT_MAINNET_21);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mining = Mining::Every { interval: Duration::from_millis(10), max_transactions: 100 };
    let node = Node::new(engine.clone(), mining).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    let server = runtime.spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));

    println!("clarimed serve on {address}: 1,000 patients, {} records\n", state.records.len() - 1);
    println!("| load | clients | requests | per second | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    let call_reads = call_reads(&deployer, &state);
    for clients in options.clients.iter().copied().filter(|_| options.call_reads) {
        // The questions dealt out among the clients in turn.
        let requests: Arc<Vec<Vec<Post>>> = Arc::new(
            (0..clients).map(|client| call_reads.iter().skip(client).step_by(clients).cycle().take(CALL_READS / clients).cloned().collect()).collect(),
        );
        let runs: Vec<Run> = (0..options.runs).map(|_| runtime.block_on(drive(address, requests.clone()))).collect();
        let rates = Figure::of(runs.iter().map(Run::rate));
        let (p50, p99) = (Figure::of(runs.iter().map(|run| run.p50().as_secs_f64())), Figure::of(runs.iter().map(|run| run.p99().as_secs_f64())));
        println!("| call-read `check-access` | {clients} | {} | {} | {} | {} |", runs[0].count, rates.rate(), p50.micros(), p99.micros());
    }
    for clients in options.clients.iter().copied().filter(|_| options.transactions) {
        let per_client = TRANSACTIONS / clients;
        let (mut submitted, mut mined, mut p50, mut p99) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut count = 0;
        for _ in 0..options.runs {
            let (requests, keys) = signed_transactions(&deployer, &state, clients, per_client);
            let start = Instant::now();
            let run = runtime.block_on(drive(address, Arc::new(requests)));
            let submitting = start.elapsed();
            let mining = wait_until_mined(&engine, &keys, start);
            count = run.count;
            submitted.push(count as f64 / submitting.as_secs_f64());
            mined.push(count as f64 / mining.as_secs_f64());
            p50.push(run.p50().as_secs_f64());
            p99.push(run.p99().as_secs_f64());
        }
        let (p50, p99) = (Figure::of(p50), Figure::of(p99));
        println!("| transactions submitted | {clients} | {count} | {} | {} | {} |", Figure::of(submitted).rate(), p50.micros(), p99.micros());
        println!("| transactions mined (blocks of ≤ 100) | {clients} | {count} | {} | | |", Figure::of(mined).rate());
    }
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
    drop(runtime);

    if !options.call_reads {
        return;
    }
    println!();
    let accessor = state.providers[0].clone();
    let cli = cli_check_access(&path, &accessor);
    match cli {
        Some(median) => println!("the same check through the command line (`clarimed read`, a process per call): median {} ms", median.as_millis()),
        None => println!("the command line figure needs the release binary: `cargo build --release` first"),
    }
    println!("the same check on clarity-vm (the reference harness, one call at a time): median {}", micros(vm_check_access()));
}

/// A run's latencies, in the order answered.
struct Run {
    count: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn p50(&self) -> Duration {
        self.percentile(50)
    }

    fn p99(&self) -> Duration {
        self.percentile(99)
    }

    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        sorted.get(sorted.len() * p / 100).copied().unwrap_or_default()
    }
}

fn micros(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

/// A figure over the runs: the median, and the range where there are several.
struct Figure(Vec<f64>);

impl Figure {
    fn of(values: impl IntoIterator<Item = f64>) -> Figure {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        Figure(values)
    }

    fn median(&self) -> f64 {
        self.0[self.0.len() / 2]
    }

    /// A rate: its median, and its range over several runs.
    fn rate(&self) -> String {
        match self.0.as_slice() {
            [] | [_] => format!("{:.0}", self.median()),
            [low, .., high] => format!("{:.0} ({low:.0}–{high:.0})", self.median()),
        }
    }

    /// Seconds, as the median's microseconds.
    fn micros(&self) -> String {
        micros(Duration::from_secs_f64(self.median()))
    }
}

/// 4,096 `check-access` questions on random records, as call-read requests.
fn call_reads(deployer: &Principal, state: &State) -> Vec<Post> {
    let path = format!("/v2/contracts/call-read/{}/record-management/check-access", principal_to_string(deployer));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..4_096)
        .map(|_| {
            let (id, accessor) = pick(state, &mut rng);
            let who = Value::Principal(principal_to_clarity(&accessor).unwrap());
            let args = [Value::UInt(id), who, Value::UInt(0)].map(|value| format!("0x{}", hex(&value.serialize_to_vec().unwrap())));
            let body = serde_json::json!({ "sender": principal_to_string(&accessor), "arguments": args }).to_string();
            Post { path: path.clone(), content_type: "application/json", body: body.into() }
        })
        .collect()
}

/// A request a client sends. Its body is shared, not copied, as it is sent.
#[derive(Clone)]
struct Post {
    path: String,
    content_type: &'static str,
    body: Bytes,
}

/// Each client, on a connection of its own, sends its requests in order, each once
/// the last is answered; every answer must be 200 (bounded by [`TIME_LIMIT`]).
async fn drive(address: std::net::SocketAddr, requests: Arc<Vec<Vec<Post>>>) -> Run {
    let start = Instant::now();
    let tasks: Vec<_> = (0..requests.len())
        .map(|client| {
            let requests = requests.clone();
            tokio::spawn(async move {
                let mut connection = connect(address).await;
                let mut latencies = Vec::new();
                for request in &requests[client] {
                    if start.elapsed() > TIME_LIMIT {
                        break;
                    }
                    let sent = Instant::now();
                    let (status, body) = post(&mut connection, request).await;
                    assert_eq!(status, 200, "{} was refused: {}", request.path, String::from_utf8_lossy(&body));
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Run { count: latencies.len(), elapsed: start.elapsed(), latencies }
}

type Connection = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(address: std::net::SocketAddr) -> Connection {
    let stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    sender
}

/// One POST on a kept-alive connection; the status and the body.
async fn post(connection: &mut Connection, request: &Post) -> (u16, Bytes) {
    connection.ready().await.unwrap();
    let request =
        Request::post(&request.path).header("host", "127.0.0.1").header("content-type", request.content_type).body(Full::new(request.body.clone())).unwrap();
    let response = connection.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.unwrap().to_bytes())
}

/// Per client, its share of [`KEYS`] fresh keys taking turns: each key's first
/// transaction a `register-patient`, the next ones `grant-consent`s. Signed; with
/// each key and the nonces it spends.
fn signed_transactions(deployer: &Principal, state: &State, clients: usize, per_client: usize) -> (Vec<Vec<Post>>, Vec<(Principal, u64)>) {
    let mut spent = Vec::new();
    let requests = (0..clients)
        .map(|client| {
            let keys: Vec<SigningKey> = (0..KEYS / clients).map(|_| SigningKey::random()).collect();
            let txs = (0..per_client)
                .map(|n| {
                    let (key, nonce) = (&keys[n % keys.len()], (n / keys.len()) as u64);
                    let (function, args) = if nonce == 0 {
                        let id = Value::string_ascii_from_bytes(format!("LOAD-{client}-{n}").into_bytes()).unwrap();
                        ("register-patient", vec![id, Value::UInt(19_800_101), Value::none(), Value::none()])
                    } else {
                        let provider = Value::Principal(principal_to_clarity(&state.providers[n % state.providers.len()]).unwrap());
                        let purpose = Value::string_ascii_from_bytes(b"care".to_vec()).unwrap();
                        ("grant-consent", vec![provider, Value::UInt(1 + u128::from(nonce % 8)), Value::none(), purpose])
                    };
                    let call =
                        Unsigned { network: TESTNET, nonce, fee: 10_000, deployer, contract: "patient-consent", function, args, post_conditions: Vec::new() };
                    Post { path: "/v2/transactions".to_string(), content_type: "application/octet-stream", body: sign(key, call).unwrap().into() }
                })
                .collect();
            for (k, key) in keys.iter().enumerate() {
                spent.push((key.principal(), per_client.saturating_sub(k).div_ceil(keys.len()) as u64));
            }
            txs
        })
        .collect();
    (requests, spent)
}

/// How long from `start` until every key spent its nonces (bounded by [`TIME_LIMIT`]).
fn wait_until_mined(engine: &Engine<SqliteStore>, keys: &[(Principal, u64)], start: Instant) -> Duration {
    while start.elapsed() < TIME_LIMIT * 2 {
        if keys.iter().all(|(key, nonces)| engine.nonce(key).unwrap() >= *nonces) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the transactions were not all mined in {:?}", TIME_LIMIT * 2);
}

/// The median of 20 `clarimed read … check-access` processes on the state.
fn cli_check_access(state: &Path, accessor: &Principal) -> Option<Duration> {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/clarimed");
    if !binary.exists() {
        return None;
    }
    let mut times: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let output = std::process::Command::new(&binary)
                .args([
                    "--db",
                    state.to_str().unwrap(),
                    "read",
                    "record-management",
                    "check-access",
                    "u1",
                    &format!("'{}", principal_to_string(accessor)),
                    "u0",
                ])
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    Some(times[times.len() / 2])
}

/// The median of 2,000 `check-access` calls on clarity-vm over the benchmarks' small state.
fn vm_check_access() -> Duration {
    let cast = Cast::new();
    let mut vm: ReferenceVm = deployed(&cast);
    let sender = cast.provider.principal().into();
    let args = [uint(1), principal(cast.provider.principal()), uint(0)];
    let mut times: Vec<Duration> = (0..2_000)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(vm.call_read_only(&sender, RECORDS_CONTRACT, "check-access", &args).unwrap());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}
