//! The Clarity-valued API, for node software: a call named by contract and function,
//! with clarity-vm `Value` arguments, giving the result `Value` and print events.
//!
//! The call's context and arguments are checked before anything runs: the context
//! must be one Clarity could give, and each argument a value clarity-vm would take
//! for its parameter (arity, then each type, lengths included, then the value's
//! contents). A bad call is an [`EngineError`], never a panic and never a change.

use clarimed_consent::{CallError, Context, Outcome};
use clarimed_records::{Content, Signed};
use clarimed_storage::clarity::{Buff, ClarityType, Principal, StateError};
use clarimed_storage::Store;
use clarity::types::StacksEpochId;
use clarity::vm::types::{OptionalData, ResponseData, SequenceData, TypeSignature, MAX_TYPE_DEPTH};
use clarity::vm::Value;

use crate::convert::{bytes_to_value, principal_to_clarity, to_value};
use crate::crypto::TestnetCrypto;
use crate::engine::{ConsentReader, Engine};
use crate::error::EngineError;
use crate::signatures::{find, FunctionSignature, CONSENT_CONTRACT};

/// What a call gave: its result, what it printed, and whether its writes were kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutput {
    pub value: Value,
    pub events: Vec<Value>,
    pub committed: bool,
}

impl CallOutput {
    fn read_only(value: Value) -> CallOutput {
        CallOutput {
            value,
            events: Vec::new(),
            committed: false,
        }
    }
}

/// The checked arguments of one call, as their consensus serialization, decoded on
/// demand.
struct Args {
    signature: &'static FunctionSignature,
    values: Vec<Vec<u8>>,
}

impl Args {
    /// Fails only if the native type disagrees with the signature table: a bug.
    fn get<T: ClarityType>(&self, index: usize) -> Result<T, EngineError> {
        let (name, expected) = &self.signature.args[index];
        T::from_bytes(&self.values[index]).map_err(|e| EngineError::Conversion(format!("argument `{name}` as {expected}: {e}")))
    }
}

/// A contract's print event.
trait PrintEvent {
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

/// `(ok value)` with its event, or `(err code)` with none; a state failure is an error.
fn public_output<T: ClarityType, V: PrintEvent, E: ErrorCode>(
    outcome: Outcome<(T, V), E>,
) -> Result<CallOutput, EngineError> {
    match outcome {
        Ok((value, event)) => Ok(CallOutput {
            value: to_value(&Ok::<T, u128>(value))?,
            events: vec![bytes_to_value(&event.to_clarity_bytes())?],
            committed: true,
        }),
        Err(CallError::Contract(error)) => Ok(CallOutput {
            value: to_value(&Err::<bool, u128>(error.code()))?,
            events: Vec::new(),
            committed: false,
        }),
        Err(CallError::State(error)) => Err(error.into()),
    }
}

fn read_output<T: ClarityType>(value: Result<T, StateError>) -> Result<CallOutput, EngineError> {
    Ok(CallOutput::read_only(to_value(&value?)?))
}

/// A read-only function's `(response …)`, as `check-access` gives it.
fn response_output<E: ErrorCode>(outcome: Outcome<u128, E>) -> Result<CallOutput, EngineError> {
    let response = match outcome {
        Ok(level) => Ok(level),
        Err(CallError::Contract(error)) => Err(error.code()),
        Err(CallError::State(error)) => return Err(error.into()),
    };
    Ok(CallOutput::read_only(to_value(&response)?))
}

/// A contract error's `uint` code.
trait ErrorCode: Copy {
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

/// A function in the signature table that dispatch does not know: a bug that a
/// test (every function in the table is called) keeps from shipping.
fn unknown(args: &Args) -> EngineError {
    EngineError::UnknownFunction {
        contract: "(dispatch)".to_string(),
        function: args.signature.name.to_string(),
    }
}

const EPOCH: StacksEpochId = StacksEpochId::Epoch25;

/// Checks a call's function, arity and argument types as [`Engine::call`] does
/// before running anything: a script can be checked whole before its first step.
pub fn check_arguments(contract: &str, function: &str, values: &[Value]) -> Result<(), EngineError> {
    arguments(contract, function, values).map(|_| ())
}

/// Checks a call's function, arity, argument types and context.
fn check(ctx: &Context, contract: &str, function: &str, values: &[Value]) -> Result<Args, EngineError> {
    let (signature, values) = arguments(contract, function, values)?;
    check_context(ctx)?;
    Ok(Args { signature, values })
}

/// The function's signature and each argument's serialization, or why not.
fn arguments(contract: &str, function: &str, values: &[Value]) -> Result<(&'static FunctionSignature, Vec<Vec<u8>>), EngineError> {
    let signature = find(contract, function)?;
    if values.len() != signature.args.len() {
        return Err(EngineError::Arity {
            function: function.to_string(),
            expected: signature.args.len(),
            found: values.len(),
        });
    }
    let values = signature
        .args
        .iter()
        .zip(values)
        .map(|((name, expected), value)| {
            admit(expected, value).map_err(|found| EngineError::ArgumentType {
                function: function.to_string(),
                argument: name.to_string(),
                expected: expected.to_string(),
                found,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((signature, values))
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

/// A context Clarity could give: principals it can represent, and a block height
/// that fits its 32 bits (so that no `block-height + n` overflows).
fn check_context(ctx: &Context) -> Result<(), EngineError> {
    principal_to_clarity(&ctx.sender)?;
    principal_to_clarity(&ctx.caller)?;
    if ctx.block_height > u128::from(u32::MAX) {
        return Err(EngineError::BlockHeightOutOfRange(ctx.block_height));
    }
    Ok(())
}

impl<S: Store> Engine<S> {
    /// Runs `contract`'s `function` as a transaction by `ctx.sender`. A public
    /// function's `err`, like a read-only function, leaves no trace.
    pub fn call(&mut self, ctx: &Context, contract: &str, function: &str, args: &[Value]) -> Result<CallOutput, EngineError> {
        let args = check(ctx, contract, function, args)?;
        if args.signature.read_only {
            return self.read_checked(ctx, contract, &args);
        }
        match contract {
            CONSENT_CONTRACT => self.call_consent(ctx, &args),
            _ => self.call_records(ctx, &args),
        }
    }

    /// Runs a read-only function; a public function is refused.
    pub fn read(&self, ctx: &Context, contract: &str, function: &str, args: &[Value]) -> Result<CallOutput, EngineError> {
        let args = check(ctx, contract, function, args)?;
        if !args.signature.read_only {
            return Err(EngineError::NotReadOnly {
                contract: contract.to_string(),
                function: function.to_string(),
            });
        }
        self.read_checked(ctx, contract, &args)
    }

    fn read_checked(&self, ctx: &Context, contract: &str, args: &Args) -> Result<CallOutput, EngineError> {
        match contract {
            CONSENT_CONTRACT => self.read_consent(ctx, args),
            _ => self.read_records(ctx, args),
        }
    }

    fn call_consent(&mut self, ctx: &Context, args: &Args) -> Result<CallOutput, EngineError> {
        match args.signature.name {
            "register-patient" => {
                let (id, dob, contact, physician): (String, u128, Option<Principal>, Option<Principal>) = (args.get(0)?, args.get(1)?, args.get(2)?, args.get(3)?);
                public_output(self.transact(|s, c, _| c.register_patient(s, ctx, &id, dob, contact, physician)))
            }
            "update-patient-profile" => {
                let (contact, physician): (Option<Principal>, Option<Principal>) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, c, _| c.update_patient_profile(s, ctx, contact, physician)))
            }
            "update-patient-preferences" => {
                let (allow, notify, research): (bool, bool, bool) = (args.get(0)?, args.get(1)?, args.get(2)?);
                public_output(self.transact(|s, c, _| c.update_patient_preferences(s, ctx, allow, notify, research)))
            }
            "grant-consent" => {
                let (provider, data_type, expires_at, purpose): (Principal, u128, Option<u128>, String) = (args.get(0)?, args.get(1)?, args.get(2)?, args.get(3)?);
                public_output(self.transact(|s, c, _| c.grant_consent(s, ctx, &provider, data_type, expires_at, &purpose)))
            }
            "grant-consent-batch" => {
                let (provider, data_types, expires_at, purpose): (Principal, Vec<u128>, Option<u128>, String) = (args.get(0)?, args.get(1)?, args.get(2)?, args.get(3)?);
                public_output(self.transact(|s, c, _| c.grant_consent_batch(s, ctx, &provider, &data_types, expires_at, &purpose)))
            }
            "revoke-consent" => {
                let (provider, data_type): (Principal, u128) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, c, _| c.revoke_consent(s, ctx, &provider, data_type)))
            }
            "emergency-override" => {
                let (patient, reason): (Principal, String) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, c, _| c.emergency_override(s, ctx, &patient, &reason)))
            }
            "revoke-emergency-access" => {
                let (patient, provider): (Principal, Principal) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, c, _| c.revoke_emergency_access(s, ctx, &patient, &provider)))
            }
            "mark-deceased" => {
                let patient: Principal = args.get(0)?;
                public_output(self.transact(|s, c, _| c.mark_deceased(s, ctx, &patient)))
            }
            "set-paused" => {
                let paused: bool = args.get(0)?;
                public_output(self.transact(|s, c, _| c.set_paused(s, ctx, paused)))
            }
            "set-emergency-timeout" => {
                let blocks: u128 = args.get(0)?;
                public_output(self.transact(|s, c, _| c.set_emergency_timeout(s, ctx, blocks)))
            }
            "set-emergency-responder" => {
                let (responder, enabled): (Principal, bool) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, c, _| c.set_emergency_responder(s, ctx, &responder, enabled)))
            }
            "transfer-ownership" => {
                let new_owner: Principal = args.get(0)?;
                public_output(self.transact(|s, c, _| c.transfer_ownership(s, ctx, &new_owner)))
            }
            _ => Err(unknown(args)),
        }
    }

    fn read_consent(&self, ctx: &Context, args: &Args) -> Result<CallOutput, EngineError> {
        let (consent, store, height) = (&self.consent, &self.store, ctx.block_height);
        match args.signature.name {
            "get-patient" => read_output(consent.get_patient(store, &args.get(0)?)),
            "get-preferences" => read_output(consent.get_preferences(store, &args.get(0)?)),
            "get-consent" => read_output(consent.get_consent(store, &args.get(0)?, &args.get(1)?, args.get(2)?)),
            "get-emergency-access" => read_output(consent.get_emergency_access(store, &args.get(0)?, &args.get(1)?)),
            "get-audit-entry" => read_output(consent.get_audit_entry(store, &args.get(0)?, args.get(1)?)),
            "get-audit-count" => read_output(consent.get_audit_count(store, &args.get(0)?)),
            "get-emergency-timeout" => read_output(consent.get_emergency_timeout(store)),
            "is-paused" => read_output(consent.is_paused(store)),
            "get-contract-owner" => read_output(consent.get_contract_owner(store)),
            "is-emergency-responder" => read_output(consent.is_emergency_responder(store, &args.get(0)?)),
            "get-stats" => read_output(consent.get_stats(store)),
            "has-consent" => read_output(consent.has_consent(store, height, &args.get(0)?, &args.get(1)?, args.get(2)?)),
            "has-emergency-access" => read_output(consent.has_emergency_access(store, height, &args.get(0)?, &args.get(1)?)),
            "can-access" => read_output(consent.can_access(store, height, &args.get(0)?, &args.get(1)?, args.get(2)?)),
            _ => Err(unknown(args)),
        }
    }

    fn call_records(&mut self, ctx: &Context, args: &Args) -> Result<CallOutput, EngineError> {
        match args.signature.name {
            "grant-provider-access" => {
                let (patient, provider, level, expires_at, audit): (Principal, Principal, u128, Option<u128>, bool) =
                    (args.get(0)?, args.get(1)?, args.get(2)?, args.get(3)?, args.get(4)?);
                public_output(self.transact(|s, c, r| r.grant_provider_access(s, &ConsentReader(c), ctx, &patient, &provider, level, expires_at, audit)))
            }
            "revoke-provider-access" => {
                let (patient, provider): (Principal, Principal) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, _, r| r.revoke_provider_access(s, ctx, &patient, &provider)))
            }
            "create-record" => {
                let (patient, record_type, title, data_hash, checksum): (Principal, u128, String, String, Buff) =
                    (args.get(0)?, args.get(1)?, args.get(2)?, args.get(3)?, args.get(4)?);
                let (key_id, confidentiality, signature, public_key): (Option<String>, u128, Buff, Buff) =
                    (args.get(5)?, args.get(6)?, args.get(7)?, args.get(8)?);
                let content = Content { title: &title, data_hash: &data_hash, checksum: &checksum.0 };
                let signed = Signed { signature: &signature.0, public_key: &public_key.0 };
                public_output(self.transact(|s, c, r| {
                    r.create_record(s, &ConsentReader(c), &TestnetCrypto, ctx, &patient, record_type, &content, key_id.as_deref(), confidentiality, &signed)
                }))
            }
            "get-record" => {
                let record_id: u128 = args.get(0)?;
                public_output(self.transact(|s, c, r| r.get_record(s, &ConsentReader(c), ctx, record_id)))
            }
            "update-record" => {
                let (record_id, title, data_hash, checksum, signature, public_key): (u128, String, String, Buff, Buff, Buff) =
                    (args.get(0)?, args.get(1)?, args.get(2)?, args.get(3)?, args.get(4)?, args.get(5)?);
                let content = Content { title: &title, data_hash: &data_hash, checksum: &checksum.0 };
                let signed = Signed { signature: &signature.0, public_key: &public_key.0 };
                public_output(self.transact(|s, c, r| r.update_record(s, &ConsentReader(c), &TestnetCrypto, ctx, record_id, &content, &signed)))
            }
            "rollback-record" => {
                let (record_id, version): (u128, u128) = (args.get(0)?, args.get(1)?);
                public_output(self.transact(|s, c, r| r.rollback_record(s, &ConsentReader(c), ctx, record_id, version)))
            }
            "archive-record" => {
                let record_id: u128 = args.get(0)?;
                public_output(self.transact(|s, c, r| r.archive_record(s, &ConsentReader(c), ctx, record_id)))
            }
            "archive-records" => {
                let record_ids: Vec<u128> = args.get(0)?;
                public_output(self.transact(|s, c, r| r.archive_records(s, &ConsentReader(c), ctx, &record_ids)))
            }
            "purge-record" => {
                let record_id: u128 = args.get(0)?;
                public_output(self.transact(|s, _, r| r.purge_record(s, ctx, record_id)))
            }
            "set-paused" => {
                let paused: bool = args.get(0)?;
                public_output(self.transact(|s, _, r| r.set_paused(s, ctx, paused)))
            }
            "set-retention-period" => {
                let blocks: u128 = args.get(0)?;
                public_output(self.transact(|s, _, r| r.set_retention_period(s, ctx, blocks)))
            }
            "transfer-ownership" => {
                let new_owner: Principal = args.get(0)?;
                public_output(self.transact(|s, _, r| r.transfer_ownership(s, ctx, &new_owner)))
            }
            _ => Err(unknown(args)),
        }
    }

    fn read_records(&self, ctx: &Context, args: &Args) -> Result<CallOutput, EngineError> {
        let (records, store) = (&self.records, &self.store);
        match args.signature.name {
            "check-access" => {
                let consent = ConsentReader(&self.consent);
                response_output(records.check_access(store, &consent, ctx, args.get(0)?, &args.get(1)?, args.get(2)?))
            }
            "get-record-info" => read_output(records.get_record_info(store, args.get(0)?)),
            "get-record-version" => read_output(records.get_record_version(store, args.get(0)?, args.get(1)?)),
            "get-provider-access" => read_output(records.get_provider_access(store, &args.get(0)?, &args.get(1)?)),
            "get-access-log-entry" => read_output(records.get_access_log_entry(store, args.get(0)?)),
            "get-record-access-count" => read_output(records.get_record_access_count(store, args.get(0)?)),
            "get-record-count" => read_output(records.get_record_count(store, &args.get(0)?)),
            "get-patient-record-id" => read_output(records.get_patient_record_id(store, &args.get(0)?, args.get(1)?)),
            "verify-checksum" => {
                let checksum: Buff = args.get(1)?;
                read_output(records.verify_checksum(store, args.get(0)?, &checksum.0))
            }
            "get-retention-period" => read_output(records.get_retention_period(store)),
            "is-paused" => read_output(records.is_paused(store)),
            "get-contract-owner" => read_output(records.get_contract_owner(store)),
            "get-stats" => read_output(records.get_stats(store)),
            _ => Err(unknown(args)),
        }
    }
}
