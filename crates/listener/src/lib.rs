//! Serves an [`axum::Router`] on a [`TcpListener`] with every resource a client can
//! hold bounded, for `clarimed serve` and `clarimed follow`'s event observer.
//!
//! - **Open connections**: at most [`Limits::max_connections`]. A connection past
//!   the bound is accepted and closed at once, before anything is read from it or
//!   written to it (see [`serve`] for why not a 503); the connections already open
//!   are not touched.
//! - **Headers**: a request's headers must all arrive within
//!   [`Limits::header_timeout`], counted from the connection's accept for its first
//!   request and from the first byte of each later one.
//! - **Body**: a request's body must all arrive within [`Limits::body_timeout`] of
//!   its headers.
//! - **Idle keep-alive**: a connection with no request under way for
//!   [`Limits::idle_timeout`] is closed.
//!
//! A connection whose time is up is closed without an answer (a client that is
//! that slow is not reading one); the time a route takes to answer is not limited
//! here, each route bounds its own work. HTTP/1.1 only, as both servers were.
//! The `connection` module holds the per-connection clock. [`health`] is the
//! `GET /clarimed/health` both servers answer, and [`metrics`] their `GET /metrics`.

mod connection;
pub mod health;
pub mod metrics;
pub mod testing;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use metrics::Metrics;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// What one server may hold, and for how long. [`Limits::default`] gives the
/// documented defaults; every field is public to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most connections open at once (0 is taken as 1). Default:
    /// [`default_max_connections`].
    pub max_connections: usize,
    /// How long a client has to send a request's headers. Default:
    /// [`DEFAULT_HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// How long a client has to send a request's body, once its headers are in.
    /// Default: [`DEFAULT_BODY_TIMEOUT`].
    pub body_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request. Default:
    /// [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: default_max_connections(),
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// The most connections by default where descriptors allow it: far more than the
/// wallets, apps and one node a devnet serves, few enough that their buffers (8 KiB
/// to read each) stay under 100 MiB.
pub const MAX_CONNECTIONS: usize = 10_000;

/// Descriptors kept out of the connection bound: the state file and its journal,
/// the listener, standard streams, the runtime's own, and the one a refused
/// connection takes for the moment it is accepted and closed.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// A client sends its headers in one write; 10 s is ample for a slow link and
/// short for a client that holds connections open by trickling them.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest body either server reads (64 MiB, a node's block to the observer)
/// arrives in well under 30 s on any link a node is fed over.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Long enough for a client polling a transaction every few seconds to keep its
/// connection, short enough that abandoned ones do not pile up.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long accepting waits after an error that is not the client's (out of
/// descriptors, most often): as axum and hyper-util wait, so a full descriptor
/// table is not spun on. Connections meanwhile wait in the kernel's backlog.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// [`MAX_CONNECTIONS`], or fewer when the process may open fewer descriptors: the
/// soft `RLIMIT_NOFILE` less [`RESERVED_DESCRIPTORS`] (at least 1). Past that, the
/// bound that applies would be the kernel's, which refuses by failing `accept`
/// and leaves the client waiting; within it, the refusal is this crate's, at once.
pub fn default_max_connections() -> usize {
    match descriptor_limit() {
        Some(limit) => usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX).clamp(1, MAX_CONNECTIONS),
        None => MAX_CONNECTIONS,
    }
}

/// The process's soft limit on open descriptors, if it has one.
#[cfg(unix)]
fn descriptor_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
fn descriptor_limit() -> Option<u64> {
    None
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves; then
/// stops accepting, lets each connection finish the request under way (an idle one
/// is closed at once) and returns once every connection is closed, which the
/// limits bound as well.
///
/// A connection past [`Limits::max_connections`] is accepted and closed at once
/// rather than answered 503: answering would mean reading its request first
/// (closing a socket with an unread request makes the kernel reset it, and the
/// client then sees the reset, not the 503), which would hold a descriptor and a
/// task for every refused client, the very things bounded. Closed at once, a
/// refused client costs one `accept` and `close` and sees the connection end; a
/// Stacks node does the same past its `max_http_clients` (stacks-core's
/// `net/server.rs` closes a socket it cannot register).
///
/// Errors from `accept` are not fatal: one about the client's connection is
/// skipped; any other (out of descriptors) waits a second and accepts again.
///
/// `metrics` counts the connections open and those refused.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, metrics: Arc<Metrics>, shutdown: impl Future<Output = ()> + Send + 'static) {
    // One permit a connection, held by its task: at shutdown, taking them all back
    // is waiting for every connection to close.
    let permits = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS).min(u32::MAX as usize);
    let connections = Arc::new(Semaphore::new(permits));
    let (closing, closing_seen) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) if is_connection_error(&error) => continue,
            Err(_) => {
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            // Past the bound: refused, the stream closed as it is dropped.
            metrics.connection_refused();
            continue;
        };
        // Responses are written whole; Nagle's delay would only hold back their tail.
        let _ = stream.set_nodelay(true);
        let open = metrics.connection_opened();
        tokio::spawn(connection::serve(stream, router.clone(), limits, closing_seen.clone(), (open, permit)));
    }
    drop(listener);
    closing.send_replace(true);
    // The semaphore is never closed, so this only waits.
    let _ = connections.acquire_many(permits as u32).await;
}

/// An `accept` error that is about one client's connection, not the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset)
}
