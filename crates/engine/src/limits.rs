//! The cost limits a node holds calls to: a block's (which its calls share) and a
//! read-only call's.

use std::sync::atomic::{AtomicU64, Ordering};

use clarimed_costs::{ExecutionCost, BLOCK_LIMIT_MAINNET_21, READ_ONLY_CALL_LIMIT};

/// An [`ExecutionCost`] that readers load without a lock: the read-only limit is
/// consulted by every read, from any number of threads.
pub(crate) struct SharedCost([AtomicU64; 5]);

impl SharedCost {
    pub(crate) fn new(cost: ExecutionCost) -> SharedCost {
        SharedCost(cost.dimensions().map(|(_, value)| AtomicU64::new(value)))
    }

    pub(crate) fn load(&self) -> ExecutionCost {
        let [runtime, read_count, read_length, write_count, write_length] = self.0.each_ref().map(|d| d.load(Ordering::Relaxed));
        ExecutionCost { runtime, read_count, read_length, write_count, write_length }
    }

    pub(crate) fn store(&self, cost: ExecutionCost) {
        for (dimension, (_, value)) in self.0.iter().zip(cost.dimensions()) {
            dimension.store(value, Ordering::Relaxed);
        }
    }
}

/// The two limits, the node's defaults until changed.
pub(crate) struct Limits {
    pub(crate) block: SharedCost,
    pub(crate) read_only: SharedCost,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { block: SharedCost::new(BLOCK_LIMIT_MAINNET_21), read_only: SharedCost::new(READ_ONLY_CALL_LIMIT) }
    }
}
