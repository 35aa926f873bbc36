//! The follower's part of `GET /metrics` ([`clarimed_listener::metrics`]): beside
//! the blocks, calls, commit and call times both servers count, what only a
//! follower sees: mismatches by kind, calls agreed, blocks rewound by forks and
//! blocks refused.

use std::sync::Arc;

use clarimed_listener::health::Health;
use clarimed_listener::metrics::Metrics;
use prometheus::{IntCounter, IntCounterVec, Opts};

use crate::follower::{BlockReport, FollowError};
use crate::outcome::Mismatch;

/// Every kind a mismatch names, each counted from 0 so that a rate is defined
/// before the first: a part of the node's outcome that differs (`status`,
/// `result`, `events`, `cost`), a call the engine refuses (`refused`), one
/// another contract made (`indirect`), and a deployment not followed (`source`,
/// `clarity-version`).
pub const MISMATCH_KINDS: [&str; 8] = ["status", "result", "events", "cost", "refused", "indirect", "source", "clarity-version"];

/// What `/metrics` answers for a follower.
pub struct FollowMetrics {
    common: Arc<Metrics>,
    mismatches: IntCounterVec,
    mismatched: IntCounter,
    agreed: IntCounter,
    rewound: IntCounter,
    refused: IntCounter,
}

impl FollowMetrics {
    /// A follower's metrics, all at zero; the last block's height and age are read
    /// from `health`.
    pub fn new(health: Arc<Health>) -> FollowMetrics {
        let common = Arc::new(Metrics::new(health));
        let mismatches = common.register(
            IntCounterVec::new(Opts::new("clarimed_mismatches_total", "Mismatches with the node, once for each kind of difference a call shows."), &["kind"])
                .expect("a valid name"),
        );
        for kind in MISMATCH_KINDS {
            mismatches.with_label_values(&[kind]);
        }
        let counter = |name: &str, help: &str| common.register(IntCounter::new(name, help).expect("a valid name"));
        FollowMetrics {
            mismatched: counter("clarimed_calls_mismatched_total", "Calls and deployments that differ from the node's outcome."),
            agreed: counter("clarimed_calls_agreed_total", "Calls and deployments that agree with the node's outcome."),
            rewound: counter("clarimed_blocks_rewound_total", "Blocks undone to follow a fork."),
            refused: counter("clarimed_blocks_refused_total", "Blocks refused whole (nothing of them applied), a mismatch that stops the follower among them."),
            mismatches,
            common,
        }
    }

    /// What both servers count, and the `/metrics` route.
    pub fn common(&self) -> &Arc<Metrics> {
        &self.common
    }

    /// Counts one block the node posted: applied, ignored as applied already, or refused.
    pub fn block(&self, result: &Result<BlockReport, FollowError>) {
        match result {
            Ok(report) if report.already_applied => {}
            Ok(report) => {
                self.common.block_committed(report.calls, &report.call_times, report.commit_time);
                self.agreed.inc_by(report.agreed);
                self.rewound.inc_by(report.rewound.into());
                report.mismatches.iter().for_each(|mismatch| self.mismatch(mismatch));
            }
            Err(error) => {
                if let FollowError::Stopped(mismatch) = error {
                    self.mismatch(mismatch);
                }
                self.refused.inc();
            }
        }
    }

    fn mismatch(&self, mismatch: &Mismatch) {
        self.mismatched.inc();
        for kind in &mismatch.differs {
            self.mismatches.with_label_values(&[kind]).inc();
        }
    }
}
