//! Between clarity-vm's values and the native types: through the consensus
//! serialization, so that both sides agree to the byte.

use clarimed_storage::clarity::{ClarityType, Principal};
use clarity::vm::types::{PrincipalData, QualifiedContractIdentifier, StandardPrincipalData};
use clarity::vm::{ContractName, Value};

use crate::error::EngineError;

/// A clarity-vm principal as a native one.
pub fn principal_to_native(principal: &PrincipalData) -> Principal {
    match principal {
        PrincipalData::Standard(StandardPrincipalData(version, hash)) => Principal::standard(*version, *hash),
        PrincipalData::Contract(QualifiedContractIdentifier { issuer, name }) => {
            Principal { version: issuer.0, hash160: issuer.1, contract_name: Some(name.as_str().into()) }
        }
    }
}

/// A native principal as a clarity-vm one. A native `Principal` is plain data: a
/// contract name that Clarity does not allow is [`EngineError::InvalidPrincipal`].
pub fn principal_to_clarity(principal: &Principal) -> Result<PrincipalData, EngineError> {
    let issuer = StandardPrincipalData(principal.version, principal.hash160);
    match &principal.contract_name {
        None => Ok(PrincipalData::Standard(issuer)),
        Some(name) => {
            let name = ContractName::try_from(name.to_string()).map_err(|_| EngineError::InvalidPrincipal(principal_to_string(principal)))?;
            Ok(PrincipalData::Contract(QualifiedContractIdentifier::new(issuer, name)))
        }
    }
}

/// Parses `ST…` or `ST….contract-name`, with or without a leading `'`.
pub fn parse_principal(text: &str) -> Result<Principal, EngineError> {
    PrincipalData::parse(text).map(|principal| principal_to_native(&principal)).map_err(|_| EngineError::InvalidPrincipal(text.to_string()))
}

/// The principal in Clarity's address notation (`ST…`, `ST….name`), for display:
/// any principal prints. An address version of 32 or more has no c32 form and
/// prints as clarity-vm prints it, `INVALID_C32_ADD`.
pub fn principal_to_string(principal: &Principal) -> String {
    let address = StandardPrincipalData(principal.version, principal.hash160).to_address();
    match &principal.contract_name {
        None => address,
        Some(name) => format!("{address}.{name}"),
    }
}

/// A native value as a clarity-vm `Value`.
pub fn to_value(native: &impl ClarityType) -> Result<Value, EngineError> {
    bytes_to_value(&native.to_bytes())
}

/// Consensus-serialized bytes as a clarity-vm `Value`.
pub fn bytes_to_value(bytes: &[u8]) -> Result<Value, EngineError> {
    Value::deserialize_read(&mut &bytes[..], None, false).map_err(|e| EngineError::InvalidValue { expected: "value".to_string(), error: e.to_string() })
}
