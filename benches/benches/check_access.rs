//! The per-access permission check and whole transactions, answered by the native
//! engine (in memory and on a SQLite file) and by the Clarity VM, on the same state.
//!
//! `cargo bench -p clarimed-benches --bench check_access`
//!
//! Groups: `check-access` (a provider with a live WRITE grant and consent, reading),
//! `check-access-patient`, `check-access-emergency` (a responder under an override),
//! `check-access-refused` (a stranger), `check-access-write` (the provider, writing),
//! and `get-record` and `grant-consent` as whole transactions (check, log, commit)
//! through the Clarity-valued API, and `get-record-typed` through the typed API.
//! Each group ends by printing each native median and its speed-up over clarity-vm.

use clarimed_benches::{deployed, print_ratios, set_up, without_block_limit, Cast};
use clarimed_engine::{principal_to_native, Engine, MemoryStore, SqliteStore};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, none, principal, uint};
use clarimed_reference::{PrincipalData, ReferenceVm, Value, CONSENT_CONTRACT, RECORDS_CONTRACT};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const NATIVE: [&str; 2] = ["native-memory", "native-sqlite"];

struct Engines {
    cast: Cast,
    memory: Engine<MemoryStore>,
    sqlite: Engine<SqliteStore>,
    vm: ReferenceVm,
    _dir: tempfile::TempDir,
}

impl Engines {
    fn new() -> Engines {
        let cast = Cast::new();
        let memory = deployed(&cast);
        without_block_limit(&memory);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let owner = principal_to_native(&cast.owner.principal().into());
        let mut sqlite = Engine::open_or_create(dir.path().join("bench.db"), &owner, clarimed_engine::Epoch::Epoch25).expect("a SQLite state");
        without_block_limit(&sqlite);
        set_up(&mut sqlite, &cast);
        let vm = deployed(&cast);
        Engines { cast, memory, sqlite, vm, _dir: dir }
    }
}

/// `check-access` on record u1 by `accessor` for `action`, on every engine.
fn check_group(c: &mut Criterion, engines: &mut Engines, group: &str, accessor: &Key, action: u128) {
    let native = principal_to_native(&accessor.principal().into());
    let action_code = clarimed_engine::records_codes::Action::from_code(action).expect("read or write");
    let mut g = c.benchmark_group(group);
    let _ctx = native.clone();
    g.bench_function("native-memory", |b| b.iter(|| engines.memory.records().check_access(black_box(1), black_box(&native), action_code)));
    g.bench_function("native-sqlite", |b| b.iter(|| engines.sqlite.records().check_access(black_box(1), black_box(&native), action_code)));
    let sender: PrincipalData = accessor.principal().into();
    let args = [uint(1), principal(accessor.principal()), uint(action)];
    g.bench_function("clarity-vm", |b| b.iter(|| engines.vm.call_read_only(&sender, RECORDS_CONTRACT, "check-access", black_box(&args))));
    g.finish();
    print_ratios(group, &NATIVE);
}

/// Runs `call` `iterations` times with one SQLite commit per 100 calls; the time taken.
fn in_blocks_of_100(sqlite: &mut Engine<SqliteStore>, iterations: u64, mut call: impl FnMut(&mut Engine<SqliteStore>)) -> std::time::Duration {
    let started = std::time::Instant::now();
    for i in 0..iterations {
        if i % 100 == 0 {
            sqlite.begin_block().expect("a block");
        }
        call(sqlite);
        if i % 100 == 99 || i + 1 == iterations {
            sqlite.commit_block().expect("a commit");
        }
    }
    started.elapsed()
}

/// A public call as a whole transaction on every engine; on SQLite both with a
/// durable commit per call and with one commit per block of 100 calls.
fn transaction_group(c: &mut Criterion, engines: &mut Engines, group: &str, sender: &Key, contract: &str, function: &str, args: Vec<Value>) {
    use clarimed_conformance::Chain;
    let who: PrincipalData = sender.principal().into();
    let mut g = c.benchmark_group(group);
    g.bench_function("native-memory", |b| b.iter(|| engines.memory.call_public(&who, contract, function, black_box(&args))));
    g.bench_function("native-sqlite", |b| b.iter(|| engines.sqlite.call_public(&who, contract, function, black_box(&args))));
    g.bench_function("native-sqlite-block-100", |b| {
        b.iter_custom(|iterations| {
            in_blocks_of_100(&mut engines.sqlite, iterations, |sqlite| {
                let _ = sqlite.call_public(&who, contract, function, black_box(&args));
            })
        })
    });
    g.bench_function("clarity-vm", |b| b.iter(|| engines.vm.call_public(&who, contract, function, black_box(&args))));
    g.finish();
    print_ratios(group, &["native-memory", "native-sqlite", "native-sqlite-block-100"]);
}

/// get-record through the typed API, as embedding software calls it: in memory, and
/// on SQLite with one commit per block of 100 calls.
fn typed_get_record_group(c: &mut Criterion, engines: &mut Engines) {
    let provider = principal_to_native(&engines.cast.provider.principal().into());
    let ctx = provider.clone();
    let mut g = c.benchmark_group("get-record-typed");
    g.bench_function("native-memory", |b| b.iter(|| engines.memory.records().get_record(&ctx, black_box(1))));
    g.bench_function("native-sqlite-block-100", |b| {
        b.iter_custom(|iterations| {
            in_blocks_of_100(&mut engines.sqlite, iterations, |sqlite| {
                let _ = sqlite.records().get_record(&ctx, black_box(1));
            })
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mut engines = Engines::new();
    let (patient, provider, responder, stranger) =
        (engines.cast.patient.clone(), engines.cast.provider.clone(), engines.cast.responder.clone(), engines.cast.stranger.clone());
    check_group(c, &mut engines, "check-access", &provider, 0);
    check_group(c, &mut engines, "check-access-patient", &patient, 0);
    check_group(c, &mut engines, "check-access-emergency", &responder, 0);
    check_group(c, &mut engines, "check-access-refused", &stranger, 0);
    check_group(c, &mut engines, "check-access-write", &provider, 1);
    transaction_group(c, &mut engines, "get-record", &provider, RECORDS_CONTRACT, "get-record", vec![uint(1)]);
    typed_get_record_group(c, &mut engines);
    let consent = vec![principal(provider.principal()), uint(1), none(), ascii("care")];
    transaction_group(c, &mut engines, "grant-consent", &patient, CONSENT_CONTRACT, "grant-consent", consent);
}

criterion_group!(all, benches);
criterion_main!(all);
