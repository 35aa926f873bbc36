//! One connection: hyper's HTTP/1.1 over the socket, and a clock that closes it
//! when a client takes too long.
//!
//! A connection is always in one [`Phase`], each with its own time limit: waiting
//! for a request's headers, receiving its body, handled by a route (no limit), or
//! idle between requests. Three watchers move it on: the socket (the first byte
//! after idle starts a request's headers), the request body (its end starts the
//! handling) and the response body (its end makes the connection idle). The clock
//! ([`expiry`]) sleeps until the current phase's deadline and ends the connection
//! there, by dropping it.
//!
//! hyper's own `header_read_timeout` is not used: it also runs while a keep-alive
//! connection waits for its next request, so it cannot tell slow headers from an
//! idle connection.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::body::{Body as AxumBody, Bytes};
use axum::Router;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::metrics::OpenConnection;
use crate::Limits;

/// Where a connection is, and since when.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's headers: since the accept, or the request's first byte.
    Headers(Instant),
    /// Receiving a request's body, since its headers.
    Body(Instant),
    /// A route is answering.
    Handling,
    /// No request under way, since the last response.
    Idle(Instant),
}

impl Phase {
    /// When the connection is closed unless the phase moves on; `None` for never
    /// (a route answering, or a limit too long to count).
    fn deadline(self, limits: &Limits) -> Option<Instant> {
        match self {
            Phase::Headers(since) => since.checked_add(limits.header_timeout),
            Phase::Body(since) => since.checked_add(limits.body_timeout),
            Phase::Handling => None,
            Phase::Idle(since) => since.checked_add(limits.idle_timeout),
        }
    }
}

/// The phase, shared by the connection's watchers and read by its clock.
type SharedPhase = Arc<watch::Sender<Phase>>;

/// Serves one connection until it ends, its time is up, or `closing` turns true
/// (then it finishes the request under way and closes). `_held` is its place in
/// the count of open connections and under the connection bound, given back in
/// that order when it ends (so the count is right once the bound frees).
pub(crate) async fn serve(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
    _held: (OpenConnection, OwnedSemaphorePermit),
) {
    let (phase, watched) = watch::channel(Phase::Headers(Instant::now()));
    let phase = Arc::new(phase);
    let io = TokioIo::new(Watched { stream, phase: phase.clone() });
    let service = service_fn(move |request: Request<Incoming>| {
        let (router, phase) = (router.clone(), phase.clone());
        async move {
            let began = if request.body().is_end_stream() { Phase::Handling } else { Phase::Body(Instant::now()) };
            phase.send_replace(began);
            let request = request.map(|body| RequestBody { body, phase: phase.clone() });
            let response = router.oneshot(request).await;
            response.map(|response: Response<AxumBody>| response.map(|body| ResponseBody { body, phase }))
        }
    });
    let connection = http1::Builder::new().header_read_timeout(None).serve_connection(io, service);
    tokio::pin!(connection);
    let expired = expiry(watched, limits);
    tokio::pin!(expired);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            // An error here is the client's (a bad request, a reset): the connection is over either way.
            _ = connection.as_mut() => return,
            // Dropping the connection closes the socket.
            () = &mut expired => return,
            _ = closing.wait_for(|closing| *closing), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Resolves when the connection's current phase has lasted longer than its limit.
async fn expiry(mut phase: watch::Receiver<Phase>, limits: Limits) {
    loop {
        let deadline = phase.borrow_and_update().deadline(&limits);
        let changed = match deadline {
            Some(deadline) => tokio::select! {
                () = tokio::time::sleep_until(deadline) => return,
                changed = phase.changed() => changed,
            },
            None => phase.changed().await,
        };
        if changed.is_err() {
            // Every watcher is gone: so is the connection, which ends the caller first.
            std::future::pending::<()>().await;
        }
    }
}

/// Moves an idle connection to [`Phase::Headers`] when its next request's first
/// byte arrives.
fn request_began(phase: &SharedPhase) {
    phase.send_if_modified(|phase| match phase {
        Phase::Idle(_) => {
            *phase = Phase::Headers(Instant::now());
            true
        }
        _ => false,
    });
}

/// Moves a connection receiving a body to [`Phase::Handling`].
fn body_ended(phase: &SharedPhase) {
    phase.send_if_modified(|phase| match phase {
        Phase::Body(_) => {
            *phase = Phase::Handling;
            true
        }
        _ => false,
    });
}

/// Moves a connection whose response is written to [`Phase::Idle`]. From
/// [`Phase::Body`] too: a route may answer without reading the body.
fn response_ended(phase: &SharedPhase) {
    phase.send_if_modified(|phase| match phase {
        Phase::Body(_) | Phase::Handling => {
            *phase = Phase::Idle(Instant::now());
            true
        }
        _ => false,
    });
}

/// The socket, telling the clock when bytes arrive on an idle connection.
///
/// Bytes of a pipelined request that arrive with the previous request are read
/// before the connection is idle; if they are not a whole head, the rest of it is
/// bounded by the idle limit instead of the header limit.
struct Watched {
    stream: TcpStream,
    phase: SharedPhase,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.stream).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            request_began(&self.phase);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A request's body, telling the clock when it has all arrived (or the route
/// dropped it).
struct RequestBody {
    body: Incoming,
    phase: SharedPhase,
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let frame = ready!(Pin::new(&mut self.body).poll_frame(cx));
        if !matches!(frame, Some(Ok(_))) || self.body.is_end_stream() {
            body_ended(&self.phase);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        body_ended(&self.phase);
    }
}

/// A response's body, telling the clock when hyper has taken all of it (or
/// dropped it).
struct ResponseBody {
    body: AxumBody,
    phase: SharedPhase,
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let frame = ready!(Pin::new(&mut self.body).poll_frame(cx));
        if !matches!(frame, Some(Ok(_))) || self.body.is_end_stream() {
            response_ended(&self.phase);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        response_ended(&self.phase);
    }
}
