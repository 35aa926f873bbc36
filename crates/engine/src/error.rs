//! What can go wrong calling the engine, other than a contract's own `(err …)`.

use clarimed_costs::ExecutionCost;
use clarimed_storage::clarity::{DecodeError, StateError};
use clarimed_storage::StoreError;

/// Why the engine refused a call or could not use its state.
///
/// Three families: the call was refused before anything ran (bad input: the
/// contract, function, arguments or caller); the state could not be used (a store
/// failure, a corrupt entry, a locked or foreign file); or an invariant of the
/// engine itself broke (a bug, never caused by input).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    // Rejected input.
    /// No such contract.
    #[error("unknown contract `{0}` (the contracts are patient-consent and record-management)")]
    UnknownContract(String),
    /// No such function in the contract.
    #[error("{contract} has no public or read-only function `{function}`")]
    UnknownFunction {
        /// The contract named.
        contract: String,
        /// The function named.
        function: String,
    },
    /// A public function asked for as a read-only call.
    #[error("{contract}.{function} is a public function: it cannot be called read-only")]
    NotReadOnly {
        /// The contract named.
        contract: String,
        /// The function named.
        function: String,
    },
    /// The wrong number of arguments.
    #[error("{function} takes {expected} argument(s), {found} given")]
    Arity {
        /// The function called.
        function: String,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// An argument of the wrong type, or too long.
    #[error("{function}: argument `{argument}` must be {expected}, not {found}")]
    ArgumentType {
        /// The function called.
        function: String,
        /// The parameter's name.
        argument: String,
        /// The parameter's Clarity type.
        expected: String,
        /// What was given instead.
        found: String,
    },
    /// Text that is not a Clarity literal.
    #[error("{0}")]
    InvalidLiteral(String),
    /// Text, or a value, that is not a principal Clarity can represent.
    #[error("invalid principal `{0}`")]
    InvalidPrincipal(String),
    /// A deployer no chain could have.
    #[error("`{0}` cannot deploy the contracts: a deployer is a standard principal with a c32 address (version 0 to 31)")]
    InvalidDeployer(String),
    /// Bytes that are not a value of the expected Clarity type.
    #[error("not a Clarity {expected}: {error}")]
    InvalidValue {
        /// The type expected.
        expected: String,
        /// What is wrong with the bytes.
        error: String,
    },
    /// Mining that would take the block height past Clarity's 32 bits.
    #[error("block-height would pass {0}, the last block height Clarity has")]
    BlockHeightOutOfRange(u32),
    /// A tip the chain cannot move to from where it is: a height or the epoch going
    /// back, or more new tenures than new blocks.
    #[error("the chain cannot move from {from} to {to}")]
    TipGoesBack {
        /// Where the chain is.
        from: crate::Tip,
        /// Where it was asked to go.
        to: crate::Tip,
    },
    /// A state row for another deployer's contracts, or outside the VM's layout.
    #[error("{0} is not a key of this engine's contracts")]
    ForeignKey(String),
    /// A state row whose value is not hex.
    #[error("the value under {0} is not hex")]
    MalformedRow(String),
    /// [`crate::Engine::commit_block`] or [`crate::Engine::abort_block`] with no block open.
    #[error("no transaction block is open")]
    NoBlockOpen,
    /// [`crate::Engine::begin_block`] with a block already open.
    #[error("a transaction block is already open")]
    BlockAlreadyOpen,
    /// A block handed over by [`crate::Engine::submit_block`] was built on an
    /// earlier submitted block that the store failed to commit: it was dropped with
    /// it, and the writer is back at the committed tip.
    #[error("submitted block {0} was dropped: a block submitted before it, which it was built on, could not be committed")]
    BlockDropped(u64),
    /// [`crate::Engine::undo_blocks`] asked for more blocks than are kept.
    #[error("cannot undo {asked} block(s): only the last {kept} can be undone")]
    UndoTooDeep {
        /// The blocks asked for.
        asked: u32,
        /// The blocks that can be undone.
        kept: u32,
    },
    /// [`crate::Engine::include`] with a nonce other than the sender's next.
    #[error("nonce {actual} is not the sender's next, {expected}")]
    BadNonce {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's.
        actual: u64,
    },

    // Costs.
    /// The call costs more than its limit allows: the block limit for a public
    /// call, the read-only limit for a read-only one. clarity-vm's
    /// `CostBalanceExceeded`; the call changed nothing.
    #[error("CostBalanceExceeded: the call costs ({}), over the limit ({})", .0.cost, .0.limit)]
    CostBalanceExceeded(Box<OverLimit>),
    /// The call fits the block limit alone but not beside the calls already in
    /// this block: a node's block builder leaves it for a later block. It changed
    /// nothing; mine a block and call again.
    #[error("the block is full: its calls cost ({}), and this call (costing {}) would pass the limit ({})", .0.block, .0.cost, .0.limit)]
    BlockFull(Box<OverLimit>),

    // The state.
    /// The state holds no contracts (a new file opened with [`crate::Engine::open`]).
    #[error("the state holds no deployed contracts")]
    NotDeployed,
    /// Another process holds the state's lock.
    #[error("the state is locked by another process")]
    Busy,
    /// The file is not a clarimed state.
    #[error("{0} is not a clarimed state (corrupt, or another kind of file)")]
    NotAState(String),
    /// An entry of the state does not decode; `key` is the VM's text form.
    #[error("corrupt state under {key}: {error}")]
    Corrupt {
        /// The entry's key, as the VM writes it.
        key: String,
        /// What is wrong with its bytes.
        error: DecodeError,
    },
    /// The store failed otherwise.
    #[error("the state could not be read or written: {0}")]
    Store(StoreError),

    // Broken invariants: bugs.
    /// Something the engine guarantees did not hold.
    #[error("internal error (a bug in clarimed): {0}")]
    Internal(String),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> EngineError {
        match error {
            StoreError::Busy => EngineError::Busy,
            StoreError::NotAState(path) => EngineError::NotAState(path),
            StoreError::NoTransaction => EngineError::Internal("a transaction was closed that was never opened".to_string()),
            other => EngineError::Store(other),
        }
    }
}

impl From<StateError> for EngineError {
    fn from(error: StateError) -> EngineError {
        match error {
            StateError::Store(error) => error.into(),
            StateError::Corrupt { key, error } => EngineError::Corrupt { key, error },
            StateError::MissingVar(_) => EngineError::NotDeployed,
        }
    }
}

/// What a call refused for its cost would have cost, and the limit it would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    /// What the call costs.
    pub cost: ExecutionCost,
    /// The limit it would break.
    pub limit: ExecutionCost,
    /// What the block's earlier calls cost (zero for a read-only call).
    pub block: ExecutionCost,
}

/// A typed call's failure: the contract's own `(err …)`, or the engine's refusal.
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    /// The contract returned `(err code)`; the call left no trace.
    #[error("contract error {0}")]
    Contract(E),
    /// The engine refused the call, or could not use its state.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl<E> CallError<E> {
    /// The contract error, if that is what this is.
    pub fn contract_error(&self) -> Option<&E> {
        match self {
            CallError::Contract(error) => Some(error),
            CallError::Engine(_) => None,
        }
    }
}

impl<E> From<clarimed_consent::CallError<E>> for CallError<E> {
    fn from(error: clarimed_consent::CallError<E>) -> CallError<E> {
        match error {
            clarimed_consent::CallError::Contract(error) => CallError::Contract(error),
            clarimed_consent::CallError::State(error) => CallError::Engine(error.into()),
        }
    }
}

impl<E> From<StateError> for CallError<E> {
    fn from(error: StateError) -> CallError<E> {
        CallError::Engine(error.into())
    }
}
