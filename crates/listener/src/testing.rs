//! What the tests of bounded servers (this crate's, `serve`'s and the follower's)
//! ask of a connection.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

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
