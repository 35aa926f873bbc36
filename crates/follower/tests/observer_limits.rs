//! The event observer within its limits, over loopback: a client that trickles its
//! headers is dropped, connections past the bound are refused, and the node's
//! posts are still answered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clarimed_engine::{Engine, MemoryStore, Principal};
use clarimed_follower::metrics::FollowMetrics;
use clarimed_follower::observer::{self, Ended};
use clarimed_follower::{Follower, OnMismatch};
use clarimed_listener::health::Health;
use clarimed_listener::testing::closed_by_server;
use clarimed_listener::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long the test waits for what it expects before failing (not a measure).
const PATIENCE: Duration = Duration::from_secs(20);

/// A POST the observer acknowledges without reading it (as `/new_burn_block`) on a
/// keep-alive connection; the status line.
async fn acknowledged(stream: &mut TcpStream) -> String {
    stream.write_all(b"POST /new_burn_block HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}").await.unwrap();
    let mut response = [0; 1024];
    let read = tokio::time::timeout(PATIENCE, stream.read(&mut response)).await.expect("an answer in time").unwrap();
    String::from_utf8_lossy(&response[..read]).lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_observer_drops_slow_headers_refuses_connections_past_its_bound_and_goes_on() {
    const BOUND: usize = 3;
    let owner = Principal::standard(26, [7; 20]);
    let engine = Engine::<MemoryStore>::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap();
    let follower = Arc::new(Mutex::new(Follower::new(Arc::new(engine), 16, OnMismatch::Log).unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits { max_connections: BOUND, header_timeout: Duration::from_secs(1), ..Limits::default() };
    let served =
        tokio::spawn(observer::serve(listener, follower, None, Box::new(|_| {}), limits, Arc::new(FollowMetrics::new(Arc::new(Health::new(0)))), async move {
            let _ = stopped.await;
        }));

    let mut open = Vec::new();
    for _ in 0..BOUND {
        let mut stream = TcpStream::connect(address).await.unwrap();
        assert_eq!(acknowledged(&mut stream).await, "HTTP/1.1 200 OK");
        open.push(stream);
    }
    // Every place is held (idle, for a minute): one more connection is closed unanswered.
    let mut refused = TcpStream::connect(address).await.unwrap();
    let _ = refused.write_all(b"GET /clarimed/status HTTP/1.1\r\nhost: localhost\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, refused.read_to_end(&mut answer)).await.expect("closed in time");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    for stream in &mut open {
        assert_eq!(acknowledged(stream).await, "HTTP/1.1 200 OK");
    }
    // One starts its next request and never finishes the headers: dropped after the
    // header timeout, and its place taken again.
    let mut slow = open.pop().unwrap();
    slow.write_all(b"POST /new_block HTTP/1.1\r\nhost: localhost\r\n").await.unwrap();
    assert!(closed_by_server(&mut slow, PATIENCE).await);
    for attempt in 0.. {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let _ = stream.write_all(b"GET /clarimed/status HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").await;
        let mut answer = String::new();
        let _ = tokio::time::timeout(PATIENCE, stream.read_to_string(&mut answer)).await;
        if answer.starts_with("HTTP/1.1 200") {
            assert!(answer.contains("\"state_digest\""), "{answer}");
            break;
        }
        assert!(attempt < 200, "the slow client's place was not given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    assert_eq!(tokio::time::timeout(PATIENCE, served).await.expect("the observer stops").unwrap(), Ended::Shutdown);
}
