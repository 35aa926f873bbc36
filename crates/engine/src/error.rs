//! What can go wrong calling the engine, other than a contract's own `(err …)`.

use clarimed_storage::clarity::StateError;
use clarimed_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("unknown contract `{0}` (the contracts are patient-consent and record-management)")]
    UnknownContract(String),
    #[error("{contract} has no public or read-only function `{function}`")]
    UnknownFunction { contract: String, function: String },
    #[error("{contract}.{function} is a public function: it cannot be called read-only")]
    NotReadOnly { contract: String, function: String },
    #[error("{function} takes {expected} argument(s), {found} given")]
    Arity { function: String, expected: usize, found: usize },
    #[error("{function}: argument `{argument}` must be {expected}, not {found}")]
    ArgumentType { function: String, argument: String, expected: String, found: String },
    #[error("{0}")]
    InvalidLiteral(String),
    #[error("invalid principal `{0}`")]
    InvalidPrincipal(String),
    #[error("`{0}` cannot deploy the contracts: a deployer is a standard principal with a c32 address (version 0 to 31)")]
    InvalidDeployer(String),
    #[error("block-height {0} is beyond Clarity's block heights, which are 32-bit")]
    BlockHeightOutOfRange(u128),
    #[error("no transaction block is open")]
    NoBlockOpen,
    #[error("a transaction block is already open")]
    BlockAlreadyOpen,
    #[error("the state holds no deployed contracts")]
    NotDeployed,
    #[error("clarity value conversion: {0}")]
    Conversion(String),
    #[error(transparent)]
    State(#[from] StateError),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> EngineError {
        EngineError::State(StateError::Store(error))
    }
}
