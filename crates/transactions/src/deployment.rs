//! A transaction's payload as a contract deployment.

/// A contract deployed by the transaction's origin, as an [`crate::envelope`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// The contract's name (its address is the origin's).
    pub name: String,
    /// Its Clarity source, as sent.
    pub source: String,
    /// The Clarity version it asks for, as its byte (1 to 6 in stacks-core 4.0.2);
    /// `None` is the epoch's default (Clarity 2 in epochs 2.1 to 2.5).
    pub clarity_version: Option<u8>,
}
