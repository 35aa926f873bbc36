//! The same calls at epoch 2.5 and at epoch 4.0, in one run: what choosing the epoch
//! per call costs (the meter's rules and cost table are picked once per call).
//!
//! `cargo bench -p clarimed-benches --bench epochs`
//!
//! Groups: `check-access` (a provider with a live WRITE grant and consent, reading
//! record u1: a read-only call, remembered after its first answer, so this is a
//! repeated-call figure), `check-access-first` (the same question with the memo
//! forgotten before each call: every call computed), and `get-record` (the whole
//! transaction: check, access log, commit), each on a memory engine at 2.5 and at 4.0
//! holding the same state.

use clarimed_benches::{set_up, without_block_limit, Cast};
use clarimed_conformance::Chain;
use clarimed_engine::{principal_to_native, Engine, Epoch, MemoryStore, READ_ONLY_CALL_LIMIT};
use clarimed_reference::values::uint;
use clarimed_reference::{PrincipalData, RECORDS_CONTRACT};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn engine(cast: &Cast, epoch: Epoch) -> Engine<MemoryStore> {
    let owner = principal_to_native(&cast.owner.principal().into());
    let mut engine = Engine::in_memory(&owner, epoch).expect("a memory engine");
    without_block_limit(&engine);
    set_up(&mut engine, cast);
    engine
}

fn benches(c: &mut Criterion) {
    let cast = Cast::new();
    let engines = [(Epoch::Epoch25, engine(&cast, Epoch::Epoch25)), (Epoch::Epoch40, engine(&cast, Epoch::Epoch40))];
    let provider = principal_to_native(&cast.provider.principal().into());
    let action = clarimed_engine::records_codes::Action::Read;

    let mut g = c.benchmark_group("check-access");
    for (epoch, engine) in &engines {
        g.bench_function(epoch.name(), |b| b.iter(|| engine.records().check_access(black_box(1), black_box(&provider), action)));
    }
    g.finish();

    let mut g = c.benchmark_group("check-access-first");
    for (epoch, engine) in &engines {
        // Setting the read-only limit forgets every remembered answer.
        g.bench_function(epoch.name(), |b| {
            b.iter(|| {
                engine.set_read_only_limit(READ_ONLY_CALL_LIMIT);
                engine.records().check_access(black_box(1), black_box(&provider), action)
            })
        });
    }
    g.finish();

    let who: PrincipalData = cast.provider.principal().into();
    let mut g = c.benchmark_group("get-record");
    for (epoch, engine) in engines {
        let mut engine = engine;
        g.bench_function(epoch.name(), |b| b.iter(|| engine.call_public(&who, RECORDS_CONTRACT, "get-record", black_box(&[uint(1)]))));
    }
    g.finish();
}

criterion_group!(all, benches);
criterion_main!(all);
