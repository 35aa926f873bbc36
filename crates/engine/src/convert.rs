//! Between clarity-vm's values and the native types: through the consensus
//! serialization, so that both sides agree to the byte.

use clarimed_storage::clarity::{ClarityType, Principal};
use clarity::vm::types::{PrincipalData, QualifiedContractIdentifier, StandardPrincipalData, TypeSignature};
use clarity::vm::{ContractName, Value};

use crate::error::EngineError;

/// A clarity-vm principal as a native one.
pub fn principal_to_native(principal: &PrincipalData) -> Principal {
    match principal {
        PrincipalData::Standard(StandardPrincipalData(version, hash)) => Principal::standard(*version, *hash),
        PrincipalData::Contract(QualifiedContractIdentifier { issuer, name }) => Principal {
            version: issuer.0,
            hash160: issuer.1,
            contract_name: Some(name.as_str().into()),
        },
    }
}

/// A native principal as a clarity-vm one.
pub fn principal_to_clarity(principal: &Principal) -> PrincipalData {
    let issuer = StandardPrincipalData(principal.version, principal.hash160);
    match &principal.contract_name {
        None => PrincipalData::Standard(issuer),
        Some(name) => {
            let name = ContractName::try_from(name.to_string()).expect("a name that was a valid contract name");
            PrincipalData::Contract(QualifiedContractIdentifier::new(issuer, name))
        }
    }
}

/// Parses `ST…` or `ST….contract-name`, with or without a leading `'`.
pub fn parse_principal(text: &str) -> Result<Principal, EngineError> {
    PrincipalData::parse(text)
        .map(|principal| principal_to_native(&principal))
        .map_err(|_| EngineError::InvalidPrincipal(text.to_string()))
}

/// The principal in Clarity's address notation (`ST…`).
pub fn principal_to_string(principal: &Principal) -> String {
    principal_to_clarity(principal).to_string()
}

/// A native value as a clarity-vm `Value`.
pub fn to_value(native: &impl ClarityType) -> Result<Value, EngineError> {
    bytes_to_value(&native.to_bytes())
}

/// Consensus-serialized bytes as a clarity-vm `Value`.
pub fn bytes_to_value(bytes: &[u8]) -> Result<Value, EngineError> {
    Value::deserialize_read(&mut &bytes[..], None, false).map_err(|e| EngineError::Conversion(e.to_string()))
}

/// A clarity-vm `Value`, already checked against `expected`, as a native value.
pub fn from_value<T: ClarityType>(value: &Value, expected: &TypeSignature) -> Result<T, EngineError> {
    let bytes = value
        .serialize_to_vec()
        .map_err(|e| EngineError::Conversion(format!("{e:?}")))?;
    T::from_bytes(&bytes).map_err(|e| EngineError::Conversion(format!("{value} as {expected}: {e}")))
}
