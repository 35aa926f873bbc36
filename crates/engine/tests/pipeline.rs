//! Blocks submitted to be made durable while the next one runs
//! ([`Engine::submit_block`], [`Engine::wait_durable`]): the next block builds on
//! the ones in flight, readers see a block only once it is durable, a block the
//! store fails takes the blocks built on it down with it, and the end state equals
//! the same blocks committed one by one.
//!
//! The store's writes wait at a gate the test opens, so what is in flight when is
//! decided by the test, never by how threads are scheduled.

use std::borrow::Cow;
use std::sync::{Condvar, Mutex};

use clarimed_engine::consent_codes::DataType;
use clarimed_engine::{principal_to_native, Engine, EngineError, Epoch, Principal, SqliteStore};
use clarimed_reference::keys::Key;
use clarimed_storage::testing::FullDisk;
use clarimed_storage::{Batch, StoreCommit, StoreRead};

fn principal(seed: &str) -> Principal {
    principal_to_native(&Key::from_seed(seed.as_bytes()).principal().into())
}

/// A store whose commits wait while its gate is closed (reads go on).
struct Gated {
    store: FullDisk,
    closed: Mutex<bool>,
    opened: Condvar,
    /// How many commits are waiting at the gate.
    waiting: Mutex<usize>,
    arrived: Condvar,
}

impl Gated {
    fn new(store: FullDisk) -> Gated {
        Gated { store, closed: Mutex::new(false), opened: Condvar::new(), waiting: Mutex::new(0), arrived: Condvar::new() }
    }

    fn close(&self) {
        *self.closed.lock().unwrap() = true;
    }

    fn open(&self) {
        *self.closed.lock().unwrap() = false;
        self.opened.notify_all();
    }

    /// Waits until a commit is held at the gate.
    fn until_a_commit_waits(&self) {
        let waiting = self.waiting.lock().unwrap();
        drop(self.arrived.wait_while(waiting, |waiting| *waiting == 0).unwrap());
    }
}

impl StoreRead for Gated {
    fn get(&self, key: &[u8]) -> clarimed_storage::Result<Option<Cow<'_, [u8]>>> {
        self.store.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> clarimed_storage::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.store.scan_prefix(prefix)
    }
}

impl StoreCommit for Gated {
    fn write(&self, batch: Batch) -> clarimed_storage::Result<()> {
        *self.waiting.lock().unwrap() += 1;
        self.arrived.notify_all();
        drop(self.opened.wait_while(self.closed.lock().unwrap(), |closed| *closed).unwrap());
        *self.waiting.lock().unwrap() -= 1;
        self.store.write(batch)
    }
}

fn engine(dir: &tempfile::TempDir) -> Engine<Gated> {
    let store = SqliteStore::open(dir.path().join("state.db")).unwrap();
    Engine::with_store(Gated::new(FullDisk::new(store)), Some((&principal("owner"), Epoch::NEWEST))).unwrap()
}

fn register(engine: &Engine<Gated>, patient: &Principal, id: &str) {
    engine.consent().register_patient(patient, id, 19_800_101, None, None).unwrap();
}

#[test]
fn the_next_block_builds_on_the_one_being_written_and_readers_see_each_only_once_durable() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir);
    let (patient, provider) = (principal("patient"), principal("provider"));
    let height = engine.committed_block_height();
    engine.backend().close();

    engine.begin_block().unwrap();
    engine.mine(1).unwrap();
    register(&engine, &patient, "PAT-1");
    let first = engine.submit_block().unwrap();
    engine.backend().until_a_commit_waits();

    // Granting needs the registration, which only the block in flight holds.
    engine.begin_block().unwrap();
    engine.consent().grant_consent(&patient, &provider, DataType::MedicalHistory, None, "care").unwrap();
    assert_eq!(engine.block_height(), height + 1, "the writer is past the block in flight");
    assert_eq!(engine.consent().get_patient(&patient).unwrap(), None, "a reader does not see a block that is not durable");
    assert_eq!(engine.committed_block_height(), height);
    let second = engine.submit_block().unwrap();

    engine.backend().open();
    engine.wait_durable(first).unwrap();
    assert!(engine.consent().get_patient(&patient).unwrap().is_some(), "durable, so published");
    engine.wait_durable(second).unwrap();
    assert!(engine.consent().has_consent(&patient, &provider, DataType::MedicalHistory).unwrap());
    assert_eq!(engine.committed_block_height(), height + 1);
}

#[test]
fn a_block_the_store_fails_drops_the_blocks_built_on_it_and_the_writer_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir);
    let (patient, provider) = (principal("patient"), principal("provider"));
    let (tip, digest) = (engine.tip(), engine.state_digest().unwrap());
    engine.backend().close();
    engine.backend().store.set_full(true);

    engine.begin_block().unwrap();
    engine.mine(1).unwrap();
    register(&engine, &patient, "PAT-1");
    let first = engine.submit_block().unwrap();
    engine.begin_block().unwrap();
    engine.consent().grant_consent(&patient, &provider, DataType::MedicalHistory, None, "care").unwrap();
    let second = engine.submit_block().unwrap();
    engine.backend().open();

    let error = engine.wait_durable(first).unwrap_err();
    assert!(matches!(&error, EngineError::Store(store) if store.is_io_fault()), "the disk's own error: {error}");
    assert!(matches!(engine.wait_durable(second), Err(EngineError::BlockDropped(_))));
    assert_eq!(engine.tip(), tip, "the writer is back at the committed tip");
    assert_eq!(engine.state_digest().unwrap(), digest, "nothing of either block was applied");
    assert_eq!(engine.backend().store.refused(), 1, "the block built on the failed one never reached the store");

    // With room again, the same blocks commit from there.
    engine.backend().store.set_full(false);
    engine.begin_block().unwrap();
    engine.mine(1).unwrap();
    register(&engine, &patient, "PAT-1");
    engine.commit_block().unwrap();
    assert_eq!(engine.committed_tip().stacks_height, tip.stacks_height + 1);
}

#[test]
fn a_failure_found_by_the_next_step_is_that_steps_error_and_drops_the_open_block() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir);
    let (patient, provider) = (principal("patient"), principal("provider"));
    let tip = engine.tip();
    engine.backend().store.set_full(true);

    engine.begin_block().unwrap();
    register(&engine, &patient, "PAT-1");
    let first = engine.submit_block().unwrap();
    engine.begin_block().unwrap();
    // Waiting for the failure makes the next step see it, whatever the threads do.
    while engine.backend().store.refused() == 0 {
        std::thread::yield_now();
    }
    let refused = engine.consent().grant_consent(&patient, &provider, DataType::MedicalHistory, None, "care");
    assert!(refused.is_err(), "a call on a block built on a failed one is refused");
    assert!(matches!(engine.commit_block(), Err(EngineError::NoBlockOpen)), "the open block was dropped");
    assert!(matches!(engine.wait_durable(first), Err(EngineError::BlockDropped(_))));
    assert_eq!(engine.tip(), tip);
    assert_eq!(engine.consent().get_patient(&patient).unwrap(), None);
}

/// Three blocks that write the same keys, with undo records kept.
fn three_blocks(engine: &Engine<Gated>, pipelined: bool) {
    let patients: Vec<Principal> = (0..3).map(|i| principal(&format!("patient {i}"))).collect();
    let provider = principal("provider");
    let mut in_flight = Vec::new();
    for (round, data_type) in [DataType::MedicalHistory, DataType::LabResults, DataType::TreatmentPlans].into_iter().enumerate() {
        engine.begin_block().unwrap();
        engine.mine(1).unwrap();
        for (i, patient) in patients.iter().enumerate() {
            if round == 0 {
                register(engine, patient, &format!("PAT-{i}"));
            }
            engine.consent().grant_consent(patient, &provider, data_type, None, &format!("round {round}")).unwrap();
        }
        if pipelined {
            in_flight.push(engine.submit_block().unwrap());
        } else {
            engine.commit_block().unwrap();
        }
    }
    for block in in_flight {
        engine.wait_durable(block).unwrap();
    }
}

#[test]
fn pipelined_blocks_end_in_the_state_of_the_same_blocks_committed_one_by_one_and_undo_alike() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (one_by_one, pipelined) = (engine(&dir_a), engine(&dir_b));
    let before = pipelined.state_digest().unwrap();
    for engine in [&one_by_one, &pipelined] {
        engine.keep_undo(5);
    }
    three_blocks(&one_by_one, false);
    three_blocks(&pipelined, true);
    assert_eq!(pipelined.dump_state().unwrap(), one_by_one.dump_state().unwrap());
    assert_eq!(pipelined.committed_tip(), one_by_one.committed_tip());

    // Undo records made over the blocks in flight hold what each block overwrote.
    for engine in [&one_by_one, &pipelined] {
        engine.undo_blocks(1).unwrap();
    }
    assert_eq!(pipelined.dump_state().unwrap(), one_by_one.dump_state().unwrap());
    pipelined.undo_blocks(2).unwrap();
    assert_eq!(pipelined.state_digest().unwrap(), before);
}
