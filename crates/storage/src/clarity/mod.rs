//! Clarity values in plain Rust: the consensus serialization (what
//! `to-consensus-buff?` gives and what the VM stores), and typed maps and vars laid
//! out in the store exactly as the Clarity VM lays out a contract's data.

mod codec;
mod principal;
mod tuple;
mod typed;

pub use codec::{prefix, Buff, ClarityType, ClarityView, DecodeError, Reader};
pub use principal::Principal;
pub use tuple::{names_are_sorted, TupleBuilder};
pub use typed::{hex, unhex, vm_key, CachedView, ContractId, Item, Map, Memo, StateError};
