//! Clarity's execution costs, as the chain charges them in each epoch from 2.5 on.
//!
//! - [`ExecutionCost`]: the five dimensions a node adds up per transaction and block.
//! - [`Epoch`] and its [`Rules`]: the cost contract, limits and charging rules of
//!   each epoch, chosen once per call.
//! - [`CostFunction`] and [`table`]: every function of the `costs-3` boot contract as
//!   its published formula, with `costs-5`'s runtime beside it, written once here. The native engine charges from this
//!   table; [`costs3::source`] generates from it the Clarity contract the reference
//!   harness deploys, so clarity-vm charges from the same table; and a CI test checks
//!   the table against Clarinet's simnet, which runs the chain's own `costs-3`.
//! - [`Shape`] and [`ser`]: the two sizes clarity-vm feeds the formulas, a value's
//!   `size()` and its consensus serialization length.
//! - [`Meter`]: what a call charges, step by step, mirroring the interpreter.
#![deny(missing_docs)]

pub mod costs3;
mod epoch;
mod execution_cost;
mod meter;
mod shape;
mod table;

pub use epoch::{CostContract, Epoch, Network, Rules, UnknownEpoch, BLOCK_LIMIT_MAINNET_21, BLOCK_LIMIT_MAINNET_40};
pub use execution_cost::{ExecutionCost, READ_ONLY_CALL_LIMIT, READ_ONLY_CALL_LIMIT_BEFORE_4_0};
pub use meter::{arg, sized, Arg, Meter};
pub use shape::{ser, size, Shape};
pub use table::{table, CostFunction, Formula, Spec, Table};
