//! What a contract call runs with, and how it can fail.

use clarimed_costs::{Epoch, Meter};
use clarimed_storage::clarity::{Principal, StateError};

/// The call's `contract-caller` and `block-height`, and the meter its execution
/// cost is charged to, as its epoch charges.
///
/// Only the caller authorizes (v2 of the contracts; v1 used `tx-sender`). A
/// transaction calls these contracts directly, and in a direct call both are the
/// signer, so one caller serves both versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub caller: Principal,
    pub block_height: u128,
    pub meter: Meter,
}

impl Context {
    /// A direct call by `caller` (the transaction's signer) in `epoch`.
    pub fn new(caller: Principal, block_height: u128, epoch: Epoch) -> Context {
        Context { caller, block_height, meter: Meter::new(epoch) }
    }
}

/// A call's failure: the contract's `(err code)`, or the state could not be read or
/// written (a broken or corrupt store, which no Clarity call can cause).
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    #[error("contract error {0}")]
    Contract(E),
    #[error(transparent)]
    State(#[from] StateError),
}

impl<E> CallError<E> {
    /// The contract error, if that is what this is.
    pub fn contract_error(&self) -> Option<&E> {
        match self {
            CallError::Contract(error) => Some(error),
            CallError::State(_) => None,
        }
    }
}

pub type Outcome<T, E = crate::codes::ConsentError> = Result<T, CallError<E>>;
