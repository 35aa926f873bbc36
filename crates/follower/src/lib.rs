//! Following a Stacks node: its event-observer feed (`POST /new_block`, stacks-core's
//! `docs/event-dispatcher.md`) replayed on the native engine, every call to both
//! contracts checked against the node's outcome.
//!
//! - [`payload`]: the `/new_block` body, the fields a follower reads;
//! - [`Follower`]: one block at a time — decoded whole before anything is applied,
//!   placed on the tip (or, on a fork, on its parent after undoing the blocks
//!   since, up to the fork depth kept), each deployment and call of the two
//!   contracts at the deployer's address run natively at the block's height and
//!   compared with the node's result, status, print events and cost ([`Outcome`],
//!   [`Mismatch`]);
//! - [`observer`]: the HTTP endpoint a node posts to (`[[events_observer]]`),
//!   with [`metrics`] for `GET /metrics`;
//! - [`replay`]: a recorded feed, one `/new_block` body a line.
#![deny(missing_docs)]

mod follower;
pub mod metrics;
pub mod observer;
mod outcome;
pub mod payload;
pub mod replay;

pub use follower::{followed_tip, BlockReport, Counts, Epochs, FollowError, Follower, OnMismatch, DEFAULT_FORK_DEPTH};
pub use outcome::{Mismatch, Outcome};
