//! The node's read routes over loopback, as a client meets them: shapes, status
//! codes and refusals.

use std::net::SocketAddr;
use std::sync::Arc;

use clarimed_engine::clarity::Value;
use clarimed_engine::{hex, principal_to_clarity, principal_to_string, Engine, ExecutionCost, MemoryStore, Principal, READ_ONLY_CALL_LIMIT};
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Served {
    address: SocketAddr,
    engine: Arc<Engine<MemoryStore>>,
    deployer: String,
    patient: Principal,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn principal(seed: u8) -> Principal {
    Principal::standard(26, [seed; 20])
}

/// An engine with one registered patient, served on a free loopback port.
async fn served() -> Served {
    served_with(clarimed_fhir::Clock::default()).await
}

/// The same, with the FHIR routes' times given by `clock`.
async fn served_with(clock: clarimed_fhir::Clock) -> Served {
    let engine = Arc::new(Engine::in_memory(&principal(1), clarimed_engine::Epoch::Epoch25).unwrap());
    let patient = principal(2);
    engine.consent().register_patient(&patient, "PAT-1", 19_800_412, None, None).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node =
        clarimed_node_rpc::Node::new(engine.clone(), clarimed_node_rpc::Mining::PerTransaction).expect("both contracts' interfaces").with_fhir_clock(clock);
    tokio::spawn(clarimed_node_rpc::serve(listener, node, async move {
        let _ = stopped.await;
    }));
    Served { address, deployer: principal_to_string(&principal(1)), engine, patient, _stop: stop }
}

/// One HTTP/1.1 request; the status and the body.
async fn request(address: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let body = body.unwrap_or("");
    let head =
        format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_string(&mut response)).await.expect("an answer in time").unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, body.to_string())
}

/// A POST that declares a body of `length` bytes and sends none: the status.
async fn declaring(address: SocketAddr, path: &str, length: usize) -> u16 {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = vec![0; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut response)).await.expect("an answer in time").unwrap();
    let head = String::from_utf8_lossy(&response[..read]);
    head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status")
}

async fn json(address: SocketAddr, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
    let (status, text) = request(address, method, path, body.map(|b| b.to_string()).as_deref()).await;
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON from {path}: {text}")))
}

fn arg(value: &Value) -> String {
    format!("0x{}", hex(&value.serialize_to_vec().unwrap()))
}

fn who(p: &Principal) -> Value {
    Value::Principal(principal_to_clarity(p).unwrap())
}

#[tokio::test]
async fn call_read_answers_a_read_only_function_with_its_hex() {
    let s = served().await;
    let path = format!("/v2/contracts/call-read/{}/patient-consent/get-patient", s.deployer);
    let body = json!({ "sender": principal_to_string(&s.patient), "arguments": [arg(&who(&s.patient))] });
    let (status, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["okay"], true);
    let expected = s.engine.read(&s.patient, "patient-consent", "get-patient", &[who(&s.patient)]).unwrap().value;
    assert_eq!(answer["result"], arg(&expected));
}

#[tokio::test]
async fn call_read_of_a_public_function_that_writes_is_not_read_only_and_changes_nothing() {
    let s = served().await;
    let before = s.engine.dump_state().unwrap();
    let path = format!("/v2/contracts/call-read/{}/patient-consent/register-patient", s.deployer);
    let args = [Value::string_ascii_from_bytes(b"PAT-2".to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()];
    let body = json!({ "sender": principal_to_string(&principal(3)), "arguments": args.iter().map(arg).collect::<Vec<_>>() });
    let (status, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert_eq!((status, answer.clone()), (200, json!({ "okay": false, "cause": "NotReadOnly" })));
    assert_eq!(s.engine.dump_state().unwrap(), before);
}

#[tokio::test]
async fn call_read_of_a_public_function_that_writes_nothing_answers_its_result() {
    let s = served().await;
    // A stranger cannot grant consent: `(err u101)`, before any write.
    let path = format!("/v2/contracts/call-read/{}/patient-consent/grant-consent", s.deployer);
    let args = [who(&s.patient), Value::UInt(1), Value::none(), Value::string_ascii_from_bytes(b"care".to_vec()).unwrap()];
    let body = json!({ "sender": principal_to_string(&principal(3)), "arguments": args.iter().map(arg).collect::<Vec<_>>() });
    let (status, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({ "okay": true, "result": arg(&Value::error(Value::UInt(101)).unwrap()) }));
}

#[tokio::test]
async fn call_read_refusals_have_the_nodes_causes() {
    let s = served().await;
    let sender = principal_to_string(&s.patient);
    let ask = |contract: &str, function: &str, args: Vec<String>| {
        (format!("/v2/contracts/call-read/{}/{contract}/{function}", s.deployer), json!({ "sender": sender, "arguments": args }))
    };
    let (path, body) = ask("no-such-contract", "is-paused", vec![]);
    let (_, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert_eq!(answer["okay"], false);
    assert!(answer["cause"].as_str().unwrap().starts_with("Unchecked(NoSuchContract("), "{answer}");
    let (path, body) = ask("patient-consent", "no-such-function", vec![]);
    let (_, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert_eq!(answer["cause"], "Unchecked(UndefinedFunction(\"no-such-function\"))");
    let (path, body) = ask("patient-consent", "is-paused", vec![arg(&Value::UInt(1))]);
    let (_, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert_eq!(answer["cause"], "Unchecked(IncorrectArgumentCount(0, 1))");

    s.engine.set_read_only_limit(ExecutionCost { read_count: 1, ..READ_ONLY_CALL_LIMIT });
    let (path, body) = ask("patient-consent", "is-paused", vec![]);
    let (_, answer) = json(s.address, "POST", &path, Some(body)).await;
    assert!(answer["cause"].as_str().unwrap().starts_with("Unchecked(CostBalanceExceeded(ExecutionCost { write_length: 0,"), "{answer}");
}

#[tokio::test]
async fn a_body_that_does_not_decode_is_a_bad_request() {
    let s = served().await;
    let path = format!("/v2/contracts/call-read/{}/patient-consent/is-paused", s.deployer);
    assert_eq!(request(s.address, "POST", &path, Some("{ not json")).await.0, 400);
    let body = json!({ "sender": "not a principal", "arguments": [] }).to_string();
    assert_eq!(request(s.address, "POST", &path, Some(&body)).await, (400, "Failed to parse sender principal".to_string()));
    let body = json!({ "sender": principal_to_string(&s.patient), "arguments": ["0xzz"] }).to_string();
    assert_eq!(request(s.address, "POST", &path, Some(&body)).await, (400, "Failed to deserialize argument value".to_string()));
    assert_eq!(request(s.address, "POST", &path, None).await, (400, "Invalid Http request: invalid body length for CallReadOnly (0)".to_string()));
    let map = format!("/v2/map_entry/{}/patient-consent/patients?proof=0", s.deployer);
    assert_eq!(declaring(s.address, &map, clarimed_node_rpc::MAX_BODY_BYTES + 1).await, 400, "an oversized body is refused before it is read");
    assert_eq!(request(s.address, "GET", "/v2/info", None).await.0, 200, "and the server keeps serving");
    assert_eq!(request(s.address, "GET", "/v2/no-such-route", None).await.0, 404);
    assert_eq!(request(s.address, "GET", &path, None).await.0, 405, "call-read takes POST only");
}

#[tokio::test]
async fn data_vars_and_map_entries_are_the_stored_bytes() {
    let s = served().await;
    let (status, var) = json(s.address, "GET", &format!("/v2/data_var/{}/patient-consent/total-patients?proof=0", s.deployer), None).await;
    assert_eq!((status, var), (200, json!({ "data": arg(&Value::UInt(1)) })));
    let (status, _) = request(s.address, "GET", &format!("/v2/data_var/{}/patient-consent/no-such-var", s.deployer), None).await;
    assert_eq!(status, 404);

    let path = format!("/v2/map_entry/{}/patient-consent/audit-count?proof=0", s.deployer);
    let (status, entry) = json(s.address, "POST", &path, Some(json!(arg(&who(&s.patient))))).await;
    assert_eq!((status, entry), (200, json!({ "data": arg(&Value::some(Value::UInt(1)).unwrap()) })));
    let (_, missing) = json(s.address, "POST", &path, Some(json!(arg(&who(&principal(9)))))).await;
    assert_eq!(missing, json!({ "data": "0x09" }));
}

#[tokio::test]
async fn sources_accounts_fees_and_info_have_the_nodes_shapes() {
    let s = served().await;
    let (status, source) = json(s.address, "GET", &format!("/v2/contracts/source/{}/record-management?proof=0", s.deployer), None).await;
    assert_eq!(status, 200);
    assert_eq!(source["source"], include_str!("../../../contracts/record-management.clar"));
    assert_eq!(source["publish_height"], 1);
    assert_eq!(request(s.address, "GET", "/v2/contracts/source/ST000000000000000000002AMW42H/record-management", None).await.0, 404);

    let (status, account) = json(s.address, "GET", &format!("/v2/accounts/{}?proof=0", principal_to_string(&s.patient)), None).await;
    assert_eq!(status, 200);
    assert_eq!(account["nonce"], 0);
    assert_eq!(account["balance"], format!("0x{}", "0".repeat(32)));
    assert_eq!(request(s.address, "GET", "/v2/accounts/nobody", None).await.0, 400);
    assert_eq!(json(s.address, "GET", "/v2/fees/transfer", None).await, (200, json!(1)));

    s.engine.mine(5).unwrap();
    let (status, info) = json(s.address, "GET", "/v2/info", None).await;
    assert_eq!(status, 200);
    assert_eq!(info["stacks_tip_height"], s.engine.committed_block_height());
    assert_eq!(info["network_id"], 0x8000_0000u32);
    assert_eq!(info["stacks_tip"].as_str().map(str::len), Some(64));
    // Blocks in a tenure move the Stacks tip, not the tenure height a 4.0 node reports.
    s.engine.mine_in_tenure(3).unwrap();
    let (_, info) = json(s.address, "GET", "/v2/info", None).await;
    let tip = s.engine.committed_tip();
    assert_eq!((info["stacks_tip_height"].as_u64(), info["tenure_height"].as_u64()), (Some(u64::from(tip.stacks_height)), Some(u64::from(tip.tenure_height))));
    assert_ne!(tip.stacks_height, tip.tenure_height);
    assert_eq!(info["clarimed_epoch"], "2.5");
    for field in ["node_public_key", "node_public_key_hash", "last_pox_anchor", "stackerdbs"] {
        assert!(!info[field].is_null(), "a 4.0 node's /v2/info has {field}: {info}");
    }
    assert_eq!(info["node_public_key_hash"].as_str().map(str::len), Some(40));

    let (status, digest) = json(s.address, "GET", "/clarimed/status", None).await;
    assert_eq!(status, 200);
    assert_eq!(digest["state_digest"], hex(&s.engine.state_digest().unwrap()));
    assert_eq!(digest["block_height"], s.engine.committed_block_height());
}

#[tokio::test]
async fn the_interface_is_clarity_vms_and_lists_every_function_of_the_table() {
    let s = served().await;
    for contract in clarimed_engine::table::Contract::ALL {
        let (status, interface) = json(s.address, "GET", &format!("/v2/contracts/interface/{}/{}", s.deployer, contract.name()), None).await;
        assert_eq!(status, 200);
        assert_eq!((interface["epoch"].as_str(), interface["clarity_version"].as_str()), (Some("Epoch25"), Some("Clarity2")));
        let functions = interface["functions"].as_array().expect("functions");
        for row in clarimed_engine::table::functions(contract) {
            let function = functions.iter().find(|f| f["name"] == row.name).unwrap_or_else(|| panic!("{} missing", row.name));
            let access = match row.access {
                clarimed_engine::table::Access::Public => "public",
                clarimed_engine::table::Access::ReadOnly => "read_only",
            };
            assert_eq!(function["access"], access, "{}", row.name);
            assert_eq!(function["args"].as_array().map(Vec::len), Some(row.params.len()), "{}", row.name);
        }
    }
    let (status, _) = request(s.address, "GET", &format!("/v2/contracts/interface/{}/nothing", s.deployer), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_fhir_routes_answer_searchsets_timed_by_the_nodes_clock_and_refuse_bad_requests_with_an_operation_outcome() {
    let served = served_with(clarimed_fhir::Clock { genesis: 0, seconds_per_block: 1 }).await;
    let patient = principal_to_string(&served.patient);
    let (status, bundle) = json(served.address, "GET", &format!("/fhir/AuditEvent?patient={patient}&_count=1"), None).await;
    assert_eq!(status, 200);
    assert_eq!((bundle["resourceType"].as_str(), bundle["type"].as_str()), (Some("Bundle"), Some("searchset")));
    assert_eq!(bundle["timestamp"], "1970-01-01T00:00:01Z", "block 1 is one second past the genesis");
    assert_eq!(bundle["entry"][0]["resource"]["subtype"][0]["code"], "REGISTER");
    assert_eq!(bundle["entry"][0]["search"]["mode"], "match");
    let id = bundle["entry"][0]["resource"]["id"].as_str().unwrap().to_string();
    assert_eq!(bundle["entry"][0]["fullUrl"], format!("http://localhost/fhir/AuditEvent/{id}"), "the base the client reached, as its Host header says");
    let (status, event) = json(served.address, "GET", &format!("/fhir/AuditEvent/{id}"), None).await;
    assert_eq!((status, &event), (200, &bundle["entry"][0]["resource"]));

    let (status, metadata) = json(served.address, "GET", "/fhir/metadata", None).await;
    assert_eq!((status, metadata["resourceType"].as_str(), metadata["fhirVersion"].as_str()), (200, Some("CapabilityStatement"), Some("4.0.1")));
    let served_types: Vec<&str> = metadata["rest"][0]["resource"].as_array().unwrap().iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(served_types, ["Consent", "AuditEvent"]);

    let (status, nobody) = json(served.address, "GET", &format!("/fhir/Consent?patient={}", served.deployer), None).await;
    assert_eq!((status, nobody["total"].as_u64(), nobody["entry"].as_array().map(Vec::len)), (200, Some(0), Some(0)), "no patient, no match");
    for (path, status, code) in [
        ("/fhir/Consent?patient=nobody".to_string(), 400, "invalid"),
        (format!("/fhir/Consent?patient={patient}&colour=red"), 400, "not-supported"),
        (format!("/fhir/Consent/c99-{patient}"), 404, "not-found"),
        ("/fhir/AuditEvent/not-an-id".to_string(), 404, "not-found"),
        (format!("/fhir/Consent?patient={patient}&_format=xml"), 400, "not-supported"),
    ] {
        let (got, outcome) = json(served.address, "GET", &path, None).await;
        assert_eq!((got, outcome["resourceType"].as_str(), outcome["issue"][0]["code"].as_str()), (status, Some("OperationOutcome"), Some(code)), "{path}");
    }
}
