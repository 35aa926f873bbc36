//! `record-management` as a pure Rust state machine: no clarity-vm, no SQLite.
//!
//! [`RecordManagement`] implements every public and read-only function of
//! `contracts/record-management.clar` with the same checks in the same order, the
//! same error codes ([`codes`]), the same access-log entries and the same print
//! events ([`RecordsEvent`]), over typed maps and vars in the Clarity VM's layout,
//! charging each call's execution cost to the call's meter as clarity-vm does.
//!
//! It sees `patient-consent` only through [`ConsentView`], the read-only functions
//! the Clarity contract reaches with `contract-call?` (whose implementation charges
//! the callee's load and run), and checks signatures through
//! [`Crypto`] (`principal-of?` and `secp256k1-verify`); the engine supplies both.

pub mod codes;
mod contract;
mod costs;
mod events;
pub mod state;
mod view;

pub use contract::{Content, RecordManagement, Signed};
pub use costs::CONSTANTS_SIZE;
pub use events::RecordsEvent;
pub use view::{ConsentView, Crypto};
