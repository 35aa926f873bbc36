//! Clarity values in plain Rust: the consensus serialization (what
//! `to-consensus-buff?` gives and what the VM stores), and typed maps and vars laid
//! out in the store exactly as the Clarity VM lays out a contract's data.

mod codec;
pub(crate) mod dense;
mod hex;
mod key;
mod principal;
mod tuple;
mod typed;

pub use codec::{is_clarity_ascii, prefix, Buff, ClarityType, ClarityView, DecodeError, Reader};
pub use dense::{from_dense, to_dense, to_dense_with, DenseError, Dictionary};
pub use hex::{hex, unhex};
pub use key::{describe_storage_key, StoreType, VmKey};
pub use principal::Principal;
pub use tuple::{names_are_sorted, TupleBuilder};
pub use typed::{ContractId, Item, Map, StateError};
