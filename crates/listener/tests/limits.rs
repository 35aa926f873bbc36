//! Every limit over loopback, each with the others set long so that only the one
//! under test can close a connection: slow headers, a slow body, an idle
//! keep-alive connection, connections past the bound, and a graceful shutdown that
//! lets the request under way finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::Router;
use clarimed_listener::health::Health;
use clarimed_listener::metrics::Metrics;
use clarimed_listener::testing::closed_by_server;
use clarimed_listener::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

/// Long enough never to be what closes a connection in these tests.
const LONG: Duration = Duration::from_secs(3600);
/// The limit under test.
const SHORT: Duration = Duration::from_secs(1);
/// How long a test waits for what it expects before failing (not a measure).
const PATIENCE: Duration = Duration::from_secs(20);

fn limits() -> Limits {
    Limits { max_connections: 100, header_timeout: LONG, body_timeout: LONG, idle_timeout: LONG }
}

struct Served {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
    metrics: Arc<Metrics>,
}

impl Served {
    /// The value of the metric `name` scraped now.
    fn metric(&self, name: &str) -> String {
        let text = self.metrics.render();
        let line = text.lines().find(|line| line.split(' ').next() == Some(name));
        line.and_then(|line| line.split(' ').nth(1)).unwrap_or_else(|| panic!("no {name} in\n{text}")).to_string()
    }
}

async fn served(router: Router, limits: Limits) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let metrics = Arc::new(Metrics::new(Arc::new(Health::new(0))));
    let server = tokio::spawn(clarimed_listener::serve(listener, router, limits, metrics.clone(), async move {
        let _ = stopped.await;
    }));
    Served { address, stop, server, metrics }
}

fn router() -> Router {
    Router::new().route("/", get(|| async { "hello" })).route("/echo", post(|body: Bytes| async move { body }))
}

/// A GET on a keep-alive connection; the response's body.
async fn get_on(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n").await.unwrap();
    read_response(stream).await
}

/// One response (with a content-length) from `stream`, leaving the connection open.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut chunk)).await.expect("an answer in time").unwrap();
        assert!(read > 0, "the connection closed before the response: {}", String::from_utf8_lossy(&bytes));
        bytes.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|value| value.trim().parse().unwrap()))
                .expect("a content-length");
            if body.len() >= length {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                return body.to_string();
            }
        }
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped_after_the_header_timeout() {
    let s = served(router(), Limits { header_timeout: SHORT, ..limits() }).await;
    let mut slow = TcpStream::connect(s.address).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n").await.unwrap();
    // A header line every 200 ms, never the blank line that ends them.
    let (mut reader, mut writer) = slow.into_split();
    let trickle = tokio::spawn(async move {
        for line in 0.. {
            if writer.write_all(format!("x-slow-{line}: 1\r\n").as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut chunk = [0; 64];
    let ended = tokio::time::timeout(PATIENCE, reader.read(&mut chunk)).await.expect("dropped in time");
    assert!(matches!(ended, Ok(0) | Err(_)), "no answer to a request never finished");
    trickle.abort();
    // The server goes on.
    let mut fresh = TcpStream::connect(s.address).await.unwrap();
    assert_eq!(get_on(&mut fresh).await, "hello");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_is_dropped_after_the_body_timeout() {
    let s = served(router(), Limits { body_timeout: SHORT, ..limits() }).await;
    let mut slow = TcpStream::connect(s.address).await.unwrap();
    slow.write_all(b"POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 10\r\n\r\nhalf!").await.unwrap();
    assert!(closed_by_server(&mut slow, PATIENCE).await);
    let mut fresh = TcpStream::connect(s.address).await.unwrap();
    fresh.write_all(b"POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 5\r\n\r\nwhole").await.unwrap();
    assert_eq!(read_response(&mut fresh).await, "whole");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let s = served(router(), Limits { idle_timeout: SHORT, ..limits() }).await;
    let mut client = TcpStream::connect(s.address).await.unwrap();
    assert_eq!(get_on(&mut client).await, "hello");
    assert_eq!(get_on(&mut client).await, "hello", "kept alive between requests");
    assert!(closed_by_server(&mut client, PATIENCE).await);
}

#[tokio::test]
async fn connections_past_the_bound_are_refused_and_the_others_served() {
    const BOUND: usize = 8;
    let s = served(router(), Limits { max_connections: BOUND, ..limits() }).await;
    // Answered once each, so the server holds all of them.
    let mut open = Vec::new();
    for _ in 0..BOUND {
        let mut client = TcpStream::connect(s.address).await.unwrap();
        assert_eq!(get_on(&mut client).await, "hello");
        open.push(client);
    }
    for _ in 0..3 {
        let mut refused = TcpStream::connect(s.address).await.unwrap();
        // Its request may or may not reach the socket before the close: either way, no answer.
        let _ = refused.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n").await;
        assert!(closed_by_server(&mut refused, PATIENCE).await);
    }
    assert_eq!(s.metric("clarimed_http_connections_open"), BOUND.to_string());
    assert_eq!(s.metric("clarimed_http_connections_refused_total"), "3");
    for client in &mut open {
        assert_eq!(get_on(client).await, "hello");
    }
    // One closed, a new connection takes its place (once the server has seen it go).
    drop(open.pop());
    for attempt in 0.. {
        let mut client = TcpStream::connect(s.address).await.unwrap();
        if client.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n").await.is_ok() {
            let mut chunk = [0; 1024];
            if let Ok(Ok(read)) = tokio::time::timeout(PATIENCE, client.read(&mut chunk)).await {
                if read > 0 {
                    assert!(chunk.starts_with(b"HTTP/1.1 200"));
                    break;
                }
            }
        }
        assert!(attempt < 200, "no place freed for a new connection");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn shutdown_finishes_the_request_under_way_and_closes_idle_connections() {
    let (entered, handler_entered) = oneshot::channel::<()>();
    let entered = Arc::new(std::sync::Mutex::new(Some(entered)));
    let release = Arc::new(Notify::new());
    let released = release.clone();
    let router = router().route(
        "/slow",
        get(move || {
            let (entered, released) = (entered.clone(), released.clone());
            async move {
                if let Some(entered) = entered.lock().unwrap().take() {
                    let _ = entered.send(());
                }
                released.notified().await;
                "finished"
            }
        }),
    );
    let s = served(router, limits()).await;
    let mut idle = TcpStream::connect(s.address).await.unwrap();
    assert_eq!(get_on(&mut idle).await, "hello");
    let mut busy = TcpStream::connect(s.address).await.unwrap();
    busy.write_all(b"GET /slow HTTP/1.1\r\nhost: localhost\r\n\r\n").await.unwrap();
    handler_entered.await.unwrap();

    s.stop.send(()).unwrap();
    assert!(closed_by_server(&mut idle, PATIENCE).await, "an idle connection is closed at once");
    release.notify_one();
    assert_eq!(read_response(&mut busy).await, "finished");
    tokio::time::timeout(PATIENCE, s.server).await.expect("the server stops").unwrap();
    assert!(TcpStream::connect(s.address).await.is_err(), "no longer listening");
    assert!(s.metrics.render().lines().any(|line| line == "clarimed_http_connections_open 0"));
}
