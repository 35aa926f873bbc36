//! Clarity's signature built-ins, as clarity-vm computes them (through stacks-common).

use clarimed_records::Crypto;
use clarimed_storage::clarity::Principal;
use stacks_common::address::{AddressHashMode, C32_ADDRESS_VERSION_TESTNET_SINGLESIG};
use stacks_common::types::chainstate::{StacksAddress, StacksPublicKey};
use stacks_common::util::secp256k1::secp256k1_verify;

/// `principal-of?` and `secp256k1-verify` on a testnet chain, as clarity-vm computes them.
pub struct TestnetCrypto;

impl Crypto for TestnetCrypto {
    fn principal_of(&self, public_key: &[u8; 33]) -> Option<Principal> {
        let key = StacksPublicKey::from_slice(public_key).ok()?;
        let address = StacksAddress::from_public_keys(C32_ADDRESS_VERSION_TESTNET_SINGLESIG, &AddressHashMode::SerializeP2PKH, 1, &vec![key])?;
        Some(Principal::standard(address.version, address.bytes.0))
    }

    fn secp256k1_verify(&self, digest: &[u8; 32], signature: &[u8], public_key: &[u8; 33]) -> bool {
        // As clarity-vm: too short is false, and a 65th byte must be a recovery id.
        if signature.len() < 64 || signature.len() > 65 || (signature.len() == 65 && signature[64] > 3) {
            return false;
        }
        secp256k1_verify(digest, signature, public_key).is_ok()
    }
}
