//! Every public and read-only function of both contracts, once: contract, name,
//! public or read-only, parameters and handler.
//!
//! The table drives the Clarity-valued API (lookup, arity and argument checks, then
//! the handler), the typed API's argument checks (each typed method checks its
//! arguments against its row), the command line's argument checks, and a test that
//! compares it with clarity-vm's own analysis of `contracts/`. Each handler calls
//! the typed API, so the two APIs run the same code.

use std::sync::OnceLock;

use clarimed_records::{Content, Signed};
use clarimed_storage::clarity::{is_clarity_ascii, Buff, ClarityType, Principal};
use clarity::types::StacksEpochId;
use clarity::vm::types::{BufferLength, SequenceSubtype, StringSubtype, TypeSignature};

use crate::clarity_api::{public, read_only, response, Args, CallOutput, Calls};
use crate::error::EngineError;
use crate::version::Version;

/// `patient-consent`'s name.
pub const CONSENT_CONTRACT: &str = "patient-consent";
/// `record-management`'s name.
pub const RECORDS_CONTRACT: &str = "record-management";

/// One of the two contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Contract {
    /// `patient-consent`.
    PatientConsent,
    /// `record-management`.
    RecordManagement,
}

impl Contract {
    /// Both contracts, in deployment order.
    pub const ALL: [Contract; 2] = [Contract::PatientConsent, Contract::RecordManagement];

    /// The contract's name.
    pub fn name(self) -> &'static str {
        match self {
            Contract::PatientConsent => CONSENT_CONTRACT,
            Contract::RecordManagement => RECORDS_CONTRACT,
        }
    }

    /// What loading the contract charges for, as a node records a deployed
    /// contract's size: its source and its constants.
    pub fn size(self, version: Version) -> u64 {
        let constants = match self {
            Contract::PatientConsent => clarimed_consent::CONSTANTS_SIZE,
            Contract::RecordManagement => clarimed_records::CONSTANTS_SIZE,
        };
        self.source(version).len() as u64 + constants
    }

    /// The contract's Clarity source in `version`, as `contracts/` (v2) or
    /// `contracts/v1/` holds it and a node deploys it.
    pub fn source(self, version: Version) -> &'static str {
        match (self, version) {
            (Contract::PatientConsent, Version::V1) => include_str!("../../../contracts/v1/patient-consent.clar"),
            (Contract::RecordManagement, Version::V1) => include_str!("../../../contracts/v1/record-management.clar"),
            (Contract::PatientConsent, Version::V2) => include_str!("../../../contracts/patient-consent.clar"),
            (Contract::RecordManagement, Version::V2) => include_str!("../../../contracts/record-management.clar"),
        }
    }

    /// The contract named `name`.
    pub fn from_name(name: &str) -> Result<Contract, EngineError> {
        Contract::ALL.into_iter().find(|contract| contract.name() == name).ok_or_else(|| EngineError::UnknownContract(name.to_string()))
    }
}

/// Whether a function may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `define-public`: a transaction.
    Public,
    /// `define-read-only`.
    ReadOnly,
}

/// A parameter's Clarity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `uint`.
    Uint,
    /// `bool`.
    Bool,
    /// `principal`.
    Principal,
    /// `(string-ascii N)`.
    Ascii(u32),
    /// `(buff N)`.
    Buff(u32),
    /// `(optional T)`.
    Optional(&'static Ty),
    /// `(list N T)`.
    List(&'static Ty, u32),
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ty::Uint => f.write_str("uint"),
            Ty::Bool => f.write_str("bool"),
            Ty::Principal => f.write_str("principal"),
            Ty::Ascii(n) => write!(f, "(string-ascii {n})"),
            Ty::Buff(n) => write!(f, "(buff {n})"),
            Ty::Optional(inner) => write!(f, "(optional {inner})"),
            Ty::List(inner, n) => write!(f, "(list {n} {inner})"),
        }
    }
}

impl Ty {
    /// clarity-vm's type for it.
    pub fn signature(&self) -> TypeSignature {
        let length = |n: u32| BufferLength::try_from(n).expect("the table's lengths are Clarity lengths");
        match self {
            Ty::Uint => TypeSignature::UIntType,
            Ty::Bool => TypeSignature::BoolType,
            Ty::Principal => TypeSignature::PrincipalType,
            Ty::Ascii(n) => TypeSignature::SequenceType(SequenceSubtype::StringType(StringSubtype::ASCII(length(*n)))),
            Ty::Buff(n) => TypeSignature::SequenceType(SequenceSubtype::BufferType(length(*n))),
            Ty::Optional(inner) => TypeSignature::new_option(inner.signature()).expect("an optional of a table type"),
            Ty::List(inner, n) => TypeSignature::list_of(inner.signature(), *n).expect("a list of a table type"),
        }
    }
}

/// A named parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its name in the contract.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
}

/// Runs a checked call: the engine, the caller, the arguments.
pub(crate) type Handler = fn(&Calls<'_>, &Principal, &Args) -> Result<CallOutput, EngineError>;

/// One function of a contract.
pub struct Function {
    /// Its contract.
    pub contract: Contract,
    /// Its name.
    pub name: &'static str,
    /// Public or read-only.
    pub access: Access,
    /// Its parameters, in order.
    pub params: &'static [Param],
    pub(crate) handler: Handler,
    signatures: OnceLock<Vec<TypeSignature>>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.contract.name(), self.name)
    }
}

impl Function {
    /// clarity-vm's types of its parameters.
    pub fn signatures(&self) -> &[TypeSignature] {
        self.signatures.get_or_init(|| self.params.iter().map(|param| param.ty.signature()).collect())
    }

    /// Checks native arguments against the parameters: what the typed API does
    /// before it runs anything.
    pub(crate) fn admit(&self, args: &[&dyn Arg]) -> Result<(), EngineError> {
        if args.len() != self.params.len() {
            return Err(EngineError::Internal(format!("{} checked with {} arguments", self.name, args.len())));
        }
        for (param, arg) in self.params.iter().zip(args) {
            arg.admit(&param.ty).map_err(|found| EngineError::ArgumentType {
                function: self.name.to_string(),
                argument: param.name.to_string(),
                expected: param.ty.to_string(),
                found,
            })?;
        }
        Ok(())
    }
}

/// A native argument checked against a parameter's type.
pub(crate) trait Arg {
    /// `Err` with what the value is, when the type does not admit it.
    fn admit(&self, ty: &Ty) -> Result<(), String>;
}

impl<T: Arg + ?Sized> Arg for &T {
    fn admit(&self, ty: &Ty) -> Result<(), String> {
        (**self).admit(ty)
    }
}

impl Arg for u128 {
    fn admit(&self, _: &Ty) -> Result<(), String> {
        Ok(())
    }
}

impl Arg for bool {
    fn admit(&self, _: &Ty) -> Result<(), String> {
        Ok(())
    }
}

impl Arg for Principal {
    fn admit(&self, _: &Ty) -> Result<(), String> {
        if self.is_valid() {
            Ok(())
        } else {
            Err("a contract principal whose name Clarity does not allow".to_string())
        }
    }
}

impl Arg for str {
    fn admit(&self, ty: &Ty) -> Result<(), String> {
        match ty {
            Ty::Ascii(max) if self.len() > *max as usize => Err(format!("a string of {} characters", self.len())),
            Ty::Ascii(_) if !is_clarity_ascii(self.as_bytes()) => Err("a string with characters string-ascii does not hold".to_string()),
            _ => Ok(()),
        }
    }
}

impl Arg for [u8] {
    fn admit(&self, ty: &Ty) -> Result<(), String> {
        match ty {
            Ty::Buff(max) if self.len() > *max as usize => Err(format!("a buffer of {} bytes", self.len())),
            _ => Ok(()),
        }
    }
}

impl Arg for [u128] {
    fn admit(&self, ty: &Ty) -> Result<(), String> {
        match ty {
            Ty::List(_, max) if self.len() > *max as usize => Err(format!("a list of {} items", self.len())),
            _ => Ok(()),
        }
    }
}

impl<T: Arg> Arg for Option<T> {
    fn admit(&self, ty: &Ty) -> Result<(), String> {
        match (self, ty) {
            (Some(value), Ty::Optional(inner)) => value.admit(inner),
            _ => Ok(()),
        }
    }
}

/// The epoch whose rules the arguments are checked by.
pub(crate) const EPOCH: StacksEpochId = StacksEpochId::Epoch25;

/// The function `contract.function`.
pub fn find(contract: &str, function: &str) -> Result<&'static Function, EngineError> {
    let contract = Contract::from_name(contract)?;
    FUNCTIONS
        .iter()
        .copied()
        .find(|row| row.contract == contract && row.name == function)
        .ok_or_else(|| EngineError::UnknownFunction { contract: contract.name().to_string(), function: function.to_string() })
}

/// The functions of `contract`, in the table's order.
pub fn functions(contract: Contract) -> impl Iterator<Item = &'static Function> {
    FUNCTIONS.iter().copied().filter(move |row| row.contract == contract)
}

macro_rules! table {
    ($($id:ident = $contract:ident $name:literal $access:ident ($($param:literal: $ty:expr),* $(,)?) => $handler:expr;)*) => {
        $(
            pub(crate) static $id: Function = Function {
                contract: Contract::$contract,
                name: $name,
                access: Access::$access,
                params: &[$(Param { name: $param, ty: $ty }),*],
                handler: $handler,
                signatures: OnceLock::new(),
            };
        )*

        /// Every function of both contracts.
        pub static FUNCTIONS: &[&Function] = &[$(&$id),*];
    };
}

const PRINCIPAL: Ty = Ty::Principal;
const UINT: Ty = Ty::Uint;
const BOOL: Ty = Ty::Bool;
const OPTIONAL_PRINCIPAL: Ty = Ty::Optional(&Ty::Principal);
const OPTIONAL_UINT: Ty = Ty::Optional(&Ty::Uint);

table! {
    REGISTER_PATIENT = PatientConsent "register-patient" Public ("patient-id": Ty::Ascii(64), "date-of-birth": UINT, "emergency-contact": OPTIONAL_PRINCIPAL, "primary-physician": OPTIONAL_PRINCIPAL)
        => |c, who, a| public(c.consent().register_patient(who, &a.get::<String>(0)?, a.get(1)?, a.get(2)?, a.get(3)?));
    UPDATE_PATIENT_PROFILE = PatientConsent "update-patient-profile" Public ("emergency-contact": OPTIONAL_PRINCIPAL, "primary-physician": OPTIONAL_PRINCIPAL)
        => |c, who, a| public(c.consent().update_patient_profile(who, a.get(0)?, a.get(1)?));
    UPDATE_PATIENT_PREFERENCES = PatientConsent "update-patient-preferences" Public ("allow-emergency-access": BOOL, "notify-on-access": BOOL, "research-opt-in": BOOL)
        => |c, who, a| public(c.consent().update_patient_preferences(who, a.get(0)?, a.get(1)?, a.get(2)?));
    GRANT_CONSENT = PatientConsent "grant-consent" Public ("provider": PRINCIPAL, "data-type": UINT, "expires-at": OPTIONAL_UINT, "purpose": Ty::Ascii(64))
        => |c, who, a| public(c.consent().grant_consent(who, &a.get(0)?, a.get::<u128>(1)?, a.get(2)?, &a.get::<String>(3)?));
    GRANT_CONSENT_BATCH = PatientConsent "grant-consent-batch" Public ("provider": PRINCIPAL, "data-types": Ty::List(&Ty::Uint, 8), "expires-at": OPTIONAL_UINT, "purpose": Ty::Ascii(64))
        => |c, who, a| public(c.consent().grant_consent_batch(who, &a.get(0)?, &a.get::<Vec<u128>>(1)?, a.get(2)?, &a.get::<String>(3)?));
    REVOKE_CONSENT = PatientConsent "revoke-consent" Public ("provider": PRINCIPAL, "data-type": UINT)
        => |c, who, a| public(c.consent().revoke_consent(who, &a.get(0)?, a.get::<u128>(1)?));
    EMERGENCY_OVERRIDE = PatientConsent "emergency-override" Public ("patient": PRINCIPAL, "reason": Ty::Ascii(128))
        => |c, who, a| public(c.consent().emergency_override(who, &a.get(0)?, &a.get::<String>(1)?));
    REVOKE_EMERGENCY_ACCESS = PatientConsent "revoke-emergency-access" Public ("patient": PRINCIPAL, "provider": PRINCIPAL)
        => |c, who, a| public(c.consent().revoke_emergency_access(who, &a.get(0)?, &a.get(1)?));
    MARK_DECEASED = PatientConsent "mark-deceased" Public ("patient": PRINCIPAL)
        => |c, who, a| public(c.consent().mark_deceased(who, &a.get(0)?));
    CONSENT_SET_PAUSED = PatientConsent "set-paused" Public ("new-paused": BOOL)
        => |c, who, a| public(c.consent().set_paused(who, a.get(0)?));
    SET_EMERGENCY_TIMEOUT = PatientConsent "set-emergency-timeout" Public ("blocks": UINT)
        => |c, who, a| public(c.consent().set_emergency_timeout(who, a.get(0)?));
    SET_EMERGENCY_RESPONDER = PatientConsent "set-emergency-responder" Public ("responder": PRINCIPAL, "enabled": BOOL)
        => |c, who, a| public(c.consent().set_emergency_responder(who, &a.get(0)?, a.get(1)?));
    CONSENT_TRANSFER_OWNERSHIP = PatientConsent "transfer-ownership" Public ("new-owner": PRINCIPAL)
        => |c, who, a| public(c.consent().transfer_ownership(who, &a.get(0)?));
    GET_PATIENT = PatientConsent "get-patient" ReadOnly ("patient": PRINCIPAL)
        => |c, _, a| read_only(c.consent().get_patient(&a.get(0)?));
    GET_PREFERENCES = PatientConsent "get-preferences" ReadOnly ("patient": PRINCIPAL)
        => |c, _, a| read_only(c.consent().get_preferences(&a.get(0)?));
    GET_CONSENT = PatientConsent "get-consent" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL, "data-type": UINT)
        => |c, _, a| read_only(c.consent().get_consent(&a.get(0)?, &a.get(1)?, a.get::<u128>(2)?));
    GET_EMERGENCY_ACCESS = PatientConsent "get-emergency-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL)
        => |c, _, a| read_only(c.consent().get_emergency_access(&a.get(0)?, &a.get(1)?));
    GET_AUDIT_ENTRY = PatientConsent "get-audit-entry" ReadOnly ("patient": PRINCIPAL, "seq": UINT)
        => |c, _, a| read_only(c.consent().get_audit_entry(&a.get(0)?, a.get(1)?));
    GET_AUDIT_COUNT = PatientConsent "get-audit-count" ReadOnly ("patient": PRINCIPAL)
        => |c, _, a| read_only(c.consent().get_audit_count(&a.get(0)?));
    GET_EMERGENCY_TIMEOUT = PatientConsent "get-emergency-timeout" ReadOnly ()
        => |c, _, _| read_only(c.consent().get_emergency_timeout());
    CONSENT_IS_PAUSED = PatientConsent "is-paused" ReadOnly ()
        => |c, _, _| read_only(c.consent().is_paused());
    CONSENT_GET_CONTRACT_OWNER = PatientConsent "get-contract-owner" ReadOnly ()
        => |c, _, _| read_only(c.consent().get_contract_owner());
    IS_EMERGENCY_RESPONDER = PatientConsent "is-emergency-responder" ReadOnly ("responder": PRINCIPAL)
        => |c, _, a| read_only(c.consent().is_emergency_responder(&a.get(0)?));
    CONSENT_GET_STATS = PatientConsent "get-stats" ReadOnly ()
        => |c, _, _| read_only(c.consent().get_stats());
    HAS_CONSENT = PatientConsent "has-consent" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL, "data-type": UINT)
        => |c, _, a| read_only(c.consent().has_consent(&a.get(0)?, &a.get(1)?, a.get::<u128>(2)?));
    HAS_EMERGENCY_ACCESS = PatientConsent "has-emergency-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL)
        => |c, _, a| read_only(c.consent().has_emergency_access(&a.get(0)?, &a.get(1)?));
    CAN_ACCESS = PatientConsent "can-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL, "data-type": UINT)
        => |c, _, a| read_only(c.consent().can_access(&a.get(0)?, &a.get(1)?, a.get::<u128>(2)?));

    GRANT_PROVIDER_ACCESS = RecordManagement "grant-provider-access" Public ("patient": PRINCIPAL, "provider": PRINCIPAL, "access-level": UINT, "expires-at": OPTIONAL_UINT, "audit-required": BOOL)
        => |c, who, a| public(c.records().grant_provider_access(who, &a.get(0)?, &a.get(1)?, a.get::<u128>(2)?, a.get(3)?, a.get(4)?));
    REVOKE_PROVIDER_ACCESS = RecordManagement "revoke-provider-access" Public ("patient": PRINCIPAL, "provider": PRINCIPAL)
        => |c, who, a| public(c.records().revoke_provider_access(who, &a.get(0)?, &a.get(1)?));
    CREATE_RECORD = RecordManagement "create-record" Public ("patient": PRINCIPAL, "record-type": UINT, "title": Ty::Ascii(100), "data-hash": Ty::Ascii(64), "checksum": Ty::Buff(32), "encryption-key-id": Ty::Optional(&Ty::Ascii(64)), "confidentiality-level": UINT, "signature": Ty::Buff(65), "public-key": Ty::Buff(33))
        => |c, who, a| {
            let (title, data_hash, checksum): (String, String, Buff) = (a.get(2)?, a.get(3)?, a.get(4)?);
            let (key_id, signature, public_key): (Option<String>, Buff, Buff) = (a.get(5)?, a.get(7)?, a.get(8)?);
            let content = Content { title: &title, data_hash: &data_hash, checksum: &checksum.0 };
            let signed = Signed { signature: &signature.0, public_key: &public_key.0 };
            public(c.records().create_record(who, &a.get(0)?, a.get::<u128>(1)?, &content, key_id.as_deref(), a.get(6)?, &signed))
        };
    GET_RECORD = RecordManagement "get-record" Public ("record-id": UINT)
        => |c, who, a| public(c.records().get_record(who, a.get(0)?));
    UPDATE_RECORD = RecordManagement "update-record" Public ("record-id": UINT, "title": Ty::Ascii(100), "data-hash": Ty::Ascii(64), "checksum": Ty::Buff(32), "signature": Ty::Buff(65), "public-key": Ty::Buff(33))
        => |c, who, a| {
            let (title, data_hash, checksum): (String, String, Buff) = (a.get(1)?, a.get(2)?, a.get(3)?);
            let (signature, public_key): (Buff, Buff) = (a.get(4)?, a.get(5)?);
            let content = Content { title: &title, data_hash: &data_hash, checksum: &checksum.0 };
            let signed = Signed { signature: &signature.0, public_key: &public_key.0 };
            public(c.records().update_record(who, a.get(0)?, &content, &signed))
        };
    ROLLBACK_RECORD = RecordManagement "rollback-record" Public ("record-id": UINT, "version": UINT)
        => |c, who, a| public(c.records().rollback_record(who, a.get(0)?, a.get(1)?));
    ARCHIVE_RECORD = RecordManagement "archive-record" Public ("record-id": UINT)
        => |c, who, a| public(c.records().archive_record(who, a.get(0)?));
    ARCHIVE_RECORDS = RecordManagement "archive-records" Public ("record-ids": Ty::List(&Ty::Uint, 20))
        => |c, who, a| public(c.records().archive_records(who, &a.get::<Vec<u128>>(0)?));
    PURGE_RECORD = RecordManagement "purge-record" Public ("record-id": UINT)
        => |c, who, a| public(c.records().purge_record(who, a.get(0)?));
    RECORDS_SET_PAUSED = RecordManagement "set-paused" Public ("new-paused": BOOL)
        => |c, who, a| public(c.records().set_paused(who, a.get(0)?));
    SET_RETENTION_PERIOD = RecordManagement "set-retention-period" Public ("blocks": UINT)
        => |c, who, a| public(c.records().set_retention_period(who, a.get(0)?));
    RECORDS_TRANSFER_OWNERSHIP = RecordManagement "transfer-ownership" Public ("new-owner": PRINCIPAL)
        => |c, who, a| public(c.records().transfer_ownership(who, &a.get(0)?));
    CHECK_ACCESS = RecordManagement "check-access" ReadOnly ("record-id": UINT, "accessor": PRINCIPAL, "action": UINT)
        => |c, _, a| response(c.records().check_access(a.get(0)?, &a.get(1)?, a.get::<u128>(2)?));
    GET_RECORD_INFO = RecordManagement "get-record-info" ReadOnly ("record-id": UINT)
        => |c, _, a| read_only(c.records().get_record_info(a.get(0)?));
    GET_RECORD_VERSION = RecordManagement "get-record-version" ReadOnly ("record-id": UINT, "version": UINT)
        => |c, _, a| read_only(c.records().get_record_version(a.get(0)?, a.get(1)?));
    GET_PROVIDER_ACCESS = RecordManagement "get-provider-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL)
        => |c, _, a| read_only(c.records().get_provider_access(&a.get(0)?, &a.get(1)?));
    GET_ACCESS_LOG_ENTRY = RecordManagement "get-access-log-entry" ReadOnly ("log-id": UINT)
        => |c, _, a| read_only(c.records().get_access_log_entry(a.get(0)?));
    GET_RECORD_ACCESS_COUNT = RecordManagement "get-record-access-count" ReadOnly ("record-id": UINT)
        => |c, _, a| read_only(c.records().get_record_access_count(a.get(0)?));
    GET_RECORD_COUNT = RecordManagement "get-record-count" ReadOnly ("patient": PRINCIPAL)
        => |c, _, a| read_only(c.records().get_record_count(&a.get(0)?));
    GET_PATIENT_RECORD_ID = RecordManagement "get-patient-record-id" ReadOnly ("patient": PRINCIPAL, "index": UINT)
        => |c, _, a| read_only(c.records().get_patient_record_id(&a.get(0)?, a.get(1)?));
    VERIFY_CHECKSUM = RecordManagement "verify-checksum" ReadOnly ("record-id": UINT, "checksum": Ty::Buff(32))
        => |c, _, a| read_only(c.records().verify_checksum(a.get(0)?, &a.get::<Buff>(1)?.0));
    GET_RETENTION_PERIOD = RecordManagement "get-retention-period" ReadOnly ()
        => |c, _, _| read_only(c.records().get_retention_period());
    RECORDS_IS_PAUSED = RecordManagement "is-paused" ReadOnly ()
        => |c, _, _| read_only(c.records().is_paused());
    RECORDS_GET_CONTRACT_OWNER = RecordManagement "get-contract-owner" ReadOnly ()
        => |c, _, _| read_only(c.records().get_contract_owner());
    RECORDS_GET_STATS = RecordManagement "get-stats" ReadOnly ()
        => |c, _, _| read_only(c.records().get_stats());
}

/// The typed API decodes what the table checked: a value of the parameter's type.
pub(crate) fn decode<T: ClarityType>(function: &Function, index: usize, bytes: &[u8]) -> Result<T, EngineError> {
    let param = &function.params[index];
    T::from_bytes(bytes).map_err(|e| EngineError::Internal(format!("{}: argument `{}` as {}: {e}", function.name, param.name, param.ty)))
}
