//! The engine: both contracts deployed in one store, public calls run as
//! transactions by one writer, read-only calls on the committed state from any
//! number of threads.

use std::borrow::Cow;
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, MutexGuard};

use std::cell::Cell;

use clarimed_consent::{Context, PatientConsent};
use clarimed_costs::{Epoch, ExecutionCost, Meter};
use clarimed_records::codes::RecordsError;
use clarimed_records::{ConsentView, RecordManagement};
use clarimed_storage::clarity::{hex, unhex, ClarityType, ContractId, Principal, StateError, VmKey};
use clarimed_storage::{Batch, Cached, Memo, MemoryStore, Recording, SqliteStore, Store, StoreCommit, StoreRead, Transactional};

use crate::convert::principal_to_string;
use crate::error::{CallError, EngineError, OverLimit};
use crate::limits::Limits;
use crate::pipeline::Pipeline;
use crate::table::Contract;
use crate::tip::{SharedTip, Tip, BLOCK_HEIGHT_KEY, CHAIN_KEY};
use crate::version::{self, Version, VERSIONS_KEY};

/// The engine's own bookkeeping, beside the contracts' data (never under `vm::`).
const DEPLOYER_KEY: &[u8] = b"clarimed::deployer";

/// Default SQLite state file of the command line.
pub const DEFAULT_DB_PATH: &str = "clarimed.db";

/// Both contracts over one store.
///
/// Every public call runs in a transaction of its own: kept on `ok`, dropped on
/// `err`, as Clarity keeps a call's writes on `(ok …)` and drops them on `(err …)`.
/// Outside a block each kept call is committed at once (for SQLite, a durable
/// commit); inside [`Engine::begin_block`] .. [`Engine::commit_block`] the calls
/// are committed together at the block's end.
///
/// The engine is shared by reference between threads. Public calls, mining and
/// blocks take turns through one writer lock; read-only calls (typed and
/// Clarity-valued) never take it. A read-only call sees the committed state only,
/// whole: never a call or block still open, never half of a commit.
pub struct Engine<S> {
    core: Arc<Core>,
    backend: Arc<S>,
}

impl<S> Drop for Engine<S> {
    /// Waits for the blocks in flight to be written ([`Engine::submit_block`]).
    fn drop(&mut self) {
        self.core.pipeline.stop();
    }
}

/// What the engine is, independent of the backend's type: the committed state
/// (cached), the writer's open transactions, the memoized permission checks.
pub(crate) struct Core {
    committed: Cached<Arc<dyn Store>>,
    writer: Mutex<Writer>,
    /// Held by whatever opens, closes or fills a block as a whole (a transaction's
    /// nonce check, call and receipt), so that no block begins or ends in between.
    /// Taken before the writer lock, never after it.
    blocks: Mutex<()>,
    /// The committed tip, swapped with the state it goes with.
    pub(crate) tip: SharedTip,
    /// Blocks submitted and not yet durable, and the thread that writes them.
    pub(crate) pipeline: Pipeline,
    /// How many committed blocks to keep undo records for ([`Engine::keep_undo`]).
    pub(crate) undo_depth: AtomicU32,
    /// `check-access` answers and their costs by (record, accessor, action, height).
    checks: Memo<CheckKey, Remembered>,
    limits: Limits,
    pub(crate) consent: PatientConsent,
    pub(crate) records: RecordManagement,
    deployer: Principal,
    ids: [ContractId; 2],
}

/// A `check-access` question, packed so that a remembered answer fits in a cache
/// line: the check on random records is bound by memory, not by computing. Questions
/// that do not pack (a contract principal asking, a record id past 64 bits, an action
/// other than read or write) are answered without the memo.
#[derive(Clone, PartialEq, Eq, Hash)]
struct CheckKey {
    record_id: u64,
    height: u32,
    action: u8,
    /// The accessor's address version and hash160.
    accessor: [u8; 21],
}

impl CheckKey {
    fn new(record_id: u128, accessor: &Principal, action: u128, height: u32) -> Option<CheckKey> {
        if accessor.contract_name.is_some() || action > 1 {
            return None;
        }
        let mut address = [0; 21];
        address[0] = accessor.version;
        address[1..].copy_from_slice(&accessor.hash160);
        Some(CheckKey { record_id: u64::try_from(record_id).ok()?, height, action: action as u8, accessor: address })
    }
}

/// How a public call runs: as a transaction; as a transaction whose writes are
/// dropped whatever it returns (a post-condition failed), its cost still its
/// block's; or as a node's `call-read` runs one (on the committed state, nothing
/// kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Commit,
    Abort,
    DryRun,
}

/// A remembered `check-access` answer and its cost, packed so that an entry, key
/// included, stays within a cache line: levels are READ..EMERGENCY (0 to 3), and a
/// read-only call's cost writes nothing and fits the read-only limit. Answers that
/// do not pack are not remembered.
#[derive(Clone, Copy)]
struct Remembered {
    answer: Result<u8, RecordsError>,
    read_count: u16,
    runtime: u32,
    read_length: u32,
}

impl Remembered {
    fn pack(answer: Result<u128, RecordsError>, cost: ExecutionCost) -> Option<Remembered> {
        if cost.write_count != 0 || cost.write_length != 0 {
            return None;
        }
        Some(Remembered {
            answer: match answer {
                Ok(level) => Ok(u8::try_from(level).ok()?),
                Err(error) => Err(error),
            },
            read_count: u16::try_from(cost.read_count).ok()?,
            runtime: u32::try_from(cost.runtime).ok()?,
            read_length: u32::try_from(cost.read_length).ok()?,
        })
    }

    fn cost(&self) -> ExecutionCost {
        ExecutionCost { runtime: self.runtime.into(), read_count: self.read_count.into(), read_length: self.read_length.into(), ..ExecutionCost::ZERO }
    }
}

/// The writer's side: the open block, if any, the tip it is at, and what the
/// calls of this block (from epoch 3.0, of this tenure) have cost so far.
pub(crate) struct Writer {
    pub(crate) layers: Vec<Batch>,
    pub(crate) tip: Tip,
    block_cost: ExecutionCost,
    /// The block cost when the open block began, restored if it is aborted.
    block_cost_at_begin: ExecutionCost,
    /// How many signed transactions the open block includes.
    pub(crate) block_transactions: u32,
}

impl Writer {
    /// A new block (from 3.0, a new tenure): its calls have spent nothing yet.
    pub(crate) fn reset_block_cost(&mut self) {
        self.block_cost = ExecutionCost::ZERO;
    }

    /// The open block dropped (aborted, or its commit failed): back at the
    /// committed `tip`, with what the block's calls spent given back.
    pub(crate) fn drop_open_block(&mut self, tip: Tip) {
        self.tip = tip;
        self.block_cost = self.block_cost_at_begin;
    }

    /// The open block's writes, taken to be committed: the writer is past it.
    pub(crate) fn close_open_block(&mut self) -> Batch {
        // Between calls a block is one layer: each call's transaction above it is
        // closed by the call.
        debug_assert_eq!(self.layers.len(), 1, "a block is one layer between calls");
        self.layers.pop().unwrap_or_default()
    }

    /// What the tenure's calls had cost when the open block began.
    pub(crate) fn block_cost_at_begin(&self) -> ExecutionCost {
        self.block_cost_at_begin
    }

    /// Sets what the tenure's calls have cost (a dropped block's calls given back).
    pub(crate) fn set_block_cost(&mut self, cost: ExecutionCost) {
        self.block_cost = cost;
        self.block_cost_at_begin = cost;
    }
}

impl Engine<MemoryStore> {
    /// A fresh in-memory chain in `epoch` with both contracts deployed by `deployer`.
    pub fn in_memory(deployer: &Principal, epoch: Epoch) -> Result<Engine<MemoryStore>, EngineError> {
        Engine::with_store(MemoryStore::new(), Some((deployer, epoch)))
    }
}

impl Engine<SqliteStore> {
    /// Opens the SQLite state at `path`; a new file gets both contracts deployed by
    /// `deployer` on a chain in `epoch` (an existing file keeps its own).
    pub fn open_or_create(path: impl AsRef<Path>, deployer: &Principal, epoch: Epoch) -> Result<Engine<SqliteStore>, EngineError> {
        Engine::with_store(SqliteStore::open(path)?, Some((deployer, epoch)))
    }

    /// Opens the SQLite state at `path` to set up a large state fast, creating it
    /// (with both contracts deployed by `deployer`) if it does not exist. Commit
    /// the calls in blocks ([`Engine::begin_block`]): each block's commit is one
    /// SQLite transaction, with no journal and not synced to disk, and the file is
    /// held by this engine alone ([`SqliteStore::open_for_loading`]). Dropping the
    /// engine finishes the load (everything is synced); then open the file with
    /// [`Engine::open`]. A load that did not finish (a crash, a failed write)
    /// leaves the file marked, and every open refuses it.
    pub fn open_for_loading(path: impl AsRef<Path>, deployer: &Principal, epoch: Epoch) -> Result<Engine<SqliteStore>, EngineError> {
        Engine::with_store(SqliteStore::open_for_loading(path)?, Some((deployer, epoch)))
    }

    /// Opens an existing SQLite state; creates nothing and changes nothing when the
    /// file is missing, is not a state, or holds no contracts
    /// ([`EngineError::NotDeployed`]).
    ///
    /// Its rows are held in memory if they fit in
    /// [`clarimed_storage::DEFAULT_INDEX_BUDGET`] bytes, and read there
    /// ([`SqliteStore::index_status`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Engine<SqliteStore>, EngineError> {
        Engine::open_with_index_budget(path, clarimed_storage::DEFAULT_INDEX_BUDGET)
    }

    /// [`Engine::open`], holding the state's rows in memory only if they fit in
    /// `budget` bytes: a state past it is read from SQLite's B-tree, slower.
    pub fn open_with_index_budget(path: impl AsRef<Path>, budget: usize) -> Result<Engine<SqliteStore>, EngineError> {
        Engine::with_store(SqliteStore::open_existing_with_index_budget(path, budget)?, None)
    }
}

impl<S: Store + 'static> Engine<S> {
    /// The engine over `store`: the state it holds, or, when it holds none and a
    /// genesis is given, both contracts freshly deployed by its deployer on a chain
    /// in its epoch. A deployer (given or stored) that no chain could have is
    /// [`EngineError::InvalidDeployer`].
    pub fn with_store(store: S, genesis: Option<(&Principal, Epoch)>) -> Result<Engine<S>, EngineError> {
        let backend = Arc::new(store);
        let shared: Arc<dyn Store> = backend.clone();
        let committed = Cached::new(shared);
        let (deployer, tip) = match committed.get(DEPLOYER_KEY)? {
            Some(bytes) => {
                let deployer =
                    Principal::from_bytes(&bytes).map_err(|error| EngineError::Corrupt { key: String::from_utf8_lossy(DEPLOYER_KEY).into_owned(), error })?;
                check_deployer(&deployer)?;
                (deployer, Tip::read(&committed)?)
            }
            None => {
                let (deployer, epoch) = genesis.ok_or(EngineError::NotDeployed)?;
                check_deployer(deployer)?;
                let tip = Tip::genesis(epoch);
                deploy(&committed, deployer, &tip)?;
                (deployer.clone(), tip)
            }
        };
        let ids = contract_ids(&deployer);
        let core = Core {
            committed,
            writer: Mutex::new(Writer {
                layers: Vec::new(),
                tip,
                block_cost: ExecutionCost::ZERO,
                block_cost_at_begin: ExecutionCost::ZERO,
                block_transactions: 0,
            }),
            blocks: Mutex::new(()),
            tip: SharedTip::new(tip),
            pipeline: Pipeline::default(),
            undo_depth: AtomicU32::new(0),
            checks: Memo::default(),
            limits: Limits::new(),
            consent: PatientConsent::new(&ids[0]),
            records: RecordManagement::new(&ids[1]),
            deployer,
            ids,
        };
        Ok(Engine { core: Arc::new(core), backend })
    }
}

impl<S> Engine<S> {
    pub(crate) fn core(&self) -> &Core {
        &self.core
    }

    pub(crate) fn core_arc(&self) -> &Arc<Core> {
        &self.core
    }

    /// The store below the engine (to checkpoint a SQLite file, say).
    pub fn backend(&self) -> &S {
        &self.backend
    }

    /// Who deployed both contracts (their first owner).
    pub fn deployer(&self) -> &Principal {
        &self.core.deployer
    }

    /// A contract's identifier, `{deployer}.{name}`.
    pub fn contract_id(&self, contract: Contract) -> &ContractId {
        self.core.contract_id(contract)
    }

    /// The Stacks block height public calls run at: the committed one, or the open
    /// block's.
    pub fn block_height(&self) -> u32 {
        self.core.writer().tip.stacks_height
    }

    /// The committed Stacks block height, which read-only calls see.
    pub fn committed_block_height(&self) -> u32 {
        self.core.tip.load().stacks_height
    }

    /// Where public calls run: the committed tip, or the open block's.
    pub fn tip(&self) -> Tip {
        self.core.writer().tip
    }

    /// The committed tip, which read-only calls see.
    pub fn committed_tip(&self) -> Tip {
        self.core.tip.load()
    }

    /// The epoch public calls run in.
    pub fn epoch(&self) -> Epoch {
        self.tip().epoch
    }

    /// Starts `tenures` new tenures of one Stacks block each: both heights advance
    /// by `tenures` (what Clarinet's `::advance_chain_tip` and
    /// `::advance_burn_chain_tip` do). Each new tenure has its whole cost budget.
    pub fn mine(&self, tenures: u32) -> Result<(), EngineError> {
        self.advance(|tip| tip.new_tenures(tenures))
    }

    /// Mines `blocks` more Stacks blocks in the current tenure (Clarinet's
    /// `::advance_stacks_chain_tip`): the Stacks height advances, the tenure height
    /// does not. From 3.0 the blocks share their tenure's budget; before, each block
    /// has its own.
    pub fn mine_in_tenure(&self, blocks: u32) -> Result<(), EngineError> {
        self.advance(|tip| tip.more_blocks(blocks))
    }

    /// Moves the chain to `next`, as a follower places a node's block: its heights
    /// and epoch, none of which goes back ([`EngineError::TipGoesBack`]).
    pub fn advance_to(&self, next: Tip) -> Result<(), EngineError> {
        self.advance(|tip| if tip.can_advance_to(&next) { Ok(next) } else { Err(EngineError::TipGoesBack { from: tip, to: next }) })
    }

    fn advance(&self, next: impl FnOnce(Tip) -> Result<Tip, EngineError>) -> Result<(), EngineError> {
        let _turn = self.core.block_turn();
        let mut writer = self.core.writer();
        self.core.ready(&mut writer)?;
        let tip = writer.tip;
        let next = next(tip)?;
        if next == tip {
            return Ok(());
        }
        // Both of the tip's rows in one commit (or in the open block): a crash never
        // leaves one height moved without the other.
        self.core.in_open_block(&mut writer, |block| {
            block.begin();
            next.write(block)?;
            block.commit()
        })?;
        writer.tip = next;
        let new_tenure = next.tenure_height != tip.tenure_height;
        if new_tenure || (next.stacks_height != tip.stacks_height && !next.epoch.rules().tenures) {
            writer.reset_block_cost();
        }
        Ok(())
    }

    /// From here until [`Engine::commit_block`], kept calls are committed together
    /// (one SQLite commit); read-only calls see none of them until then.
    pub fn begin_block(&self) -> Result<(), EngineError> {
        let _turn = self.core.block_turn();
        let mut writer = self.core.writer();
        // Not drained: the next block runs while the blocks submitted are written.
        self.core.settle(&mut writer)?;
        if !writer.layers.is_empty() {
            return Err(EngineError::BlockAlreadyOpen);
        }
        writer.layers.push(Batch::default());
        writer.block_cost_at_begin = writer.block_cost;
        writer.block_transactions = 0;
        Ok(())
    }

    /// Commits every call of the open block at once, durably: [`Engine::submit_block`]
    /// and [`Engine::wait_durable`]. A commit the store fails (a full disk) drops
    /// the block as [`Engine::abort_block`] does, so the next block starts from the
    /// committed tip rather than the one it never reached.
    pub fn commit_block(&self) -> Result<(), EngineError> {
        let submitted = self.submit_block()?;
        self.wait_durable(submitted)
    }

    /// Drops every call of the open block.
    pub fn abort_block(&self) -> Result<(), EngineError> {
        let _turn = self.core.block_turn();
        let mut writer = self.core.writer();
        self.core.settle(&mut writer)?;
        if writer.layers.pop().is_none() {
            return Err(EngineError::NoBlockOpen);
        }
        writer.drop_open_block(self.core.tip.load());
        Ok(())
    }

    /// What the calls of the current block (from 3.0, tenure) have cost: what a
    /// node's block builder holds against the block limit.
    pub fn block_cost(&self) -> ExecutionCost {
        self.core.writer().block_cost
    }

    /// The limit a block's (from 3.0, a tenure's) calls share: the epoch's
    /// ([`clarimed_costs::Rules::block_limit`]) unless changed. A public call that
    /// would take its block past it is refused and changes nothing.
    pub fn block_limit(&self) -> ExecutionCost {
        self.core.limits.block(self.epoch())
    }

    /// Changes the block limit, as a node's configuration can.
    pub fn set_block_limit(&self, limit: ExecutionCost) {
        self.core.limits.set_block(limit);
    }

    /// The limit of one read-only call ([`clarimed_costs::READ_ONLY_CALL_LIMIT`],
    /// the node's `call-read` default, unless changed).
    pub fn read_only_limit(&self) -> ExecutionCost {
        self.core.limits.read_only.load()
    }

    /// Changes the read-only limit, as a node's `read_only_call_limit` setting does.
    pub fn set_read_only_limit(&self, limit: ExecutionCost) {
        self.core.limits.read_only.store(limit);
        // Remembered checks were held to the old limit.
        self.core.checks.clear();
    }

    /// The committed value of `contract`'s data var `var` as the Clarity VM stores
    /// it (its consensus serialization); `None` when the contract has no such var.
    pub fn data_var(&self, contract: Contract, var: &str) -> Result<Option<Vec<u8>>, EngineError> {
        let key = VmKey::data_var(self.core.contract_id(contract).as_str(), var).storage_key();
        Ok(self.core.committed.get(&key)?.map(|bytes| bytes.into_owned()))
    }

    /// The committed entry of `contract`'s map `map` under the serialized key `key`
    /// as the Clarity VM stores it: `(some value)`, or `none` where `map-delete` left
    /// one; `None` when nothing was ever stored there.
    pub fn map_entry(&self, contract: Contract, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        let key = VmKey::map_entry(self.core.contract_id(contract).as_str(), map, key.to_vec()).storage_key();
        Ok(self.core.committed.get(&key)?.map(|bytes| bytes.into_owned()))
    }

    /// Every data-map entry and data var of both contracts as the Clarity VM stores
    /// them (key, hex of the value), sorted by key, as committed: comparable byte
    /// for byte with the reference harness's dump.
    pub fn dump_state(&self) -> Result<Vec<(String, String)>, EngineError> {
        // One scan over both contracts' keys, so it reads one committed state.
        let address = format!("vm::{}.", principal_to_string(&self.core.deployer));
        let mut rows = Vec::new();
        for (key, value) in self.core.committed.scan_prefix(address.as_bytes())? {
            let vm_key = VmKey::from_storage_key(&key).ok_or_else(|| EngineError::Internal(format!("a key outside the VM layout: {}", key.escape_ascii())))?;
            if self.core.ids.iter().any(|id| id.as_str() == vm_key.contract) {
                rows.push((vm_key.to_string(), hex(&value)));
            }
        }
        rows.sort();
        Ok(rows)
    }

    /// Replaces both contracts' state with `rows` as [`Engine::dump_state`] (or the
    /// reference harness's dump) gives them, and sets the tip: the state of another
    /// engine, taken over. All or nothing; refused while a block is open.
    pub fn import_state(&self, rows: &[(String, String)], tip: Tip) -> Result<(), EngineError> {
        let mut writes = Vec::with_capacity(rows.len());
        for (key, value) in rows {
            let vm_key = VmKey::parse(key).filter(|k| self.core.ids.iter().any(|id| id.as_str() == k.contract));
            let vm_key = vm_key.ok_or_else(|| EngineError::ForeignKey(key.clone()))?;
            let value = unhex(value).ok_or_else(|| EngineError::MalformedRow(key.clone()))?;
            writes.push((vm_key.storage_key(), value));
        }
        let _turn = self.core.block_turn();
        let mut writer = self.core.writer();
        self.core.ready(&mut writer)?;
        if !writer.layers.is_empty() {
            return Err(EngineError::BlockAlreadyOpen);
        }
        let mut replaced = Batch::default();
        for id in &self.core.ids {
            for (key, _) in self.core.committed.scan_prefix(id.key_prefix().as_bytes())? {
                replaced.delete(&key);
            }
        }
        for (key, value) in &writes {
            replaced.put(key, value);
        }
        for (key, value) in tip.rows() {
            replaced.put(key, &value);
        }
        Committer(&self.core).write(replaced)?;
        writer.tip = tip;
        Ok(())
    }
}

impl Core {
    pub(crate) fn writer(&self) -> MutexGuard<'_, Writer> {
        // A call that panicked took the open block's layers with it: its uncommitted
        // writes are gone, and the committed state, written only whole, is intact.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `write` over the writer's open block (over the committed state when none
    /// is open, where a write commits at once) and keeps what it leaves there.
    pub(crate) fn in_open_block<T>(&self, writer: &mut Writer, write: impl FnOnce(&mut Transactional<Committer<'_>>) -> T) -> T {
        let mut block = Transactional::with_layers(Committer(self), std::mem::take(&mut writer.layers));
        let result = write(&mut block);
        writer.layers = block.into_layers();
        result
    }

    /// Makes the writer ready for a step that changes the state
    /// ([`Core::settle`]); outside a block, where the step commits at once, after
    /// every submitted block is durable ([`Core::drain`]).
    pub(crate) fn ready(&self, writer: &mut Writer) -> Result<(), EngineError> {
        if writer.layers.is_empty() {
            self.drain(writer)
        } else {
            self.settle(writer)
        }
    }

    /// The turn of whatever opens, closes or fills a block as a whole.
    pub(crate) fn block_turn(&self) -> MutexGuard<'_, ()> {
        self.blocks.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The committed state, as readers see it.
    pub(crate) fn committed(&self) -> &Cached<Arc<dyn Store>> {
        &self.committed
    }

    /// The tip as committed in the state.
    pub(crate) fn committed_tip(&self) -> Result<Tip, EngineError> {
        Tip::read(&self.committed)
    }

    pub(crate) fn contract_id(&self, contract: Contract) -> &ContractId {
        match contract {
            Contract::PatientConsent => &self.ids[0],
            Contract::RecordManagement => &self.ids[1],
        }
    }

    /// A caller Clarity could have: a principal it can represent.
    pub(crate) fn check_sender(&self, sender: &Principal) -> Result<(), EngineError> {
        if sender.is_valid() {
            Ok(())
        } else {
            Err(EngineError::InvalidPrincipal(principal_to_string(sender)))
        }
    }

    /// Runs one public call of `contract` by `sender` as a transaction at the
    /// writer's height, charging it as a node does (the load of the contract, then
    /// the call) and reporting its cost to `cost`. Its writes are kept when it
    /// returns `Ok` and dropped otherwise; a call whose cost breaks the block limit,
    /// alone or with the block's earlier calls, is refused and changes nothing.
    ///
    /// In [`Mode::DryRun`] the call runs on the committed state at the committed
    /// height, as a node's `call-read` runs a public function: nothing it writes is
    /// kept, its block pays nothing, and it is held to the read-only limit (a write
    /// breaks it: [`EngineError::NotReadOnly`]).
    pub(crate) fn transact<T, E>(
        &self,
        sender: &Principal,
        contract: Contract,
        mode: Mode,
        cost: &Cell<ExecutionCost>,
        call: impl FnOnce(&mut Transactional<Committer<'_>>, &Context) -> clarimed_consent::Outcome<T, E>,
    ) -> Result<T, CallError<E>> {
        self.check_sender(sender)?;
        let mut writer = self.writer();
        if mode != Mode::DryRun {
            self.ready(&mut writer)?;
        }
        let (tip, layers) = match mode {
            Mode::Commit | Mode::Abort => (writer.tip, std::mem::take(&mut writer.layers)),
            Mode::DryRun => (self.tip.load(), Vec::new()),
        };
        let ctx = Context::new(sender.clone(), u128::from(tip.block_height()), tip.epoch);
        let mut store = Transactional::with_layers(Committer(self), layers);
        store.begin();
        let result = match version::load_contract(&store, &ctx.meter, contract) {
            Ok(()) => call(&mut store, &ctx),
            Err(error) => Err(error.into()),
        };
        let spent = ctx.meter.total();
        cost.set(spent);
        if mode == Mode::DryRun {
            store.roll_back().map_err(EngineError::from)?;
            if spent.write_count > 0 {
                return Err(EngineError::NotReadOnly { contract: contract.name().to_string(), function: String::new() }.into());
            }
            self.within_read_only_limit(spent)?;
            return Ok(result?);
        }
        let limit = self.limits.block(tip.epoch);
        let over = Box::new(OverLimit { cost: spent, limit, block: writer.block_cost });
        let refusal = if spent.exceeds(&limit) {
            Some(EngineError::CostBalanceExceeded(over))
        } else if (writer.block_cost + spent).exceeds(&limit) {
            Some(EngineError::BlockFull(over))
        } else {
            None
        };
        let closed = if mode == Mode::Commit && result.is_ok() && refusal.is_none() { store.commit() } else { store.roll_back() };
        writer.layers = store.into_layers();
        closed.map_err(EngineError::from)?;
        if let Some(refusal) = refusal {
            return Err(refusal.into());
        }
        writer.block_cost += spent;
        Ok(result?)
    }

    /// A read-only function of `contract` on one committed state, at the committed
    /// height, charged as a node's `call-read` charges it (the load of the contract,
    /// then the call) and held to the read-only limit; its cost goes to `cost`.
    pub(crate) fn read_only<T>(
        &self,
        contract: Contract,
        cost: &Cell<ExecutionCost>,
        read: impl Fn(&Cached<Arc<dyn Store>>, u128, &Meter) -> Result<T, StateError>,
    ) -> Result<T, EngineError> {
        let (value, spent) = self.committed.read_consistent(|_| {
            let tip = self.tip.load();
            let meter = Meter::new(tip.epoch);
            version::load_contract(&self.committed, &meter, contract)?;
            let value = read(&self.committed, u128::from(tip.block_height()), &meter)?;
            Ok::<_, StateError>((value, meter.total()))
        })?;
        cost.set(spent);
        self.within_read_only_limit(spent)?;
        Ok(value)
    }

    /// A read-only call's cost against the read-only limit.
    fn within_read_only_limit(&self, spent: ExecutionCost) -> Result<(), EngineError> {
        let limit = self.limits.read_only.load();
        if spent.exceeds(&limit) {
            return Err(EngineError::CostBalanceExceeded(Box::new(OverLimit { cost: spent, limit, block: ExecutionCost::ZERO })));
        }
        Ok(())
    }

    /// `check-access` on the committed state, remembered with its cost until a key
    /// it read is written (or the height changes).
    pub(crate) fn check_access(
        &self,
        record_id: u128,
        accessor: &Principal,
        action: u128,
        cost: &Cell<ExecutionCost>,
    ) -> Result<u128, CallError<RecordsError>> {
        let height = self.tip.load().stacks_height;
        // A remembered answer is within the read-only limit: it was when it was
        // remembered, and a change of the limit forgets every answer.
        if let Some(remembered) = CheckKey::new(record_id, accessor, action, height).and_then(|key| self.checks.get(&key)) {
            cost.set(remembered.cost());
            return remembered.answer.map(u128::from).map_err(CallError::Contract);
        }
        let (answer, spent) = self.committed.read_consistent(|generation| {
            let tip = self.tip.load();
            let height = tip.stacks_height;
            let recording = Recording::new(&self.committed);
            let ctx = Context::new(accessor.clone(), u128::from(tip.block_height()), tip.epoch);
            let answer = match version::load_contract(&recording, &ctx.meter, Contract::RecordManagement)
                .map_err(clarimed_consent::CallError::State)
                .and_then(|()| self.records.check_access(&recording, &ConsentReader(&self.consent), &ctx, record_id, accessor, action))
            {
                Ok(level) => Ok(level),
                Err(clarimed_consent::CallError::Contract(error)) => Err(error),
                Err(clarimed_consent::CallError::State(error)) => return Err(error),
            };
            let spent = ctx.meter.total();
            if let (Some(key), Some(remembered), Some(read)) =
                (CheckKey::new(record_id, accessor, action, height), Remembered::pack(answer, spent), recording.into_keys())
            {
                let within_limit = || !spent.exceeds(&self.limits.read_only.load());
                self.checks.remember(key, remembered, read, || self.committed.unchanged_since(generation) && within_limit());
            }
            Ok((answer, spent))
        })?;
        cost.set(spent);
        self.within_read_only_limit(spent)?;
        answer.map_err(CallError::Contract)
    }

    /// Commits `batch` below every transaction: the backend, then the cache, the
    /// memo and the published height, as one step readers see whole.
    pub(crate) fn publish(&self, batch: &Batch) -> clarimed_storage::Result<()> {
        let moves_tip = batch.get(BLOCK_HEIGHT_KEY).is_some() || batch.get(CHAIN_KEY).is_some();
        self.committed.commit_with(batch, |batch| {
            self.checks.invalidate(batch.keys());
            if moves_tip {
                // Answers at the old tip no longer answer anything. The cache holds
                // the batch's values already; only the engine writes the tip, whole.
                self.checks.clear();
                if let Ok(tip) = Tip::read(&self.committed) {
                    self.tip.store(tip);
                }
            }
        })
    }
}

/// The state as the writer's transactions see it: the blocks submitted and not
/// yet durable over the committed state (read through the cache), and an
/// outermost commit published to readers.
pub(crate) struct Committer<'a>(pub(crate) &'a Core);

impl StoreRead for Committer<'_> {
    fn get(&self, key: &[u8]) -> clarimed_storage::Result<Option<Cow<'_, [u8]>>> {
        if let Some(in_flight) = self.0.pipeline.get(key) {
            return Ok(in_flight.map(Cow::Owned));
        }
        self.0.committed.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> clarimed_storage::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut rows = self.0.committed.scan_prefix(prefix)?;
        self.0.pipeline.overlay(prefix, &mut rows);
        Ok(rows)
    }
}

impl StoreCommit for Committer<'_> {
    /// A commit at once: the step that makes it drained the blocks in flight first
    /// ([`Core::ready`]), so it reaches the store after them.
    fn write(&self, batch: Batch) -> clarimed_storage::Result<()> {
        self.0.publish(&batch)
    }
}

/// How `record-management` sees `patient-consent`: its read-only functions.
pub(crate) struct ConsentReader<'a>(pub &'a PatientConsent);

impl<S: StoreRead> ConsentView<S> for ConsentReader<'_> {
    fn is_registered(&self, store: &S, meter: &Meter, patient: &Principal) -> Result<bool, StateError> {
        version::load_contract(store, meter, Contract::PatientConsent)?;
        Ok(self.0.get_patient(store, meter, patient)?.is_some())
    }

    fn has_consent(
        &self,
        store: &S,
        meter: &Meter,
        block_height: u128,
        patient: &Principal,
        provider: &Principal,
        data_type: u128,
    ) -> Result<bool, StateError> {
        version::load_contract(store, meter, Contract::PatientConsent)?;
        self.0.has_consent(store, meter, block_height, patient, provider, data_type)
    }

    fn has_emergency_access(&self, store: &S, meter: &Meter, block_height: u128, patient: &Principal, provider: &Principal) -> Result<bool, StateError> {
        version::load_contract(store, meter, Contract::PatientConsent)?;
        self.0.has_emergency_access(store, meter, block_height, patient, provider)
    }
}

/// The contracts' ids, and so the keys of all their data, are written with the
/// deployer's address: a transaction's sender, a standard principal whose version
/// c32 can write (one of its 32 characters).
fn check_deployer(deployer: &Principal) -> Result<(), EngineError> {
    if deployer.contract_name.is_some() || deployer.version >= 32 {
        return Err(EngineError::InvalidDeployer(principal_to_string(deployer)));
    }
    Ok(())
}

fn contract_ids(deployer: &Principal) -> [ContractId; 2] {
    let address = principal_to_string(deployer);
    Contract::ALL.map(|contract| ContractId::new(format!("{address}.{}", contract.name())))
}

/// Deploys both contracts ([`Version::LATEST`]), and the engine's bookkeeping, in
/// one write.
fn deploy(store: &Cached<Arc<dyn Store>>, deployer: &Principal, tip: &Tip) -> Result<(), EngineError> {
    let [consent_id, records_id] = contract_ids(deployer);
    let mut deployment = Transactional::new(store);
    deployment.begin();
    PatientConsent::new(&consent_id).deploy(&mut deployment, deployer)?;
    RecordManagement::new(&records_id).deploy(&mut deployment, deployer)?;
    clarimed_storage::StoreWrite::put(&mut deployment, DEPLOYER_KEY, &deployer.to_bytes())?;
    clarimed_storage::StoreWrite::put(&mut deployment, VERSIONS_KEY, &version::encode([Version::LATEST; 2]))?;
    tip.write(&mut deployment)?;
    deployment.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clarimed_consent::codes::DataType;
    use clarimed_records::codes::{AccessLevel, Action, RecordType};
    use clarimed_records::{Content, Signed};

    use super::*;
    use crate::keys::{create_record_digest, SigningKey};

    /// Whether `check-access` for this question is remembered.
    fn remembered<S>(engine: &Engine<S>, record_id: u128, accessor: &Principal) -> bool {
        let height = engine.committed_block_height();
        let key = CheckKey::new(record_id, accessor, Action::Read.code(), height).expect("a question that packs");
        engine.core.checks.get(&key).is_some()
    }

    #[test]
    fn a_get_record_forgets_no_permission_check_and_a_revocation_forgets_the_ones_it_changes() {
        let (patient_key, provider) = (SigningKey::random(), SigningKey::random().principal());
        let patient = patient_key.principal();
        let engine = Engine::in_memory(&SigningKey::random().principal(), Epoch::Epoch25).unwrap();
        engine.consent().register_patient(&patient, "P-1", 19_800_101, None, None).unwrap();
        engine.consent().grant_consent(&patient, &provider, DataType::MedicalHistory, None, "care").unwrap();
        engine.records().grant_provider_access(&patient, &patient, &provider, AccessLevel::Read, None, false).unwrap();
        let (hash, checksum) = ("cd".repeat(32), [2u8; 32]);
        let signature = patient_key.sign(&create_record_digest(&patient, RecordType::Diagnosis, &hash, &checksum)).unwrap();
        let content = Content { title: "t", data_hash: &hash, checksum: &checksum };
        let signed = Signed { signature: &signature, public_key: &patient_key.public_key() };
        let (id, _) = engine.records().create_record(&patient, &patient, RecordType::Diagnosis, &content, None, 0, &signed).unwrap();

        engine.records().check_access(id, &provider, Action::Read).unwrap();
        engine.records().check_access(id, &patient, Action::Read).unwrap();
        assert!(remembered(&engine, id, &provider) && remembered(&engine, id, &patient));
        engine.records().get_record(&provider, id).unwrap();
        assert!(remembered(&engine, id, &provider) && remembered(&engine, id, &patient), "an access-log entry is read by no check");
        engine.consent().revoke_consent(&patient, &provider, DataType::MedicalHistory).unwrap();
        assert!(!remembered(&engine, id, &provider), "the provider's check read the consent");
        assert!(remembered(&engine, id, &patient), "the patient's check did not");
    }
}
