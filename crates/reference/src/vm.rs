//! Both contracts deployed on clarity-vm, called as any principal.

use clarity::boot_util::boot_code_id;
use clarity::types::StacksEpochId;
use clarity::vm::analysis::{run_analysis, AnalysisDatabase};
use clarity::vm::ast::{build_ast_with_rules, ASTRules};
use clarity::vm::contexts::OwnedEnvironment;
use clarity::vm::costs::{ExecutionCost as VmCost, LimitedCostTracker};
use clarity::vm::database::StoreType;
use clarity::vm::events::StacksTransactionEvent;
use clarity::vm::types::{FunctionType, PrincipalData, QualifiedContractIdentifier, StandardPrincipalData, TypeSignature};
use clarity::vm::{ClarityVersion, ContractContext, SymbolicExpression, Value};

use clarimed_costs::{costs3, ExecutionCost, BLOCK_LIMIT_MAINNET_21, READ_ONLY_CALL_LIMIT};

use crate::store::HarnessStore;

pub const CONSENT_CONTRACT: &str = "patient-consent";
pub const RECORDS_CONTRACT: &str = "record-management";

/// The contracts in deployment order, compiled in from `contracts/` (v2: the caller
/// is `contract-caller`).
pub const CONTRACT_SOURCES: [(&str, &str); 2] = [
    (CONSENT_CONTRACT, include_str!("../../../contracts/patient-consent.clar")),
    (RECORDS_CONTRACT, include_str!("../../../contracts/record-management.clar")),
];

/// The contracts as first deployed, from `contracts/v1/` (the caller was
/// `tx-sender`).
pub const V1_CONTRACT_SOURCES: [(&str, &str); 2] = [
    (CONSENT_CONTRACT, include_str!("../../../contracts/v1/patient-consent.clar")),
    (RECORDS_CONTRACT, include_str!("../../../contracts/v1/record-management.clar")),
];

const EPOCH: StacksEpochId = StacksEpochId::Epoch25;
const VERSION: ClarityVersion = ClarityVersion::Clarity2;
const TESTNET_CHAIN_ID: u32 = 0x8000_0000;
/// The chain starts here; contracts are deployed at this height.
const GENESIS_HEIGHT: u32 = 1;

/// The part of the `cost-voting` boot contract clarity-vm reads when it loads the
/// cost functions: how many cost proposals were confirmed (none, here, as on
/// testnet, so every charge comes from `costs-3`).
const COST_VOTING_SOURCE: &str = "(define-data-var confirmed-proposal-count uint u0)";

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("deploying {contract}: {message}")]
    Deploy { contract: String, message: String },
    #[error("{contract}.{function}: {message}")]
    Call { contract: String, function: String, message: String },
    #[error("reference store: {0}")]
    Store(String),
}

/// What one call did: its result, the values it printed, whether its writes
/// were kept (a public function's `ok`; never for a read-only call), and what it
/// cost, as the node records a transaction's cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub value: Value,
    pub events: Vec<Value>,
    pub committed: bool,
    pub cost: ExecutionCost,
}

/// A contract function's name, kind and argument types.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSignature {
    pub name: String,
    pub read_only: bool,
    pub args: Vec<(String, TypeSignature)>,
}

/// The Clarity VM with both contracts deployed by one principal, charging costs
/// as a node does in epoch 2.5: from the `costs-3` boot contract (generated from
/// `clarimed-costs`' table), a public call against the block limit and a read-only
/// call against the node's `call-read` limit.
pub struct ReferenceVm {
    store: HarnessStore,
    deployer: StandardPrincipalData,
    /// The cost trackers for public and read-only calls, loaded once (loading
    /// reads `costs-3`); each call starts one at zero.
    trackers: Option<Trackers>,
}

struct Trackers {
    public: LimitedCostTracker,
    read_only: LimitedCostTracker,
}

impl ReferenceVm {
    /// A fresh chain at block height 1 with both contracts deployed by `deployer`.
    pub fn new(deployer: StandardPrincipalData) -> Result<ReferenceVm, HarnessError> {
        ReferenceVm::with_sources(deployer, CONTRACT_SOURCES)
    }

    /// A fresh chain at block height 1 with both contracts deployed by `deployer`
    /// from `sources` ([`CONTRACT_SOURCES`] or [`V1_CONTRACT_SOURCES`]).
    pub fn with_sources(deployer: StandardPrincipalData, sources: [(&str, &str); 2]) -> Result<ReferenceVm, HarnessError> {
        let store = HarnessStore::new(GENESIS_HEIGHT).map_err(store_error)?;
        let mut vm = ReferenceVm { store, deployer, trackers: None };
        vm.set_epoch()?;
        vm.deploy(&boot_code_id(costs3::NAME, false), &costs3::source())?;
        vm.deploy(&boot_code_id("cost-voting", false), COST_VOTING_SOURCE)?;
        for (name, source) in sources {
            vm.deploy(&vm.contract_id(name), source)?;
        }
        vm.trackers = Some(Trackers { public: vm.tracker(BLOCK_LIMIT_MAINNET_21)?, read_only: vm.tracker(READ_ONLY_CALL_LIMIT)? });
        Ok(vm)
    }

    pub fn deployer(&self) -> &StandardPrincipalData {
        &self.deployer
    }

    pub fn contract_id(&self, name: &str) -> QualifiedContractIdentifier {
        QualifiedContractIdentifier::new(self.deployer.clone(), name.into())
    }

    pub fn block_height(&self) -> u32 {
        self.store.block_height()
    }

    /// Advances `block-height` by `blocks`.
    pub fn mine(&mut self, blocks: u32) {
        let height = self.store.block_height().saturating_add(blocks);
        self.store.set_block_height(height);
    }

    /// Runs a public function as `sender` (who is both `tx-sender` and
    /// `contract-caller`). A returned `err` rolls back its writes and events, as on
    /// chain; a runtime error is a [`HarnessError::Call`].
    pub fn call_public(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, HarnessError> {
        self.call(sender, &self.contract_id(contract), function, args, Run::Public)
    }

    /// Runs a public function of any deployed contract (`id`), as `sender`, as
    /// [`ReferenceVm::call_public`] does. Its events are every print of the call,
    /// whichever contract printed it.
    pub fn call_public_at(
        &mut self,
        sender: &PrincipalData,
        id: &QualifiedContractIdentifier,
        function: &str,
        args: &[Value],
    ) -> Result<CallResult, HarnessError> {
        self.call(sender, id, function, args, Run::Public)
    }

    /// Deploys a further contract, `{publisher}.{name}`, as a node deploys one that
    /// `publisher` signs (a contract that calls these two, say).
    pub fn deploy_contract(&mut self, publisher: &StandardPrincipalData, name: &str, source: &str) -> Result<QualifiedContractIdentifier, HarnessError> {
        let id = QualifiedContractIdentifier::new(publisher.clone(), name.into());
        self.deploy(&id, source)?;
        Ok(id)
    }

    /// Runs a public function as `sender` and then drops its writes whatever it
    /// returned, as a node aborts a transaction whose post-conditions fail: its
    /// result, events and cost are what it did.
    pub fn call_public_aborted(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, HarnessError> {
        self.store.connection().execute_batch("SAVEPOINT aborted").map_err(store_error)?;
        let result = self.call(sender, &self.contract_id(contract), function, args, Run::Public);
        self.store.connection().execute_batch("ROLLBACK TO aborted; RELEASE aborted").map_err(store_error)?;
        result.map(|result| CallResult { committed: false, ..result })
    }

    /// Runs `run` on this chain and then undoes every write it made, as if it had
    /// never run: to try several things from one state.
    pub fn rolled_back<T>(&mut self, run: impl FnOnce(&mut ReferenceVm) -> Result<T, HarnessError>) -> Result<T, HarnessError> {
        self.store.connection().execute_batch("SAVEPOINT rolled_back").map_err(store_error)?;
        let result = run(self);
        self.store.connection().execute_batch("ROLLBACK TO rolled_back; RELEASE rolled_back").map_err(store_error)?;
        result
    }

    /// Runs a read-only function as `sender`; it can write nothing.
    pub fn call_read_only(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<Value, HarnessError> {
        self.read_only(sender, contract, function, args).map(|result| result.value)
    }

    /// Runs a read-only function as `sender`, as the node's `call-read` endpoint
    /// runs it: against the read-only limit, writes refused. The result carries
    /// its cost.
    pub fn read_only(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, HarnessError> {
        self.call(sender, &self.contract_id(contract), function, args, Run::ReadOnly)
    }

    /// Runs any function as a node's `call-read` endpoint does: against the
    /// read-only limit, but through `execute_contract` with `read_only = false`, so
    /// a public function runs too and fails at its first write
    /// (`CostBalanceExceeded` with a write counted: the node's `NotReadOnly`).
    pub fn call_read(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, HarnessError> {
        self.call(sender, &self.contract_id(contract), function, args, Run::CallRead)
    }

    /// Replaces the read-only limit (the node's `read_only_call_limit`; its
    /// writes are always zero).
    pub fn set_read_only_limit(&mut self, limit: ExecutionCost) -> Result<(), HarnessError> {
        let tracker = self.tracker(ExecutionCost { write_count: 0, write_length: 0, ..limit })?;
        if let Some(trackers) = &mut self.trackers {
            trackers.read_only = tracker;
        }
        Ok(())
    }

    fn tracker(&mut self, limit: ExecutionCost) -> Result<LimitedCostTracker, HarnessError> {
        LimitedCostTracker::new(false, TESTNET_CHAIN_ID, to_vm(limit), &mut self.store.as_clarity_db(), EPOCH)
            .map_err(|e| HarnessError::Store(format!("loading the cost functions: {e}")))
    }

    /// Evaluates a read-only Clarity expression in `contract`'s context, e.g. a tuple
    /// of several read-only calls answered in one evaluation. It can write nothing.
    pub fn eval_read_only(&mut self, contract: &str, expression: &str) -> Result<Value, HarnessError> {
        let id = self.contract_id(contract);
        let mut env = self.environment();
        env.eval_read_only_with_rules(&id, expression, ASTRules::PrecheckSize).map(|(value, _, _)| value).map_err(|e| HarnessError::Call {
            contract: contract.to_string(),
            function: "(read-only expression)".to_string(),
            message: e.to_string(),
        })
    }

    /// Every data-map entry and data var of both contracts, as the VM stores them
    /// (`vm::{contract}::0::{map}::{key hex}` or `vm::{contract}::1::{var}`, with the
    /// hex of the serialized `(some value)`, or `09` where `map-delete` left `none`),
    /// sorted by key.
    pub fn dump_state(&self) -> Result<Vec<(String, String)>, HarnessError> {
        let mut rows = Vec::new();
        for (name, _) in CONTRACT_SOURCES {
            let contract = self.contract_id(name);
            for store_type in [StoreType::DataMap, StoreType::Variable] {
                let prefix = format!("vm::{}::{}::", contract, store_type as u8);
                rows.extend(self.rows_with_prefix(&prefix)?);
            }
        }
        rows.sort();
        Ok(rows)
    }

    /// Every public and read-only function of a deployed contract, as the VM's
    /// analysis typed it: `(name, read-only?, [(argument, type)])`, sorted by name.
    pub fn function_signatures(&mut self, contract: &str) -> Result<Vec<FunctionSignature>, HarnessError> {
        let id = self.contract_id(contract);
        let analysis = self
            .store
            .as_analysis_db()
            .execute(|db| db.load_contract(&id, &EPOCH))
            .map_err(store_error)?
            .ok_or_else(|| HarnessError::Store(format!("{id} is not deployed")))?;
        let kinds = [(false, &analysis.public_function_types), (true, &analysis.read_only_function_types)];
        let mut signatures = Vec::new();
        for (read_only, functions) in kinds {
            for (name, function) in functions {
                let FunctionType::Fixed(fixed) = function else {
                    return Err(HarnessError::Store(format!("{name} has no fixed signature")));
                };
                let args = fixed.args.iter().map(|arg| (arg.name.to_string(), arg.signature.clone())).collect();
                signatures.push(FunctionSignature { name: name.to_string(), read_only, args });
            }
        }
        signatures.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(signatures)
    }

    /// Replaces every map entry and data var of both contracts with `rows` (as a
    /// dump gives them, from this harness or the native engine) and sets the block
    /// height: another engine's state, taken over.
    pub fn load_state(&mut self, rows: &[(String, String)], block_height: u32) -> Result<(), HarnessError> {
        let connection = self.store.connection();
        let transaction = connection.unchecked_transaction().map_err(store_error)?;
        for (name, _) in CONTRACT_SOURCES {
            let contract = self.contract_id(name);
            for store_type in [StoreType::DataMap, StoreType::Variable] {
                let prefix = format!("vm::{}::{}::", contract, store_type as u8);
                transaction
                    .execute("DELETE FROM data_table WHERE substr(key, 1, ?1) = ?2", rusqlite::params![prefix.len() as i64, prefix])
                    .map_err(store_error)?;
            }
        }
        for (key, value) in rows {
            transaction.execute("INSERT INTO data_table (key, value) VALUES (?1, ?2)", rusqlite::params![key, value]).map_err(store_error)?;
        }
        transaction.commit().map_err(store_error)?;
        self.store.set_block_height(block_height);
        Ok(())
    }

    fn rows_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, HarnessError> {
        let mut statement = self.store.connection().prepare("SELECT key, value FROM data_table WHERE substr(key, 1, ?1) = ?2").map_err(store_error)?;
        let rows = statement.query_map(rusqlite::params![prefix.len() as i64, prefix], |row| Ok((row.get(0)?, row.get(1)?))).map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }

    fn set_epoch(&mut self) -> Result<(), HarnessError> {
        let mut db = self.store.as_clarity_db();
        db.begin();
        db.set_clarity_epoch_version(EPOCH).map_err(store_error)?;
        db.commit().map_err(store_error)
    }

    /// Deploys as a node does: parse, analyse against the contracts already on
    /// chain, initialize, then save the analysis for later `contract-call?`s.
    fn deploy(&mut self, id: &QualifiedContractIdentifier, source: &str) -> Result<(), HarnessError> {
        let id = id.clone();
        let fail = |message: String| HarnessError::Deploy { contract: id.name.to_string(), message };
        let mut ast = build_ast_with_rules(&id, source, &mut (), VERSION, EPOCH, ASTRules::PrecheckSize).map_err(|e| fail(format!("parse error: {e}")))?;
        let analysis = run_analysis(&id, &ast.expressions, &mut self.store.as_analysis_db(), false, LimitedCostTracker::new_free(), EPOCH, VERSION)
            .map_err(|(e, _)| fail(format!("analysis error: {e}")))?;
        {
            let mut env = self.environment();
            env.initialize_contract_from_ast(id.clone(), VERSION, &mut ast, &analysis, source, None).map_err(|e| fail(format!("initialization error: {e}")))?;
        }
        let mut analysis_db: AnalysisDatabase = self.store.as_analysis_db();
        analysis_db.execute(|db| db.insert_contract(&id, &analysis)).map_err(|e| fail(format!("saving analysis: {e}")))
    }

    /// The size a contract load is charged by: its source and its constants, as
    /// the VM recorded them at deployment.
    pub fn contract_size(&mut self, contract: &str) -> Result<u64, HarnessError> {
        let id = self.contract_id(contract);
        let mut db = self.store.as_clarity_db();
        db.begin();
        let size = db.get_contract_size(&id).map_err(store_error);
        db.roll_back().map_err(store_error)?;
        size
    }

    fn environment(&mut self) -> OwnedEnvironment<'_> {
        OwnedEnvironment::new_free(false, TESTNET_CHAIN_ID, self.store.as_clarity_db(), EPOCH)
    }

    fn call(&mut self, sender: &PrincipalData, id: &QualifiedContractIdentifier, function: &str, args: &[Value], run: Run) -> Result<CallResult, HarnessError> {
        let read_only = run != Run::Public;
        let contract = id.name.as_str();
        let args: Vec<SymbolicExpression> = args.iter().cloned().map(SymbolicExpression::atom_value).collect();
        let fail = |message: String| HarnessError::Call { contract: contract.to_string(), function: function.to_string(), message };
        let mut trackers = self.trackers.take().ok_or_else(|| fail("the cost trackers were lost by an earlier failure".into()))?;
        let tracker = if read_only { &mut trackers.read_only } else { &mut trackers.public };
        let mut tracker = std::mem::replace(tracker, LimitedCostTracker::new_free());
        tracker.set_total(VmCost::zero());
        let mut env = OwnedEnvironment::new_cost_limited(false, TESTNET_CHAIN_ID, self.store.as_clarity_db(), tracker, EPOCH);
        let context = ContractContext::new(QualifiedContractIdentifier::transient(), VERSION);
        let outcome = env.execute_in_env(sender.clone(), None, Some(context), |exec| exec.execute_contract(id, function, &args, run == Run::ReadOnly));
        let (_, tracker) = env.destruct().ok_or_else(|| fail("the environment was left mid-transaction".into()))?;
        let cost = from_vm(&tracker.get_total());
        if read_only {
            trackers.read_only = tracker;
        } else {
            trackers.public = tracker;
        }
        self.trackers = Some(trackers);
        let (value, _, events) = outcome.map_err(|e: clarity::vm::errors::Error| fail(e.to_string()))?;
        let committed = !read_only && matches!(&value, Value::Response(r) if r.committed);
        let events = events
            .into_iter()
            .filter_map(|event| match event {
                StacksTransactionEvent::SmartContractEvent(data) if data.key.1 == "print" => Some(data.value),
                _ => None,
            })
            .collect();
        Ok(CallResult { value, events, committed, cost })
    }
}

/// How a call runs: as a transaction, as a read-only call that refuses a public
/// function, or as a node's `call-read` runs any function (read-only limit, so a
/// write breaks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Public,
    ReadOnly,
    CallRead,
}

fn to_vm(cost: ExecutionCost) -> VmCost {
    VmCost { runtime: cost.runtime, read_count: cost.read_count, read_length: cost.read_length, write_count: cost.write_count, write_length: cost.write_length }
}

fn from_vm(cost: &VmCost) -> ExecutionCost {
    ExecutionCost {
        runtime: cost.runtime,
        read_count: cost.read_count,
        read_length: cost.read_length,
        write_count: cost.write_count,
        write_length: cost.write_length,
    }
}

fn store_error(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::Store(e.to_string())
}
