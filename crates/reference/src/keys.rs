//! secp256k1 keys as Stacks uses them: the testnet principal a key's compressed
//! public key gives (`principal-of?` in Clarity 2), and 65-byte signatures in the
//! r‖s‖recovery-id layout that `secp256k1-verify` accepts.

use clarity::vm::types::StandardPrincipalData;
use clarity::vm::Value;
use sha2::{Digest, Sha256};
use stacks_common::address::{AddressHashMode, C32_ADDRESS_VERSION_TESTNET_SINGLESIG};
use stacks_common::types::chainstate::{StacksAddress, StacksPrivateKey, StacksPublicKey};
use stacks_common::types::PrivateKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(&'static str),
    #[error("signing failed: {0}")]
    Signing(&'static str),
    #[error("value cannot be serialized: {0}")]
    Serialization(String),
}

/// A private key with a compressed public key.
#[derive(Clone)]
pub struct Key {
    private: StacksPrivateKey,
}

impl Key {
    pub fn random() -> Key {
        Key { private: StacksPrivateKey::new() }
    }

    /// The same seed always gives the same key: tests use this for reproducible
    /// principals.
    pub fn from_seed(seed: &[u8]) -> Key {
        Key { private: StacksPrivateKey::from_seed(seed) }
    }

    /// 32 bytes of hex, or 33 with the trailing `01` that marks a compressed key.
    pub fn from_hex(hex: &str) -> Result<Key, KeyError> {
        let mut private = StacksPrivateKey::from_hex(hex).map_err(KeyError::InvalidPrivateKey)?;
        private.set_compress_public(true);
        Ok(Key { private })
    }

    /// The private key as hex, with the trailing `01` of a compressed key.
    pub fn private_key_hex(&self) -> String {
        self.private.to_hex()
    }

    /// The 33-byte compressed public key.
    pub fn public_key(&self) -> Vec<u8> {
        StacksPublicKey::from_private(&self.private).to_bytes_compressed()
    }

    /// The testnet (`ST…`) principal of this key.
    pub fn principal(&self) -> StandardPrincipalData {
        let public = StacksPublicKey::from_private(&self.private);
        let address = StacksAddress::from_public_keys(C32_ADDRESS_VERSION_TESTNET_SINGLESIG, &AddressHashMode::SerializeP2PKH, 1, &vec![public])
            .expect("one key, one signature is a valid P2PKH combination");
        StandardPrincipalData::from(address)
    }

    /// A 65-byte signature (r‖s‖recovery id) over a 32-byte digest.
    pub fn sign(&self, digest: &[u8; 32]) -> Result<Vec<u8>, KeyError> {
        let signature = self.private.sign(digest).map_err(KeyError::Signing)?;
        Ok(signature.to_rsv())
    }

    /// Signs `(sha256 (unwrap-panic (to-consensus-buff? value)))`.
    pub fn sign_value(&self, value: &Value) -> Result<Vec<u8>, KeyError> {
        self.sign(&consensus_digest(value)?)
    }
}

/// `(sha256 (unwrap-panic (to-consensus-buff? value)))`.
pub fn consensus_digest(value: &Value) -> Result<[u8; 32], KeyError> {
    let bytes = value.serialize_to_vec().map_err(|e| KeyError::Serialization(format!("{e:?}")))?;
    Ok(Sha256::digest(bytes).into())
}
