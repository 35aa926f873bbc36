//! Every public and read-only function of both contracts, once: contract, name,
//! public or read-only, and parameters.
//!
//! The table drives the Clarity-valued API (lookup, arity and argument checks, then
//! the row's handler, `clarity_api::handler`, matched on the row's [`Id`]), the
//! typed API's argument checks (each typed method checks its arguments against its
//! row), the command line's argument checks, and a test that compares it with
//! clarity-vm's own analysis of `contracts/`. Each handler calls the typed API, so
//! the two APIs run the same code. The table itself depends on neither.

use std::sync::OnceLock;

use clarimed_storage::clarity::{is_clarity_ascii, ClarityType, Principal};
use clarity::types::StacksEpochId;
use clarity::vm::types::{BufferLength, SequenceSubtype, StringSubtype, TypeSignature};

use crate::error::EngineError;

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

/// One function of a contract.
pub struct Function {
    pub(crate) id: Id,
    /// Its contract.
    pub contract: Contract,
    /// Its name.
    pub name: &'static str,
    /// Public or read-only.
    pub access: Access,
    /// Its parameters, in order.
    pub params: &'static [Param],
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
    ($($id:ident = $contract:ident $name:literal $access:ident ($($param:literal: $ty:expr),* $(,)?);)*) => {
        /// Which function a row is: what the Clarity-valued API runs it by
        /// (`clarity_api::handler`, a match the compiler holds to every row).
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Id {
            $($id),*
        }

        $(
            pub(crate) static $id: Function = Function {
                id: Id::$id,
                contract: Contract::$contract,
                name: $name,
                access: Access::$access,
                params: &[$(Param { name: $param, ty: $ty }),*],
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
    REGISTER_PATIENT = PatientConsent "register-patient" Public ("patient-id": Ty::Ascii(64), "date-of-birth": UINT, "emergency-contact": OPTIONAL_PRINCIPAL, "primary-physician": OPTIONAL_PRINCIPAL);
    UPDATE_PATIENT_PROFILE = PatientConsent "update-patient-profile" Public ("emergency-contact": OPTIONAL_PRINCIPAL, "primary-physician": OPTIONAL_PRINCIPAL);
    UPDATE_PATIENT_PREFERENCES = PatientConsent "update-patient-preferences" Public ("allow-emergency-access": BOOL, "notify-on-access": BOOL, "research-opt-in": BOOL);
    GRANT_CONSENT = PatientConsent "grant-consent" Public ("provider": PRINCIPAL, "data-type": UINT, "expires-at": OPTIONAL_UINT, "purpose": Ty::Ascii(64));
    GRANT_CONSENT_BATCH = PatientConsent "grant-consent-batch" Public ("provider": PRINCIPAL, "data-types": Ty::List(&Ty::Uint, 8), "expires-at": OPTIONAL_UINT, "purpose": Ty::Ascii(64));
    REVOKE_CONSENT = PatientConsent "revoke-consent" Public ("provider": PRINCIPAL, "data-type": UINT);
    EMERGENCY_OVERRIDE = PatientConsent "emergency-override" Public ("patient": PRINCIPAL, "reason": Ty::Ascii(128));
    REVOKE_EMERGENCY_ACCESS = PatientConsent "revoke-emergency-access" Public ("patient": PRINCIPAL, "provider": PRINCIPAL);
    MARK_DECEASED = PatientConsent "mark-deceased" Public ("patient": PRINCIPAL);
    CONSENT_SET_PAUSED = PatientConsent "set-paused" Public ("new-paused": BOOL);
    SET_EMERGENCY_TIMEOUT = PatientConsent "set-emergency-timeout" Public ("blocks": UINT);
    SET_EMERGENCY_RESPONDER = PatientConsent "set-emergency-responder" Public ("responder": PRINCIPAL, "enabled": BOOL);
    CONSENT_TRANSFER_OWNERSHIP = PatientConsent "transfer-ownership" Public ("new-owner": PRINCIPAL);
    GET_PATIENT = PatientConsent "get-patient" ReadOnly ("patient": PRINCIPAL);
    GET_PREFERENCES = PatientConsent "get-preferences" ReadOnly ("patient": PRINCIPAL);
    GET_CONSENT = PatientConsent "get-consent" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL, "data-type": UINT);
    GET_EMERGENCY_ACCESS = PatientConsent "get-emergency-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL);
    GET_AUDIT_ENTRY = PatientConsent "get-audit-entry" ReadOnly ("patient": PRINCIPAL, "seq": UINT);
    GET_AUDIT_COUNT = PatientConsent "get-audit-count" ReadOnly ("patient": PRINCIPAL);
    GET_EMERGENCY_TIMEOUT = PatientConsent "get-emergency-timeout" ReadOnly ();
    CONSENT_IS_PAUSED = PatientConsent "is-paused" ReadOnly ();
    CONSENT_GET_CONTRACT_OWNER = PatientConsent "get-contract-owner" ReadOnly ();
    IS_EMERGENCY_RESPONDER = PatientConsent "is-emergency-responder" ReadOnly ("responder": PRINCIPAL);
    CONSENT_GET_STATS = PatientConsent "get-stats" ReadOnly ();
    HAS_CONSENT = PatientConsent "has-consent" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL, "data-type": UINT);
    HAS_EMERGENCY_ACCESS = PatientConsent "has-emergency-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL);
    CAN_ACCESS = PatientConsent "can-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL, "data-type": UINT);

    GRANT_PROVIDER_ACCESS = RecordManagement "grant-provider-access" Public ("patient": PRINCIPAL, "provider": PRINCIPAL, "access-level": UINT, "expires-at": OPTIONAL_UINT, "audit-required": BOOL);
    REVOKE_PROVIDER_ACCESS = RecordManagement "revoke-provider-access" Public ("patient": PRINCIPAL, "provider": PRINCIPAL);
    CREATE_RECORD = RecordManagement "create-record" Public ("patient": PRINCIPAL, "record-type": UINT, "title": Ty::Ascii(100), "data-hash": Ty::Ascii(64), "checksum": Ty::Buff(32), "encryption-key-id": Ty::Optional(&Ty::Ascii(64)), "confidentiality-level": UINT, "signature": Ty::Buff(65), "public-key": Ty::Buff(33));
    GET_RECORD = RecordManagement "get-record" Public ("record-id": UINT);
    UPDATE_RECORD = RecordManagement "update-record" Public ("record-id": UINT, "title": Ty::Ascii(100), "data-hash": Ty::Ascii(64), "checksum": Ty::Buff(32), "signature": Ty::Buff(65), "public-key": Ty::Buff(33));
    ROLLBACK_RECORD = RecordManagement "rollback-record" Public ("record-id": UINT, "version": UINT);
    ARCHIVE_RECORD = RecordManagement "archive-record" Public ("record-id": UINT);
    ARCHIVE_RECORDS = RecordManagement "archive-records" Public ("record-ids": Ty::List(&Ty::Uint, 20));
    PURGE_RECORD = RecordManagement "purge-record" Public ("record-id": UINT);
    RECORDS_SET_PAUSED = RecordManagement "set-paused" Public ("new-paused": BOOL);
    SET_RETENTION_PERIOD = RecordManagement "set-retention-period" Public ("blocks": UINT);
    RECORDS_TRANSFER_OWNERSHIP = RecordManagement "transfer-ownership" Public ("new-owner": PRINCIPAL);
    CHECK_ACCESS = RecordManagement "check-access" ReadOnly ("record-id": UINT, "accessor": PRINCIPAL, "action": UINT);
    GET_RECORD_INFO = RecordManagement "get-record-info" ReadOnly ("record-id": UINT);
    GET_RECORD_VERSION = RecordManagement "get-record-version" ReadOnly ("record-id": UINT, "version": UINT);
    GET_PROVIDER_ACCESS = RecordManagement "get-provider-access" ReadOnly ("patient": PRINCIPAL, "provider": PRINCIPAL);
    GET_ACCESS_LOG_ENTRY = RecordManagement "get-access-log-entry" ReadOnly ("log-id": UINT);
    GET_RECORD_ACCESS_COUNT = RecordManagement "get-record-access-count" ReadOnly ("record-id": UINT);
    GET_RECORD_COUNT = RecordManagement "get-record-count" ReadOnly ("patient": PRINCIPAL);
    GET_PATIENT_RECORD_ID = RecordManagement "get-patient-record-id" ReadOnly ("patient": PRINCIPAL, "index": UINT);
    VERIFY_CHECKSUM = RecordManagement "verify-checksum" ReadOnly ("record-id": UINT, "checksum": Ty::Buff(32));
    GET_RETENTION_PERIOD = RecordManagement "get-retention-period" ReadOnly ();
    RECORDS_IS_PAUSED = RecordManagement "is-paused" ReadOnly ();
    RECORDS_GET_CONTRACT_OWNER = RecordManagement "get-contract-owner" ReadOnly ();
    RECORDS_GET_STATS = RecordManagement "get-stats" ReadOnly ();
}

/// The typed API decodes what the table checked: a value of the parameter's type.
pub(crate) fn decode<T: ClarityType>(function: &Function, index: usize, bytes: &[u8]) -> Result<T, EngineError> {
    let param = &function.params[index];
    T::from_bytes(bytes).map_err(|e| EngineError::Internal(format!("{}: argument `{}` as {}: {e}", function.name, param.name, param.ty)))
}
