//! `clarimed serve` as a user starts it: it answers the node's routes on the
//! address it prints, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("the server accepts");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status"), body.to_string())
}

#[test]
fn serve_answers_on_the_address_it_prints_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let init = Command::new(env!("CARGO_BIN_EXE_clarimed")).arg("--db").arg(&db).arg("init").output().unwrap();
    assert!(init.status.success());
    let mut server = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("clarimed serve starts");
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_else(|| panic!("no address in {line:?}"));

    let (status, info) = get(address, "/v2/info");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["stacks_tip_height"], 1);
    let deployer = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    let (status, paused) = get(address, &format!("/v2/data_var/{deployer}/record-management/paused?proof=0"));
    assert_eq!((status, paused.as_str()), (200, r#"{"data":"0x04"}"#));

    // SIGTERM: the server finishes and exits 0.
    let killed = Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().unwrap();
    assert!(killed.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
}
