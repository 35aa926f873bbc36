//! clarimed's engine: both contracts as compiled Rust, with the semantics of their
//! Clarity deployment.
//!
//! The state machines (`clarimed-consent`, `clarimed-records`) keep their data in
//! typed maps and vars laid out as the Clarity VM lays out a contract's data, so the
//! engine's [`Engine::dump_state`] compares byte for byte with the reference VM's.
//! The engine adds what a chain gives a contract: a call context (`tx-sender`,
//! `contract-caller`, `block-height`), a transaction per call (kept on `ok`, dropped
//! on `err`), print events, `contract-call?` from `record-management` into
//! `patient-consent`, and Clarity's signature built-ins. It runs over memory (tests,
//! benchmarks) or a SQLite file (created, with both contracts deployed, on first use).
//!
//! Two APIs:
//! - typed, for embedding: [`Engine::consent`] and [`Engine::records`];
//! - Clarity-valued, for node software: [`Engine::call`] and [`Engine::read`], taking
//!   and giving clarity-vm `Value`s (the only place clarity-vm's types appear).
//!
//! ```
//! use clarimed_engine::{parse_principal, Engine};
//! use clarimed_engine::clarity::Value;
//!
//! let owner = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")?;
//! let patient = parse_principal("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5")?;
//! let mut engine = Engine::in_memory(&owner)?;
//! let ctx = engine.context(&patient);
//! let output = engine.call(&ctx, "patient-consent", "register-patient", &[
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
//! use clarimed_engine::{consent_codes::DataType, records_codes::{Action, RecordsError}, parse_principal, CallError, Engine};
//!
//! let owner = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")?;
//! let patient = parse_principal("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5")?;
//! let provider = parse_principal("ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG")?;
//! let mut engine = Engine::in_memory(&owner)?;
//! let ctx = engine.context(&patient); // tx-sender, contract-caller, block-height
//! engine.consent().register_patient(&ctx, "PAT-1", 19_800_412, None, None)?;
//! let (granted, _event) = engine.consent().grant_consent(&ctx, &provider, DataType::LabResults, None, "labs")?;
//! assert!(granted);
//! let as_provider = engine.context(&provider);
//! let refused = engine.records().check_access(&as_provider, 1, &provider, Action::Read);
//! assert!(matches!(refused, Err(CallError::Contract(RecordsError::RecordNotFound))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clarity_api;
mod convert;
mod crypto;
mod engine;
mod error;
mod literal;
pub mod signatures;
mod typed;

pub use clarity_api::{check_arguments, CallOutput};
pub use convert::{bytes_to_value, parse_principal, principal_to_clarity, principal_to_native, principal_to_string, to_value};
pub use crypto::TestnetCrypto;
pub use engine::{Engine, DEFAULT_DB_PATH, GENESIS_HEIGHT};
pub use error::EngineError;
pub use literal::{literal_value, parse_expressions, parse_literal};
pub use typed::{ConsentCalls, ConsentResult, RecordsCalls, RecordsResult};

pub use clarimed_consent::{codes as consent_codes, state as consent_state, CallError, ConsentEvent, Context};
pub use clarimed_records::{codes as records_codes, state as records_state, Content, RecordsEvent, Signed};
pub use clarimed_storage::clarity::{hex, unhex, Principal, StateError};
pub use clarimed_storage::{MemoryStore, SqliteStore, Store};

/// clarity-vm's value types, as the Clarity-valued API takes and gives them.
pub mod clarity {
    pub use clarity::vm::types::{PrincipalData, TypeSignature};
    pub use clarity::vm::Value;
}
