//! A transaction's payload as a contract deployment.

use clarity::vm::ClarityVersion;
use stacks_codec::codec::TransactionPayload;

use crate::Transaction;

/// A contract deployed by the transaction's origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// The contract's name (its address is the origin's).
    pub name: String,
    /// Its Clarity source, as sent.
    pub source: String,
    /// The Clarity version it asks for; `None` is the epoch's default (Clarity 2
    /// in epoch 2.5).
    pub clarity_version: Option<ClarityVersion>,
}

impl Transaction {
    /// The contract the transaction deploys, if it deploys one.
    pub fn deployment(&self) -> Option<Deployment> {
        let TransactionPayload::SmartContract(contract, clarity_version) = &self.wire().payload else {
            return None;
        };
        Some(Deployment { name: contract.name.to_string(), source: contract.code_body.to_string(), clarity_version: *clarity_version })
    }
}
