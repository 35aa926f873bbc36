//! One block of the node's feed applied to the engine, in named phases: `prepare`
//! (decode everything, change nothing), `locate` (extend the tip, ignore a block
//! already applied, or rewind to the parent of a fork), then `run` (each deployment
//! and call of both contracts, in order, compared with the node's outcome) in one
//! engine block, committed with what undoes it.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clarimed_engine::table::Contract;
use clarimed_engine::{
    hex, principal_to_string, unhex, Engine, EngineError, Epoch, ExecutionCost, Network, Principal, Store, Tip, TxStatus, Version, GENESIS_HEIGHT,
};
use clarimed_transactions::envelope::{Envelope, Payload};
use clarimed_transactions::{Call, Rejection};
use sha2::{Digest, Sha256, Sha512_256};

use crate::outcome::{Mismatch, Outcome};
use crate::payload::{BlockEvent, ContractEvent, NewBlock, PayloadError};

/// How many of the last blocks a follower can undo when the chain forks, unless
/// told otherwise: a day of Stacks 2.x blocks, and deeper than any fork the
/// network has had.
pub const DEFAULT_FORK_DEPTH: u32 = 144;

/// The notes the follower keeps in the engine's state, committed and undone with
/// each block.
const RECENT_NOTE: &str = "follower::recent";
const DEPLOYED_NOTE: &str = "follower::deployed";
const COUNTS_NOTE: &str = "follower::counts";

/// The epoch each block runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epochs {
    /// Every block in this one.
    Fixed(Epoch),
    /// The epoch the block's `burn_block_height` is in on this network, by
    /// stacks-core's activation heights.
    Network(Network),
}

/// What to do when the node and the follower disagree on a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMismatch {
    /// Apply nothing of the block and stop ([`FollowError::Stopped`]).
    Stop,
    /// Report it, keep the follower's own outcome, and go on.
    Log,
}

/// Why a block was not applied. Nothing of it was, though a rewind to its parent
/// that came before the failure stays.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The body is not a `/new_block` payload.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A field is there but cannot be what the node writes.
    #[error("block {height}: {field}: {reason}")]
    Malformed {
        /// The block's height.
        height: u64,
        /// The field, as the payload names it.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The block's parent is none of the blocks the follower can rewind to.
    #[error(
        "block {height} ({hash}) builds on {parent}, which is none of the last {known} blocks this follower applied (tip: {tip}): blocks were missed, or the fork is deeper than the {depth} blocks kept"
    )]
    UnknownParent {
        /// The block's height.
        height: u64,
        /// Its index block hash.
        hash: String,
        /// Its parent's.
        parent: String,
        /// The follower's tip (height and hash).
        tip: String,
        /// How many recent blocks the follower knows.
        known: usize,
        /// The fork depth kept.
        depth: u32,
    },
    /// A call to one of the contracts before the follower saw it deployed.
    #[error("block {height}: transaction {txid} calls {contract}, whose deployment this follower never saw: follow the chain from before the deployment")]
    NotDeployed {
        /// The block's height.
        height: u64,
        /// The call.
        txid: String,
        /// The contract called.
        contract: String,
    },
    /// The state was changed by something other than a follower: following the
    /// chain on it would mix the two.
    #[error("the state holds calls no follower applied (it is not fresh, and no follower's): follow on a new state")]
    NotAFollowersState,
    /// The engine failed (its state, not a call's outcome).
    #[error("the engine: {0}")]
    Engine(#[from] EngineError),
    /// A block of an epoch the follower cannot tell, or cannot run it in.
    #[error("block {height}: {reason}")]
    Epoch {
        /// The block's height.
        height: u64,
        /// Why.
        reason: String,
    },
    /// `--on-mismatch stop` met a mismatch; the block was not applied.
    #[error("stopped at block {}: transaction {} ({}) differs in {}", .0.block_height, .0.txid, .0.what, .0.differs.join(", "))]
    Stopped(Box<Mismatch>),
    /// Applying the block panicked: a bug in clarimed, not in the block. Nothing of
    /// it was applied, and the follower goes on.
    #[error("applying the block hit a bug in clarimed (nothing of it was applied; please report it): {0}")]
    Bug(String),
}

/// What applying one block did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockReport {
    /// The block's height.
    pub height: u64,
    /// The block was already applied, and was ignored.
    pub already_applied: bool,
    /// How many blocks were undone first, to reach its parent on another fork.
    pub rewound: u32,
    /// Its calls and deployments of both contracts.
    pub calls: u64,
    /// How many of them agreed with the node.
    pub agreed: u64,
    /// Each disagreement.
    pub mismatches: Vec<Mismatch>,
    /// How long each call took to execute, in order (deployments are not timed).
    pub call_times: Vec<Duration>,
    /// How long the block's commit took, until durable.
    pub commit_time: Duration,
}

/// What a follower has done on its state, since its first block: kept with its tip,
/// so a restart goes on counting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Blocks applied (not counting those ignored as already applied).
    pub blocks: u64,
    /// Calls and deployments of both contracts compared.
    pub calls: u64,
    /// How many agreed.
    pub agreed: u64,
    /// How many did not.
    pub mismatched: u64,
    /// Blocks undone by forks.
    pub rewound: u64,
    /// Blocks refused, nothing of them applied (a bug's among them); counted in the
    /// state with the next block applied.
    pub refused: u64,
}

impl Counts {
    const FIELDS: usize = 6;

    fn to_bytes(self) -> Vec<u8> {
        [self.blocks, self.calls, self.agreed, self.mismatched, self.rewound, self.refused].iter().flat_map(|count| count.to_be_bytes()).collect()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Counts> {
        if bytes.len() != Counts::FIELDS * 8 {
            return None;
        }
        let count = |i: usize| u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        Some(Counts { blocks: count(0), calls: count(1), agreed: count(2), mismatched: count(3), rewound: count(4), refused: count(5) })
    }

    /// These counts with one more block applied.
    fn with_block(mut self, report: &BlockReport) -> Counts {
        self.blocks += 1;
        self.calls += report.calls;
        self.agreed += report.agreed;
        self.mismatched += report.mismatches.len() as u64;
        self
    }
}

/// The engine following one deployer's two contracts on a node's feed.
pub struct Follower<S> {
    engine: Arc<Engine<S>>,
    network: clarimed_transactions::Network,
    epochs: Epochs,
    depth: u32,
    on_mismatch: OnMismatch,
    counts: Counts,
}

/// A transaction of the block, decoded: what the `run` phase does with it.
enum Step {
    Deploy {
        txid: String,
        contract: Contract,
        deployment: clarimed_transactions::Deployment,
    },
    Call {
        txid: String,
        contract: Contract,
        called: Box<Called>,
    },
    /// Another transaction that printed events as one of the contracts: a contract
    /// calling them, which the follower cannot re-execute.
    Indirect {
        txid: String,
        contracts: String,
    },
}

/// A call of one of the contracts, as the block holds it.
struct Called {
    /// Its `tx-sender`.
    origin: Principal,
    post_conditions_hold: bool,
    /// The call, or why the engine refuses it.
    call: Result<Call, Rejection>,
    /// What the node says it did.
    node: Outcome,
}

/// A block decoded, before anything is applied.
struct Prepared {
    height: u64,
    /// Where the chain is once the block is placed: its heights and epoch.
    tip: Tip,
    hash: [u8; 32],
    parent: [u8; 32],
    steps: Vec<Step>,
}

/// Where a block goes.
enum Place {
    AlreadyApplied,
    /// On the tip, after undoing this many blocks.
    After(u32),
}

impl<S: Store + 'static> Follower<S> {
    /// A follower over `engine`, whose deployer is the address the contracts are
    /// followed at, keeping what undoes the last `depth` blocks. The state must be a
    /// follower's, or fresh (both contracts just deployed): one changed otherwise
    /// (by `clarimed serve`, say) is refused ([`FollowError::NotAFollowersState`]).
    pub fn new(engine: Arc<Engine<S>>, depth: u32, on_mismatch: OnMismatch) -> Result<Follower<S>, FollowError> {
        if followed_tip(&engine)?.is_none() {
            let fresh = Engine::in_memory(engine.deployer(), engine.epoch())?.state_digest()?;
            if engine.committed_block_height() != GENESIS_HEIGHT || engine.state_digest()? != fresh {
                return Err(FollowError::NotAFollowersState);
            }
        }
        let deployer = engine.deployer();
        let mainnet = matches!(deployer.version, 20 | 22);
        let network = clarimed_transactions::Network { chain_id: if mainnet { 1 } else { 0x8000_0000 }, mainnet };
        // A fork never undoes more than a node keeps; the follower never refuses a
        // block the node included, whatever the block limit.
        engine.keep_undo(depth);
        engine.set_block_limit(ExecutionCost::MAX);
        let counts = match engine.note(COUNTS_NOTE)? {
            None => Counts::default(),
            Some(bytes) => Counts::from_bytes(&bytes)
                .ok_or_else(|| EngineError::Internal(format!("the note {COUNTS_NOTE} is {} bytes, not {}", bytes.len(), Counts::FIELDS * 8)))?,
        };
        let epochs = Epochs::Fixed(engine.epoch());
        Ok(Follower { engine, network, epochs, depth, on_mismatch, counts })
    }

    /// The follower with each block run in the epoch `epochs` gives it, instead of
    /// the epoch of the state it follows on.
    pub fn with_epochs(mut self, epochs: Epochs) -> Follower<S> {
        self.epochs = epochs;
        self
    }

    /// The engine, as followed so far.
    pub fn engine(&self) -> &Arc<Engine<S>> {
        &self.engine
    }

    /// What the follower has done on this state.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The last block applied: its height and index block hash.
    pub fn tip(&self) -> Result<Option<(u64, [u8; 32])>, FollowError> {
        followed_tip(&self.engine)
    }

    /// Applies one `/new_block` body, or refuses it whole. Never panics: a bug met
    /// while applying it refuses the block ([`FollowError::Bug`]).
    pub fn apply(&mut self, body: &[u8]) -> Result<BlockReport, FollowError> {
        let applied = match std::panic::catch_unwind(AssertUnwindSafe(|| self.apply_block(body))) {
            Ok(applied) => applied,
            Err(panic) => {
                // The engine block the panic left open, if any, is dropped.
                let _ = self.engine.abort_block();
                let message = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
                Err(FollowError::Bug(message.unwrap_or_else(|| "a panic without a message".into())))
            }
        };
        if applied.is_err() {
            self.counts.refused += 1;
        }
        applied
    }

    fn apply_block(&mut self, body: &[u8]) -> Result<BlockReport, FollowError> {
        let block = NewBlock::parse(body)?;
        let prepared = self.prepare(&block)?;
        let mut report = BlockReport { height: prepared.height, ..BlockReport::default() };
        match self.locate(&prepared)? {
            Place::AlreadyApplied => {
                report.already_applied = true;
                return Ok(report);
            }
            Place::After(0) => {}
            Place::After(undo) => {
                self.engine.undo_blocks(undo)?;
                report.rewound = undo;
                self.counts.rewound += u64::from(undo);
            }
        }
        self.engine.begin_block()?;
        let ran = self.run(&prepared, &mut report).and_then(|()| {
            let counts = self.counts.with_block(&report);
            self.engine.write_note(COUNTS_NOTE, Some(&counts.to_bytes()))?;
            Ok(counts)
        });
        match ran {
            Ok(counts) => {
                let committing = Instant::now();
                self.engine.commit_block()?;
                report.commit_time = committing.elapsed();
                self.counts = counts;
            }
            Err(error) => {
                self.engine.abort_block()?;
                return Err(error);
            }
        }
        Ok(report)
    }

    /// Decodes every field the follower uses; changes nothing. Each transaction is
    /// read only as far as its [`Envelope`]: one that neither deploys nor calls the
    /// contracts is passed over unread past its kind.
    fn prepare(&self, block: &NewBlock) -> Result<Prepared, FollowError> {
        let height = block.block_height;
        let malformed = |field: String, reason: String| FollowError::Malformed { height, field, reason };
        let hash = hash32(&block.index_block_hash).map_err(|reason| malformed("index_block_hash".into(), reason))?;
        let tip = self.tip_of(block)?;
        let parent = hash32(&block.parent_index_block_hash).map_err(|reason| malformed("parent_index_block_hash".into(), reason))?;
        let deployer = self.engine.deployer();
        let ours: Vec<String> = Contract::ALL.iter().map(|c| format!("{}.{}", principal_to_string(deployer), c.name())).collect();
        // A node may post a block's events in any order; each transaction's are
        // compared in `event_index` order.
        let mut events: Vec<&BlockEvent> = block.events.iter().collect();
        events.sort_by_key(|event| event.event_index);
        let mut steps = Vec::new();
        for (index, tx) in block.transactions.iter().enumerate() {
            let field = |name: &str| format!("transactions[{index}].{name}");
            if tx.status == "problematic_skipped" || tx.raw_tx == "0x00" {
                // Not executed, or a burnchain operation: nothing of the contracts.
                continue;
            }
            if !matches!(tx.status.as_str(), "success" | "abort_by_response" | "abort_by_post_condition") {
                return Err(malformed(field("status"), format!("`{}` is not a status the node writes", tx.status)));
            }
            let raw = bytes(&tx.raw_tx).map_err(|reason| malformed(field("raw_tx"), reason))?;
            let txid = tx.txid.clone();
            let envelope = Envelope::read(&raw).map_err(|e| malformed(field("raw_tx"), format!("transaction {txid} cannot be read: {e}")))?;
            if bytes(&txid).ok().as_deref() != Some(Sha512_256::digest(&raw).as_slice()) {
                return Err(malformed(field("txid"), format!("{} is not the SHA-512/256 of raw_tx", truncated(&txid))));
            }
            let printed: Vec<&ContractEvent> = events
                .iter()
                // Nodes before 3.3.0.0.6 post the events of a transaction aborted by a
                // post-condition too, marked not committed: they never happened.
                .filter(|event| event.txid == tx.txid && event.committed)
                .filter_map(|event| event.contract_event.as_ref())
                .filter(|event| ours.contains(&event.contract_identifier))
                .collect();
            match envelope.payload {
                Payload::Deploy(deployment) if envelope.origin == *deployer && tx.status == "success" && Contract::from_name(&deployment.name).is_ok() => {
                    let contract = Contract::from_name(&deployment.name).expect("checked");
                    steps.push(Step::Deploy { txid, contract, deployment });
                }
                Payload::Call(call) if call.address == *deployer && Contract::from_name(call.contract).is_ok() => {
                    let contract = Contract::from_name(call.contract).expect("checked");
                    let args = call.args().map_err(|e| {
                        malformed(field("raw_tx"), format!("transaction {txid} calls {}, and its arguments cannot be read: {e}", contract.name()))
                    })?;
                    let mut node_events = Vec::new();
                    for event in printed.iter().filter(|event| event.topic == "print") {
                        node_events.push(hex(&bytes(&event.raw_value).map_err(|reason| malformed(format!("events of {txid}.raw_value"), reason))?));
                    }
                    let result = hex(&bytes(&tx.raw_result).map_err(|reason| malformed(field("raw_result"), reason))?);
                    let node = Outcome { status: tx.status.clone(), result, events: node_events, cost: tx.execution_cost };
                    let call = Call::check(&self.network, deployer, &call.address, call.contract, call.function, args);
                    let called = Called { origin: envelope.origin, post_conditions_hold: envelope.post_conditions_hold, call, node };
                    steps.push(Step::Call { txid, contract, called: Box::new(called) });
                }
                _ if !printed.is_empty() => {
                    let mut touched: Vec<&str> = printed.iter().map(|event| event.contract_identifier.as_str()).collect();
                    touched.dedup();
                    steps.push(Step::Indirect { txid, contracts: touched.join(", ") });
                }
                _ => {}
            }
        }
        Ok(Prepared { height, tip, hash, parent, steps })
    }

    /// The block's place on the chain: its Stacks and tenure heights, and its epoch.
    fn tip_of(&self, block: &NewBlock) -> Result<Tip, FollowError> {
        let height = block.block_height;
        let refused = |reason: String| FollowError::Epoch { height, reason };
        let epoch = match self.epochs {
            Epochs::Fixed(epoch) => epoch,
            Epochs::Network(network) => {
                let burn = block
                    .burn_block_height
                    .ok_or_else(|| refused(format!("no burn_block_height, which tells the epoch on {network:?}: give the epoch instead")))?;
                Epoch::at_burn_height(network, burn)
                    .ok_or_else(|| refused(format!("burn block {burn} is before epoch 2.5 on {network:?}, which clarimed does not run")))?
            }
        };
        let stacks_height = u32::try_from(height).map_err(|_| EngineError::BlockHeightOutOfRange(u32::MAX))?;
        let tenure_height = match block.tenure_height {
            Some(tenure) => u32::try_from(tenure).map_err(|_| EngineError::BlockHeightOutOfRange(u32::MAX))?,
            None if epoch.rules().tenures => return Err(refused(format!("no tenure_height, which a Clarity 2 block-height answers in epoch {epoch}"))),
            None => stacks_height,
        };
        Ok(Tip { stacks_height, tenure_height, epoch })
    }

    /// Where the block goes: on the tip, on a block a few back (a fork), or nowhere
    /// (applied already).
    fn locate(&self, block: &Prepared) -> Result<Place, FollowError> {
        let recent = recent(&self.engine)?;
        if recent.iter().any(|(_, hash)| *hash == block.hash) {
            return Ok(Place::AlreadyApplied);
        }
        let Some(&(tip_height, tip)) = recent.last() else {
            // The first block: whatever came before it holds nothing of the contracts.
            return Ok(Place::After(0));
        };
        let Some(at) = recent.iter().rposition(|(_, hash)| *hash == block.parent) else {
            return Err(FollowError::UnknownParent {
                height: block.height,
                hash: prefixed(&block.hash),
                parent: prefixed(&block.parent),
                tip: format!("{tip_height} {}", prefixed(&tip)),
                known: recent.len(),
                depth: self.depth,
            });
        };
        if block.height <= recent[at].0 {
            return Err(FollowError::Malformed {
                height: block.height,
                field: "block_height".into(),
                reason: format!("not above its parent's, {}", recent[at].0),
            });
        }
        Ok(Place::After((recent.len() - 1 - at) as u32))
    }

    /// Runs the block's steps in the open engine block, at its height, and records it
    /// as the new tip.
    fn run(&self, block: &Prepared, report: &mut BlockReport) -> Result<(), FollowError> {
        // The first blocks of a chain may sit below the genesis the engine starts at.
        let at = self.engine.tip();
        if block.tip.epoch < at.epoch {
            return Err(FollowError::Epoch {
                height: block.height,
                reason: format!("runs in epoch {}, and the state is in {} already", block.tip.epoch, at.epoch),
            });
        }
        let next =
            Tip { stacks_height: at.stacks_height.max(block.tip.stacks_height), tenure_height: at.tenure_height.max(block.tip.tenure_height), ..block.tip };
        self.engine.advance_to(next)?;
        let mut deployed = self.deployed()?;
        let deployed_before = deployed.clone();
        for step in &block.steps {
            report.calls += 1;
            let mismatch = match step {
                Step::Deploy { txid, contract, deployment } => self.deploy(block.height, txid, *contract, deployment, &mut deployed)?,
                Step::Call { txid, contract, called } => {
                    if !deployed.contains(contract) {
                        return Err(FollowError::NotDeployed { height: block.height, txid: txid.clone(), contract: contract.name().to_string() });
                    }
                    let started = Instant::now();
                    let mismatch = self.call(block.height, txid, called)?;
                    report.call_times.push(started.elapsed());
                    mismatch
                }
                Step::Indirect { txid, contracts } => Some(Mismatch {
                    block_height: block.height,
                    txid: txid.clone(),
                    what: "indirect".into(),
                    differs: vec!["indirect"],
                    node: None,
                    ours: None,
                    detail: Some(format!("another contract's call printed as {contracts}; the follower re-executes direct calls only")),
                }),
            };
            match mismatch {
                None => report.agreed += 1,
                Some(mismatch) if self.on_mismatch == OnMismatch::Stop => return Err(FollowError::Stopped(Box::new(mismatch))),
                Some(mismatch) => report.mismatches.push(mismatch),
            }
        }
        // Written only when a deployment changed it, so that a block of calls keeps
        // it out of its writes and its undo record.
        if deployed != deployed_before {
            let deployed_mask: u8 = Contract::ALL.iter().enumerate().filter(|(_, c)| deployed.contains(c)).map(|(i, _)| 1 << i).sum();
            self.engine.write_note(DEPLOYED_NOTE, Some(&[deployed_mask]))?;
        }
        let mut recent = recent(&self.engine)?;
        recent.push((block.height, block.hash));
        let keep = self.depth as usize + 1;
        if recent.len() > keep {
            recent.drain(..recent.len() - keep);
        }
        self.engine.write_note(RECENT_NOTE, Some(&encode_recent(&recent)))?;
        Ok(())
    }

    /// A deployment of one of the contracts: followed when its source is one of the
    /// project's versions (v1 or v2), byte for byte, and it runs as Clarity 2. The
    /// engine then runs the version deployed.
    fn deploy(
        &self,
        height: u64,
        txid: &str,
        contract: Contract,
        deployment: &clarimed_transactions::Deployment,
        deployed: &mut Vec<Contract>,
    ) -> Result<Option<Mismatch>, FollowError> {
        let mismatch = |differs: &'static str, detail: String| Mismatch {
            block_height: height,
            txid: txid.to_string(),
            what: format!("deploy {}", contract.name()),
            differs: vec![differs],
            node: None,
            ours: None,
            detail: Some(detail),
        };
        let Some(version) = Version::of(contract, &deployment.source) else {
            let theirs = hex(&Sha256::digest(deployment.source.as_bytes()));
            let project = Version::ALL.map(|version| format!("{version}'s to {}", hex(&Sha256::digest(contract.source(version).as_bytes())))).join(", ");
            return Ok(Some(mismatch("source", format!("the deployed source hashes to {theirs}, the project's {project}: not followed"))));
        };
        if let Some(clarity) = deployment.clarity_version.filter(|v| *v != 2) {
            return Ok(Some(mismatch("clarity-version", format!("deployed as Clarity {clarity}; the engine runs Clarity 2"))));
        }
        if self.engine.version(contract)? != version {
            self.engine.record_deployment(contract, version)?;
        }
        if !deployed.contains(&contract) {
            deployed.push(contract);
        }
        Ok(None)
    }

    /// A call re-executed and compared; `None` when it agrees.
    fn call(&self, height: u64, txid: &str, called: &Called) -> Result<Option<Mismatch>, FollowError> {
        let node = &called.node;
        let mut mismatch = Mismatch {
            block_height: height,
            txid: txid.to_string(),
            what: String::new(),
            differs: Vec::new(),
            node: Some(node.clone()),
            ours: None,
            detail: None,
        };
        let call = match &called.call {
            Ok(call) => call,
            Err(rejection) => {
                mismatch.what = "call".into();
                mismatch.differs.push("refused");
                mismatch.detail = Some(format!("the engine refuses the call: {}", rejection.reason()));
                return Ok(Some(mismatch));
            }
        };
        mismatch.what = format!("{}.{}", call.contract.name(), call.function);
        match self.engine.execute(&called.origin, call.contract.name(), &call.function, &call.args, called.post_conditions_hold) {
            Ok((status, output)) => {
                // The node posts no events of an aborted transaction.
                let events = if status == TxStatus::Success { output.event_bytes().iter().map(|e| hex(e)).collect() } else { Vec::new() };
                let ours = Outcome { status: status.as_str().to_string(), result: hex(&output.value_bytes()), events, cost: output.cost };
                mismatch.differs = node.differences(&ours);
                mismatch.ours = Some(ours);
            }
            Err(error @ (EngineError::Store(_) | EngineError::Corrupt { .. } | EngineError::Internal(_))) => return Err(error.into()),
            Err(error) => {
                mismatch.differs.push("refused");
                mismatch.detail = Some(format!("the engine refuses the call: {error}"));
            }
        }
        Ok((!mismatch.differs.is_empty()).then_some(mismatch))
    }

    /// The contracts seen deployed, on this fork.
    pub fn deployed(&self) -> Result<Vec<Contract>, FollowError> {
        let mask = self.engine.note(DEPLOYED_NOTE)?.and_then(|bytes| bytes.first().copied()).unwrap_or(0);
        Ok(Contract::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, c)| *c).collect())
    }
}

/// The last block a follower applied to `engine`'s state (its height and index
/// block hash); `None` for a state no follower has applied a block to.
pub fn followed_tip<S>(engine: &Engine<S>) -> Result<Option<(u64, [u8; 32])>, FollowError> {
    Ok(recent(engine)?.last().copied())
}

/// The last blocks applied, oldest first: at most the fork depth, and the tip.
fn recent<S>(engine: &Engine<S>) -> Result<Vec<(u64, [u8; 32])>, FollowError> {
    let Some(bytes) = engine.note(RECENT_NOTE)? else {
        return Ok(Vec::new());
    };
    if bytes.len() % 40 != 0 {
        return Err(EngineError::Internal(format!("the note {RECENT_NOTE} is {} bytes, not a multiple of 40", bytes.len())).into());
    }
    Ok(bytes
        .chunks(40)
        .map(|chunk| {
            let height = u64::from_be_bytes(chunk[..8].try_into().expect("8 bytes"));
            (height, chunk[8..].try_into().expect("32 bytes"))
        })
        .collect())
}

fn encode_recent(recent: &[(u64, [u8; 32])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(recent.len() * 40);
    for (height, hash) in recent {
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(hash);
    }
    out
}

/// `0x`-prefixed hex (the prefix may be left out), as bytes.
fn bytes(text: &str) -> Result<Vec<u8>, String> {
    unhex(text.strip_prefix("0x").unwrap_or(text)).ok_or_else(|| format!("`{}` is not hex", truncated(text)))
}

fn hash32(text: &str) -> Result<[u8; 32], String> {
    bytes(text)?.try_into().map_err(|bytes: Vec<u8>| format!("{} bytes, not 32", bytes.len()))
}

fn prefixed(hash: &[u8; 32]) -> String {
    format!("0x{}", hex(hash))
}

fn truncated(text: &str) -> String {
    let mut shown: String = text.chars().take(80).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}
