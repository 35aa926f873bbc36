//! What the tests of bounded servers (this crate's, `serve`'s and the follower's)
//! ask of a connection.

use std::time::Duration;

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request with `body` as JSON, on a connection of its own, as a
/// node or a load balancer makes it: the status and the body, answered within
/// `patience`.
pub async fn request(address: SocketAddr, method: &str, path: &str, body: &[u8], patience: Duration) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.expect("the server accepts a connection");
    let head =
        format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.expect("the request is sent");
    stream.write_all(body).await.expect("the body is sent");
    let mut response = String::new();
    tokio::time::timeout(patience, stream.read_to_string(&mut response)).await.expect("an answer in time").expect("the answer reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status"), body.to_string())
}

/// Whether the server closed `stream` (end of file or reset) within `patience`,
/// reading and discarding whatever it sends first.
pub async fn closed_by_server(stream: &mut TcpStream, patience: Duration) -> bool {
    let mut chunk = [0; 1024];
    let closed = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(patience, closed).await.is_ok()
}
