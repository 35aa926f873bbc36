//! Record signatures verified ahead of the engine, on other threads.
//!
//! `create-record` and `update-record` check a secp256k1 signature over the
//! record's message (`secp256k1-verify`, after `principal-of?` on its key).
//! Verifying one costs tens of microseconds, more than the rest of a record call,
//! and the engine's writer runs calls one at a time. A caller that holds the calls
//! before the writer runs them (a bulk load) verifies their signatures on worker
//! threads with [`VerifiedSignatures::verify`] and makes the calls through
//! [`Engine::records_verified`](crate::Engine::records_verified): the writer then
//! finds each signature verified and its key's principal computed.
//!
//! Nothing a call answers or costs changes:
//! - only a signature that verified is remembered, by its digest, its exact bytes
//!   and its key, so a call finds it only for the very message it verified;
//! - a call whose signature is not remembered (never verified ahead, refused
//!   ahead, forgotten, or used already) is verified on the writer's thread as
//!   without this set;
//! - the contract charges `secp256k1-verify` and `principal-of?` whoever computes
//!   them.
//!
//! Each remembered signature is used once and forgotten; at most
//! [`MAX_REMEMBERED`] are held (one not remembered for want of room is simply
//! verified again by the writer), so memory stays bounded when signatures are
//! verified ahead of calls that never come.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use clarimed_records::Crypto;
use clarimed_storage::clarity::Principal;

use crate::crypto::TestnetCrypto;

/// The most signatures remembered at once: about 30 MB. A loader keeps only a few
/// thousand calls ahead of the writer.
pub const MAX_REMEMBERED: usize = 1 << 17;

/// What a signature was verified for: the digest, the signature's bytes (64, or 65
/// with a recovery id) and the compressed public key.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Verified {
    digest: [u8; 32],
    signature: [u8; 65],
    length: u8,
    public_key: [u8; 33],
}

impl Verified {
    /// The entry for a signature of 64 or 65 bytes; `None` for any other length,
    /// which `secp256k1-verify` refuses anyway.
    fn new(digest: &[u8; 32], signature: &[u8], public_key: &[u8; 33]) -> Option<Verified> {
        if !(64..=65).contains(&signature.len()) {
            return None;
        }
        let mut bytes = [0; 65];
        bytes[..signature.len()].copy_from_slice(signature);
        Some(Verified { digest: *digest, signature: bytes, length: signature.len() as u8, public_key: *public_key })
    }
}

/// Signatures that verified, waiting for the call that checks them; shared by the
/// threads that verify and the engine's writer.
#[derive(Default)]
pub struct VerifiedSignatures {
    inner: Mutex<Remembered>,
}

#[derive(Default)]
struct Remembered {
    signatures: HashSet<Verified>,
    /// `principal-of?` of each key with a signature remembered, and how many.
    principals: HashMap<[u8; 33], (Principal, usize)>,
}

impl VerifiedSignatures {
    /// An empty set.
    pub fn new() -> VerifiedSignatures {
        VerifiedSignatures::default()
    }

    /// `secp256k1-verify` of `signature` by `public_key` over `digest`, as the
    /// engine computes it; a signature that verifies (by a valid key) is remembered
    /// for the call that checks it, if there is room.
    pub fn verify(&self, digest: &[u8; 32], signature: &[u8], public_key: &[u8; 33]) -> bool {
        if !TestnetCrypto.secp256k1_verify(digest, signature, public_key) {
            return false;
        }
        let (Some(entry), Some(principal)) = (Verified::new(digest, signature, public_key), TestnetCrypto.principal_of(public_key)) else {
            return true;
        };
        let mut remembered = self.lock();
        if remembered.signatures.len() < MAX_REMEMBERED && remembered.signatures.insert(entry) {
            remembered.principals.entry(*public_key).or_insert((principal, 0)).1 += 1;
        }
        true
    }

    /// How many signatures wait for their call.
    pub fn len(&self) -> usize {
        self.lock().signatures.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The principal of a key with a signature remembered.
    fn principal(&self, public_key: &[u8; 33]) -> Option<Principal> {
        self.lock().principals.get(public_key).map(|(principal, _)| principal.clone())
    }

    /// Whether this signature was verified ahead; it is forgotten as it is found.
    fn take(&self, digest: &[u8; 32], signature: &[u8], public_key: &[u8; 33]) -> bool {
        let Some(entry) = Verified::new(digest, signature, public_key) else {
            return false;
        };
        let mut remembered = self.lock();
        if !remembered.signatures.remove(&entry) {
            return false;
        }
        if let Some((_, count)) = remembered.principals.get_mut(public_key) {
            *count -= 1;
            if *count == 0 {
                remembered.principals.remove(public_key);
            }
        }
        true
    }

    fn lock(&self) -> MutexGuard<'_, Remembered> {
        // Every change is a whole insert or remove: a panic elsewhere leaves the
        // set consistent.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The engine's signature built-ins for a call: the signatures verified ahead
/// first, if any, then [`TestnetCrypto`].
pub(crate) struct Consulting<'v>(pub(crate) Option<&'v VerifiedSignatures>);

impl Crypto for Consulting<'_> {
    fn principal_of(&self, public_key: &[u8; 33]) -> Option<Principal> {
        self.0.and_then(|verified| verified.principal(public_key)).or_else(|| TestnetCrypto.principal_of(public_key))
    }

    fn secp256k1_verify(&self, digest: &[u8; 32], signature: &[u8], public_key: &[u8; 33]) -> bool {
        self.0.is_some_and(|verified| verified.take(digest, signature, public_key)) || TestnetCrypto.secp256k1_verify(digest, signature, public_key)
    }
}
