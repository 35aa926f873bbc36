//! Why a transaction is refused: the node's `MemPoolRejection`, by the reason names
//! its rejection JSON carries.

use thiserror::Error;

/// A transaction refused before it runs; nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    /// The bytes are not a transaction.
    #[error("Failed to deserialize posted transaction: {0}")]
    Deserialization(String),
    /// A mainnet transaction sent to a testnet node, or the other way round.
    #[error("the transaction's version is for another network")]
    BadTransactionVersion,
    /// A signature does not verify (or is high-S), or the chain id is another's.
    #[error("{0}")]
    SignatureValidation(String),
    /// The fee is under one micro-STX per byte.
    #[error("the fee {actual} is under the minimum {expected}")]
    FeeTooLow {
        /// What the transaction offers.
        actual: u64,
        /// The least it must offer.
        expected: u64,
    },
    /// The nonce was already spent.
    #[error("nonce {} of {}: expected {}", .0.actual, .0.principal, .0.expected)]
    BadNonce(NonceMismatch),
    /// The nonce is further ahead of the account's than the mempool chains.
    #[error("nonce {actual_nonce} of {principal} would exceed the chaining limit {max_nonce}")]
    TooMuchChaining {
        /// The highest nonce the mempool takes from the account now.
        max_nonce: u64,
        /// The transaction's.
        actual_nonce: u64,
        /// The account.
        principal: String,
        /// Whether the account is the origin (not a sponsor).
        is_origin: bool,
    },
    /// Another pending transaction spends the same nonce.
    #[error("another pending transaction has the same nonce")]
    ConflictingNonceInMempool,
    /// An address in the payload is of another network.
    #[error("an address in the payload is of another network")]
    BadAddressVersionByte,
    /// The called contract is not deployed here.
    #[error("no such contract")]
    NoSuchContract,
    /// The contract has no public function of that name.
    #[error("no such public function")]
    NoSuchPublicFunction,
    /// The arguments are not of the function's parameters' types.
    #[error("{0}")]
    BadFunctionArgument(String),
    /// Anything else the node refuses (or clarimed does not run).
    #[error("{0}")]
    Other(String),
}

/// A nonce that is not the account's next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceMismatch {
    /// The account's next nonce.
    pub expected: u64,
    /// The transaction's.
    pub actual: u64,
    /// The account.
    pub principal: String,
    /// Whether the account is the origin (not a sponsor).
    pub is_origin: bool,
}

impl Rejection {
    /// Every `reason` [`Rejection::reason`] gives, in the node's order.
    pub const REASONS: [&'static str; 12] = [
        "Deserialization",
        "BadTransactionVersion",
        "SignatureValidation",
        "FeeTooLow",
        "BadNonce",
        "TooMuchChaining",
        "ConflictingNonceInMempool",
        "BadAddressVersionByte",
        "NoSuchContract",
        "NoSuchPublicFunction",
        "BadFunctionArgument",
        "ServerFailureOther",
    ];

    /// The node's `reason` for it.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Deserialization(_) => "Deserialization",
            Rejection::BadTransactionVersion => "BadTransactionVersion",
            Rejection::SignatureValidation(_) => "SignatureValidation",
            Rejection::FeeTooLow { .. } => "FeeTooLow",
            Rejection::BadNonce(_) => "BadNonce",
            Rejection::TooMuchChaining { .. } => "TooMuchChaining",
            Rejection::ConflictingNonceInMempool => "ConflictingNonceInMempool",
            Rejection::BadAddressVersionByte => "BadAddressVersionByte",
            Rejection::NoSuchContract => "NoSuchContract",
            Rejection::NoSuchPublicFunction => "NoSuchPublicFunction",
            Rejection::BadFunctionArgument(_) => "BadFunctionArgument",
            Rejection::Other(_) => "ServerFailureOther",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_lists_every_reason_once() {
        let nonce = NonceMismatch { expected: 1, actual: 0, principal: String::new(), is_origin: true };
        let every = [
            Rejection::Deserialization(String::new()),
            Rejection::BadTransactionVersion,
            Rejection::SignatureValidation(String::new()),
            Rejection::FeeTooLow { actual: 0, expected: 1 },
            Rejection::BadNonce(nonce),
            Rejection::TooMuchChaining { max_nonce: 0, actual_nonce: 1, principal: String::new(), is_origin: true },
            Rejection::ConflictingNonceInMempool,
            Rejection::BadAddressVersionByte,
            Rejection::NoSuchContract,
            Rejection::NoSuchPublicFunction,
            Rejection::BadFunctionArgument(String::new()),
            Rejection::Other(String::new()),
        ];
        let reasons: Vec<&str> = every.iter().map(Rejection::reason).collect();
        assert_eq!(reasons, Rejection::REASONS);
    }
}
