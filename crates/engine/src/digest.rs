//! One hash of both contracts' state, in the Clarity VM's layout: what two
//! followers of the same chain, or a follower and the VM, compare.
//!
//! The digest is the SHA-256 of the state exactly as `clarimed export --format kv`
//! prints it: for every data-map entry and data var of both contracts, sorted by
//! key, the line `{key} {value hex}\n`, where the key is the VM's
//! (`vm::{contract}::0::{map}::{key hex}` or `vm::{contract}::1::{var}`) and the
//! value the hex of what the VM stores there. So
//! `clarimed export --format kv | sha256sum` recomputes it.

use sha2::{Digest, Sha256};

use crate::engine::Engine;
use crate::error::EngineError;

/// The digest of `rows`, as [`Engine::dump_state`] or the reference harness's dump
/// gives them (sorted by key).
pub fn state_digest(rows: &[(String, String)]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (key, value) in rows {
        hasher.update(key.as_bytes());
        hasher.update(b" ");
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

impl<S> Engine<S> {
    /// The digest of both contracts' committed state ([`state_digest`] of
    /// [`Engine::dump_state`]).
    pub fn state_digest(&self) -> Result<[u8; 32], EngineError> {
        Ok(state_digest(&self.dump_state()?))
    }
}
