//! The reference implementation: both clarimed contracts, exactly as they stand in
//! `contracts/` (v2; [`V1_CONTRACT_SOURCES`] for v1), deployed and run on the real Clarity VM (clarity-vm 2.3.0, Clarity 2,
//! epoch 2.5, testnet).
//!
//! This is the yardstick the native engine is measured against: the scenario tests run
//! on it, and the conformance tests compare the native modules with it call by call
//! and byte by byte ([`ReferenceVm::dump_state`] gives the state in the VM's own
//! storage layout). [`values`] builds Clarity values; [`keys`] makes the
//! secp256k1 keys and signatures that `create-record` and `update-record` check.
//!
//! ```
//! use clarimed_reference::{keys::Key, values::*, ReferenceVm, CONSENT_CONTRACT};
//!
//! let owner = Key::from_seed(b"owner");
//! let patient = Key::from_seed(b"patient");
//! let mut vm = ReferenceVm::new(owner.principal())?;
//! let result = vm.call_public(&patient.principal().into(), CONSENT_CONTRACT, "register-patient",
//!     &[ascii("PAT-1"), uint(19_800_412), none(), none()])?;
//! assert!(result.committed); // (ok true), with one print event
//! assert_eq!(result.events.len(), 1);
//! vm.mine(432);
//! assert_eq!(vm.block_height(), 433);
//! let state = vm.dump_state()?;
//! assert!(state.iter().any(|(key, _)| key.ends_with("::1::total-patients")));
//! # Ok::<(), clarimed_reference::HarnessError>(())
//! ```

// clarity-vm's own error types are large; the harness passes them through as they are.
#![allow(clippy::result_large_err)]

pub mod keys;
mod store;
pub mod values;
mod vm;

pub use clarimed_costs::ExecutionCost;
pub use vm::{CallResult, FunctionSignature, HarnessError, ReferenceVm, CONSENT_CONTRACT, CONTRACT_SOURCES, RECORDS_CONTRACT, V1_CONTRACT_SOURCES};

/// Clarity values and principals, re-exported so users of the harness need not
/// depend on clarity-vm themselves.
pub use clarity::vm::types::{PrincipalData, QualifiedContractIdentifier, StandardPrincipalData};
pub use clarity::vm::Value;
