//! clarimed's engine: the `patient-consent` and `record-management` contracts as
//! compiled Rust, with the semantics of their Clarity deployment.
//!
//! The state machines keep their data in typed maps and vars laid out as the Clarity
//! VM lays out a contract's data, so [`Engine::dump_state`] compares byte for byte
//! with the VM's. The engine adds what a chain gives a contract: a caller
//! (`tx-sender`), the block height (the engine's own [`Tip`]: Stacks and tenure
//! heights that advance by [`Engine::mine`] and [`Engine::mine_in_tenure`], and
//! the epoch the chain runs in, which decides what `block-height` answers and what
//! every call costs), a transaction per public call
//! (kept on `ok`, dropped on `err`), print events, `contract-call?` from
//! `record-management` into `patient-consent`, and Clarity's signature built-ins.
//!
//! # Using it, in the order you meet it
//!
//! - **Open a state**: [`Engine::in_memory`], [`Engine::open_or_create`] and
//!   [`Engine::open`] (a SQLite file), or [`Engine::with_store`] over any [`Store`];
//!   a new state is made in the [`Epoch`] given (2.5 to 4.0).
//! - **Call**: the typed API, [`Engine::consent`] and [`Engine::records`], one method
//!   per contract function ([`ConsentCalls`], [`RecordsCalls`]); or the
//!   Clarity-valued API, [`Engine::call`] and [`Engine::read`], taking and giving
//!   clarity-vm values ([`clarity::Value`]) and naming the function as text. Both
//!   check their arguments against the same table of functions ([`table`]).
//! - **Read**: read-only functions run on the committed state through `&Engine`,
//!   from any number of threads at once.
//! - **Blocks**: [`Engine::begin_block`], [`Engine::commit_block`],
//!   [`Engine::abort_block`], [`Engine::submit_block`] and
//!   [`Engine::wait_durable`] (the next block runs while this one is written), [`Engine::mine`] (new tenures),
//!   [`Engine::mine_in_tenure`], [`Engine::advance_to`] (a follower's tip),
//!   [`Engine::tip`].
//! - **Signed transactions**: [`Engine::include`] runs an authenticated call in the
//!   open block, spending its sender's nonce ([`Engine::nonce`]) and keeping its
//!   [`Receipt`] by txid ([`Engine::receipt`]).
//! - **Following a chain**: [`Engine::execute`] runs a call a chain already
//!   included; [`Engine::keep_undo`] and [`Engine::undo_blocks`] take back the last
//!   committed blocks when the chain forks; [`Engine::note`] keeps an embedder's
//!   bookkeeping (its chain tip) in the state, committed and undone with the
//!   blocks; [`Engine::state_digest`] hashes both contracts' state.
//! - **Costs**: every call's [`ExecutionCost`], as clarity-vm charges it, computed
//!   natively: [`CallOutput::cost`], [`ConsentCalls::last_cost`],
//!   [`RecordsCalls::last_cost`]. Calls are held to a node's limits
//!   ([`Engine::set_read_only_limit`], [`Engine::set_block_limit`],
//!   [`Engine::block_cost`]); a call past one is [`EngineError::CostBalanceExceeded`]
//!   or [`EngineError::BlockFull`] and changes nothing.
//! - **Errors**: [`EngineError`] (bad input, an unusable state, a bug) and, from the
//!   typed API, [`CallError`] (the contract's own `err`, or an [`EngineError`]).
//! - **Values and keys**: [`parse_literal`] for Clarity literals, principals
//!   ([`parse_principal`], [`principal_to_string`]), [`keys`] to sign records.
//! - **Bulk loads**: [`Engine::open_for_loading`], and [`VerifiedSignatures`] to
//!   verify record signatures on other threads than the writer's
//!   ([`Engine::records_verified`]).
//!
//! # Concurrency
//!
//! An [`Engine`] is `Sync`: share it by reference (or in an `Arc`). Public calls,
//! [`Engine::mine`] and blocks take turns through one writer lock; each is a
//! transaction whose writes stay private to the writer until committed (at once,
//! or at [`Engine::commit_block`]). Read-only calls take no writer lock. They read
//! the committed state through a cache that a commit updates key by key, and each
//! read-only call sees one committed state whole: if a commit swapped values while
//! it read, it is run again. A commit's slow part (the SQLite write and fsync)
//! happens before the swap, so readers are not held up by it. Permission checks
//! (`check-access`) are remembered per (record, accessor, action, height) and
//! forgotten exactly when a key they read is written.
//!
//! ```
//! use clarimed_engine::{parse_principal, Engine, Epoch};
//! use clarimed_engine::clarity::Value;
//!
//! let owner = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")?;
//! let patient = parse_principal("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5")?;
//! let engine = Engine::in_memory(&owner, Epoch::NEWEST)?;
//! let output = engine.call(&patient, "patient-consent", "register-patient", &[
//!     Value::string_ascii_from_bytes(b"PAT-1".to_vec()).unwrap(),
//!     Value::UInt(19_800_412), Value::none(), Value::none(),
//! ])?;
//! assert_eq!(output.value, Value::okay_true());
//! assert!(engine.consent().get_patient(&patient)?.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The typed API:
//!
//! ```
//! use clarimed_engine::{consent_codes::DataType, records_codes::{Action, RecordsError}, parse_principal, CallError, Engine, Epoch};
//!
//! let owner = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")?;
//! let patient = parse_principal("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5")?;
//! let provider = parse_principal("ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG")?;
//! let engine = Engine::in_memory(&owner, Epoch::NEWEST)?;
//! engine.consent().register_patient(&patient, "PAT-1", 19_800_412, None, None)?;
//! let (granted, _event) = engine.consent().grant_consent(&patient, &provider, DataType::LabResults, None, "labs")?;
//! assert!(granted);
//! let refused = engine.records().check_access(1, &provider, Action::Read);
//! assert!(matches!(refused, Err(CallError::Contract(RecordsError::RecordNotFound))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod clarity_api;
mod codec;
mod convert;
mod crypto;
mod digest;
mod engine;
mod error;
pub mod keys;
mod limits;
mod literal;
mod notes;
mod pipeline;
mod purposes;
pub mod table;
mod tip;
mod transactions;
mod typed;
mod undo;
mod verified;
mod version;

pub use clarity_api::{check_arguments, CallOutput};
pub use convert::{bytes_to_value, parse_principal, principal_to_clarity, principal_to_native, principal_to_string, to_value};
pub use digest::state_digest;
pub use engine::{Engine, DEFAULT_DB_PATH};
pub use error::{CallError, EngineError, OverLimit};
pub use literal::{literal_value, parse_expressions, parse_literal, to_literal};
pub use pipeline::Submitted;
pub use tip::{Tip, GENESIS_HEIGHT};
pub use transactions::{Receipt, SignedCall, TxStatus};
pub use typed::{ConsentCalls, ConsentResult, RecordsCalls, RecordsResult};
pub use verified::{VerifiedSignatures, MAX_REMEMBERED};
pub use version::Version;

pub use clarimed_consent::{codes as consent_codes, state as consent_state, ConsentEvent};
pub use clarimed_costs::{
    Epoch, ExecutionCost, Network, BLOCK_LIMIT_MAINNET_21, BLOCK_LIMIT_MAINNET_40, READ_ONLY_CALL_LIMIT, READ_ONLY_CALL_LIMIT_BEFORE_4_0,
};
pub use clarimed_records::{codes as records_codes, state as records_state, Content, RecordsEvent, Signed};
pub use clarimed_storage::clarity::{hex, unhex, ClarityType, Principal, StoreType, VmKey};
pub use clarimed_storage::{MemoryStore, SqliteStore, Store};

/// clarity-vm's value types, as the Clarity-valued API takes and gives them.
pub mod clarity {
    pub use clarity::vm::types::{PrincipalData, QualifiedContractIdentifier, StandardPrincipalData, TypeSignature};
    pub use clarity::vm::Value;
}

impl<S> Engine<S> {
    /// Runs `contract`'s `function` as `sender`: a public function as a
    /// transaction (its `err`, like a refused call, leaves no trace), a read-only
    /// one on the committed state.
    pub fn call(&self, sender: &Principal, contract: &str, function: &str, args: &[clarity::Value]) -> Result<CallOutput, EngineError> {
        self.core().call(sender, contract, function, args)
    }

    /// Runs a read-only function on the committed state; a public function is refused.
    pub fn read(&self, sender: &Principal, contract: &str, function: &str, args: &[clarity::Value]) -> Result<CallOutput, EngineError> {
        self.core().read(sender, contract, function, args)
    }

    /// Runs any function as a Stacks node's `call-read` endpoint does: on the
    /// committed state, held to the read-only limit, keeping nothing. A public
    /// function runs too, and answers its result unless it writes
    /// ([`EngineError::NotReadOnly`], the node's `NotReadOnly`).
    pub fn call_read(&self, sender: &Principal, contract: &str, function: &str, args: &[clarity::Value]) -> Result<CallOutput, EngineError> {
        self.core().call_read(sender, contract, function, args)
    }
}
