//! Signed transactions in blocks: a nonce is spent once, in order, whatever the call
//! returns; the receipt is kept by txid with the block; a failed post-condition drops
//! the writes but not the cost or the nonce; a refused inclusion changes nothing.

use clarimed_engine::clarity::Value;
use clarimed_engine::{principal_to_native, Engine, EngineError, ExecutionCost, MemoryStore, Principal, SignedCall, TxStatus};
use clarimed_reference::keys::Key;

fn principal(seed: &[u8]) -> Principal {
    principal_to_native(&Key::from_seed(seed).principal().into())
}

/// Both contracts, and a patient-to-be who signs.
fn chain() -> (Engine<MemoryStore>, Principal) {
    (Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap(), principal(b"patient"))
}

fn register_args() -> Vec<Value> {
    vec![Value::string_ascii_from_bytes(b"PAT-1".to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()]
}

fn signed<'a>(txid: u8, sender: &'a Principal, nonce: u64, args: &'a [Value]) -> SignedCall<'a> {
    SignedCall {
        txid: [txid; 32],
        transaction: b"the signed bytes",
        sender,
        nonce,
        contract: "patient-consent",
        function: "register-patient",
        args,
        block_time: 1_700_000_000,
        post_conditions_hold: true,
    }
}

#[test]
fn a_transaction_spends_its_nonce_and_keeps_its_receipt_with_the_block() {
    let (engine, patient) = chain();
    let args = register_args();
    engine.begin_block().unwrap();
    engine.mine(1).unwrap();
    let receipt = engine.include(&signed(1, &patient, 0, &args)).unwrap();
    assert_eq!(receipt.status, TxStatus::Success);
    assert_eq!((receipt.block_height, receipt.tx_index), (2, 0));
    assert_eq!(receipt.result, Value::okay_true().serialize_to_vec().unwrap());
    assert_eq!(receipt.events.len(), 1);
    // Until the block commits, readers see neither the nonce nor the receipt.
    assert_eq!(engine.nonce(&patient).unwrap(), 0);
    assert_eq!(engine.receipt(&[1; 32]).unwrap(), None);

    // Registering again returns `err`: the nonce is spent all the same.
    let again = engine.include(&signed(2, &patient, 1, &args)).unwrap();
    assert_eq!(again.status, TxStatus::AbortByResponse);
    assert_eq!(again.tx_index, 1);
    assert!(again.events.is_empty());
    engine.commit_block().unwrap();

    assert_eq!(engine.nonce(&patient).unwrap(), 2);
    assert_eq!(engine.receipt(&[1; 32]).unwrap(), Some(receipt));
    assert_eq!(engine.receipt(&[2; 32]).unwrap(), Some(again));
    assert_eq!(engine.receipt(&[3; 32]).unwrap(), None);
}

#[test]
fn a_nonce_other_than_the_next_is_refused_and_changes_nothing() {
    let (engine, patient) = chain();
    let args = register_args();
    engine.begin_block().unwrap();
    for nonce in [1, 7] {
        let refused = engine.include(&signed(1, &patient, nonce, &args));
        assert!(matches!(refused, Err(EngineError::BadNonce { expected: 0, actual }) if actual == nonce), "{refused:?}");
    }
    engine.include(&signed(1, &patient, 0, &args)).unwrap();
    assert!(matches!(engine.include(&signed(2, &patient, 0, &args)), Err(EngineError::BadNonce { expected: 1, actual: 0 })));
    engine.commit_block().unwrap();
    assert_eq!(engine.nonce(&patient).unwrap(), 1);
    assert!(engine.receipt(&[2; 32]).unwrap().is_none());
}

#[test]
fn a_failed_post_condition_drops_the_writes_but_spends_the_nonce_and_the_cost() {
    let (engine, patient) = chain();
    let args = register_args();
    engine.begin_block().unwrap();
    let call = SignedCall { post_conditions_hold: false, ..signed(1, &patient, 0, &args) };
    let receipt = engine.include(&call).unwrap();
    assert_eq!(receipt.status, TxStatus::AbortByPostCondition);
    // What the call would have returned, and what it cost its block.
    assert_eq!(receipt.result, Value::okay_true().serialize_to_vec().unwrap());
    assert_ne!(receipt.cost, ExecutionCost::ZERO);
    assert_eq!(engine.block_cost(), receipt.cost);
    engine.commit_block().unwrap();
    assert_eq!(engine.nonce(&patient).unwrap(), 1);
    assert!(engine.consent().get_patient(&patient).unwrap().is_none());
}

#[test]
fn an_inclusion_needs_an_open_block_and_a_block_with_room() {
    let (engine, patient) = chain();
    let args = register_args();
    assert!(matches!(engine.include(&signed(1, &patient, 0, &args)), Err(EngineError::NoBlockOpen)));
    engine.set_block_limit(ExecutionCost { runtime: 10, ..ExecutionCost::MAX });
    engine.begin_block().unwrap();
    assert!(matches!(engine.include(&signed(1, &patient, 0, &args)), Err(EngineError::CostBalanceExceeded(_))));
    engine.commit_block().unwrap();
    assert_eq!(engine.nonce(&patient).unwrap(), 0);
    assert!(engine.receipt(&[1; 32]).unwrap().is_none());
}

#[test]
fn bad_arguments_are_refused_before_the_nonce_is_spent() {
    let (engine, patient) = chain();
    let args = [Value::UInt(1)];
    engine.begin_block().unwrap();
    assert!(matches!(engine.include(&signed(1, &patient, 0, &args)), Err(EngineError::Arity { .. })));
    engine.commit_block().unwrap();
    assert_eq!(engine.nonce(&patient).unwrap(), 0);
}
