//! `patient-consent` as a pure Rust state machine: no clarity-vm, no SQLite.
//!
//! [`PatientConsent`] implements every public and read-only function of
//! `contracts/patient-consent.clar` with the same checks in the same order, the same
//! error codes ([`codes`]), the same audit entries and the same print events
//! ([`ConsentEvent`]), and it charges each call's execution cost to the call's
//! [`Context::meter`] where clarity-vm charges it, expression by expression of the
//! Clarity source (the load of the contract is the caller's to charge:
//! [`CONSTANTS_SIZE`] and the source's length). Its state is typed data maps and vars over any
//! [`clarimed_storage::Store`], laid out exactly as the Clarity VM lays out the
//! contract's data. The engine (`clarimed-engine`) runs each call in a transaction
//! and keeps its writes only when it returns `Ok`, as Clarity does on `(ok …)`.

pub mod code_enum;
pub mod codes;
mod context;
mod contract;
mod costs;
mod events;
pub mod state;

pub use context::{CallError, Context, Outcome};
pub use contract::PatientConsent;
pub use costs::CONSTANTS_SIZE;
pub use events::ConsentEvent;

pub use clarimed_storage::clarity::Principal;
