//! The miner: takes waiting transactions into blocks, each block one commit.
//!
//! A block is mined when transactions wait: at once, one transaction a block, with
//! [`Mining::PerTransaction`]; or every interval, up to a number of transactions a
//! block, with [`Mining::Every`] (a block is also mined as soon as that many wait).
//! No empty block is mined: the height advances only with transactions.
//!
//! Blocks are mined in tenures, as a Nakamoto miner mines them: a block starts a
//! new tenure when the tenure time has passed since the last one began, and is
//! mined in the current tenure otherwise (from epoch 3.0 `block-height` is the
//! tenure height, and a tenure's blocks share its budget).
//!
//! A block takes transactions in the order they came, each sender's in nonce order.
//! One whose nonce is ahead of its sender's next waits; one whose nonce was spent
//! meanwhile is dropped; one the block has no room left for waits for the next
//! block, as a node's block builder leaves it; one whose cost alone is over the
//! block limit is dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::mempool::{Dropped, Mempool, Pending};
use clarimed_engine::{Engine, EngineError, ExecutionCost, Principal, SignedCall, Store};

use crate::metrics::NodeMetrics;

/// When blocks are mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    /// Every transaction in a block of its own, at once.
    PerTransaction,
    /// A block every `interval` while transactions wait, or as soon as `max_transactions` wait.
    Every {
        /// The block time.
        interval: Duration,
        /// The most transactions a block takes.
        max_transactions: usize,
    },
}

impl Mining {
    fn max_transactions(self) -> usize {
        match self {
            Mining::PerTransaction => 1,
            Mining::Every { max_transactions, .. } => max_transactions.max(1),
        }
    }

    /// How long the miner sleeps when nothing new can be mined: the block time, or,
    /// mining each transaction at once, a second between checks on being stopped.
    fn idle(self) -> Duration {
        match self {
            Mining::PerTransaction => Duration::from_secs(1),
            Mining::Every { interval, .. } => interval,
        }
    }
}

/// How long a tenure lasts unless told otherwise: a new tenure every 30 seconds, so
/// that a devnet's `block-height` moves at a pace a person can watch.
pub const DEFAULT_TENURE_TIME: Duration = Duration::from_secs(30);

/// The mempool shared by the routes and the miner, and the miner's wake-up call.
pub struct Pool {
    mempool: Mutex<Mempool>,
    wake: Condvar,
    stopping: Mutex<bool>,
    mining: Mining,
    tenure_time: Duration,
}

impl Pool {
    /// An empty pool mined by `mining`, a new tenure every [`DEFAULT_TENURE_TIME`].
    pub fn new(mining: Mining) -> Pool {
        Pool::with_tenure_time(mining, DEFAULT_TENURE_TIME)
    }

    /// An empty pool mined by `mining`, the first block after `tenure_time` since
    /// the last tenure began starting a new one.
    pub fn with_tenure_time(mining: Mining, tenure_time: Duration) -> Pool {
        Pool { mempool: Mutex::new(Mempool::default()), wake: Condvar::new(), stopping: Mutex::new(false), mining, tenure_time }
    }

    /// The mempool, locked.
    pub fn lock(&self) -> MutexGuard<'_, Mempool> {
        // A panic while holding it left a mempool that is still consistent: every
        // change to it is one push, take or insert.
        self.mempool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the miner that a transaction came and `waiting` now wait, when that
    /// changes what the miner does. Mining each transaction at once, always.
    /// Mining every block time: the first to wait (the miner may be sleeping out
    /// an idle block time, and mines it at once if the block time is up), and the
    /// one that makes a full block (mined at once; past it the miner is busy, and
    /// finds the rest waiting when it looks). Otherwise the miner wakes by itself
    /// when the block time is up. Waking it for every transaction cost a system
    /// call, a thread wake-up and a turn at the mempool's lock each, in the
    /// admissions' way.
    pub fn admitted(&self, waiting: usize) {
        let changes = match self.mining {
            Mining::PerTransaction => true,
            Mining::Every { .. } => waiting == 1 || waiting == self.mining.max_transactions(),
        };
        if changes {
            self.wake.notify_one();
        }
    }

    /// Asks the miner to stop after the block it is building, if any.
    pub fn stop(&self) {
        *self.stopping.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        let _mempool = self.lock();
        self.wake.notify_all();
    }

    /// When blocks are mined.
    pub(crate) fn mining(&self) -> Mining {
        self.mining
    }

    fn is_stopping(&self) -> bool {
        *self.stopping.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Mines blocks from `pool` into `engine` until [`Pool::stop`]: the miner's thread.
/// A block under way when asked to stop is finished and committed; what still waits
/// is left uncommitted, as a node's mempool is not part of its chain. `metrics`
/// count each block, call and dropped transaction, and their health is told of
/// each block committed and each the disk failed.
pub fn run<S: Store + Send + Sync + 'static>(engine: Arc<Engine<S>>, pool: Arc<Pool>, metrics: Arc<NodeMetrics>) {
    let health = metrics.common().health();
    let max = pool.mining.max_transactions();
    let mut last_block = Instant::now();
    // The first block starts a tenure of its own.
    let mut tenure_began: Option<Instant> = None;
    loop {
        let batch = {
            let mut mempool = pool.lock();
            loop {
                if pool.is_stopping() {
                    return;
                }
                let due = match pool.mining {
                    Mining::PerTransaction => !mempool.is_empty(),
                    Mining::Every { interval, .. } => mempool.len() >= max || (!mempool.is_empty() && last_block.elapsed() >= interval),
                };
                if due {
                    break mempool.take_waiting();
                }
                // With nothing waiting, until a transaction comes (it wakes the miner);
                // else until the next block is due.
                let idle = pool.mining.idle();
                let wait = if mempool.is_empty() { idle } else { idle.saturating_sub(last_block.elapsed()).max(Duration::from_millis(1)) };
                mempool = pool.wake.wait_timeout(mempool, wait).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
            }
        };
        let new_tenure = tenure_began.is_none_or(|began| began.elapsed() >= pool.tenure_time);
        let started = Instant::now();
        let mined = mine_block(&engine, batch, max, new_tenure);
        let included = mined.included.len();
        count(&metrics, &mined);
        match &mined.disk_failed {
            Some(error) => {
                tracing::error!(error = %error, waiting = mined.left.len(), "the block could not be committed: its transactions wait for the next");
                health.commit_failed(error);
            }
            None if included > 0 => {
                let tip = engine.committed_tip();
                tracing::info!(
                    height = tip.stacks_height,
                    tenure_height = tip.tenure_height,
                    transactions = included,
                    elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                    "block mined"
                );
                health.committed(tip.stacks_height.into());
            }
            None => {}
        }
        last_block = Instant::now();
        if new_tenure && included > 0 {
            tenure_began = Some(last_block);
        }
        // One turn at the mempool's lock for the block, not one a transaction.
        let mut mempool = pool.lock();
        mempool.put_back(mined.left, mined.included.iter().map(|(pending, _)| pending).chain(mined.dropped.iter().map(|(pending, _)| pending)));
        for (pending, cost) in &mined.included {
            mempool.learn_cost(&pending.call, *cost);
        }
        for (pending, why) in mined.dropped {
            tracing::warn!(txid = %pending.tx.txid_hex(), reason = why.status(), "transaction dropped by the miner");
            mempool.drop_tx(pending, why);
        }
        metrics.waiting(mempool.len());
        if included == 0 {
            // Everything waiting waits for an earlier nonce: only a new transaction
            // can change that.
            drop(pool.wake.wait_timeout(mempool, pool.mining.idle()).unwrap_or_else(|poisoned| poisoned.into_inner()));
        }
    }
}

/// What mining a block made of the transactions it took.
struct Mined {
    /// Included in the committed block, each with its cost.
    included: Vec<(Arc<Pending>, ExecutionCost)>,
    /// Given up on, and why.
    dropped: Vec<(Arc<Pending>, Dropped)>,
    /// Left for a later block, in the order they are to be tried.
    left: VecDeque<Arc<Pending>>,
    /// The disk's failure (full, a write error) that kept the block from being
    /// committed, if that is why it was not.
    disk_failed: Option<String>,
    /// How long each included transaction's call took to execute, in order.
    call_times: Vec<Duration>,
    /// How long the block's commit took, once committed.
    commit_time: Option<Duration>,
}

/// Counts a block mined: its calls and their times, and its commit's, once
/// committed; the transactions dropped either way.
fn count(metrics: &NodeMetrics, mined: &Mined) {
    if let Some(commit_time) = mined.commit_time {
        metrics.common().block_committed(mined.included.len() as u64, &mined.call_times, commit_time);
    }
    for (_, why) in &mined.dropped {
        metrics.dropped(*why);
    }
}

/// Mines one block of up to `max` transactions from `batch`.
///
/// Only the block's transactions are executed, but the whole batch is ordered:
/// thousands may wait when transactions come faster than blocks take them, so the
/// ordering costs a few hash lookups and a sort of integer keys per transaction.
fn mine_block<S>(engine: &Engine<S>, batch: VecDeque<Arc<Pending>>, max: usize, new_tenure: bool) -> Mined {
    // Each sender's transactions in nonce order; senders in the order they came.
    let mut first_seen: HashMap<Principal, usize> = HashMap::new();
    let mut ordered: Vec<((usize, u64), Arc<Pending>)> = batch
        .into_iter()
        .enumerate()
        .map(|(index, pending)| {
            // Looked up before it is inserted, so a sender is cloned once, not once a transaction.
            let rank = match first_seen.get(&pending.sender) {
                Some(rank) => *rank,
                None => {
                    first_seen.insert(pending.sender.clone(), index);
                    index
                }
            };
            ((rank, pending.tx.nonce()), pending)
        })
        .collect();
    ordered.sort_by_key(|(key, _)| *key);
    let mut batch: VecDeque<Arc<Pending>> = ordered.into_iter().map(|(_, pending)| pending).collect();
    let mine = || if new_tenure { engine.mine(1) } else { engine.mine_in_tenure(1) };
    let mut mined = Mined { included: Vec::new(), dropped: Vec::new(), left: VecDeque::new(), disk_failed: None, call_times: Vec::new(), commit_time: None };
    if let Err(error) = engine.begin_block().and_then(|()| mine()) {
        let _ = engine.abort_block();
        mined.left = batch;
        mined.disk_failed = disk_fault(&error);
        return mined;
    }
    let block_time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let mut full = false;
    while let Some(pending) = batch.pop_front() {
        if full || mined.included.len() == max {
            mined.left.push_back(pending);
            continue;
        }
        let call = SignedCall {
            txid: pending.tx.txid(),
            transaction: pending.tx.bytes(),
            sender: &pending.sender,
            nonce: pending.tx.nonce(),
            contract: pending.call.contract.name(),
            function: &pending.call.function,
            args: &pending.call.args,
            block_time,
            post_conditions_hold: pending.tx.post_conditions_hold(),
        };
        let started = Instant::now();
        match engine.include(&call) {
            Ok(receipt) => {
                mined.call_times.push(started.elapsed());
                mined.included.push((pending, receipt.cost));
            }
            Err(EngineError::BadNonce { expected, actual }) if actual > expected => mined.left.push_back(pending),
            Err(EngineError::BadNonce { .. }) => mined.dropped.push((pending, Dropped::StaleNonce)),
            Err(EngineError::BlockFull(_)) => {
                full = true;
                mined.left.push_back(pending);
            }
            Err(EngineError::CostBalanceExceeded(_)) => mined.dropped.push((pending, Dropped::TooExpensive)),
            Err(_) => mined.dropped.push((pending, Dropped::Problematic)),
        }
    }
    let committing = Instant::now();
    let closed = if mined.included.is_empty() { engine.abort_block() } else { engine.commit_block() };
    if closed.is_ok() && !mined.included.is_empty() {
        mined.commit_time = Some(committing.elapsed());
    }
    if let Err(error) = closed {
        // The block is not committed: its transactions wait again, first.
        mined.disk_failed = disk_fault(&error);
        let _ = engine.abort_block();
        let mut left: VecDeque<Arc<Pending>> = mined.included.drain(..).map(|(pending, _)| pending).collect();
        left.append(&mut mined.left);
        mined.left = left;
    }
    mined
}

/// What the disk said, if it caused `error`.
fn disk_fault(error: &EngineError) -> Option<String> {
    match error {
        EngineError::Store(store) if store.is_io_fault() => Some(store.to_string()),
        _ => None,
    }
}
