//! `clarimed serve` as a user starts it: it answers the node's routes on the
//! address it prints, and stops cleanly on SIGTERM, keeping every mined block and
//! committing nothing that still waits.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::request;

mod common;

fn get(address: &str, path: &str) -> (u16, String) {
    request(address, "GET", path, &[])
}

/// `clarimed serve` on a free loopback port over `db`; the child and its address.
fn serve(db: &std::path::Path, options: &[&str]) -> (std::process::Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(options)
        .stderr(Stdio::piped())
        .spawn()
        .expect("clarimed serve starts");
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_else(|| panic!("no address in {line:?}"));
    (server, address.to_string())
}

fn terminate(mut server: std::process::Child) {
    let killed = Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().unwrap();
    assert!(killed.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
}

fn init(db: &std::path::Path, deployer: Option<&str>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clarimed"));
    command.arg("--db").arg(db).arg("init");
    if let Some(deployer) = deployer {
        command.args(["--deployer", deployer]);
    }
    assert!(command.output().unwrap().status.success());
}

#[test]
fn serve_answers_on_the_address_it_prints_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    init(&db, None);
    let (server, address) = serve(&db, &[]);
    let address = address.as_str();

    let (status, info) = get(address, "/v2/info");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["stacks_tip_height"], 1);
    let deployer = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    let (status, paused) = get(address, &format!("/v2/data_var/{deployer}/record-management/paused?proof=0"));
    assert_eq!((status, paused.as_str()), (200, r#"{"data":"0x04"}"#));

    // SIGTERM: the server finishes and exits 0.
    terminate(server);
}

#[test]
fn sigterm_keeps_every_mined_block_and_commits_nothing_still_waiting() {
    use clarimed_engine::clarity::Value;
    use clarimed_engine::keys::SigningKey;
    use clarimed_transactions::sign::{sign, Unsigned};
    use clarimed_transactions::{Transaction, TESTNET};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let deployer = SigningKey::random().principal();
    init(&db, Some(&clarimed_engine::principal_to_string(&deployer)));
    // A block as soon as two transactions wait, else once a minute.
    let (server, address) = serve(&db, &["--block-time", "60000", "--block-txs", "2"]);
    let key = SigningKey::random();
    let preferences = || vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)];
    let register = vec![Value::string_ascii_from_bytes(b"PAT-1".to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()];
    let txs: Vec<Vec<u8>> = [("register-patient", register), ("update-patient-preferences", preferences()), ("update-patient-preferences", preferences())]
        .into_iter()
        .enumerate()
        .map(|(nonce, (function, args))| {
            let call = Unsigned {
                network: TESTNET,
                nonce: nonce as u64,
                fee: 10_000,
                deployer: &deployer,
                contract: "patient-consent",
                function,
                args,
                post_conditions: Vec::new(),
            };
            sign(&key, call).unwrap()
        })
        .collect();
    for tx in &txs {
        assert_eq!(request(&address, "POST", "/v2/transactions", tx).0, 200);
    }
    let txid = |tx: &[u8]| Transaction::decode(tx).unwrap().txid_hex();
    let mined = (0..500).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        get(&address, &format!("/extended/v1/tx/{}", txid(&txs[1]))).1.contains("\"success\"")
    });
    assert!(mined, "the first two transactions were mined as one block");
    assert!(get(&address, &format!("/extended/v1/tx/{}", txid(&txs[2]))).1.contains("\"pending\""));
    terminate(server);

    let engine = clarimed_engine::Engine::open(&db).unwrap();
    assert_eq!(engine.nonce(&key.principal()).unwrap(), 2);
    assert!(engine.receipt(&Transaction::decode(&txs[0]).unwrap().txid()).unwrap().is_some());
    assert!(engine.receipt(&Transaction::decode(&txs[2]).unwrap().txid()).unwrap().is_none());
    assert!(engine.consent().get_patient(&key.principal()).unwrap().is_some());
}
