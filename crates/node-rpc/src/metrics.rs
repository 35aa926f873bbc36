//! The node's part of `GET /metrics` ([`clarimed_listener::metrics`]): beside the
//! blocks, calls, commit and call times both servers count, the mempool: how many
//! transactions wait, those it refused by the node's rejection reason, and those
//! the miner dropped by the node's drop reason.

use std::sync::Arc;

use clarimed_listener::health::Health;
use clarimed_listener::metrics::Metrics;
use clarimed_transactions::Rejection;
use prometheus::{IntCounterVec, IntGauge, Opts};

use crate::mempool::Dropped;

/// What `/metrics` answers for `serve`.
pub struct NodeMetrics {
    common: Arc<Metrics>,
    waiting: IntGauge,
    rejections: IntCounterVec,
    dropped: IntCounterVec,
}

impl NodeMetrics {
    /// The node's metrics, all at zero; the last block's height and age are read
    /// from `health`.
    pub fn new(health: Arc<Health>) -> NodeMetrics {
        let common = Arc::new(Metrics::new(health));
        let waiting =
            common.register(IntGauge::new("clarimed_mempool_transactions", "Transactions waiting in the mempool to be mined.").expect("a valid name"));
        let rejections = common.register(
            IntCounterVec::new(
                Opts::new("clarimed_mempool_rejections_total", "Transactions the mempool refused, by the node's rejection reason."),
                &["reason"],
            )
            .expect("a valid name"),
        );
        // Each reason counted from 0, so that a rate is defined before the first.
        for reason in Rejection::REASONS {
            rejections.with_label_values(&[reason]);
        }
        let dropped = common.register(
            IntCounterVec::new(Opts::new("clarimed_transactions_dropped_total", "Transactions the miner gave up on, by the node's drop reason."), &["reason"])
                .expect("a valid name"),
        );
        for why in Dropped::ALL {
            dropped.with_label_values(&[why.status()]);
        }
        NodeMetrics { common, waiting, rejections, dropped }
    }

    /// What both servers count, and the `/metrics` route.
    pub fn common(&self) -> &Arc<Metrics> {
        &self.common
    }

    /// `waiting` transactions wait in the mempool now.
    pub(crate) fn waiting(&self, waiting: usize) {
        self.waiting.set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }

    /// The mempool refused a transaction.
    pub(crate) fn rejected(&self, rejection: &Rejection) {
        self.rejections.with_label_values(&[rejection.reason()]).inc();
    }

    /// The miner gave up on a transaction.
    pub(crate) fn dropped(&self, why: Dropped) {
        self.dropped.with_label_values(&[why.status()]).inc();
    }
}
