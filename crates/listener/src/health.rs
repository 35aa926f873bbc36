//! `GET /clarimed/health`, for load balancers: 200 while the process can commit
//! and, for a follower, has applied a block recently enough; 503 otherwise. Both
//! answer the same JSON, `{"status", "reason", "block_height",
//! "seconds_since_last_block"}`, `reason` naming why when it is not `ok`.
//!
//! The miner and the follower tell a [`Health`] of each commit and of each one the
//! disk failed; a health check reads only that, never the state, so a load
//! balancer asking every second costs nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::{get, MethodRouter};
use axum::Json;
use serde_json::json;

/// Where both servers answer it.
pub const PATH: &str = "/clarimed/health";

/// The time now, as health reads it: [`Instant::now`], or a test's clock.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Whether the process can commit, and when it last did.
pub struct Health {
    /// A follower's: the oldest its last block may be; `None` for no bound.
    max_block_age: Option<Duration>,
    clock: Clock,
    last: Mutex<Last>,
}

/// The last commit, and whether the one tried since failed.
struct Last {
    block_height: u64,
    /// When the last block was committed, or the process started, before its first.
    at: Instant,
    /// Why the last commit tried failed on the disk, until one succeeds.
    failed: Option<String>,
}

impl Health {
    /// Health at `block_height`, as of now, with no bound on the last block's age.
    pub fn new(block_height: u64) -> Health {
        Health::with_clock(block_height, None, Arc::new(Instant::now))
    }

    /// Health at `block_height`, unhealthy once no block has been committed for
    /// longer than `max_block_age` (`None`: never), reading the time from `clock`.
    pub fn with_clock(block_height: u64, max_block_age: Option<Duration>, clock: Clock) -> Health {
        let at = clock();
        Health { max_block_age, clock, last: Mutex::new(Last { block_height, at, failed: None }) }
    }

    /// A block was committed: the state is at `block_height`, and the disk took it.
    pub fn committed(&self, block_height: u64) {
        let at = (self.clock)();
        *self.last() = Last { block_height, at, failed: None };
    }

    /// A commit failed on the disk (full, a write error): unhealthy until the next
    /// commit succeeds.
    pub fn commit_failed(&self, reason: impl std::fmt::Display) {
        self.last().failed = Some(format!("the last commit failed: {reason}"));
    }

    /// The last block committed's height, and how long ago it was committed (or
    /// the process started, before its first).
    pub fn last_block(&self) -> (u64, Duration) {
        let last = self.last();
        (last.block_height, (self.clock)().saturating_duration_since(last.at))
    }

    /// The answer to `GET /clarimed/health`.
    pub fn answer(&self) -> (StatusCode, Json<serde_json::Value>) {
        let last = self.last();
        let age = (self.clock)().saturating_duration_since(last.at);
        let stale =
            self.max_block_age.filter(|max| age > *max).map(|max| format!("no block for {} s, more than the {} s allowed", age.as_secs(), max.as_secs()));
        let reason = last.failed.clone().or(stale);
        let status = if reason.is_some() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        let body = json!({
            "status": if reason.is_some() { "unavailable" } else { "ok" },
            "reason": reason,
            "block_height": last.block_height,
            "seconds_since_last_block": age.as_secs(),
        });
        (status, Json(body))
    }

    /// The route answering [`Health::answer`], for a router of any state.
    pub fn route<S: Clone + Send + Sync + 'static>(self: &Arc<Health>) -> MethodRouter<S> {
        let health = self.clone();
        get(move || async move { health.answer() })
    }

    fn last(&self) -> std::sync::MutexGuard<'_, Last> {
        // Every change to it is one assignment: a panic leaves it consistent.
        self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
