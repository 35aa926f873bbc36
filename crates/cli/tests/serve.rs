//! `clarimed serve` as a user starts it: it answers the node's routes on the
//! address it prints, and stops cleanly on SIGTERM, keeping every mined block and
//! committing nothing that still waits.

use std::time::Duration;

use common::{init, request, serve, signed, terminate};

mod common;

fn get(address: &str, path: &str) -> (u16, String) {
    request(address, "GET", path, &[])
}

#[test]
fn serve_answers_on_the_address_it_prints_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let deployer = clarimed_engine::principal_to_string(&init(&db));
    let (server, address) = serve(&db, &[]);
    let address = address.as_str();

    let (status, info) = get(address, "/v2/info");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["stacks_tip_height"], 1);
    let (status, paused) = get(address, &format!("/v2/data_var/{deployer}/record-management/paused?proof=0"));
    assert_eq!((status, paused.as_str()), (200, r#"{"data":"0x04"}"#));

    // SIGTERM: the server finishes and exits 0.
    terminate(server);
}

#[test]
fn sigterm_keeps_every_mined_block_and_commits_nothing_still_waiting() {
    use clarimed_engine::clarity::Value;
    use clarimed_engine::keys::SigningKey;
    use clarimed_transactions::Transaction;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let deployer = init(&db);
    // A block as soon as two transactions wait, else once a minute.
    let (server, address) = serve(&db, &["--block-time", "60000", "--block-txs", "2"]);
    let key = SigningKey::random();
    let preferences = || vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)];
    let register = vec![Value::string_ascii_from_bytes(b"PAT-1".to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()];
    let txs: Vec<Vec<u8>> = [("register-patient", register), ("update-patient-preferences", preferences()), ("update-patient-preferences", preferences())]
        .into_iter()
        .enumerate()
        .map(|(nonce, (function, args))| signed(&key, &deployer, nonce as u64, function, args))
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
