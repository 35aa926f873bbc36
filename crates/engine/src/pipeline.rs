//! Blocks made durable behind the writer: [`Engine::submit_block`] hands the open
//! block to a committer thread and returns at once, so the next block executes
//! while this one's commit is written; [`Engine::wait_durable`] says when it is
//! durable, which is when it may be reported committed.
//!
//! - The writer reads through the blocks in flight, newest first, then the
//!   committed state: the next block builds on them.
//! - Readers see a block only once the committer has made it durable and published
//!   it, exactly as after [`Engine::commit_block`].
//! - A commit the store fails drops that block and every block submitted after it
//!   (they were built on it). The writer's next step goes back to the committed tip
//!   and fails with the store's error; each dropped block's wait fails.
//! - A step that commits at once (a call or a tip moved outside a block, an undo,
//!   an import) first waits for the blocks in flight, so commits reach the store in
//!   the order they were made.

use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use clarimed_costs::ExecutionCost;
use clarimed_storage::{Batch, StoreError};
use rustc_hash::FxBuildHasher;

use crate::engine::{Core, Engine, Writer};
use crate::error::EngineError;

/// A block handed to the committer by [`Engine::submit_block`]: durable once
/// [`Engine::wait_durable`] returns `Ok` for it.
#[must_use = "a submitted block is committed only once wait_durable says so"]
#[derive(Debug, PartialEq, Eq)]
pub struct Submitted {
    sequence: u64,
}

/// The blocks in flight and the committer thread that writes them, in order.
#[derive(Default)]
pub(crate) struct Pipeline {
    state: Mutex<State>,
    /// Signalled whenever the committer finishes a block.
    finished: Condvar,
    /// How many blocks are in flight: the writer's reads skip the lock when none is.
    in_flight: AtomicUsize,
    /// Whether a block failed and the writer has not gone back yet.
    failed: AtomicBool,
    committer: Mutex<Option<CommitterThread>>,
}

struct CommitterThread {
    blocks: Sender<(u64, Arc<Batch>)>,
    thread: JoinHandle<()>,
}

#[derive(Default)]
struct State {
    /// The last block handed over, and the last the committer finished with
    /// (made durable, failed, or dropped).
    submitted: u64,
    finished: u64,
    /// The blocks handed over and not yet published, oldest first.
    in_flight: VecDeque<InFlight>,
    /// The first block the store failed and its error (`None`: the committer
    /// panicked), until the writer goes back to the committed tip.
    failure: Option<(u64, Option<StoreError>)>,
    /// Blocks that were dropped: failed, or built on one that failed.
    dropped: Vec<RangeInclusive<u64>>,
}

struct InFlight {
    sequence: u64,
    batch: Arc<Batch>,
    /// The hashes of the keys it writes: most of the writer's reads are of keys
    /// no block in flight writes, and a hash probe tells so faster than the
    /// batch's ordered map.
    keys: HashSet<u64, FxBuildHasher>,
    /// What the tenure's calls had cost when this block began: the writer's block
    /// cost again if this block is dropped.
    cost_at_begin: ExecutionCost,
}

impl Pipeline {
    /// What the newest block in flight writes under `key`, if one does.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        if self.in_flight.load(Ordering::Acquire) == 0 {
            return None;
        }
        let hash = FxBuildHasher.hash_one(key);
        let state = self.state();
        state.in_flight.iter().rev().filter(|block| block.keys.contains(&hash)).find_map(|block| block.batch.get(key)).map(|value| value.map(<[u8]>::to_vec))
    }

    /// `rows`, a scan of the committed state under `prefix` in key order, with
    /// the writes of the blocks in flight applied, oldest first.
    pub(crate) fn overlay(&self, prefix: &[u8], rows: &mut Vec<(Vec<u8>, Vec<u8>)>) {
        if self.in_flight.load(Ordering::Acquire) == 0 {
            return;
        }
        let state = self.state();
        let mut merged: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = std::mem::take(rows).into_iter().collect();
        for block in &state.in_flight {
            for (key, value) in block.batch.iter().filter(|(key, _)| key.starts_with(prefix)) {
                match value {
                    Some(value) => merged.insert(key.to_vec(), value.to_vec()),
                    None => merged.remove(key),
                };
            }
        }
        *rows = merged.into_iter().collect();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until the committer finished every block handed over.
    fn idle(&self) -> MutexGuard<'_, State> {
        let state = self.state();
        self.finished.wait_while(state, |state| state.finished < state.submitted).unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops the committer once it has written every block handed over.
    pub(crate) fn stop(&self) {
        let committer = self.committer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(CommitterThread { blocks, thread }) = committer {
            drop(blocks);
            // A panic there was reported to the waits of its blocks.
            let _ = thread.join();
        }
    }
}

impl Core {
    /// Hands `batch` (the open block, its undo record added) to the committer.
    fn submit(self: &Arc<Self>, batch: Batch, cost_at_begin: ExecutionCost) -> Result<Submitted, EngineError> {
        let pipeline = &self.pipeline;
        let keys = batch.keys().map(|key| FxBuildHasher.hash_one(key)).collect();
        let batch = Arc::new(batch);
        let mut committer = pipeline.committer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if committer.is_none() {
            let (blocks, received) = channel::<(u64, Arc<Batch>)>();
            let core = Arc::clone(self);
            let thread = std::thread::Builder::new()
                .name("clarimed-committer".into())
                .spawn(move || {
                    for (sequence, batch) in received {
                        core.commit_in_order(sequence, &batch);
                    }
                })
                .map_err(|error| EngineError::Internal(format!("cannot start the committer thread: {error}")))?;
            *committer = Some(CommitterThread { blocks, thread });
        }
        let mut state = pipeline.state();
        let sequence = state.submitted + 1;
        state.in_flight.push_back(InFlight { sequence, batch: Arc::clone(&batch), keys, cost_at_begin });
        state.submitted = sequence;
        pipeline.in_flight.fetch_add(1, Ordering::AcqRel);
        drop(state);
        let sent = committer.as_ref().is_some_and(|committer| committer.blocks.send((sequence, batch)).is_ok());
        if !sent {
            // The committer is gone (it panicked): this block is finished, failed.
            let mut state = pipeline.state();
            state.finished = sequence;
            state.failure.get_or_insert((sequence, None));
            pipeline.failed.store(true, Ordering::SeqCst);
        }
        Ok(Submitted { sequence })
    }

    /// The committer's step: publishes block `sequence` unless one before it failed.
    fn commit_in_order(&self, sequence: u64, batch: &Batch) {
        let pipeline = &self.pipeline;
        let outcome =
            if pipeline.failed.load(Ordering::SeqCst) { None } else { Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.publish(batch)))) };
        let mut state = pipeline.state();
        state.finished = sequence;
        match outcome {
            Some(Ok(Ok(()))) => {
                state.in_flight.pop_front();
                pipeline.in_flight.fetch_sub(1, Ordering::AcqRel);
            }
            Some(Ok(Err(error))) => {
                state.failure.get_or_insert((sequence, Some(error)));
            }
            Some(Err(_panic)) => {
                state.failure.get_or_insert((sequence, None));
            }
            None => {}
        }
        if state.failure.is_some() {
            pipeline.failed.store(true, Ordering::SeqCst);
        }
        drop(state);
        pipeline.finished.notify_all();
    }

    /// The writer ready for a step that changes the state: if a submitted block
    /// failed, back at the committed tip, with the store's error for this step.
    pub(crate) fn settle(&self, writer: &mut Writer) -> Result<(), EngineError> {
        if !self.pipeline.failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        match self.go_back(writer) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// [`Core::settle`], and then, for a step that commits at once, every
    /// submitted block durable.
    pub(crate) fn drain(&self, writer: &mut Writer) -> Result<(), EngineError> {
        self.settle(writer)?;
        if self.pipeline.in_flight.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        drop(self.pipeline.idle());
        self.settle(writer)
    }

    /// Once the committer is idle: drops the failed block and those after it, and
    /// puts the writer back at the committed tip. The failure, if there was one.
    fn go_back(&self, writer: &mut Writer) -> Option<EngineError> {
        let mut state = self.pipeline.idle();
        let (failed, error) = state.failure.take()?;
        let dropped = failed..=state.submitted;
        let cost = state.in_flight.iter().find(|block| block.sequence == failed).map(|block| block.cost_at_begin);
        state.dropped.push(dropped);
        state.in_flight.clear();
        self.pipeline.in_flight.store(0, Ordering::Release);
        self.pipeline.failed.store(false, Ordering::SeqCst);
        drop(state);
        writer.layers.clear();
        writer.drop_open_block(self.tip.load());
        if let Some(cost) = cost {
            writer.set_block_cost(cost);
        }
        Some(match error {
            Some(error) => error.into(),
            None => EngineError::Internal("the committer thread panicked".into()),
        })
    }
}

impl<S> Engine<S> {
    /// Hands the open block to the committer and returns at once: the next block
    /// can begin and run while this one is written. It is committed once
    /// [`Engine::wait_durable`] returns `Ok` for it; readers see it from then on.
    /// [`Engine::commit_block`] is this and the wait together.
    pub fn submit_block(&self) -> Result<Submitted, EngineError> {
        let core = self.core_arc();
        let _turn = core.block_turn();
        let mut writer = core.writer();
        core.settle(&mut writer)?;
        let Some(block) = writer.layers.last_mut() else {
            return Err(EngineError::NoBlockOpen);
        };
        core.add_undo_record(block)?;
        let block = writer.close_open_block();
        core.submit(block, writer.block_cost_at_begin())
    }

    /// Waits until `block` is durable and published. An error means it was not
    /// committed and never will be: the store failed it, or a block submitted
    /// before it that it was built on ([`EngineError::BlockDropped`]). The writer
    /// is then back at the committed tip.
    pub fn wait_durable(&self, block: Submitted) -> Result<(), EngineError> {
        let core = self.core();
        let pipeline = &core.pipeline;
        let state = pipeline.state();
        let state = pipeline.finished.wait_while(state, |state| state.finished < block.sequence).unwrap_or_else(|poisoned| poisoned.into_inner());
        let failed_at = state.failure.as_ref().map(|(sequence, _)| *sequence);
        let dropped = state.dropped.iter().any(|range| range.contains(&block.sequence));
        drop(state);
        if dropped {
            return Err(EngineError::BlockDropped(block.sequence));
        }
        match failed_at {
            Some(failed) if block.sequence >= failed => {
                let _turn = core.block_turn();
                let mut writer = core.writer();
                match core.go_back(&mut writer) {
                    Some(error) if block.sequence == failed => Err(error),
                    _ => Err(EngineError::BlockDropped(block.sequence)),
                }
            }
            _ => Ok(()),
        }
    }
}
