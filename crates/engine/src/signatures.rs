//! Every public and read-only function of both contracts, with its argument types,
//! for checking calls that come in as Clarity values. A test compares this table
//! with the VM's own analysis of `contracts/`.

use std::sync::OnceLock;

use clarity::types::StacksEpochId;
use clarity::vm::ast::{build_ast_with_rules, ASTRules};
use clarity::vm::types::{QualifiedContractIdentifier, TypeSignature};
use clarity::vm::ClarityVersion;

use crate::error::EngineError;

pub const CONSENT_CONTRACT: &str = "patient-consent";
pub const RECORDS_CONTRACT: &str = "record-management";

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSignature {
    pub name: &'static str,
    pub read_only: bool,
    pub args: Vec<(&'static str, TypeSignature)>,
}

type Table = &'static [(&'static str, bool, &'static [(&'static str, &'static str)])];

const PUBLIC: bool = false;
const READ_ONLY: bool = true;

const CONSENT_FUNCTIONS: Table = &[
    ("register-patient", PUBLIC, &[("patient-id", "(string-ascii 64)"), ("date-of-birth", "uint"), ("emergency-contact", "(optional principal)"), ("primary-physician", "(optional principal)")]),
    ("update-patient-profile", PUBLIC, &[("emergency-contact", "(optional principal)"), ("primary-physician", "(optional principal)")]),
    ("update-patient-preferences", PUBLIC, &[("allow-emergency-access", "bool"), ("notify-on-access", "bool"), ("research-opt-in", "bool")]),
    ("grant-consent", PUBLIC, &[("provider", "principal"), ("data-type", "uint"), ("expires-at", "(optional uint)"), ("purpose", "(string-ascii 64)")]),
    ("grant-consent-batch", PUBLIC, &[("provider", "principal"), ("data-types", "(list 8 uint)"), ("expires-at", "(optional uint)"), ("purpose", "(string-ascii 64)")]),
    ("revoke-consent", PUBLIC, &[("provider", "principal"), ("data-type", "uint")]),
    ("emergency-override", PUBLIC, &[("patient", "principal"), ("reason", "(string-ascii 128)")]),
    ("revoke-emergency-access", PUBLIC, &[("patient", "principal"), ("provider", "principal")]),
    ("mark-deceased", PUBLIC, &[("patient", "principal")]),
    ("set-paused", PUBLIC, &[("new-paused", "bool")]),
    ("set-emergency-timeout", PUBLIC, &[("blocks", "uint")]),
    ("set-emergency-responder", PUBLIC, &[("responder", "principal"), ("enabled", "bool")]),
    ("transfer-ownership", PUBLIC, &[("new-owner", "principal")]),
    ("get-patient", READ_ONLY, &[("patient", "principal")]),
    ("get-preferences", READ_ONLY, &[("patient", "principal")]),
    ("get-consent", READ_ONLY, &[("patient", "principal"), ("provider", "principal"), ("data-type", "uint")]),
    ("get-emergency-access", READ_ONLY, &[("patient", "principal"), ("provider", "principal")]),
    ("get-audit-entry", READ_ONLY, &[("patient", "principal"), ("seq", "uint")]),
    ("get-audit-count", READ_ONLY, &[("patient", "principal")]),
    ("get-emergency-timeout", READ_ONLY, &[]),
    ("is-paused", READ_ONLY, &[]),
    ("get-contract-owner", READ_ONLY, &[]),
    ("is-emergency-responder", READ_ONLY, &[("responder", "principal")]),
    ("get-stats", READ_ONLY, &[]),
    ("has-consent", READ_ONLY, &[("patient", "principal"), ("provider", "principal"), ("data-type", "uint")]),
    ("has-emergency-access", READ_ONLY, &[("patient", "principal"), ("provider", "principal")]),
    ("can-access", READ_ONLY, &[("patient", "principal"), ("provider", "principal"), ("data-type", "uint")]),
];

const RECORDS_FUNCTIONS: Table = &[
    ("grant-provider-access", PUBLIC, &[("patient", "principal"), ("provider", "principal"), ("access-level", "uint"), ("expires-at", "(optional uint)"), ("audit-required", "bool")]),
    ("revoke-provider-access", PUBLIC, &[("patient", "principal"), ("provider", "principal")]),
    ("create-record", PUBLIC, &[("patient", "principal"), ("record-type", "uint"), ("title", "(string-ascii 100)"), ("data-hash", "(string-ascii 64)"), ("checksum", "(buff 32)"), ("encryption-key-id", "(optional (string-ascii 64))"), ("confidentiality-level", "uint"), ("signature", "(buff 65)"), ("public-key", "(buff 33)")]),
    ("get-record", PUBLIC, &[("record-id", "uint")]),
    ("update-record", PUBLIC, &[("record-id", "uint"), ("title", "(string-ascii 100)"), ("data-hash", "(string-ascii 64)"), ("checksum", "(buff 32)"), ("signature", "(buff 65)"), ("public-key", "(buff 33)")]),
    ("rollback-record", PUBLIC, &[("record-id", "uint"), ("version", "uint")]),
    ("archive-record", PUBLIC, &[("record-id", "uint")]),
    ("archive-records", PUBLIC, &[("record-ids", "(list 20 uint)")]),
    ("purge-record", PUBLIC, &[("record-id", "uint")]),
    ("set-paused", PUBLIC, &[("new-paused", "bool")]),
    ("set-retention-period", PUBLIC, &[("blocks", "uint")]),
    ("transfer-ownership", PUBLIC, &[("new-owner", "principal")]),
    ("check-access", READ_ONLY, &[("record-id", "uint"), ("accessor", "principal"), ("action", "uint")]),
    ("get-record-info", READ_ONLY, &[("record-id", "uint")]),
    ("get-record-version", READ_ONLY, &[("record-id", "uint"), ("version", "uint")]),
    ("get-provider-access", READ_ONLY, &[("patient", "principal"), ("provider", "principal")]),
    ("get-access-log-entry", READ_ONLY, &[("log-id", "uint")]),
    ("get-record-access-count", READ_ONLY, &[("record-id", "uint")]),
    ("get-record-count", READ_ONLY, &[("patient", "principal")]),
    ("get-patient-record-id", READ_ONLY, &[("patient", "principal"), ("index", "uint")]),
    ("verify-checksum", READ_ONLY, &[("record-id", "uint"), ("checksum", "(buff 32)")]),
    ("get-retention-period", READ_ONLY, &[]),
    ("is-paused", READ_ONLY, &[]),
    ("get-contract-owner", READ_ONLY, &[]),
    ("get-stats", READ_ONLY, &[]),
];

fn parse_type(text: &str) -> TypeSignature {
    let epoch = StacksEpochId::Epoch25;
    let ast = build_ast_with_rules(&QualifiedContractIdentifier::transient(), text, &mut (), ClarityVersion::Clarity2, epoch, ASTRules::PrecheckSize)
        .unwrap_or_else(|e| panic!("type `{text}` in the signature table does not parse: {e}"));
    TypeSignature::parse_type_repr(epoch, &ast.expressions[0], &mut ())
        .unwrap_or_else(|e| panic!("type `{text}` in the signature table is not a type: {e}"))
}

fn build(table: Table) -> Vec<FunctionSignature> {
    table
        .iter()
        .map(|(name, read_only, args)| FunctionSignature {
            name,
            read_only: *read_only,
            args: args.iter().map(|(arg, ty)| (*arg, parse_type(ty))).collect(),
        })
        .collect()
}

/// The functions of `contract`, or `None` for an unknown contract.
pub fn functions(contract: &str) -> Option<&'static [FunctionSignature]> {
    static CONSENT: OnceLock<Vec<FunctionSignature>> = OnceLock::new();
    static RECORDS: OnceLock<Vec<FunctionSignature>> = OnceLock::new();
    match contract {
        CONSENT_CONTRACT => Some(CONSENT.get_or_init(|| build(CONSENT_FUNCTIONS))),
        RECORDS_CONTRACT => Some(RECORDS.get_or_init(|| build(RECORDS_FUNCTIONS))),
        _ => None,
    }
}

/// The signature of `contract`'s `function`.
pub fn find(contract: &str, function: &str) -> Result<&'static FunctionSignature, EngineError> {
    let functions = functions(contract).ok_or_else(|| EngineError::UnknownContract(contract.to_string()))?;
    functions
        .iter()
        .find(|signature| signature.name == function)
        .ok_or_else(|| EngineError::UnknownFunction {
            contract: contract.to_string(),
            function: function.to_string(),
        })
}
