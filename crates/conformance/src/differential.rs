//! The differential run: one sequence of operations on the Clarity VM and on the
//! native engine at once, compared after every step.
//!
//! After every call the result and the print events must serialize to the same
//! bytes. Every `check_every` steps (and after the last) the full state dumps must be
//! equal, and so must the answers of every read-only function of both contracts for
//! the principals and record ids the step involved.

use std::collections::{BTreeMap, BTreeSet};

use clarimed_engine::table::{find, functions, Access, Contract, CONSENT_CONTRACT, RECORDS_CONTRACT};
use clarimed_engine::to_literal;
use clarimed_engine::{principal_to_native, Engine, MemoryStore};
use clarimed_reference::values::{principal, uint};
use clarimed_reference::{CallResult, ExecutionCost, PrincipalData, ReferenceVm, Value};

use crate::chain::{serialized, Chain, Deploy};
use crate::ops::{Call, Op, Pool, StateView};

/// Where and how the two engines first disagreed, with the calls that led there.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// 0-based index of the step that diverged.
    pub step: usize,
    pub what: String,
    /// Every call up to and including the diverging one, as a Clarity script.
    pub script: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "divergence at step {}: {}", self.step + 1, self.what)?;
        writeln!(f, ";; the calls that lead to it:")?;
        f.write_str(&self.script)
    }
}

/// What a run did: how often each function was called and each error code returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub steps: u64,
    /// `contract.function` (or `mine`) to calls.
    pub calls: BTreeMap<String, u64>,
    /// Error code to how often a public call returned it.
    pub errors: BTreeMap<u128, u64>,
    pub state_checks: u64,
    pub read_only_checks: u64,
    /// `contract.function` to how many read-only calls' costs were compared (each
    /// public call's cost is compared with its result).
    pub read_only_costs: BTreeMap<String, u64>,
}

/// Read-only calls of one contract: function and arguments.
pub type Queries = Vec<(&'static str, Vec<Value>)>;

impl Stats {
    /// Read-only functions of both contracts whose cost was never compared.
    pub fn read_only_costs_not_compared(&self) -> Vec<String> {
        missing(Access::ReadOnly, &self.read_only_costs)
    }

    /// Public functions of both contracts no call reached.
    pub fn functions_not_called(&self) -> Vec<String> {
        missing(Access::Public, &self.calls)
    }
}

/// The `contract.function` names of both contracts' `access` functions that `seen`
/// has no count for.
fn missing(access: Access, seen: &BTreeMap<String, u64>) -> Vec<String> {
    Contract::ALL
        .into_iter()
        .flat_map(functions)
        .filter(|f| f.access == access)
        .map(|f| format!("{}.{}", f.contract.name(), f.name))
        .filter(|name| !seen.contains_key(name))
        .collect()
}

/// The native engine seen as the state the next op resolves against.
impl<S> StateView for Engine<S> {
    fn block_height(&self) -> u128 {
        u128::from(self.tip().block_height())
    }

    fn next_record_id(&self) -> u128 {
        let ctx = self.deployer().clone();
        let stats = self.read(&ctx, RECORDS_CONTRACT, "get-stats", &[]).map(|o| o.value);
        field_uint(&stats.ok(), "total-records").map_or(1, |total| total + 1)
    }

    fn record_version(&self, record_id: u128) -> Option<u128> {
        let ctx = self.deployer().clone();
        let info = self.read(&ctx, RECORDS_CONTRACT, "get-record-info", &[uint(record_id)]).ok()?.value;
        let record = info.expect_optional().ok()??;
        field_uint(&Some(record), "version")
    }
}

/// The Clarity VM seen as the state the next op resolves against (its read-only
/// calls need `&mut`, hence the cell).
impl StateView for std::cell::RefCell<ReferenceVm> {
    fn block_height(&self) -> u128 {
        u128::from(self.borrow().block_height())
    }

    fn next_record_id(&self) -> u128 {
        let mut vm = self.borrow_mut();
        let sender: PrincipalData = vm.deployer().clone().into();
        let stats = vm.call_read_only(&sender, RECORDS_CONTRACT, "get-stats", &[]).ok();
        field_uint(&stats, "total-records").map_or(1, |total| total + 1)
    }

    fn record_version(&self, record_id: u128) -> Option<u128> {
        let mut vm = self.borrow_mut();
        let sender: PrincipalData = vm.deployer().clone().into();
        let info = vm.call_read_only(&sender, RECORDS_CONTRACT, "get-record-info", &[uint(record_id)]).ok()?;
        field_uint(&info.expect_optional().ok()?, "version")
    }
}

/// Runs `call` on one chain alone; a refused call is as good as an `err` here.
pub fn apply<C: Chain>(chain: &mut C, pool: &Pool, call: &Call) {
    match call {
        Call::Mine(blocks) => chain.mine(*blocks).expect("mining"),
        Call::Contract { sender, contract, function, args } => {
            let _ = chain.call_public(&pool.principal(*sender), contract, function, args);
        }
    }
}

fn field_uint(value: &Option<Value>, field: &str) -> Option<u128> {
    match value {
        Some(Value::Tuple(tuple)) => match tuple.get(field).ok()? {
            Value::UInt(n) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

/// A call's outcome, comparable across engines: the serialized result and events,
/// whether it committed and what it cost, or "refused" for a call the engine would
/// not run.
fn comparable<E>(outcome: &Result<CallResult, E>) -> Option<Comparable> {
    outcome.as_ref().ok().map(|r| Comparable {
        value: serialized(&r.value),
        events: r.events.iter().map(serialized).collect(),
        committed: r.committed,
        cost: r.cost,
    })
}

/// What of a call's outcome must agree across engines.
#[derive(PartialEq)]
struct Comparable {
    value: Vec<u8>,
    events: Vec<Vec<u8>>,
    committed: bool,
    cost: ExecutionCost,
}

fn describe<E: std::fmt::Display>(outcome: &Result<CallResult, E>) -> String {
    match outcome {
        Ok(r) => {
            let events: Vec<String> = r.events.iter().map(to_literal).collect();
            format!("{} (committed: {}, events: [{}], cost: {})", to_literal(&r.value), r.committed, events.join(", "), r.cost)
        }
        Err(e) => format!("refused: {e}"),
    }
}

/// The Clarity VM and the native engine, deployed by the same owner, kept in step.
pub struct Differential {
    pub pool: Pool,
    pub reference: ReferenceVm,
    pub native: Engine<MemoryStore>,
    check_every: usize,
    history: Vec<String>,
    steps_taken: usize,
}

impl Differential {
    /// Both engines freshly deployed; the full state and read-only answers are
    /// compared every `check_every` steps (at least 1).
    pub fn new(check_every: usize) -> Differential {
        let pool = Pool::new();
        let reference = ReferenceVm::deploy(pool.owner());
        let native = Engine::<MemoryStore>::deploy(pool.owner());
        Differential::with_engines(pool, reference, native, check_every)
    }

    /// Two engines already in some state (deployed by `pool`'s owner), from here on
    /// kept in step.
    pub fn with_engines(pool: Pool, reference: ReferenceVm, native: Engine<MemoryStore>, check_every: usize) -> Differential {
        Differential { pool, reference, native, check_every: check_every.max(1), history: Vec::new(), steps_taken: 0 }
    }

    /// Runs `ops` on both, stopping at the first divergence; the state is checked
    /// after the last op whatever `check_every` says.
    pub fn run(&mut self, ops: &[Op], stats: &mut Stats) -> Result<(), Divergence> {
        for (i, op) in ops.iter().enumerate() {
            let last = i + 1 == ops.len();
            self.step(op, stats, last)?;
        }
        Ok(())
    }

    fn diverged(&self, what: String) -> Divergence {
        Divergence { step: self.steps_taken - 1, what, script: self.history.join("\n") + "\n" }
    }

    /// One op on both engines, compared.
    pub fn step(&mut self, op: &Op, stats: &mut Stats, force_check: bool) -> Result<(), Divergence> {
        let call = op.resolve(&self.pool, &self.native);
        self.history.push(call.script_line(&self.pool));
        self.steps_taken += 1;
        stats.steps += 1;
        match &call {
            Call::Mine(blocks) => {
                *stats.calls.entry("mine".to_string()).or_default() += 1;
                Chain::mine(&mut self.reference, *blocks).map_err(|e| self.diverged(format!("the VM could not mine: {e}")))?;
                Chain::mine(&mut self.native, *blocks).map_err(|e| self.diverged(format!("the native engine could not mine: {e}")))?;
                if Chain::block_height(&self.reference) != Chain::block_height(&self.native) {
                    return Err(self.diverged("block heights differ after mining".to_string()));
                }
            }
            Call::Contract { sender, contract, function, args } => {
                *stats.calls.entry(format!("{contract}.{function}")).or_default() += 1;
                let sender = self.pool.principal(*sender);
                let on_vm = self.reference.call_public(&sender, contract, function, args);
                let on_native = self.native.call_public(&sender, contract, function, args);
                if comparable(&on_vm) != comparable(&on_native) {
                    return Err(self.diverged(format!(
                        "{contract}.{function}\n  clarity-vm:    {}\n  native engine: {}",
                        describe(&on_vm),
                        describe(&on_native)
                    )));
                }
                if let Ok(CallResult { value: Value::Response(response), .. }) = &on_vm {
                    if let (false, Value::UInt(code)) = (response.committed, &*response.data) {
                        *stats.errors.entry(*code).or_default() += 1;
                    }
                }
            }
        }
        if force_check || self.steps_taken.is_multiple_of(self.check_every) {
            self.check_state(&call, stats)?;
        }
        Ok(())
    }

    /// The full dumps, and every read-only function for what `call` involved.
    fn check_state(&mut self, call: &Call, stats: &mut Stats) -> Result<(), Divergence> {
        stats.state_checks += 1;
        let vm_state = self.reference.dump_state().map_err(|e| self.diverged(format!("the VM's dump failed: {e}")))?;
        let native_state = self.native.dump_state().map_err(|e| self.diverged(format!("the native dump failed: {e}")))?;
        if vm_state != native_state {
            return Err(self.diverged(state_difference(&vm_state, &native_state)));
        }
        for (contract, queries) in read_only_queries(&self.pool, &self.native, call) {
            self.compare_read_only_costs(contract, &queries, stats)?;
            stats.read_only_checks += queries.len() as u64;
            let expression = format!(
                "{{ {} }}",
                queries
                    .iter()
                    .enumerate()
                    .map(|(i, (function, args))| {
                        let args: String = args.iter().map(|a| format!(" {}", to_literal(a))).collect();
                        format!("q{i}: ({function}{args})")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let answers = self.reference.eval_read_only(contract, &expression).map_err(|e| self.diverged(format!("the VM's read-only answers failed: {e}")))?;
            let Value::Tuple(answers) = answers else {
                return Err(self.diverged("the VM's read-only answers are not a tuple".to_string()));
            };
            let owner = self.pool.principal(0);
            for (i, (function, args)) in queries.iter().enumerate() {
                let on_vm = answers.get(&format!("q{i}")).map_err(|_| self.diverged(format!("no answer q{i}")))?;
                let on_native = self
                    .native
                    .call_read_only(&owner, contract, function, args)
                    .map_err(|e| self.diverged(format!("native {contract}.{function} failed: {e}")))?
                    .value;
                if serialized(on_vm) != serialized(&on_native) {
                    let args: String = args.iter().map(|a| format!(" {}", to_literal(a))).collect();
                    return Err(self.diverged(format!(
                        "read-only ({function}{args}) on {contract}\n  clarity-vm:    {}\n  native engine: {}",
                        to_literal(on_vm),
                        to_literal(&on_native)
                    )));
                }
            }
        }
        Ok(())
    }

    /// The cost of one call of each read-only function among `queries`, run alone
    /// on each engine as a node's `call-read` runs it (the VM charges slowly, so
    /// the calls compared rotate through the queries from check to check).
    fn compare_read_only_costs(&mut self, contract: &str, queries: &Queries, stats: &mut Stats) -> Result<(), Divergence> {
        let mut by_function: BTreeMap<&str, Vec<&Vec<Value>>> = BTreeMap::new();
        for (function, args) in queries {
            by_function.entry(function).or_default().push(args);
        }
        let owner = self.pool.principal(0);
        for (function, calls) in by_function {
            let args = calls[self.steps_taken % calls.len()];
            let on_vm =
                self.reference.read_only(&owner, contract, function, args).map_err(|e| self.diverged(format!("the VM's {contract}.{function} failed: {e}")))?;
            let on_native = self.native.read(&principal_to_native(&owner), contract, function, args);
            let on_native = on_native.map_err(|e| self.diverged(format!("native {contract}.{function} failed: {e}")))?;
            if on_vm.cost != on_native.cost {
                let args: String = args.iter().map(|a| format!(" {}", to_literal(a))).collect();
                return Err(self.diverged(format!(
                    "the cost of read-only ({function}{args}) on {contract}\n  clarity-vm:    {}\n  native engine: {}",
                    on_vm.cost, on_native.cost
                )));
            }
            *stats.read_only_costs.entry(format!("{contract}.{function}")).or_default() += 1;
        }
        Ok(())
    }
}

/// Every read-only function of both contracts, for the principals and record
/// ids `call` involved (the owner always among them).
pub fn read_only_queries(pool: &Pool, native: &Engine<MemoryStore>, call: &Call) -> Vec<(&'static str, Queries)> {
    let mut principals: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut people: Vec<PrincipalData> = Vec::new();
    let mut add = |p: PrincipalData| {
        if principals.insert(serialized(&Value::Principal(p.clone()))) {
            people.push(p);
        }
    };
    add(pool.principal(0));
    let mut ids: Vec<u128> = vec![native.next_record_id().saturating_sub(1)];
    let mut data_type = 0;
    if let Call::Contract { sender, contract, function, args } = call {
        add(pool.principal(*sender));
        let signature = find(contract, function).expect("a function the ops call");
        for (param, value) in signature.params.iter().zip(args) {
            match (param.name, value) {
                (_, Value::Principal(p)) => add(p.clone()),
                ("record-id", Value::UInt(id)) => ids.push(*id),
                ("data-type", Value::UInt(t)) => data_type = *t,
                _ => {}
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let p = |who: &PrincipalData| principal(who.clone());
    let mut consent = vec![("get-emergency-timeout", vec![]), ("is-paused", vec![]), ("get-contract-owner", vec![]), ("get-stats", vec![])];
    let mut records = vec![
        ("get-retention-period", vec![]),
        ("is-paused", vec![]),
        ("get-contract-owner", vec![]),
        ("get-stats", vec![]),
        ("get-access-log-entry", vec![uint(last_log_id(native))]),
    ];
    for who in &people {
        consent.push(("get-patient", vec![p(who)]));
        consent.push(("get-preferences", vec![p(who)]));
        consent.push(("get-audit-count", vec![p(who)]));
        consent.push(("get-audit-entry", vec![p(who), uint(0)]));
        consent.push(("is-emergency-responder", vec![p(who)]));
        records.push(("get-record-count", vec![p(who)]));
        records.push(("get-patient-record-id", vec![p(who), uint(0)]));
        for other in &people {
            consent.push(("get-consent", vec![p(who), p(other), uint(data_type)]));
            consent.push(("has-consent", vec![p(who), p(other), uint(data_type)]));
            consent.push(("can-access", vec![p(who), p(other), uint(data_type)]));
            consent.push(("get-emergency-access", vec![p(who), p(other)]));
            consent.push(("has-emergency-access", vec![p(who), p(other)]));
            records.push(("get-provider-access", vec![p(who), p(other)]));
        }
        for id in &ids {
            records.push(("check-access", vec![uint(*id), p(who), uint(0)]));
            records.push(("check-access", vec![uint(*id), p(who), uint(1)]));
        }
    }
    for id in &ids {
        records.push(("get-record-info", vec![uint(*id)]));
        records.push(("get-record-version", vec![uint(*id), uint(1)]));
        records.push(("get-record-access-count", vec![uint(*id)]));
        records.push(("verify-checksum", vec![uint(*id), clarimed_reference::values::buff(&[0; 32])]));
    }
    vec![(CONSENT_CONTRACT, consent), (RECORDS_CONTRACT, records)]
}

/// The `n`th read-only call to make after `call` (the contract, function and
/// arguments): the two contracts in turn, and within each its [`read_only_queries`]
/// of what `call` touched in turn, so that a run reaches every read-only function.
pub fn read_back(pool: &Pool, native: &Engine<MemoryStore>, call: &Call, n: usize) -> (&'static str, &'static str, Vec<Value>) {
    let queries = read_only_queries(pool, native, call);
    let (contract, queries) = &queries[n % queries.len()];
    let (function, args) = &queries[(n / 2) % queries.len()];
    (contract, function, args.clone())
}

fn last_log_id(native: &Engine<MemoryStore>) -> u128 {
    let ctx = native.deployer().clone();
    let stats = native.read(&ctx, RECORDS_CONTRACT, "get-stats", &[]).map(|o| o.value).ok();
    field_uint(&stats, "total-access-log-entries").unwrap_or(0)
}

/// The first rows where two dumps differ.
pub fn state_difference(vm: &[(String, String)], native: &[(String, String)]) -> String {
    let vm_rows: BTreeMap<&String, &String> = vm.iter().map(|(k, v)| (k, v)).collect();
    let native_rows: BTreeMap<&String, &String> = native.iter().map(|(k, v)| (k, v)).collect();
    let mut lines = vec!["the state dumps differ:".to_string()];
    for key in vm_rows.keys().chain(native_rows.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (vm_rows.get(key), native_rows.get(key));
        if a != b {
            lines.push(format!("  {key}\n    clarity-vm:    {}\n    native engine: {}", a.map_or("(absent)", |v| v), b.map_or("(absent)", |v| v)));
        }
        if lines.len() > 6 {
            break;
        }
    }
    lines.join("\n")
}
