//! Following a Stacks node: its event-observer feed (`POST /new_block`) replayed on
//! the native engine, every call to both contracts checked against the node's
//! outcome.
#![deny(missing_docs)]

pub mod payload;
