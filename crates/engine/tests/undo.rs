//! Undoing committed blocks, as a follower does when the chain forks: the state, the
//! block height, the nonces and the notes return to what they were before them;
//! only the last blocks asked for are kept; a refusal changes nothing.

use clarimed_engine::clarity::Value;
use clarimed_engine::{principal_to_native, state_digest, Engine, EngineError, MemoryStore, Principal, SignedCall, TxStatus};
use clarimed_reference::keys::Key;
use sha2::{Digest, Sha256};

fn principal(seed: &[u8]) -> Principal {
    principal_to_native(&Key::from_seed(seed).principal().into())
}

/// A block at the next height in which `patient` registers as `id` (nonce `nonce`)
/// and a note records the block.
fn block(engine: &Engine<MemoryStore>, patient: &Principal, id: &str, nonce: u64) {
    let args = [Value::string_ascii_from_bytes(id.as_bytes().to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()];
    engine.begin_block().unwrap();
    engine.mine(1).unwrap();
    let call = SignedCall {
        txid: [nonce as u8 + 1; 32],
        transaction: b"signed",
        sender: patient,
        nonce,
        contract: "patient-consent",
        function: "register-patient",
        args: &args,
        block_time: 1_700_000_000,
        post_conditions_hold: true,
    };
    engine.include(&call).unwrap();
    engine.write_note("tip", Some(id.as_bytes())).unwrap();
    engine.commit_block().unwrap();
}

/// What a block changes, and what undoing must bring back.
#[derive(Debug, PartialEq)]
struct Snapshot {
    state: Vec<(String, String)>,
    height: u32,
    nonces: Vec<u64>,
    tip: Option<Vec<u8>>,
}

fn snapshot(engine: &Engine<MemoryStore>, patients: &[&Principal]) -> Snapshot {
    let nonces = patients.iter().map(|p| engine.nonce(p).unwrap()).collect();
    Snapshot { state: engine.dump_state().unwrap(), height: engine.block_height(), nonces, tip: engine.note("tip").unwrap() }
}

#[test]
fn undoing_blocks_brings_back_the_state_height_nonces_and_notes_before_them() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    engine.keep_undo(8);
    let (alice, bob) = (principal(b"alice"), principal(b"bob"));
    block(&engine, &alice, "PAT-A", 0);
    let before = snapshot(&engine, &[&alice, &bob]);
    block(&engine, &bob, "PAT-B", 0);
    let after_one = snapshot(&engine, &[&alice, &bob]);
    block(&engine, &alice, "PAT-A2", 1);
    assert_eq!(engine.undoable_blocks().unwrap(), 3);

    engine.undo_blocks(1).unwrap();
    assert_eq!(snapshot(&engine, &[&alice, &bob]), after_one);
    engine.undo_blocks(1).unwrap();
    assert_eq!(snapshot(&engine, &[&alice, &bob]), before);
    assert_eq!(engine.committed_block_height(), 2);
    assert_eq!(engine.receipt(&[1; 32]).unwrap().map(|r| r.status), Some(TxStatus::Success), "the first block's receipt stays");
    assert_eq!(engine.undoable_blocks().unwrap(), 1);

    // The chain goes on from there, on another branch.
    block(&engine, &bob, "PAT-B2", 0);
    assert_eq!(engine.block_height(), 3);
    assert_eq!(engine.note("tip").unwrap().as_deref(), Some(&b"PAT-B2"[..]));
}

#[test]
fn two_blocks_undone_at_once_are_the_state_before_both() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    engine.keep_undo(8);
    let alice = principal(b"alice");
    let before = snapshot(&engine, &[&alice]);
    block(&engine, &alice, "PAT-A", 0);
    block(&engine, &alice, "PAT-A2", 1);
    engine.undo_blocks(2).unwrap();
    assert_eq!(snapshot(&engine, &[&alice]), before);
}

#[test]
fn only_the_last_depth_blocks_can_be_undone_and_a_refusal_changes_nothing() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    engine.keep_undo(2);
    let alice = principal(b"alice");
    for (nonce, id) in ["PAT-1", "PAT-2", "PAT-3"].into_iter().enumerate() {
        block(&engine, &alice, id, nonce as u64);
    }
    assert_eq!(engine.undoable_blocks().unwrap(), 2);
    let now = snapshot(&engine, &[&alice]);
    assert!(matches!(engine.undo_blocks(3), Err(EngineError::UndoTooDeep { asked: 3, kept: 2 })));
    assert_eq!(snapshot(&engine, &[&alice]), now);

    engine.begin_block().unwrap();
    assert!(matches!(engine.undo_blocks(1), Err(EngineError::BlockAlreadyOpen)));
    engine.abort_block().unwrap();
    assert_eq!(snapshot(&engine, &[&alice]), now);
}

#[test]
fn with_no_undo_kept_a_block_writes_no_undo_record() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    block(&engine, &principal(b"alice"), "PAT-1", 0);
    assert_eq!(engine.undoable_blocks().unwrap(), 0);
    assert!(matches!(engine.undo_blocks(1), Err(EngineError::UndoTooDeep { asked: 1, kept: 0 })));
}

#[test]
fn a_failed_post_condition_is_run_and_its_writes_dropped() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    let alice = principal(b"alice");
    let args = [Value::string_ascii_from_bytes(b"PAT-1".to_vec()).unwrap(), Value::UInt(19_800_101), Value::none(), Value::none()];
    let before = engine.dump_state().unwrap();
    let (status, output) = engine.execute(&alice, "patient-consent", "register-patient", &args, false).unwrap();
    assert_eq!(status, TxStatus::AbortByPostCondition);
    assert_eq!(output.value, Value::okay_true());
    assert!(output.cost.write_count > 0, "what it wrote is still charged");
    assert_eq!(engine.dump_state().unwrap(), before);
    let (status, _) = engine.execute(&alice, "patient-consent", "register-patient", &args, true).unwrap();
    assert_eq!(status, TxStatus::Success);
    assert_ne!(engine.dump_state().unwrap(), before);
}

#[test]
fn the_digest_is_the_sha256_of_the_kv_export() {
    let engine = Engine::in_memory(&principal(b"owner"), clarimed_engine::Epoch::Epoch25).unwrap();
    block(&engine, &principal(b"alice"), "PAT-1", 0);
    let rows = engine.dump_state().unwrap();
    let export: String = rows.iter().map(|(key, value)| format!("{key} {value}\n")).collect();
    let expected: [u8; 32] = Sha256::digest(export.as_bytes()).into();
    assert_eq!(engine.state_digest().unwrap(), expected);
    assert_eq!(state_digest(&rows), expected);
}
