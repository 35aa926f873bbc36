//! `GET /metrics`: what a server has done, in Prometheus' text format, for a
//! Prometheus (or anything that reads the format) scraping `serve` and `follow`.
//!
//! [`Metrics`] holds what both servers share: blocks and calls applied, commit and
//! call times, the last block's height and age (read from [`Health`] at each
//! scrape, so they never lag it), and open connections (kept by [`crate::serve`]).
//! Each server registers its own beside them with [`Metrics::register`]: `serve`
//! its mempool, `follow` its mismatches. Names follow Prometheus' conventions: a
//! `clarimed_` prefix, `_total` for counters, base units (`_seconds`).
//!
//! Each [`Metrics`] has a registry of its own, not the process's global one, so
//! that two servers in one process (as in tests) count apart.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::routing::{get, MethodRouter};
use prometheus::core::Collector;
use prometheus::{Encoder, Gauge, Histogram, HistogramOpts, IntCounter, IntGauge, Opts, Registry, TextEncoder};

use crate::health::Health;

/// Where both servers answer it, as a Prometheus server looks by default.
pub const PATH: &str = "/metrics";

/// A call takes microseconds natively and a few milliseconds at most (a long
/// batch): buckets from 5 µs to 100 ms.
pub const CALL_BUCKETS: [f64; 12] = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 2.5e-2, 0.1];

/// A durable commit takes one sync (a millisecond on a good disk) to seconds on a
/// loaded one: buckets from 100 µs to 10 s.
pub const COMMIT_BUCKETS: [f64; 14] = [1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1.0, 2.5, 10.0];

/// What both servers count, and the registry each server adds its own to.
pub struct Metrics {
    registry: Registry,
    blocks: IntCounter,
    calls: IntCounter,
    commit_seconds: Histogram,
    call_seconds: Histogram,
    connections: IntGauge,
    refused_connections: IntCounter,
    block_height: IntGauge,
    seconds_since_last_block: Gauge,
    health: Arc<Health>,
}

impl Metrics {
    /// The shared metrics, all at zero; the last block's height and age are read
    /// from `health`.
    pub fn new(health: Arc<Health>) -> Metrics {
        let registry = Registry::new();
        let metrics = Metrics {
            blocks: IntCounter::new("clarimed_blocks_applied_total", "Blocks committed: mined (serve) or applied from the node's feed (follow).")
                .expect("a valid name"),
            calls: IntCounter::new("clarimed_calls_applied_total", "Contract calls in the blocks committed (for follow, deployments too).")
                .expect("a valid name"),
            commit_seconds: Histogram::with_opts(
                HistogramOpts::new("clarimed_commit_seconds", "Time to commit a block, until it is durable.").buckets(COMMIT_BUCKETS.to_vec()),
            )
            .expect("a valid name"),
            call_seconds: Histogram::with_opts(
                HistogramOpts::new("clarimed_call_seconds", "Time to execute a contract call in a block.").buckets(CALL_BUCKETS.to_vec()),
            )
            .expect("a valid name"),
            connections: IntGauge::new("clarimed_http_connections_open", "HTTP connections open now.").expect("a valid name"),
            refused_connections: IntCounter::new(
                "clarimed_http_connections_refused_total",
                "HTTP connections closed at once because the most allowed were open.",
            )
            .expect("a valid name"),
            block_height: IntGauge::new("clarimed_block_height", "Height of the last block committed: for follow, the followed tip.").expect("a valid name"),
            seconds_since_last_block: Gauge::new(
                "clarimed_seconds_since_last_block",
                "Seconds since the last block was committed (or the process started, before its first).",
            )
            .expect("a valid name"),
            registry,
            health,
        };
        let version = IntGauge::with_opts(Opts::new("clarimed_build_info", "Always 1; the version running.").const_label("version", env!("CARGO_PKG_VERSION")))
            .expect("a valid name");
        version.set(1);
        metrics.register(version);
        metrics.register(metrics.blocks.clone());
        metrics.register(metrics.calls.clone());
        metrics.register(metrics.commit_seconds.clone());
        metrics.register(metrics.call_seconds.clone());
        metrics.register(metrics.connections.clone());
        metrics.register(metrics.refused_connections.clone());
        metrics.register(metrics.block_height.clone());
        metrics.register(metrics.seconds_since_last_block.clone());
        metrics
    }

    /// A block was committed (mined by `serve`, applied by `follow`) with `calls`
    /// contract calls (for `follow`, deployments too), the execution of those timed
    /// taking `call_times`, and its commit, until durable, `commit_time`.
    pub fn block_committed(&self, calls: u64, call_times: &[Duration], commit_time: Duration) {
        self.blocks.inc();
        self.calls.inc_by(calls);
        self.commit_seconds.observe(commit_time.as_secs_f64());
        for time in call_times {
            self.call_seconds.observe(time.as_secs_f64());
        }
    }

    /// The health the last block's height and age are read from.
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// Adds a server's own metric to what `/metrics` answers, and gives it back.
    ///
    /// # Panics
    /// When a metric of the same name is registered already: the names are
    /// constants, so that is a bug, found by the first test that scrapes.
    pub fn register<C: Collector + Clone + 'static>(&self, collector: C) -> C {
        self.registry.register(Box::new(collector.clone())).expect("each metric is registered once");
        collector
    }

    /// Everything, in Prometheus' text format.
    pub fn render(&self) -> String {
        let (height, age) = self.health.last_block();
        self.block_height.set(i64::try_from(height).unwrap_or(i64::MAX));
        self.seconds_since_last_block.set(age.as_secs_f64());
        let mut text = Vec::new();
        // Encoding into memory fails only on a metric without a value, which none is.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        String::from_utf8(text).unwrap_or_default()
    }

    /// The route answering [`Metrics::render`], for a router of any state.
    pub fn route<S: Clone + Send + Sync + 'static>(self: &Arc<Metrics>) -> MethodRouter<S> {
        let metrics = self.clone();
        get(move || async move { (StatusCode::OK, [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], metrics.render()) })
    }

    /// A connection was accepted: counted open until the guard is dropped.
    pub(crate) fn connection_opened(&self) -> OpenConnection {
        self.connections.inc();
        OpenConnection(self.connections.clone())
    }

    /// A connection was refused, past the bound.
    pub(crate) fn connection_refused(&self) {
        self.refused_connections.inc();
    }
}

/// One open connection in `clarimed_http_connections_open`, while it lives.
pub(crate) struct OpenConnection(IntGauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_names_every_shared_metric_with_its_value() {
        let health = Arc::new(Health::new(7));
        let metrics = Metrics::new(health.clone());
        for _ in 0..3 {
            metrics.block_committed(0, &[], Duration::from_millis(2));
        }
        health.committed(9);
        let open = metrics.connection_opened();
        let text = metrics.render();
        for line in [
            "clarimed_blocks_applied_total 3",
            "clarimed_calls_applied_total 0",
            "clarimed_commit_seconds_bucket{le=\"0.0025\"} 3",
            "clarimed_commit_seconds_bucket{le=\"0.001\"} 0",
            "clarimed_commit_seconds_count 3",
            "clarimed_call_seconds_count 0",
            "clarimed_http_connections_open 1",
            "clarimed_http_connections_refused_total 0",
            "clarimed_block_height 9",
            &format!("clarimed_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION")),
        ] {
            assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
        }
        drop(open);
        assert!(metrics.render().lines().any(|l| l == "clarimed_http_connections_open 0"));
    }
}
