//! The cost limits a node holds calls to: a block's (which its calls share) and a
//! read-only call's.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use clarimed_costs::{Epoch, ExecutionCost, READ_ONLY_CALL_LIMIT};

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

/// The two limits, the node's defaults until changed: a block's is its epoch's.
pub(crate) struct Limits {
    block: SharedCost,
    block_set: AtomicBool,
    pub(crate) read_only: SharedCost,
}

impl Limits {
    pub(crate) fn new() -> Limits {
        Limits { block: SharedCost::new(ExecutionCost::ZERO), block_set: AtomicBool::new(false), read_only: SharedCost::new(READ_ONLY_CALL_LIMIT) }
    }

    /// The block limit in `epoch`: the one set, or the epoch's.
    pub(crate) fn block(&self, epoch: Epoch) -> ExecutionCost {
        if self.block_set.load(Ordering::Relaxed) {
            self.block.load()
        } else {
            epoch.rules().block_limit
        }
    }

    pub(crate) fn set_block(&self, limit: ExecutionCost) {
        self.block.store(limit);
        self.block_set.store(true, Ordering::Relaxed);
    }
}
