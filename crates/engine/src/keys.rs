//! Keys and the digests record signatures cover: what an app needs to sign a
//! `create-record` or `update-record` without a Clarity VM.

use clarimed_records::state::{CreateMessage, UpdateMessage};
use clarimed_records::Crypto;
use clarimed_storage::clarity::{Buff, ClarityType, Principal};
use clarity::vm::Value;
use sha2::{Digest, Sha256};
use stacks_common::types::chainstate::{StacksPrivateKey, StacksPublicKey};
use stacks_common::types::PrivateKey;

pub use crate::crypto::TestnetCrypto;
use crate::error::EngineError;

/// A secp256k1 private key with a compressed public key, as Stacks uses them.
#[derive(Clone)]
pub struct SigningKey {
    private: StacksPrivateKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    /// A new random key.
    pub fn random() -> SigningKey {
        SigningKey { private: StacksPrivateKey::new() }
    }

    /// The key from its hex: 32 bytes, or 33 with the trailing `01` of a compressed key.
    pub fn from_hex(hex: &str) -> Result<SigningKey, EngineError> {
        let mut private =
            StacksPrivateKey::from_hex(hex).map_err(|e| EngineError::InvalidValue { expected: "private key".to_string(), error: e.to_string() })?;
        private.set_compress_public(true);
        Ok(SigningKey { private })
    }

    /// The private key as hex, with the trailing `01` of a compressed key.
    pub fn to_hex(&self) -> String {
        self.private.to_hex()
    }

    /// The 33-byte compressed public key.
    pub fn public_key(&self) -> [u8; 33] {
        let bytes = StacksPublicKey::from_private(&self.private).to_bytes_compressed();
        bytes.try_into().expect("a compressed public key is 33 bytes")
    }

    /// The testnet (`ST…`) principal of the key: `principal-of?` on its public key.
    pub fn principal(&self) -> Principal {
        TestnetCrypto.principal_of(&self.public_key()).expect("a key's own public key is valid")
    }

    /// A 65-byte signature (r‖s‖recovery id) over `digest`, as `secp256k1-verify` takes it.
    pub fn sign(&self, digest: &[u8; 32]) -> Result<[u8; 65], EngineError> {
        let signature = self.private.sign(digest).map_err(|e| EngineError::Internal(format!("signing failed: {e}")))?;
        signature.to_rsv().try_into().map_err(|_| EngineError::Internal("a signature of other than 65 bytes".to_string()))
    }
}

/// What `create-record`'s signature covers: `(sha256 (unwrap-panic
/// (to-consensus-buff? { patient, record-type, data-hash, checksum })))`.
pub fn create_record_digest(patient: &Principal, record_type: impl Into<u128>, data_hash: &str, checksum: &[u8]) -> [u8; 32] {
    let message =
        CreateMessage { checksum: Buff(checksum.to_vec()), data_hash: data_hash.to_string(), patient: patient.clone(), record_type: record_type.into() };
    Sha256::digest(message.to_bytes()).into()
}

/// What `update-record`'s signature covers, for the version it will create:
/// `{ record-id, version, data-hash, checksum }`.
pub fn update_record_digest(record_id: u128, version: u128, data_hash: &str, checksum: &[u8]) -> [u8; 32] {
    let message = UpdateMessage { checksum: Buff(checksum.to_vec()), data_hash: data_hash.to_string(), record_id, version };
    Sha256::digest(message.to_bytes()).into()
}

/// `(sha256 (unwrap-panic (to-consensus-buff? value)))` of any value.
pub fn consensus_digest(value: &Value) -> Result<[u8; 32], EngineError> {
    let bytes = value.serialize_to_vec().map_err(|e| EngineError::InvalidValue { expected: "serializable value".to_string(), error: format!("{e:?}") })?;
    Ok(Sha256::digest(bytes).into())
}
