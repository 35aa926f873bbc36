//! Signed transactions over loopback, as a wallet sends them: admitted with the
//! node's txid, mined into blocks, their outcome read back by txid; and every
//! refusal with the node's rejection JSON, changing nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::{hex, principal_to_string, Engine, MemoryStore, Principal};
use clarimed_node_rpc::Mining;
use clarimed_transactions::sign::{sign, Unsigned};
use clarimed_transactions::wire::{FungibleConditionCode, PostConditionPrincipal, TransactionPostCondition};
use clarimed_transactions::{Network, Transaction, TESTNET};
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Served {
    address: SocketAddr,
    engine: Arc<Engine<MemoryStore>>,
    deployer: Principal,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn served(mining: Mining) -> Served {
    let deployer = SigningKey::random().principal();
    let engine = Arc::new(Engine::in_memory(&deployer, clarimed_engine::Epoch::Epoch25).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = clarimed_node_rpc::Node::new(engine.clone(), mining).unwrap();
    tokio::spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));
    Served { address, engine, deployer, _stop: stop }
}

/// One HTTP/1.1 request with a content type; the status and the body.
async fn request(address: SocketAddr, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let content_type = content_type.map(|t| format!("content-type: {t}\r\n")).unwrap_or_default();
    let head = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\n{content_type}content-length: {}\r\nconnection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut response)).await.expect("an answer in time").unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status"), body.to_string())
}

async fn get(address: SocketAddr, path: &str) -> (u16, Json) {
    let (status, body) = request(address, "GET", path, None, b"").await;
    (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON from {path}: {body}")))
}

/// Posts a transaction as stacks.js does (`{"tx": hex}`).
async fn broadcast(address: SocketAddr, tx: &[u8]) -> (u16, Json) {
    let body = json!({ "tx": hex(tx) }).to_string();
    let (status, body) = request(address, "POST", "/v2/transactions", Some("application/json"), body.as_bytes()).await;
    (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON from /v2/transactions: {body}")))
}

/// Polls a transaction until it is no longer pending (bounded: 10 s).
async fn outcome(address: SocketAddr, txid: &str) -> Json {
    for _ in 0..1000 {
        let (status, tx) = get(address, &format!("/extended/v1/tx/{txid}")).await;
        assert_eq!(status, 200, "{tx}");
        if tx["tx_status"] != "pending" {
            return tx;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{txid} still pending after 10 s");
}

fn register(patient_id: &str) -> Vec<Value> {
    vec![Value::string_ascii_from_bytes(patient_id.as_bytes().to_vec()).unwrap(), Value::UInt(19_800_412), Value::none(), Value::none()]
}

fn call<'a>(deployer: &'a Principal, nonce: u64, function: &'a str, args: Vec<Value>) -> Unsigned<'a> {
    Unsigned { network: TESTNET, nonce, fee: 1_000, deployer, contract: "patient-consent", function, args, post_conditions: Vec::new() }
}

fn txid_of(tx: &[u8]) -> String {
    Transaction::decode(tx).unwrap().txid_hex()
}

#[tokio::test]
async fn a_signed_call_is_admitted_with_its_txid_mined_and_read_back() {
    let s = served(Mining::PerTransaction).await;
    let key = SigningKey::random();
    let tx = sign(&key, call(&s.deployer, 0, "register-patient", register("PAT-1"))).unwrap();
    let (status, txid) = broadcast(s.address, &tx).await;
    assert_eq!((status, txid.clone()), (200, json!(txid_of(&tx))));

    let mined = outcome(s.address, &format!("0x{}", txid_of(&tx))).await;
    assert_eq!(mined["tx_status"], "success");
    assert_eq!(mined["tx_result"]["repr"], "(ok true)");
    assert_eq!(mined["tx_result"]["hex"], "0x0703");
    assert_eq!(mined["sender_address"], principal_to_string(&key.principal()));
    assert_eq!(mined["contract_call"]["function_name"], "register-patient");
    assert_eq!(mined["events"][0]["contract_log"]["topic"], "print");
    assert_eq!(mined["block_height"], 2);
    assert!(mined["execution_cost_runtime"].as_u64().unwrap() > 0);
    // The signer is the call's tx-sender: the patient registered is the key's.
    assert!(s.engine.consent().get_patient(&key.principal()).unwrap().is_some());

    let (_, account) = get(s.address, &format!("/v2/accounts/{}?proof=0", principal_to_string(&key.principal()))).await;
    assert_eq!(account["nonce"], 1);
    // A transaction sent twice is answered with its txid and runs once.
    assert_eq!(broadcast(s.address, &tx).await, (200, json!(txid_of(&tx))));
    assert_eq!(s.engine.nonce(&key.principal()).unwrap(), 1);
}

#[tokio::test]
async fn bytes_sent_as_octet_stream_are_a_transaction_too() {
    let s = served(Mining::PerTransaction).await;
    let key = SigningKey::random();
    let tx = sign(&key, call(&s.deployer, 0, "register-patient", register("PAT-1"))).unwrap();
    let (status, body) = request(s.address, "POST", "/v2/transactions", Some("application/octet-stream"), &tx).await;
    assert_eq!((status, body), (200, format!("\"{}\"", txid_of(&tx))));
    assert_eq!(outcome(s.address, &txid_of(&tx)).await["tx_status"], "success");
}

#[tokio::test]
async fn an_err_result_and_a_failed_post_condition_spend_the_nonce_and_keep_nothing() {
    let s = served(Mining::PerTransaction).await;
    let key = SigningKey::random();
    let patient = key.principal();
    // Consent to an unregistered patient's data: `(err u…)`.
    let provider = Value::Principal(clarimed_engine::principal_to_clarity(&SigningKey::random().principal()).unwrap());
    let grant = vec![provider, Value::UInt(1), Value::none(), Value::string_ascii_from_bytes(b"care".to_vec()).unwrap()];
    let refused = sign(&key, call(&s.deployer, 0, "grant-consent", grant)).unwrap();
    broadcast(s.address, &refused).await;
    let refused = outcome(s.address, &txid_of(&refused)).await;
    assert_eq!(refused["tx_status"], "abort_by_response");
    assert!(refused["tx_result"]["repr"].as_str().unwrap().starts_with("(err u"));

    // "The patient sends at least 1 µSTX": nothing is ever sent, so it fails.
    let at_least_one = TransactionPostCondition::STX(PostConditionPrincipal::Origin, FungibleConditionCode::SentGe, 1);
    let unsigned = Unsigned { post_conditions: vec![at_least_one], ..call(&s.deployer, 1, "register-patient", register("PAT-1")) };
    let aborted = sign(&key, unsigned).unwrap();
    broadcast(s.address, &aborted).await;
    let aborted = outcome(s.address, &txid_of(&aborted)).await;
    assert_eq!(aborted["tx_status"], "abort_by_post_condition");
    assert_eq!(aborted["tx_result"]["repr"], "(ok true)");
    assert!(s.engine.consent().get_patient(&patient).unwrap().is_none());

    // "…sends nothing" holds: the call is kept.
    let nothing = TransactionPostCondition::STX(PostConditionPrincipal::Origin, FungibleConditionCode::SentEq, 0);
    let unsigned = Unsigned { post_conditions: vec![nothing], ..call(&s.deployer, 2, "register-patient", register("PAT-1")) };
    let kept = sign(&key, unsigned).unwrap();
    broadcast(s.address, &kept).await;
    assert_eq!(outcome(s.address, &txid_of(&kept)).await["tx_status"], "success");
    assert_eq!(s.engine.nonce(&patient).unwrap(), 3);
}

/// `s` of a recoverable signature (recovery id ‖ r ‖ s) replaced by `n - s`, and
/// the recovery id flipped: the same signer, a high S.
fn high_s(tx: &mut [u8]) {
    // version, chain id, auth type, hash mode, signer, nonce, fee, key encoding.
    let at = 1 + 4 + 1 + 1 + 20 + 8 + 8 + 1;
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf,
        0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    ];
    tx[at] ^= 1;
    let s = &mut tx[at + 33..at + 65];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let digit = i16::from(N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(digit < 0);
        s[i] = (digit + 256 * borrow) as u8;
    }
}

#[tokio::test]
async fn refusals_answer_the_node_rejection_and_change_nothing() {
    let s = served(Mining::PerTransaction).await;
    let key = SigningKey::random();
    let first = sign(&key, call(&s.deployer, 0, "register-patient", register("PAT-1"))).unwrap();
    broadcast(s.address, &first).await;
    assert_eq!(outcome(s.address, &txid_of(&first)).await["tx_status"], "success");
    let before = s.engine.dump_state().unwrap();

    let spent = sign(&key, call(&s.deployer, 0, "update-patient-preferences", vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)])).unwrap();
    let mut tampered = sign(&key, call(&s.deployer, 1, "register-patient", register("PAT-2"))).unwrap();
    let last = tampered.len() - 1;
    tampered[last - 70] ^= 0x01;
    let mut high = sign(&key, call(&s.deployer, 1, "register-patient", register("PAT-2"))).unwrap();
    high_s(&mut high);
    let other = Principal::standard(26, [7; 20]);
    let unknown = sign(&key, call(&other, 1, "register-patient", register("PAT-2"))).unwrap();
    let read_only =
        sign(&key, call(&s.deployer, 1, "get-patient", vec![Value::Principal(clarimed_engine::principal_to_clarity(&key.principal()).unwrap())])).unwrap();
    let wrong_chain =
        sign(&key, Unsigned { network: Network { chain_id: 1, mainnet: false }, ..call(&s.deployer, 1, "register-patient", register("PAT-2")) }).unwrap();
    let mainnet =
        sign(&key, Unsigned { network: Network { chain_id: 1, mainnet: true }, ..call(&s.deployer, 1, "register-patient", register("PAT-2")) }).unwrap();
    let bad_argument = sign(&key, call(&s.deployer, 1, "register-patient", vec![Value::UInt(1), Value::UInt(2), Value::none(), Value::none()])).unwrap();
    let cheap = sign(&key, Unsigned { fee: 10, ..call(&s.deployer, 1, "register-patient", register("PAT-2")) }).unwrap();
    let far_ahead = sign(&key, call(&s.deployer, 40, "register-patient", register("PAT-2"))).unwrap();

    let cases: [(&str, &[u8], Option<Json>); 10] = [
        ("BadNonce", &spent, Some(json!({ "expected": 1, "actual": 0, "principal": principal_to_string(&key.principal()), "is_origin": true }))),
        ("SignatureValidation", &tampered, None),
        ("SignatureValidation", &high, Some(json!({ "message": "Invalid signature: high-S" }))),
        ("NoSuchContract", &unknown, None),
        ("NoSuchPublicFunction", &read_only, None),
        ("SignatureValidation", &wrong_chain, None),
        ("BadTransactionVersion", &mainnet, None),
        ("BadFunctionArgument", &bad_argument, None),
        ("FeeTooLow", &cheap, None),
        ("TooMuchChaining", &far_ahead, None),
    ];
    for (reason, tx, data) in cases {
        let (status, answer) = broadcast(s.address, tx).await;
        assert_eq!((status, answer["reason"].clone()), (400, json!(reason)), "{answer}");
        assert_eq!(answer["error"], "transaction rejected");
        assert_eq!(answer["txid"], txid_of(tx));
        if let Some(data) = data {
            assert_eq!(answer["reason_data"], data);
        }
    }
    let (_, wrong_chain) = broadcast(s.address, &wrong_chain).await;
    assert!(wrong_chain["reason_data"]["message"].as_str().unwrap().contains("invalid chain ID 1 (expected 2147483648)"), "{wrong_chain}");

    assert_eq!(s.engine.dump_state().unwrap(), before);
    assert_eq!(s.engine.nonce(&key.principal()).unwrap(), 1);
}

#[tokio::test]
async fn bytes_that_are_no_transaction_are_refused_and_the_server_keeps_serving() {
    let s = served(Mining::PerTransaction).await;
    let refusals: [(Option<&str>, &[u8], &str); 5] = [
        (Some("application/json"), b"{\"tx\": \"zz\"}", "Failed to parse tx"),
        (Some("application/json"), b"{\"tx\": ", "Failed to parse body"),
        (Some("application/octet-stream"), b"\x80\x00", "Failed to deserialize posted transaction"),
        (None, b"\x80", "Missing Content-Type for transaction"),
        (Some("text/plain"), b"\x80", "Wrong Content-Type for transaction"),
    ];
    for (content_type, body, text) in refusals {
        let (status, answer) = request(s.address, "POST", "/v2/transactions", content_type, body).await;
        assert_eq!(status, 400);
        assert!(answer.contains(text), "{answer}");
    }
    let (status, _) = get(s.address, "/v2/info").await;
    assert_eq!(status, 200);
    let (status, missing) = get(s.address, &format!("/extended/v1/tx/0x{}", "00".repeat(32))).await;
    assert_eq!(status, 404, "{missing}");
}

#[tokio::test]
async fn with_a_block_time_waiting_transactions_are_mined_together_in_nonce_order() {
    let s = served(Mining::Every { interval: Duration::from_millis(200), max_transactions: 100 }).await;
    let key = SigningKey::random();
    let register = sign(&key, call(&s.deployer, 0, "register-patient", register("PAT-1"))).unwrap();
    let preferences = sign(&key, call(&s.deployer, 1, "update-patient-preferences", vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)])).unwrap();
    // The later nonce first: it waits for the earlier one.
    let (status, answer) = broadcast(s.address, &preferences).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = broadcast(s.address, &register).await;
    assert_eq!(status, 200, "{answer}");
    let (_, nonces) = get(s.address, &format!("/extended/v1/address/{}/nonces", principal_to_string(&key.principal()))).await;
    if nonces["last_mempool_tx_nonce"] == 1 {
        assert_eq!(nonces["possible_next_nonce"], 2);
    }
    let first = outcome(s.address, &txid_of(&register)).await;
    let second = outcome(s.address, &txid_of(&preferences)).await;
    assert_eq!((first["tx_status"].clone(), second["tx_status"].clone()), (json!("success"), json!("success")));
    assert_eq!(first["block_height"], second["block_height"]);
    assert_eq!((first["tx_index"].clone(), second["tx_index"].clone()), (json!(0), json!(1)));
}

#[tokio::test]
async fn a_fee_estimate_comes_once_the_function_was_mined() {
    let s = served(Mining::PerTransaction).await;
    let key = SigningKey::random();
    let tx = sign(&key, call(&s.deployer, 0, "register-patient", register("PAT-1"))).unwrap();
    let payload = {
        let decoded = Transaction::decode(&tx).unwrap();
        let mut bytes = Vec::new();
        clarimed_transactions::wire::StacksMessageCodec::consensus_serialize(&decoded.wire().payload, &mut bytes).unwrap();
        hex(&bytes)
    };
    let body = json!({ "transaction_payload": payload, "estimated_len": tx.len() }).to_string();
    let (status, answer) = request(s.address, "POST", "/v2/fees/transaction", Some("application/json"), body.as_bytes()).await;
    assert_eq!(status, 400);
    assert!(answer.contains("NoEstimateAvailable"), "{answer}");

    broadcast(s.address, &tx).await;
    let mined = outcome(s.address, &txid_of(&tx)).await;
    let (status, answer) = request(s.address, "POST", "/v2/fees/transaction", Some("application/json"), body.as_bytes()).await;
    assert_eq!(status, 200, "{answer}");
    let answer: Json = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["estimated_cost"]["runtime"], mined["execution_cost_runtime"]);
    let fees: Vec<u64> = answer["estimations"].as_array().unwrap().iter().map(|e| e["fee"].as_u64().unwrap()).collect();
    assert_eq!(fees.len(), 3);
    assert!(fees.iter().all(|fee| *fee >= tx.len() as u64), "{answer}");
}

/// Two transactions mined one a block, the second once the first is mined; the
/// engine's tip after each.
async fn two_blocks(tenure_time: Duration) -> (clarimed_engine::Tip, clarimed_engine::Tip) {
    let deployer = SigningKey::random().principal();
    let engine = Arc::new(Engine::in_memory(&deployer, clarimed_engine::Epoch::Epoch40).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = clarimed_node_rpc::Node::new(engine.clone(), Mining::PerTransaction).unwrap().with_tenure_time(tenure_time);
    tokio::spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));
    let mut tips = Vec::new();
    for patient in ["PAT-1", "PAT-2"] {
        let tx = sign(&SigningKey::random(), call(&deployer, 0, "register-patient", register(patient))).unwrap();
        assert_eq!(broadcast(address, &tx).await.0, 200);
        assert_eq!(outcome(address, &format!("0x{}", txid_of(&tx))).await["tx_status"], "success");
        tips.push(engine.committed_tip());
    }
    (tips[0], tips[1])
}

#[tokio::test]
async fn blocks_are_mined_in_a_tenure_until_the_tenure_time_has_passed() {
    // The first block starts a tenure; with an hour's tenure the next is in it.
    let (first, second) = two_blocks(Duration::from_secs(3600)).await;
    assert_eq!((second.stacks_height, second.tenure_height), (first.stacks_height + 1, first.tenure_height));
    // With no tenure time, every block starts one.
    let (first, second) = two_blocks(Duration::ZERO).await;
    assert_eq!((second.stacks_height, second.tenure_height), (first.stacks_height + 1, first.tenure_height + 1));
}
