//! `check-access`, the per-access permission check, answered by the native engine
//! (in memory and on a SQLite file) and by the Clarity VM, for the same record and
//! accessor on the same state: a provider with a live WRITE grant and consent, reading.
//!
//! `cargo bench -p clarimed-benches --bench check_access`

use clarimed_benches::{deployed, print_ratios, Cast};
use clarimed_engine::records_codes::Action;
use clarimed_engine::{principal_to_native, Engine, MemoryStore, SqliteStore};
use clarimed_reference::values::{principal, uint};
use clarimed_reference::{ReferenceVm, RECORDS_CONTRACT};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const GROUP: &str = "check-access";

fn check_access(c: &mut Criterion) {
    let cast = Cast::new();
    let provider = principal_to_native(&cast.provider.principal().into());
    let mut group = c.benchmark_group(GROUP);

    let mut memory: Engine<MemoryStore> = deployed(&cast);
    let ctx = memory.context(&provider);
    group.bench_function("native-memory", |b| {
        b.iter(|| memory.records().check_access(&ctx, black_box(1), black_box(&provider), Action::Read))
    });

    let dir = tempfile::tempdir().expect("a temporary folder");
    let owner = principal_to_native(&cast.owner.principal().into());
    let mut sqlite: Engine<SqliteStore> = Engine::open_or_create(dir.path().join("bench.db"), &owner).expect("a SQLite state");
    clarimed_benches::set_up(&mut sqlite, &cast);
    group.bench_function("native-sqlite", |b| {
        b.iter(|| sqlite.records().check_access(&ctx, black_box(1), black_box(&provider), Action::Read))
    });

    let mut vm: ReferenceVm = deployed(&cast);
    let sender = cast.provider.principal().into();
    let args = [uint(1), principal(cast.provider.principal()), uint(0)];
    group.bench_function("clarity-vm", |b| {
        b.iter(|| vm.call_read_only(&sender, RECORDS_CONTRACT, "check-access", black_box(&args)))
    });
    group.finish();
    print_ratios(GROUP, &["native-memory", "native-sqlite"]);
}

criterion_group!(benches, check_access);
criterion_main!(benches);
