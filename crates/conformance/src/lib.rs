//! The native engine and the Clarity VM side by side.
//!
//! [`Chain`] is what both offer: public and read-only calls as any principal, with
//! Clarity values, and mined blocks. The reference VM ([`clarimed_reference::ReferenceVm`])
//! and the native engine ([`clarimed_engine::Engine`], over memory or SQLite) implement
//! it, so one scenario runs on each and their results, events and state dumps can be
//! compared byte for byte. [`journey`] is the seed's patient journey as data, run by
//! `clarimed demo` and by the scenario tests. [`ops`] generates random operations on
//! both contracts and [`differential`] runs them on both engines at once, comparing
//! every step: the property tests and `clarimed conform` use them. [`feed`] turns
//! them into what a node posts to an event observer, for the follower's tests, and
//! [`payload_kinds`] makes a transaction of every other kind a block can hold.
//! [`oracle`] replays fixtures written by stacks-core 4.0.2's own Clarity, the
//! oracle of every epoch, and [`nakamoto_feed`] turns them into what a Nakamoto
//! node posts to its event observers. [`simnet_plan`] writes a random run for
//! Clarinet's simnet to check (`simnet/differential.mjs`).

pub mod access_model;
mod chain;
pub mod differential;
pub mod feed;
pub mod invariants;
pub mod journey;
pub mod nakamoto_feed;
pub mod ops;
pub mod oracle;
pub mod payload_kinds;
pub mod simnet_plan;

pub use chain::{serialized, Chain, Deploy};
