//! `record-management` in plain Rust: no clarity-vm, no SQLite.
//!
//! For now this crate holds the contract's code tables ([`codes`]): error codes,
//! record types and the consent data type each needs, access levels, record status
//! and access-log actions, with the numbers the Clarity contract uses. The native
//! state machine, the reference tests and the conformance tests all read these.

pub mod codes;
