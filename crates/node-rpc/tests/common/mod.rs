//! What several of this crate's tests send.

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::Principal;
use clarimed_transactions::sign::{sign, Unsigned};
use clarimed_transactions::TESTNET;

/// A signed `register-patient` by `key` at `nonce`, of `deployer`'s contract.
pub fn register(deployer: &Principal, key: &SigningKey, nonce: u64, patient_id: &str) -> Vec<u8> {
    let args = vec![Value::string_ascii_from_bytes(patient_id.as_bytes().to_vec()).unwrap(), Value::UInt(19_800_412), Value::none(), Value::none()];
    let call = Unsigned {
        network: TESTNET,
        nonce,
        fee: 1_000,
        deployer,
        contract: "patient-consent",
        function: "register-patient",
        args,
        post_conditions: Vec::new(),
    };
    sign(key, call).unwrap()
}
