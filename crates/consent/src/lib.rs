//! `patient-consent` in plain Rust: no clarity-vm, no SQLite.
//!
//! For now this crate holds the contract's code tables ([`codes`]): error codes, data
//! types and audit actions, with the numbers the Clarity contract uses. The native
//! state machine, the reference tests and the conformance tests all read these one
//! tables, so a code can only change in one place.

pub mod code_enum;
pub mod codes;
