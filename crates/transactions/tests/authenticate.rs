//! Authentication of single-sig and multi-sig transactions, by the decoder's own
//! verification: the origin is the signers' address, and a signature that does not
//! verify is refused.

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::Principal;
use clarimed_transactions::sign::{sign, sign_multisig, Unsigned};
use clarimed_transactions::{Rejection, Transaction, TESTNET};

fn preferences(deployer: &Principal) -> Unsigned<'_> {
    Unsigned {
        network: TESTNET,
        nonce: 0,
        fee: 10_000,
        deployer,
        contract: "patient-consent",
        function: "update-patient-preferences",
        args: vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)],
        post_conditions: Vec::new(),
    }
}

#[test]
fn a_single_sig_transaction_is_its_keys_and_a_multi_sig_one_is_its_keys_together() {
    let deployer = SigningKey::random().principal();
    let key = SigningKey::random();
    let single = Transaction::decode(&sign(&key, preferences(&deployer)).unwrap()).unwrap();
    single.authenticate(&TESTNET).unwrap();
    assert_eq!(single.origin(), key.principal());

    let keys = [SigningKey::random(), SigningKey::random()];
    let multi = Transaction::decode(&sign_multisig(&keys, preferences(&deployer)).unwrap()).unwrap();
    multi.authenticate(&TESTNET).unwrap();
    // A testnet multi-sig address (`SN…`, version 21), neither key's own.
    assert_eq!(multi.origin().version, 21);
    assert!(keys.iter().all(|key| key.principal() != multi.origin()));
    assert_eq!(multi.contract_call(&TESTNET, &deployer).unwrap().function, "update-patient-preferences");
}

#[test]
fn a_multi_sig_transaction_with_a_signature_that_does_not_verify_is_refused() {
    let deployer = SigningKey::random().principal();
    let keys = [SigningKey::random(), SigningKey::random()];
    let mut bytes = sign_multisig(&keys, preferences(&deployer)).unwrap();
    // The multi-sig fields follow the fee and their count; a signature field is a
    // type byte (naming the key's encoding), then the recovery id, r and s. Flip a
    // byte of the first one's r.
    let fields = 1 + 4 + 1 + 1 + 20 + 8 + 8 + 4;
    bytes[fields + 1 + 1 + 5] ^= 0x01;
    let refused = Transaction::decode(&bytes).unwrap().authenticate(&TESTNET);
    assert!(matches!(refused, Err(Rejection::SignatureValidation(_))), "{refused:?}");
}
