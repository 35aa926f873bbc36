//! What the tests that start `clarimed serve` or `clarimed follow` share; each
//! test binary uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::Principal;
use clarimed_transactions::sign::{sign, Unsigned};
use clarimed_transactions::TESTNET;

/// A server's process, killed when dropped before it is waited for: a test that
/// fails leaves no server behind to hold its output open.
pub struct Server(Option<Child>);

impl Server {
    /// Takes a server just spawned.
    pub fn new(child: Child) -> Server {
        Server(Some(child))
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Waits for it to exit.
    pub fn wait(mut self) -> ExitStatus {
        self.0.take().expect("not waited for yet").wait().unwrap()
    }

    /// Waits for it to exit, with what it wrote to the pipes it was given.
    pub fn wait_with_output(mut self) -> Output {
        self.0.take().expect("not waited for yet").wait_with_output().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One HTTP/1.1 request on a connection of its own: the status and the body.
pub fn request(address: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let (status, _, body) = response(address, method, path, body);
    (status, body)
}

/// One HTTP/1.1 request on a connection of its own: the status, the head's
/// header lines and the body.
pub fn response(address: &str, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).expect("the server accepts");
    // Far longer than any answer takes, a debug build applying a block included.
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, head.to_string(), body.to_string())
}

/// A new state at `db` whose contracts a random key deployed; that deployer.
pub fn init(db: &std::path::Path) -> Principal {
    let deployer = SigningKey::random().principal();
    let init = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .arg("--db")
        .arg(db)
        .args(["init", "--deployer", &clarimed_engine::principal_to_string(&deployer)])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    deployer
}

/// A signed call of `patient-consent`'s `function` by `key` at `nonce`.
pub fn signed(key: &SigningKey, deployer: &Principal, nonce: u64, function: &str, args: Vec<Value>) -> Vec<u8> {
    let call = Unsigned { network: TESTNET, nonce, fee: 10_000, deployer, contract: "patient-consent", function, args, post_conditions: Vec::new() };
    sign(key, call).unwrap()
}

/// A signed `register-patient` call of `key` at `nonce`, for the patient `id`.
pub fn register(key: &SigningKey, deployer: &Principal, nonce: u64, id: &str) -> Vec<u8> {
    let args = vec![Value::string_ascii_from_bytes(id.as_bytes().to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()];
    signed(key, deployer, nonce, "register-patient", args)
}

/// The address in a server's start line (`… listening on http://ADDRESS …`).
pub fn address_in(line: &str) -> String {
    line.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_else(|| panic!("no address in {line:?}")).to_string()
}

/// `clarimed serve` on a free loopback port over `db` with `options`: the server
/// and the address it prints. Its stderr is read to the end as it comes.
pub fn serve(db: &std::path::Path, options: &[&str]) -> (Server, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(options)
        .stderr(Stdio::piped())
        .spawn()
        .expect("clarimed serve starts");
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (Server::new(server), address_in(&line))
}

/// Stops a server with SIGTERM; it must exit 0.
pub fn terminate(server: Server) {
    assert!(Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().unwrap().success());
    let status = server.wait();
    assert!(status.success(), "{status}");
}

/// `clarimed follow` of `contracts` at epoch 2.5 on a free loopback port with
/// `options`: the server, the address it prints, and its stderr after that line,
/// read as it comes so that the follower never blocks on it.
pub fn follow(contracts: &str, options: &[&str]) -> (Server, String, JoinHandle<String>) {
    let mut follower = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .args(["follow", "--contracts", contracts, "--epoch", "2.5", "--listen", "127.0.0.1:0"])
        .args(options)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clarimed follow starts");
    let mut stderr = BufReader::new(follower.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        rest
    });
    (Server::new(follower), address_in(&first), rest)
}
