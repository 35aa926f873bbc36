//! The envelope reads what stacks-codec decodes, the same: origin, network, the
//! post-conditions' verdict and the call, for single-sig, multi-sig and sponsored
//! transactions; and it reads no further than a payload's kind.

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::Principal;
use clarimed_transactions::envelope::{Envelope, Payload, PayloadKind};
use clarimed_transactions::sign::{sign, sign_deploy, sign_multisig, Deploy, Unsigned};
use clarimed_transactions::wire::{FungibleConditionCode, PostConditionPrincipal, TransactionPostCondition};
use clarimed_transactions::{Call, Transaction, TESTNET};

fn consent(deployer: &Principal, post_conditions: Vec<TransactionPostCondition>) -> Unsigned<'_> {
    Unsigned {
        network: TESTNET,
        nonce: 3,
        fee: 10_000,
        deployer,
        contract: "patient-consent",
        function: "grant-consent",
        args: vec![
            Value::Principal(clarimed_engine::principal_to_clarity(deployer).unwrap()),
            Value::UInt(1),
            Value::none(),
            Value::string_ascii_from_bytes(b"care".to_vec()).unwrap(),
        ],
        post_conditions,
    }
}

fn assert_reads_as_decoded(bytes: &[u8], deployer: &Principal) {
    let decoded = Transaction::decode(bytes).unwrap();
    let envelope = Envelope::read(bytes).unwrap();
    assert_eq!((envelope.mainnet, envelope.chain_id), (false, TESTNET.chain_id));
    assert_eq!(envelope.origin, decoded.origin());
    assert_eq!(envelope.post_conditions_hold, decoded.post_conditions_hold());
    let Payload::Call(call) = &envelope.payload else { panic!("a call: {:?}", envelope.payload) };
    let read = Call::check(&TESTNET, deployer, &call.address, call.contract, call.function, call.args().unwrap()).unwrap();
    assert_eq!(read, decoded.contract_call(&TESTNET, deployer).unwrap());
}

#[test]
fn a_call_reads_as_stacks_codec_decodes_it() {
    let deployer = SigningKey::random().principal();
    let key = SigningKey::random();
    assert_reads_as_decoded(&sign(&key, consent(&deployer, Vec::new())).unwrap(), &deployer);
    assert_reads_as_decoded(&sign_multisig(&[SigningKey::random(), SigningKey::random()], consent(&deployer, Vec::new())).unwrap(), &deployer);
    for (code, amount) in
        [(FungibleConditionCode::SentEq, 0), (FungibleConditionCode::SentGt, 0), (FungibleConditionCode::SentLe, 5), (FungibleConditionCode::SentLt, 0)]
    {
        let condition = TransactionPostCondition::STX(PostConditionPrincipal::Origin, code, amount);
        assert_reads_as_decoded(&sign(&key, consent(&deployer, vec![condition])).unwrap(), &deployer);
    }
}

#[test]
fn a_deployment_reads_with_its_name_and_source() {
    let key = SigningKey::random();
    let bytes = sign_deploy(&key, Deploy { network: TESTNET, nonce: 0, fee: 1_000, name: "patient-consent", source: "(define-data-var n uint u1)" }).unwrap();
    let envelope = Envelope::read(&bytes).unwrap();
    assert_eq!(envelope.origin, key.principal());
    let Payload::Deploy(deployment) = envelope.payload else { panic!("a deployment") };
    assert_eq!((deployment.name.as_str(), deployment.source.as_str(), deployment.clarity_version), ("patient-consent", "(define-data-var n uint u1)", None));
}

#[test]
fn a_payload_is_read_no_further_than_its_kind() {
    let key = SigningKey::random();
    let mut bytes = sign_deploy(&key, Deploy { network: TESTNET, nonce: 0, fee: 1_000, name: "n", source: "(define-data-var n uint u1)" }).unwrap();
    // The payload starts after the single-sig authorization and the empty list of
    // post-conditions: make it a coinbase whose 32-byte buffer is missing.
    let payload_at = 1 + 4 + 1 + 1 + 20 + 8 + 8 + 1 + 65 + 1 + 1 + 4;
    bytes.truncate(payload_at);
    bytes.push(0x04);
    assert_eq!(Envelope::read(&bytes).unwrap().payload, Payload::Other(PayloadKind::Coinbase));
    bytes[payload_at] = 0x09;
    let error = Envelope::read(&bytes).unwrap_err();
    assert_eq!((error.at, error.reason.as_str()), (payload_at + 1, "payload type 9 is none stacks-core 4.0.2 knows"));
}

#[test]
fn arguments_that_do_not_end_the_transaction_are_refused() {
    let deployer = SigningKey::random().principal();
    let mut bytes = sign(&SigningKey::random(), consent(&deployer, Vec::new())).unwrap();
    bytes.push(0x00);
    let envelope = Envelope::read(&bytes).unwrap();
    let Payload::Call(call) = &envelope.payload else { panic!("a call") };
    assert_eq!(call.args().unwrap_err().reason, "1 bytes after the last argument");
}
