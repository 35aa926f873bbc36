//! The event observer a node posts to: `POST /new_block` applied by the follower,
//! every other route the node posts to (`/new_burn_block`, `/new_mempool_tx`,
//! `/drop_mempool_tx`, `/new_microblocks`, `/attachments/new`,
//! `/stackerdb_chunks`, `/proposal_response`, …) answered 200 at once so the node
//! never stalls, `GET /clarimed/status` for the follower's tip and digest, and
//! `GET /clarimed/health`: whether the last block committed, and how long ago
//! ([`clarimed_listener::health`]), and `GET /metrics` ([`crate::metrics`]).
//!
//! Blocks are applied one at a time, in the order they arrive (the node posts them
//! in order and waits for each answer). A refused block is answered 400 with the
//! reason, and the node will post it again; a mismatch under
//! [`crate::OnMismatch::Stop`] is answered 500 and stops the observer.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use clarimed_engine::{hex, EngineError, Store};
use clarimed_listener::{health, metrics, Limits};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::follower::{BlockReport, FollowError, Follower};
use crate::metrics::FollowMetrics;
use crate::outcome::Mismatch;

/// The largest body read: a node's block payloads stay far below it.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Told of every block applied or refused, in order.
pub type OnBlock = Box<dyn FnMut(&Result<BlockReport, FollowError>) + Send>;

struct Shared<S> {
    follower: Arc<Mutex<Follower<S>>>,
    record: Option<Mutex<Box<dyn Write + Send>>>,
    on_block: Mutex<OnBlock>,
    stop: watch::Sender<bool>,
    metrics: Arc<FollowMetrics>,
}

/// How the observer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// `shutdown` resolved.
    Shutdown,
    /// A mismatch stopped it (`--on-mismatch stop`).
    Stopped,
}

/// Serves `follower` on `listener` within `limits` until `shutdown` resolves or a
/// mismatch stops it; each `/new_block` body applied (or stopped at) is appended
/// to `record` as one line, when given; `metrics` count each block, and their
/// health is told of each block committed and each the disk failed. The caller keeps its own handle on the follower, to
/// read where it stopped.
///
/// A node keeps each payload (in its `pending_payloads` table) until the observer
/// has answered it, and posts it again otherwise: a connection the limits close
/// costs the node a retry, not a block.
pub async fn serve<S: Store + Send + Sync + 'static>(
    listener: TcpListener,
    follower: Arc<Mutex<Follower<S>>>,
    record: Option<Box<dyn Write + Send>>,
    on_block: OnBlock,
    limits: Limits,
    metrics: Arc<FollowMetrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Ended {
    let (stop, mut stopped) = watch::channel(false);
    let common = metrics.common().clone();
    let (health_route, metrics_route) = (common.health().route(), common.route());
    let shared = Arc::new(Shared { follower, record: record.map(Mutex::new), on_block: Mutex::new(on_block), stop, metrics });
    let router = Router::new()
        .route("/new_block", post(new_block::<S>))
        .route("/clarimed/status", get(status::<S>))
        .route(health::PATH, health_route)
        .route(metrics::PATH, metrics_route)
        .fallback(acknowledge)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared);
    let stopped_flag = stopped.clone();
    let either = async move {
        tokio::select! {
            () = shutdown => {}
            _ = stopped.wait_for(|stop| *stop) => {}
        }
    };
    clarimed_listener::serve(listener, router, limits, common, either).await;
    let stopped = *stopped_flag.borrow();
    if stopped {
        Ended::Stopped
    } else {
        Ended::Shutdown
    }
}

/// Every route the follower does not read: acknowledged, so the node goes on.
async fn acknowledge() -> StatusCode {
    StatusCode::OK
}

async fn new_block<S: Store + Send + Sync + 'static>(State(shared): State<Arc<Shared<S>>>, body: Bytes) -> (StatusCode, String) {
    let worker = shared.clone();
    let applied = tokio::task::spawn_blocking(move || {
        let mut follower = worker.follower.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = std::time::Instant::now();
        let result = follower.apply(&body);
        log_block(&result, started.elapsed());
        worker.metrics.block(&result);
        let health = worker.metrics.common().health();
        match &result {
            Ok(report) if !report.already_applied => health.committed(follower.engine().committed_block_height().into()),
            Err(FollowError::Engine(EngineError::Store(store))) if store.is_io_fault() => health.commit_failed(store),
            _ => {}
        }
        // What the node posted and the follower took (or stopped at) is the feed; a
        // body refused or a block sent again is not.
        let recorded = matches!(&result, Ok(report) if !report.already_applied) || matches!(result, Err(FollowError::Stopped(_)));
        if let (true, Some(record)) = (recorded, &worker.record) {
            if let Err(error) = record_body(record, &body) {
                return (StatusCode::INTERNAL_SERVER_ERROR, format!("recording the block: {error}"));
            }
        }
        (worker.on_block.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))(&result);
        match result {
            Ok(_) => (StatusCode::OK, String::new()),
            Err(error @ FollowError::Stopped(_)) => {
                worker.stop.send_replace(true);
                (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
            }
            Err(error @ (FollowError::Engine(_) | FollowError::Bug(_))) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
            Err(error) => (StatusCode::BAD_REQUEST, error.to_string()),
        }
    })
    .await;
    applied.unwrap_or_else(|_| (StatusCode::INTERNAL_SERVER_ERROR, "applying the block panicked".to_string()))
}

/// Appends `body` to the record as one line (re-serialized if it spans several).
fn record_body(record: &Mutex<Box<dyn Write + Send>>, body: &[u8]) -> std::io::Result<()> {
    let mut out = record.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if body.contains(&b'\n') {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut *out, &value)?;
    } else {
        out.write_all(body)?;
    }
    out.write_all(b"\n")?;
    out.flush()
}

async fn status<S: Store + Send + Sync + 'static>(State(shared): State<Arc<Shared<S>>>) -> Result<Json<serde_json::Value>, (StatusCode, String)> {
    let worker = shared.clone();
    let status = tokio::task::spawn_blocking(move || {
        let follower = worker.follower.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        status_json(&follower)
    })
    .await;
    match status {
        Ok(Ok(status)) => Ok(Json(status)),
        Ok(Err(error)) => Err((StatusCode::INTERNAL_SERVER_ERROR, error.to_string())),
        Err(_) => Err((StatusCode::INTERNAL_SERVER_ERROR, "reading the status panicked".to_string())),
    }
}

/// The follower's tip, the contracts it has seen deployed, the state's digest and
/// what it has done on this state (counts kept with the tip, across restarts).
pub fn status_json<S: Store + 'static>(follower: &Follower<S>) -> Result<serde_json::Value, FollowError> {
    let engine = follower.engine();
    let tip = follower.tip()?.map(|(height, hash)| json!({ "block_height": height, "index_block_hash": format!("0x{}", hex(&hash)) }));
    let deployed: Vec<&str> = follower.deployed()?.iter().map(|contract| contract.name()).collect();
    let counts = follower.counts();
    Ok(json!({
        "tip": tip,
        "block_height": engine.committed_block_height(),
        "deployed": deployed,
        "state_digest": hex(&engine.state_digest()?),
        "counts": {
            "blocks": counts.blocks,
            "calls": counts.calls,
            "agreed": counts.agreed,
            "mismatched": counts.mismatched,
            "rewound": counts.rewound,
            "refused": counts.refused,
        },
    }))
}

/// One event for the block: applied (`info`), each mismatch (`warn`), refused
/// (`warn`), or not written for a fault of the disk (`error`).
fn log_block(result: &Result<BlockReport, FollowError>, elapsed: std::time::Duration) {
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    match result {
        Ok(report) if report.already_applied => tracing::info!(height = report.height, "block {}: applied already, ignored", report.height),
        Ok(report) => {
            for mismatch in &report.mismatches {
                log_mismatch(mismatch);
            }
            let rewound = if report.rewound > 0 { format!(" after rewinding {} block(s)", report.rewound) } else { String::new() };
            tracing::info!(
                height = report.height,
                calls = report.calls,
                agreed = report.agreed,
                mismatches = report.mismatches.len(),
                rewound = report.rewound,
                elapsed_ms,
                "block {}{rewound}: {} call(s), {} agree, {} mismatch(es)",
                report.height,
                report.calls,
                report.agreed,
                report.mismatches.len()
            );
        }
        Err(error @ FollowError::Stopped(mismatch)) => {
            log_mismatch(mismatch);
            tracing::warn!(height = mismatch.block_height, "clarimed follow: {error}");
        }
        Err(FollowError::Engine(EngineError::Store(store))) if store.is_io_fault() => {
            tracing::error!(error = %store, "block not applied: the state could not be written or read; the node posts it again")
        }
        Err(error) => tracing::warn!(error = %error, "block refused: {error}"),
    }
}

fn log_mismatch(mismatch: &Mismatch) {
    tracing::warn!(
        kind = mismatch.differs.join(","),
        txid = %mismatch.txid,
        height = mismatch.block_height,
        what = %mismatch.what,
        "mismatch at block {}: {} {} differs in {}",
        mismatch.block_height,
        mismatch.txid,
        mismatch.what,
        mismatch.differs.join(", ")
    );
}
