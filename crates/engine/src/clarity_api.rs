//! The Clarity-valued API, for node software: a call named by contract and function,
//! with clarity-vm `Value` arguments, giving the result `Value` and print events.
//!
//! A call is checked before anything runs: the function is looked up in the table
//! ([`crate::table`]), the caller must be a principal Clarity can represent, and
//! each argument a value clarity-vm would take for its parameter (arity, then each
//! type, lengths included, then the value's contents). A bad call is an
//! [`EngineError`], never a panic and never a change. The checked call then runs
//! through the typed API.

use clarimed_costs::ExecutionCost;
use clarimed_records::{Content, Signed};
use clarimed_storage::clarity::{Buff, ClarityType, Principal};
use clarity::vm::types::{OptionalData, ResponseData, SequenceData, TypeSignature, MAX_TYPE_DEPTH};
use clarity::vm::Value;

use crate::convert::{bytes_to_value, to_value};
use crate::engine::{Core, Mode};
use crate::error::{CallError, EngineError};
use crate::table::{decode, find, Access, Contract, Function, Id, EPOCH};
use crate::typed::{ConsentCalls, RecordsCalls};

/// What a call gave: its result, what it printed, and whether its writes were kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutput {
    /// The function's result.
    pub value: Value,
    /// The values it printed, in order.
    pub events: Vec<Value>,
    /// Whether its writes were kept: a public function's `ok`.
    pub committed: bool,
    /// The contract that printed the events (`{deployer}.{name}`), as a node's
    /// `contract_event` names it: always the called contract, since the contracts
    /// call each other only read-only.
    pub contract: String,
    /// What the call cost, as clarity-vm charges it and a node records it: the load
    /// of the contract and everything the call evaluated, `contract-call?`s included.
    pub cost: ExecutionCost,
}

impl CallOutput {
    fn read_only(value: Value) -> CallOutput {
        CallOutput { value, events: Vec::new(), committed: false, contract: String::new(), cost: ExecutionCost::ZERO }
    }

    /// The result in Clarity's consensus serialization.
    pub fn value_bytes(&self) -> Vec<u8> {
        serialize(&self.value)
    }

    /// Each event in Clarity's consensus serialization.
    pub fn event_bytes(&self) -> Vec<Vec<u8>> {
        self.events.iter().map(serialize).collect()
    }
}

fn serialize(value: &Value) -> Vec<u8> {
    // Every value here came from the engine's own serialization.
    value.serialize_to_vec().unwrap_or_default()
}

/// The checked arguments of one call, as their consensus serialization, decoded on
/// demand.
pub(crate) struct Args {
    function: &'static Function,
    values: Vec<Vec<u8>>,
}

impl Args {
    /// Argument `index`, decoded as the type the table gives it.
    pub(crate) fn get<T: ClarityType>(&self, index: usize) -> Result<T, EngineError> {
        decode(self.function, index, &self.values[index])
    }
}

/// A contract's print event.
pub(crate) trait PrintEvent {
    fn to_clarity_bytes(&self) -> Vec<u8>;
}

impl PrintEvent for clarimed_consent::ConsentEvent {
    fn to_clarity_bytes(&self) -> Vec<u8> {
        clarimed_consent::ConsentEvent::to_clarity_bytes(self)
    }
}

impl PrintEvent for clarimed_records::RecordsEvent {
    fn to_clarity_bytes(&self) -> Vec<u8> {
        clarimed_records::RecordsEvent::to_clarity_bytes(self)
    }
}

/// A contract error's `uint` code.
pub(crate) trait ErrorCode: Copy {
    fn code(self) -> u128;
}

impl ErrorCode for clarimed_consent::codes::ConsentError {
    fn code(self) -> u128 {
        clarimed_consent::codes::ConsentError::code(self)
    }
}

impl ErrorCode for clarimed_records::codes::RecordsError {
    fn code(self) -> u128 {
        clarimed_records::codes::RecordsError::code(self)
    }
}

/// `(ok value)` with its event, or `(err code)` with none.
pub(crate) fn public<T: ClarityType, V: PrintEvent, E: ErrorCode>(outcome: Result<(T, V), CallError<E>>) -> Result<CallOutput, EngineError> {
    match outcome {
        Ok((value, event)) => Ok(CallOutput {
            value: to_value(&Ok::<T, u128>(value))?,
            events: vec![bytes_to_value(&event.to_clarity_bytes())?],
            committed: true,
            contract: String::new(),
            cost: ExecutionCost::ZERO,
        }),
        Err(CallError::Contract(error)) => Ok(CallOutput {
            value: to_value(&Err::<bool, u128>(error.code()))?,
            events: Vec::new(),
            committed: false,
            contract: String::new(),
            cost: ExecutionCost::ZERO,
        }),
        Err(CallError::Engine(error)) => Err(error),
    }
}

/// A read-only function's value.
pub(crate) fn read_only<T: ClarityType>(value: Result<T, EngineError>) -> Result<CallOutput, EngineError> {
    Ok(CallOutput::read_only(to_value(&value?)?))
}

/// A read-only function's `(response …)`, as `check-access` gives it.
pub(crate) fn response<E: ErrorCode>(outcome: Result<u128, CallError<E>>) -> Result<CallOutput, EngineError> {
    let response = match outcome {
        Ok(level) => Ok(level),
        Err(CallError::Contract(error)) => Err(error.code()),
        Err(CallError::Engine(error)) => return Err(error),
    };
    Ok(CallOutput::read_only(to_value(&response)?))
}

/// Checks a call's function, arity and argument types as [`crate::Engine::call`]
/// does before running anything: a script can be checked whole before its first step.
pub fn check_arguments(contract: &str, function: &str, values: &[Value]) -> Result<(), EngineError> {
    arguments(contract, function, values).map(drop)
}

/// The function and each argument's serialization, or why not.
fn arguments(contract: &str, function: &str, values: &[Value]) -> Result<Args, EngineError> {
    let row = find(contract, function)?;
    if values.len() != row.params.len() {
        return Err(EngineError::Arity { function: function.to_string(), expected: row.params.len(), found: values.len() });
    }
    let values = row
        .params
        .iter()
        .zip(row.signatures())
        .zip(values)
        .map(|((param, expected), value)| {
            admit(expected, value).map_err(|found| EngineError::ArgumentType {
                function: function.to_string(),
                argument: param.name.to_string(),
                expected: param.ty.to_string(),
                found,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Args { function: row, values })
}

/// `value`'s consensus serialization, when clarity-vm would take it for a parameter
/// of type `expected` and a transaction could carry it; else what it is instead.
fn admit(expected: &TypeSignature, value: &Value) -> Result<Vec<u8>, String> {
    // clarity-vm types a value recursively: one nested a thousand deep exhausts the stack.
    if nests_deeper_than(value, MAX_TYPE_DEPTH) {
        return Err(format!("a value nested deeper than Clarity's {MAX_TYPE_DEPTH} levels"));
    }
    let own = TypeSignature::type_of(value).map_err(|_| "a value beyond Clarity's size limit".to_string())?;
    if !expected.admits_type(&EPOCH, &own).unwrap_or(false) {
        return Err(own.to_string());
    }
    // As clarity-vm (epoch 2.4 on) sanitizes a call's arguments against their own
    // types: a list holding more items, or other items, than its type says is
    // refused, and so is a callable contract.
    let (sanitized, _) = Value::sanitize_value(&EPOCH, &own, value.clone()).ok_or_else(|| format!("a value whose contents are not of its type {own}"))?;
    let bytes = sanitized.serialize_to_vec().map_err(|e| format!("a value that does not serialize: {e:?}"))?;
    // clarity-vm does not look into the bytes of a string it is handed, and would
    // store a string-ascii holding a byte outside printable ASCII and whitespace,
    // an entry it then fails to read back. No transaction can carry one: the
    // consensus deserializer refuses it, and so does the engine.
    Value::deserialize_read(&mut &bytes[..], Some(expected), false)
        .map_err(|_| format!("a {own} holding bytes that Clarity's consensus serialization refuses"))?;
    Ok(bytes)
}

/// Looks no deeper than `levels`, so that a deep value is measured in bounded stack.
fn nests_deeper_than(value: &Value, levels: u8) -> bool {
    let Some(below) = levels.checked_sub(1) else {
        return true;
    };
    match value {
        Value::Optional(OptionalData { data: Some(inner) }) | Value::Response(ResponseData { data: inner, .. }) => nests_deeper_than(inner, below),
        Value::Sequence(SequenceData::List(list)) => list.data.iter().any(|item| nests_deeper_than(item, below)),
        Value::Tuple(tuple) => tuple.data_map.values().any(|field| nests_deeper_than(field, below)),
        _ => false,
    }
}

impl Core {
    /// Runs `contract`'s `function` as `sender`: a public function as a transaction,
    /// a read-only one on the committed state.
    pub(crate) fn call(&self, sender: &Principal, contract: &str, function: &str, args: &[Value]) -> Result<CallOutput, EngineError> {
        self.call_in(Mode::Commit, sender, contract, function, args)
    }

    /// Runs `contract`'s `function` as `sender` in `mode`.
    pub(crate) fn call_in(&self, mode: Mode, sender: &Principal, contract: &str, function: &str, args: &[Value]) -> Result<CallOutput, EngineError> {
        let args = arguments(contract, function, args)?;
        self.dispatch_in(mode, sender, &args)
    }

    /// Runs a read-only function; a public function is refused.
    pub(crate) fn read(&self, sender: &Principal, contract: &str, function: &str, args: &[Value]) -> Result<CallOutput, EngineError> {
        let args = arguments(contract, function, args)?;
        if args.function.access == Access::Public {
            return Err(EngineError::NotReadOnly { contract: contract.to_string(), function: function.to_string() });
        }
        self.dispatch(sender, &args)
    }

    /// Runs any function as a node's `call-read` does: a read-only one as
    /// [`Core::read`], a public one on the committed state with nothing kept, held
    /// to the read-only limit (so one that writes is [`EngineError::NotReadOnly`]).
    pub(crate) fn call_read(&self, sender: &Principal, contract: &str, function: &str, args: &[Value]) -> Result<CallOutput, EngineError> {
        let checked = arguments(contract, function, args)?;
        let mode = match checked.function.access {
            Access::Public => Mode::DryRun,
            Access::ReadOnly => Mode::Commit,
        };
        let mut output = self.dispatch_in(mode, sender, &checked).map_err(|error| match error {
            EngineError::NotReadOnly { .. } => EngineError::NotReadOnly { contract: contract.to_string(), function: function.to_string() },
            other => other,
        })?;
        output.events.clear();
        output.committed = false;
        Ok(output)
    }

    fn dispatch(&self, sender: &Principal, args: &Args) -> Result<CallOutput, EngineError> {
        self.dispatch_in(Mode::Commit, sender, args)
    }

    fn dispatch_in(&self, mode: Mode, sender: &Principal, args: &Args) -> Result<CallOutput, EngineError> {
        self.check_sender(sender)?;
        let calls = Calls { consent: self.consent_in(mode), records: self.records_in(mode) };
        let mut output = handler(args.function.id)(&calls, sender, args)?;
        output.contract = self.contract_id(args.function.contract).to_string();
        output.cost = match args.function.contract {
            Contract::PatientConsent => calls.consent.last_cost(),
            Contract::RecordManagement => calls.records.last_cost(),
        };
        Ok(output)
    }
}

/// Runs a checked call: the engine, the caller, the arguments.
type Handler = fn(&Calls<'_>, &Principal, &Args) -> Result<CallOutput, EngineError>;

/// What runs each row of the table: its typed API call, and its answer as
/// Clarity values.
fn handler(id: Id) -> Handler {
    match id {
        Id::REGISTER_PATIENT => |c, who, a| public(c.consent().register_patient(who, &a.get::<String>(0)?, a.get(1)?, a.get(2)?, a.get(3)?)),
        Id::UPDATE_PATIENT_PROFILE => |c, who, a| public(c.consent().update_patient_profile(who, a.get(0)?, a.get(1)?)),
        Id::UPDATE_PATIENT_PREFERENCES => |c, who, a| public(c.consent().update_patient_preferences(who, a.get(0)?, a.get(1)?, a.get(2)?)),
        Id::GRANT_CONSENT => |c, who, a| public(c.consent().grant_consent(who, &a.get(0)?, a.get::<u128>(1)?, a.get(2)?, &a.get::<String>(3)?)),
        Id::GRANT_CONSENT_BATCH => {
            |c, who, a| public(c.consent().grant_consent_batch(who, &a.get(0)?, &a.get::<Vec<u128>>(1)?, a.get(2)?, &a.get::<String>(3)?))
        }
        Id::REVOKE_CONSENT => |c, who, a| public(c.consent().revoke_consent(who, &a.get(0)?, a.get::<u128>(1)?)),
        Id::EMERGENCY_OVERRIDE => |c, who, a| public(c.consent().emergency_override(who, &a.get(0)?, &a.get::<String>(1)?)),
        Id::REVOKE_EMERGENCY_ACCESS => |c, who, a| public(c.consent().revoke_emergency_access(who, &a.get(0)?, &a.get(1)?)),
        Id::MARK_DECEASED => |c, who, a| public(c.consent().mark_deceased(who, &a.get(0)?)),
        Id::CONSENT_SET_PAUSED => |c, who, a| public(c.consent().set_paused(who, a.get(0)?)),
        Id::SET_EMERGENCY_TIMEOUT => |c, who, a| public(c.consent().set_emergency_timeout(who, a.get(0)?)),
        Id::SET_EMERGENCY_RESPONDER => |c, who, a| public(c.consent().set_emergency_responder(who, &a.get(0)?, a.get(1)?)),
        Id::CONSENT_TRANSFER_OWNERSHIP => |c, who, a| public(c.consent().transfer_ownership(who, &a.get(0)?)),
        Id::GET_PATIENT => |c, _, a| read_only(c.consent().get_patient(&a.get(0)?)),
        Id::GET_PREFERENCES => |c, _, a| read_only(c.consent().get_preferences(&a.get(0)?)),
        Id::GET_CONSENT => |c, _, a| read_only(c.consent().get_consent(&a.get(0)?, &a.get(1)?, a.get::<u128>(2)?)),
        Id::GET_EMERGENCY_ACCESS => |c, _, a| read_only(c.consent().get_emergency_access(&a.get(0)?, &a.get(1)?)),
        Id::GET_AUDIT_ENTRY => |c, _, a| read_only(c.consent().get_audit_entry(&a.get(0)?, a.get(1)?)),
        Id::GET_AUDIT_COUNT => |c, _, a| read_only(c.consent().get_audit_count(&a.get(0)?)),
        Id::GET_EMERGENCY_TIMEOUT => |c, _, _| read_only(c.consent().get_emergency_timeout()),
        Id::CONSENT_IS_PAUSED => |c, _, _| read_only(c.consent().is_paused()),
        Id::CONSENT_GET_CONTRACT_OWNER => |c, _, _| read_only(c.consent().get_contract_owner()),
        Id::IS_EMERGENCY_RESPONDER => |c, _, a| read_only(c.consent().is_emergency_responder(&a.get(0)?)),
        Id::CONSENT_GET_STATS => |c, _, _| read_only(c.consent().get_stats()),
        Id::HAS_CONSENT => |c, _, a| read_only(c.consent().has_consent(&a.get(0)?, &a.get(1)?, a.get::<u128>(2)?)),
        Id::HAS_EMERGENCY_ACCESS => |c, _, a| read_only(c.consent().has_emergency_access(&a.get(0)?, &a.get(1)?)),
        Id::CAN_ACCESS => |c, _, a| read_only(c.consent().can_access(&a.get(0)?, &a.get(1)?, a.get::<u128>(2)?)),
        Id::GRANT_PROVIDER_ACCESS => {
            |c, who, a| public(c.records().grant_provider_access(who, &a.get(0)?, &a.get(1)?, a.get::<u128>(2)?, a.get(3)?, a.get(4)?))
        }
        Id::REVOKE_PROVIDER_ACCESS => |c, who, a| public(c.records().revoke_provider_access(who, &a.get(0)?, &a.get(1)?)),
        Id::CREATE_RECORD => |c, who, a| {
            let (title, data_hash, checksum): (String, String, Buff) = (a.get(2)?, a.get(3)?, a.get(4)?);
            let (key_id, signature, public_key): (Option<String>, Buff, Buff) = (a.get(5)?, a.get(7)?, a.get(8)?);
            let content = Content { title: &title, data_hash: &data_hash, checksum: &checksum.0 };
            let signed = Signed { signature: &signature.0, public_key: &public_key.0 };
            public(c.records().create_record(who, &a.get(0)?, a.get::<u128>(1)?, &content, key_id.as_deref(), a.get(6)?, &signed))
        },
        Id::GET_RECORD => |c, who, a| public(c.records().get_record(who, a.get(0)?)),
        Id::UPDATE_RECORD => |c, who, a| {
            let (title, data_hash, checksum): (String, String, Buff) = (a.get(1)?, a.get(2)?, a.get(3)?);
            let (signature, public_key): (Buff, Buff) = (a.get(4)?, a.get(5)?);
            let content = Content { title: &title, data_hash: &data_hash, checksum: &checksum.0 };
            let signed = Signed { signature: &signature.0, public_key: &public_key.0 };
            public(c.records().update_record(who, a.get(0)?, &content, &signed))
        },
        Id::ROLLBACK_RECORD => |c, who, a| public(c.records().rollback_record(who, a.get(0)?, a.get(1)?)),
        Id::ARCHIVE_RECORD => |c, who, a| public(c.records().archive_record(who, a.get(0)?)),
        Id::ARCHIVE_RECORDS => |c, who, a| public(c.records().archive_records(who, &a.get::<Vec<u128>>(0)?)),
        Id::PURGE_RECORD => |c, who, a| public(c.records().purge_record(who, a.get(0)?)),
        Id::RECORDS_SET_PAUSED => |c, who, a| public(c.records().set_paused(who, a.get(0)?)),
        Id::SET_RETENTION_PERIOD => |c, who, a| public(c.records().set_retention_period(who, a.get(0)?)),
        Id::RECORDS_TRANSFER_OWNERSHIP => |c, who, a| public(c.records().transfer_ownership(who, &a.get(0)?)),
        Id::CHECK_ACCESS => |c, _, a| response(c.records().check_access(a.get(0)?, &a.get(1)?, a.get::<u128>(2)?)),
        Id::GET_RECORD_INFO => |c, _, a| read_only(c.records().get_record_info(a.get(0)?)),
        Id::GET_RECORD_VERSION => |c, _, a| read_only(c.records().get_record_version(a.get(0)?, a.get(1)?)),
        Id::GET_PROVIDER_ACCESS => |c, _, a| read_only(c.records().get_provider_access(&a.get(0)?, &a.get(1)?)),
        Id::GET_ACCESS_LOG_ENTRY => |c, _, a| read_only(c.records().get_access_log_entry(a.get(0)?)),
        Id::GET_RECORD_ACCESS_COUNT => |c, _, a| read_only(c.records().get_record_access_count(a.get(0)?)),
        Id::GET_RECORD_COUNT => |c, _, a| read_only(c.records().get_record_count(&a.get(0)?)),
        Id::GET_PATIENT_RECORD_ID => |c, _, a| read_only(c.records().get_patient_record_id(&a.get(0)?, a.get(1)?)),
        Id::VERIFY_CHECKSUM => |c, _, a| read_only(c.records().verify_checksum(a.get(0)?, &a.get::<Buff>(1)?.0)),
        Id::GET_RETENTION_PERIOD => |c, _, _| read_only(c.records().get_retention_period()),
        Id::RECORDS_IS_PAUSED => |c, _, _| read_only(c.records().is_paused()),
        Id::RECORDS_GET_CONTRACT_OWNER => |c, _, _| read_only(c.records().get_contract_owner()),
        Id::RECORDS_GET_STATS => |c, _, _| read_only(c.records().get_stats()),
    }
}

/// What a handler calls through: the typed API of both contracts, each keeping the
/// cost of its last call.
pub(crate) struct Calls<'e> {
    consent: ConsentCalls<'e>,
    records: RecordsCalls<'e>,
}

impl<'e> Calls<'e> {
    pub(crate) fn consent(&self) -> &ConsentCalls<'e> {
        &self.consent
    }

    pub(crate) fn records(&self) -> &RecordsCalls<'e> {
        &self.records
    }
}
