//! `serve` and `follow` started from a config file (`--config FILE`), as an operator
//! starts them: the file's values apply, a flag given on the command line wins, and
//! a file with an unknown key or a bad value is refused at start with its line. The
//! servers answer `GET /clarimed/health`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use clarimed_conformance::ops::Pool;

const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";

fn clarimed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clarimed")).args(args).output().expect("clarimed runs")
}

fn get(address: &str, path: &str) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(address).expect("the server accepts");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON from {path}: {body}")))
}

/// `clarimed ARGS`, a server: the child and the first line it prints on stderr,
/// which names its state and address.
fn start(args: &[&str]) -> (Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_clarimed")).args(args).stderr(Stdio::piped()).spawn().expect("clarimed starts");
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut line).unwrap();
    (server, line)
}

/// The address in the line a server prints when it starts.
fn address(line: &str) -> String {
    line.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_else(|| panic!("no address in {line:?}")).to_string()
}

/// SIGTERM, and the server exits 0.
fn terminate(mut server: Child) {
    assert!(Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().unwrap().success());
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn serve_starts_from_its_config_file_and_answers_health() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    assert!(clarimed(&["--db", db.to_str().unwrap(), "init"]).status.success());
    let config = write(&dir.path().join("serve.toml"), &format!("db = {:?}\nlisten = \"127.0.0.1:0\"\nblock-per-tx = true\n", db.to_str().unwrap()));

    let (server, line) = start(&["serve", "--config", &config]);
    // A log line: the time and level, then the message.
    assert!(line.contains(&format!(" INFO clarimed::serve: clarimed serve: {} on http://127.0.0.1:", db.display())), "the file's db and listen: {line}");
    let address = address(&line);
    let (status, health) = get(&address, "/clarimed/health");
    assert_eq!((status, &health["status"], &health["reason"]), (200, &"ok".into(), &serde_json::Value::Null), "{health}");
    assert_eq!(health["block_height"], get(&address, "/clarimed/status").1["block_height"]);
    terminate(server);
}

#[test]
fn follow_starts_from_its_config_file_a_flag_given_winning() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("follower.db");
    let given = Pool::new().owner().principal().to_string();
    assert_ne!(given, DEPLOYER);
    let config = write(
        &dir.path().join("follow.toml"),
        &format!("db = {:?}\ncontracts = \"{DEPLOYER}\"\nepoch = \"2.5\"\nlisten = \"127.0.0.1:0\"\nhealth-max-block-age = 600\n", db.to_str().unwrap()),
    );

    let (follower, line) = start(&["follow", "--config", &config, "--contracts", &given]);
    assert!(
        line.contains(&format!(" INFO clarimed::follow: clarimed follow: {given}'s contracts, state in {}, listening on http://127.0.0.1:", db.display())),
        "{line}"
    );
    let (status, health) = get(&address(&line), "/clarimed/health");
    assert_eq!((status, &health["status"]), (200, &"ok".into()), "no block yet, but not for longer than the max age: {health}");
    terminate(follower);
}

#[test]
fn a_config_file_with_an_unknown_key_or_a_bad_value_is_refused_at_start_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    assert!(clarimed(&["--db", db.to_str().unwrap(), "init"]).status.success());
    for (name, text, says) in [
        ("unknown.toml", "listen = \"127.0.0.1:0\"\nblocktime = 5\n", ":2: unknown key `blocktime` (serve takes: listen, block-time, "),
        ("range.toml", "block-txs = 0\n", ":1: block-txs: invalid value '0' for '--block-txs <N>': 0 is not in 1..=10000"),
        ("kind.toml", "\nblock-per-tx = 1\n", ":2: block-per-tx: expected true or false"),
        ("syntax.toml", "listen = 127.0.0.1:0\n", ":1: "),
    ] {
        let config = write(&dir.path().join(name), text);
        let refused = clarimed(&["--db", db.to_str().unwrap(), "serve", "--config", &config]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.starts_with(&format!("clarimed: {config}{says}")) && stderr.lines().count() == 1, "{name}: {stderr}");
    }
    let missing = clarimed(&["serve", "--config", dir.path().join("absent.toml").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the config file"));
}
