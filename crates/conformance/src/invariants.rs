//! The access-control invariants, checked after every step of a random operation
//! sequence on the native engine against [`AccessModel`]:
//!
//! 1. `check-access` gives access, and at which level, exactly when the model does:
//!    the patient; a live grant with live consent; or a live emergency override on a
//!    covered type at confidentiality u1 or below. So an expired consent or grant
//!    never opens a record, a revocation closes it in the same block, and an
//!    override never opens MENTAL-HEALTH, GENETIC or FINANCIAL.
//! 2. A `get-record` that returns `ok` was allowed by the model, and adds exactly one
//!    access-log entry, naming the record, the reader, READ, the block and whether it
//!    was an emergency read; one that fails adds none.
//! 3. While a contract is paused, only its revocations and its owner's functions
//!    change its state.
//! 4. Audit-log and access-log entries are never removed or altered.

use std::collections::BTreeMap;

use clarimed_engine::table::{CONSENT_CONTRACT, RECORDS_CONTRACT};
use clarimed_engine::{Engine, MemoryStore};
use clarimed_engine::{StoreType, VmKey};
use clarimed_reference::values::{principal, uint};
use clarimed_reference::{PrincipalData, Value};

use crate::access_model::{consent_type_of, AccessModel, Denial, ModelRecord, EMERGENCY, EMERGENCY_COVERED, READ, WRITE};
use crate::chain::{Chain, Deploy};
use crate::ops::{op, opening, Call, Expiry, Hash, Op, Pool, Signing};
use proptest::prelude::*;

/// After the common opening, the first two patients open records to providers, so
/// that random operations after it meet live permissions to revoke, expire and
/// read: consent to BASIC-INFO..TREATMENT-PLANS for their provider (patient 1's
/// expiring), a WRITE grant, records of several types and confidentiality levels,
/// and an emergency override on patient 2.
pub fn setup() -> Vec<Op> {
    let mut ops = opening();
    for (patient, provider, expiry) in [(1u8, 4u8, Expiry::Relative(40)), (2, 5, Expiry::Never)] {
        ops.push(Op::GrantConsentBatch { sender: patient, provider, data_types: vec![0, 1, 2, 3], expires_at: expiry.clone(), purpose: "care".to_string() });
        ops.push(Op::GrantProviderAccess { sender: patient, patient, provider, access_level: 1, expires_at: Expiry::Never, audit_required: true });
        for (i, (record_type, confidentiality)) in [(2u128, 0u128), (4, 1), (10, 0), (0, 2)].into_iter().enumerate() {
            ops.push(Op::CreateRecord {
                sender: patient,
                patient,
                record_type,
                title: "note".to_string(),
                hash: Hash::Valid(patient * 8 + i as u8),
                checksum: i as u8,
                encryption_key_id: None,
                confidentiality,
                signing: Signing::Valid,
            });
        }
    }
    ops.push(Op::EmergencyOverride { sender: 7, patient: 2, reason: "unconscious".to_string() });
    ops
}

/// [`setup`], then `min..=max` random operations.
pub fn sequence(min: usize, max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), min..=max).prop_map(|ops| setup().into_iter().chain(ops).collect())
}

/// `cases` sequences of [`setup`] and `steps` random operations, the same ones for the same seed.
pub fn seeded_sequences(seed: u64, cases: usize, steps: usize) -> impl Iterator<Item = Vec<Op>> {
    crate::ops::seeded_sequences(seed, cases, steps).map(|ops| setup().into_iter().chain(ops.into_iter().skip(opening().len())).collect())
}

/// The first invariant broken, with the calls that led there.
#[derive(Debug, Clone)]
pub struct Violation {
    /// 0-based index of the step after which it was seen.
    pub step: usize,
    pub what: String,
    pub script: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "invariant broken after step {}: {}", self.step + 1, self.what)?;
        writeln!(f, ";; the calls that lead to it:")?;
        f.write_str(&self.script)
    }
}

/// How often each invariant met the situation it guards (so a run can show it
/// exercised them, not only that nothing failed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvariantStats {
    pub steps: u64,
    /// `check-access` answers compared with the model.
    pub access_checks: u64,
    /// ... of which the model allowed.
    pub access_allowed: u64,
    /// Successful `get-record`s, each with its one log entry checked.
    pub reads_logged: u64,
    /// ... of which under an emergency override.
    pub emergency_reads: u64,
    /// Refusals of a provider whose consent or grant existed but had expired.
    pub expired_refusals: u64,
    /// Refusals of a responder with a live override, for an uncovered type.
    pub uncovered_emergency_refusals: u64,
    /// Revocations that closed a record which was open just before, in the same block.
    pub revocations_closing_access: u64,
    /// Calls made while their contract was paused.
    pub calls_while_paused: u64,
}

impl InvariantStats {
    pub fn absorb(&mut self, other: &InvariantStats) {
        self.steps += other.steps;
        self.access_checks += other.access_checks;
        self.access_allowed += other.access_allowed;
        self.reads_logged += other.reads_logged;
        self.emergency_reads += other.emergency_reads;
        self.expired_refusals += other.expired_refusals;
        self.uncovered_emergency_refusals += other.uncovered_emergency_refusals;
        self.revocations_closing_access += other.revocations_closing_access;
        self.calls_while_paused += other.calls_while_paused;
    }
}

/// Functions a paused contract still runs.
fn runs_while_paused(contract: &str, function: &str) -> bool {
    let owner = matches!(function, "set-paused" | "transfer-ownership" | "set-emergency-timeout" | "set-emergency-responder" | "set-retention-period");
    let revocation = match contract {
        CONSENT_CONTRACT => matches!(function, "revoke-consent" | "revoke-emergency-access"),
        _ => function == "revoke-provider-access",
    };
    owner || revocation
}

/// Rows of a state dump that belong to a map of a contract.
/// Whether the dump's `key` is an entry of `contract`'s `map` (any deployer).
fn in_map(key: &str, contract: &str, map: &str) -> bool {
    VmKey::parse(key).is_some_and(|key| key.store_type == StoreType::MapEntry && key.name == map && contract_name(&key) == contract)
}

fn of_contract(dump: &[(String, String)], contract: &str) -> Vec<(String, String)> {
    dump.iter().filter(|(key, _)| VmKey::parse(key).is_some_and(|key| contract_name(&key) == contract)).cloned().collect()
}

/// The contract's name, without its deployer.
fn contract_name(key: &VmKey) -> &str {
    key.contract.split_once('.').map_or(key.contract.as_str(), |(_, name)| name)
}

fn as_uint(value: &Value) -> Option<u128> {
    match value {
        Value::UInt(n) => Some(*n),
        _ => None,
    }
}

fn as_principal(value: &Value) -> Option<PrincipalData> {
    match value {
        Value::Principal(p) => Some(p.clone()),
        _ => None,
    }
}

/// `(some uN)` as `Some(N)`, `none` as `None`.
fn as_expiry(value: &Value) -> Option<u128> {
    match value {
        Value::Optional(optional) => optional.data.as_deref().and_then(as_uint),
        _ => None,
    }
}

fn as_uints(value: &Value) -> Vec<u128> {
    match value {
        Value::Sequence(clarity::vm::types::SequenceData::List(list)) => list.data.iter().filter_map(as_uint).collect(),
        _ => Vec::new(),
    }
}

/// `(ok v)` as `Some(v)`.
fn ok_value(value: &Value) -> Option<&Value> {
    match value {
        Value::Response(response) if response.committed => Some(&response.data),
        _ => None,
    }
}

/// The native engine run step by step, with the model beside it.
pub struct Invariants {
    pool: Pool,
    engine: Engine<MemoryStore>,
    model: AccessModel,
    /// Every audit-log and access-log row seen so far.
    logs: BTreeMap<String, String>,
    dump: Vec<(String, String)>,
    history: Vec<String>,
    pub stats: InvariantStats,
}

impl Default for Invariants {
    fn default() -> Invariants {
        Invariants::new()
    }
}

impl Invariants {
    /// A fresh deployment by the pool's owner.
    pub fn new() -> Invariants {
        let pool = Pool::new();
        let engine = Engine::<MemoryStore>::deploy(pool.owner());
        let model = AccessModel::new(u128::from(Chain::block_height(&engine)));
        let dump = engine.dump_state().expect("a dump of a fresh deployment");
        Invariants { pool, engine, model, logs: BTreeMap::new(), dump, history: Vec::new(), stats: InvariantStats::default() }
    }

    /// The model, to plant a fault in it: a test that the checker notices.
    pub fn model_mut(&mut self) -> &mut AccessModel {
        &mut self.model
    }

    pub fn run(&mut self, ops: &[Op]) -> Result<(), Violation> {
        ops.iter().try_for_each(|op| self.step(op))
    }

    fn broken(&self, what: String) -> Violation {
        Violation { step: self.history.len() - 1, what, script: self.history.join("\n") + "\n" }
    }

    /// Runs one op and checks every invariant after it.
    pub fn step(&mut self, op: &Op) -> Result<(), Violation> {
        let call = op.resolve(&self.pool, &self.engine);
        self.history.push(call.script_line(&self.pool));
        self.stats.steps += 1;
        let before = self.model.clone();
        let mut revoked = false;
        match &call {
            Call::Mine(blocks) => {
                Chain::mine(&mut self.engine, *blocks).map_err(|e| self.broken(format!("mining failed: {e}")))?;
                self.model.height += u128::from(*blocks);
            }
            Call::Contract { sender, contract, function, args } => {
                let sender = self.pool.principal(*sender);
                let paused = self.is_paused(contract)?;
                if paused {
                    self.stats.calls_while_paused += 1;
                }
                let result = self.engine.call_public(&sender, contract, function, args);
                let value = result.ok().filter(|r| r.committed).map(|r| r.value);
                let after = self.engine.dump_state().map_err(|e| self.broken(format!("dump failed: {e}")))?;
                if paused && !runs_while_paused(contract, function) && of_contract(&self.dump, contract) != of_contract(&after, contract) {
                    return Err(self.broken(format!("{contract}.{function} changed the state of the paused {contract}")));
                }
                if *function == "get-record" {
                    self.check_read_logged(&sender, &args[0], value.as_ref(), &after)?;
                }
                if let Some(value) = &value {
                    revoked = function.starts_with("revoke-") && ok_value(value).is_some();
                    self.learn(&sender, function, args, value)?;
                }
                self.check_logs_kept(&after)?;
                self.dump = after;
            }
        }
        if u128::from(Chain::block_height(&self.engine)) != self.model.height {
            return Err(self.broken("the engine's block height is not the model's".to_string()));
        }
        self.check_access_everywhere(&before, revoked)
    }

    fn is_paused(&mut self, contract: &str) -> Result<bool, Violation> {
        let owner = self.pool.principal(0);
        match self.engine.call_read_only(&owner, contract, "is-paused", &[]).map(|result| result.value) {
            Ok(Value::Bool(paused)) => Ok(paused),
            other => Err(self.broken(format!("{contract}.is-paused gave {other:?}"))),
        }
    }

    /// What an `ok` tells the model.
    fn learn(&mut self, sender: &PrincipalData, function: &str, args: &[Value], value: &Value) -> Result<(), Violation> {
        let Some(result) = ok_value(value) else { return Ok(()) };
        let p = |i: usize| as_principal(&args[i]).expect("a principal argument");
        let u = |i: usize| as_uint(&args[i]).expect("a uint argument");
        let model = &mut self.model;
        match function {
            "grant-consent" => {
                model.consents.insert((sender.clone(), p(0), u(1)), as_expiry(&args[2]));
            }
            "grant-consent-batch" => {
                for data_type in as_uints(&args[1]) {
                    model.consents.insert((sender.clone(), p(0), data_type), as_expiry(&args[2]));
                }
            }
            "revoke-consent" => {
                model.consents.remove(&(sender.clone(), p(0), u(1)));
            }
            "emergency-override" => {
                let (height, timeout) = (model.height, model.emergency_timeout);
                if as_uint(result) != Some(height + timeout) {
                    return Err(self.broken(format!("an override granted at {height} with timeout {timeout} should end at {}", height + timeout)));
                }
                self.model.overrides.insert((p(0), sender.clone()), height + timeout);
            }
            "revoke-emergency-access" => {
                model.overrides.remove(&(p(0), p(1)));
            }
            "set-emergency-timeout" => model.emergency_timeout = u(0),
            "grant-provider-access" => {
                model.grants.insert((p(0), p(1)), (u(2), as_expiry(&args[3])));
            }
            "revoke-provider-access" => {
                model.grants.remove(&(p(0), p(1)));
            }
            "create-record" => {
                let id = as_uint(result).expect("create-record gives the new id");
                let data_type = consent_type_of(u(1)).expect("a record created with a known type");
                model.records.insert(id, ModelRecord { patient: p(0), data_type, creator: sender.clone(), confidentiality: u(6), active: true });
            }
            "archive-record" => {
                if let Some(record) = model.records.get_mut(&u(0)) {
                    record.active = false;
                }
            }
            "archive-records" => {
                for id in as_uints(&args[0]) {
                    if let Some(record) = model.records.get_mut(&id) {
                        record.active = false;
                    }
                }
            }
            "purge-record" => {
                model.records.remove(&u(0));
            }
            _ => {}
        }
        Ok(())
    }

    /// A successful read was allowed and logged once, as it was; a failed one left
    /// the log alone.
    fn check_read_logged(&mut self, reader: &PrincipalData, record_id: &Value, value: Option<&Value>, after: &[(String, String)]) -> Result<(), Violation> {
        let log_rows = |dump: &[(String, String)]| -> BTreeMap<String, String> {
            dump.iter().filter(|(k, _)| in_map(k, RECORDS_CONTRACT, "access-log")).cloned().collect()
        };
        let (old, new) = (log_rows(&self.dump), log_rows(after));
        let added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();
        let Some(_) = value.and_then(ok_value) else {
            return if added.is_empty() { Ok(()) } else { Err(self.broken("a refused get-record wrote the access log".to_string())) };
        };
        let id = as_uint(record_id).expect("a uint record id");
        let level = self
            .model
            .access(id, reader, READ)
            .map_err(|denial| self.broken(format!("get-record u{id} by {reader} succeeded where the model refuses it ({denial:?})")))?;
        if level == EMERGENCY {
            self.stats.emergency_reads += 1;
        }
        self.stats.reads_logged += 1;
        if added.len() != 1 {
            return Err(self.broken(format!("a get-record added {} access-log entries, not 1", added.len())));
        }
        let engine_ctx = self.engine.deployer().clone();
        let stats = self.engine.read(&engine_ctx, RECORDS_CONTRACT, "get-stats", &[]).map_err(|e| self.broken(e.to_string()))?.value;
        let log_id = field(&stats, "total-access-log-entries").and_then(as_uint).unwrap_or(0);
        let entry = self.engine.read(&engine_ctx, RECORDS_CONTRACT, "get-access-log-entry", &[uint(log_id)]).map_err(|e| self.broken(e.to_string()))?.value;
        let entry = match entry {
            Value::Optional(optional) => optional.data.map(|inner| *inner),
            _ => None,
        };
        let expected = [
            ("record-id", uint(id)),
            ("accessor", principal(reader.clone())),
            ("action", uint(0)),
            ("block", uint(self.model.height)),
            ("emergency", Value::Bool(level == EMERGENCY)),
        ];
        for (name, want) in expected {
            if entry.as_ref().and_then(|e| field(e, name)) != Some(&want) {
                return Err(self.broken(format!("access-log entry u{log_id}: {name} should be {want}, entry is {entry:?}")));
            }
        }
        Ok(())
    }

    /// Every log row seen before is still there, unchanged.
    fn check_logs_kept(&mut self, after: &[(String, String)]) -> Result<(), Violation> {
        let now: BTreeMap<&String, &String> = after.iter().map(|(k, v)| (k, v)).collect();
        for (key, value) in &self.logs {
            if now.get(key) != Some(&value) {
                return Err(self.broken(format!("log row {key} was {value}, is now {:?}", now.get(key))));
            }
        }
        for (key, value) in after {
            if in_map(key, CONSENT_CONTRACT, "audit-log") || in_map(key, RECORDS_CONTRACT, "access-log") {
                self.logs.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        Ok(())
    }

    /// `check-access` for every record (and the next, missing, id), every actor,
    /// read and write, against the model; `before` is the model before this step,
    /// `revoked` whether the step was a revocation.
    fn check_access_everywhere(&mut self, before: &AccessModel, revoked: bool) -> Result<(), Violation> {
        let owner = self.pool.principal(0);
        let last_id = self.model.records.keys().max().copied().unwrap_or(0) + 1;
        let actors: Vec<PrincipalData> = (0..10).map(|a| self.pool.principal(a)).collect();
        for id in 1..=last_id {
            for accessor in &actors {
                for action in [READ, WRITE] {
                    let args = [uint(id), principal(accessor.clone()), uint(action)];
                    let answer = self.engine.call_read_only(&owner, RECORDS_CONTRACT, "check-access", &args).map_err(|e| self.broken(e.to_string()))?.value;
                    let engine = match &answer {
                        Value::Response(response) if response.committed => as_uint(&response.data),
                        _ => None,
                    };
                    let model = self.model.access(id, accessor, action);
                    self.stats.access_checks += 1;
                    if engine != model.ok() {
                        return Err(self.broken(format!("(check-access u{id} '{accessor} u{action}): engine {answer}, model {model:?}")));
                    }
                    if engine == Some(EMERGENCY) {
                        let data_type = self.model.records[&id].data_type;
                        if !EMERGENCY_COVERED.contains(&data_type) {
                            return Err(self.broken(format!("record u{id} of data type u{data_type} opened under an emergency")));
                        }
                    }
                    self.count(before, revoked, id, accessor, action, model);
                }
            }
        }
        Ok(())
    }

    fn count(&mut self, before: &AccessModel, revoked: bool, id: u128, accessor: &PrincipalData, action: u128, now: Result<u128, Denial>) {
        let Some(record) = self.model.records.get(&id) else { return };
        match now {
            Ok(_) => self.stats.access_allowed += 1,
            Err(denial) => {
                if self.model.has_expired_permission(&record.patient, accessor, record.data_type) {
                    self.stats.expired_refusals += 1;
                }
                if denial == Denial::EmergencyViolation && !EMERGENCY_COVERED.contains(&record.data_type) {
                    self.stats.uncovered_emergency_refusals += 1;
                }
                if revoked && before.access(id, accessor, action).is_ok() {
                    self.stats.revocations_closing_access += 1;
                }
            }
        }
    }
}

fn field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Tuple(tuple) => tuple.get(name).ok(),
        _ => None,
    }
}
