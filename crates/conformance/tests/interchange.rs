//! State interchange: a state built on one engine, loaded into the other, continues
//! identically on both: results, events, costs (which read the stored entries'
//! sizes) and state.

use std::cell::RefCell;

use clarimed_conformance::differential::{apply, Differential, Stats};
use clarimed_conformance::ops::{seeded_sequences, Op, Pool};
use clarimed_conformance::{Chain, Deploy};
use clarimed_engine::{Engine, Epoch, MemoryStore, Tip};
use clarimed_reference::ReferenceVm;

const SEEDS: std::ops::Range<u64> = 100..104;

/// A seeded sequence, cut in two.
fn halves(seed: u64) -> (Vec<Op>, Vec<Op>) {
    let mut ops = seeded_sequences(seed, 1, 80).next().expect("one sequence");
    let second = ops.split_off(ops.len() / 2);
    (ops, second)
}

#[test]
fn a_native_state_loaded_into_the_clarity_vm_continues_identically() {
    for seed in SEEDS {
        let (first, second) = halves(seed);
        let pool = Pool::new();
        let mut native = Engine::<MemoryStore>::deploy(pool.owner());
        for op in &first {
            let call = op.resolve(&pool, &native);
            apply(&mut native, &pool, &call);
        }
        let (rows, height) = (native.dump_state().unwrap(), native.block_height());
        let mut reference = ReferenceVm::deploy(pool.owner());
        reference.load_state(&rows, height).unwrap();
        assert_eq!(reference.dump_state().unwrap(), rows, "seed {seed}: the VM holds the loaded state");
        let mut run = Differential::with_engines(pool, reference, native, 1);
        if let Err(divergence) = run.run(&second, &mut Stats::default()) {
            panic!("seed {seed}: {divergence}");
        }
    }
}

#[test]
fn a_clarity_vm_state_loaded_into_the_native_engine_continues_identically() {
    for seed in SEEDS {
        let (first, second) = halves(seed);
        let pool = Pool::new();
        let reference = RefCell::new(ReferenceVm::deploy(pool.owner()));
        for op in &first {
            let call = op.resolve(&pool, &reference);
            apply(&mut *reference.borrow_mut(), &pool, &call);
        }
        let reference = reference.into_inner();
        let (rows, height) = (reference.dump_state().unwrap(), reference.block_height());
        let native = Engine::<MemoryStore>::deploy(pool.owner());
        native.import_state(&rows, Tip { stacks_height: height, tenure_height: height, epoch: Epoch::Epoch25 }).unwrap();
        assert_eq!(native.dump_state().unwrap(), rows, "seed {seed}: the native engine holds the loaded state");
        let mut run = Differential::with_engines(pool, reference, native, 1);
        if let Err(divergence) = run.run(&second, &mut Stats::default()) {
            panic!("seed {seed}: {divergence}");
        }
    }
}

#[test]
fn importing_rows_of_another_deployment_is_refused_and_changes_nothing() {
    let pool = Pool::new();
    let native = Engine::<MemoryStore>::deploy(pool.owner());
    let before = native.dump_state().unwrap();
    let other = Engine::<MemoryStore>::deploy(pool.key(9)).dump_state().unwrap();
    assert!(native.import_state(&other, Tip { stacks_height: 5, tenure_height: 5, epoch: Epoch::Epoch25 }).is_err());
    assert_eq!(native.dump_state().unwrap(), before);
    assert_eq!(Chain::block_height(&native), 1);
}
