//! `check-access` as a permission service meets it: random records and accessors of
//! a 1,000-patient state (5 records each), on memory and on a SQLite file, with and
//! without the `get-record` writes real traffic carries, and from two threads.
//!
//! `cargo bench -p clarimed-benches --bench mixed [-- --epoch 2.5]` (default: 4.0, the
//! newest)
//!
//! Each check is timed on its own (the timer's own cost, measured first, is
//! subtracted); medians and p99 over every timed check. Workloads:
//! - repeated call: the same record and accessor every time (a memo hit; not what
//!   traffic looks like, kept to compare with earlier figures);
//! - random, no writes: random records, each read by its patient's provider (80%),
//!   the patient (10%) or another provider (10%, refused);
//! - 9:1, each committed: nine random checks, then one `get-record` committed on its
//!   own (a durable SQLite commit), untimed;
//! - 9:1, blocks of 100: the same calls, committed a block of 100 at a time.
//!
//! Then read-only throughput on one engine from one thread and from two.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clarimed_benches::population::{load, pick, Rng, State, PATIENTS, PROVIDERS, RECORD_TYPES};
use clarimed_benches::without_block_limit;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::records_codes::Action;
use clarimed_engine::{Engine, Principal, Store};

const CHECKS: usize = 180_000;

/// Nanoseconds of `Instant::now()` twice, the floor of every timed check.
fn timer_overhead() -> u64 {
    let mut samples: Vec<u64> = (0..100_000)
        .map(|_| {
            let start = Instant::now();
            start.elapsed().as_nanos() as u64
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn timed_check<S>(engine: &Engine<S>, id: u128, accessor: &Principal, overhead: u64) -> u64 {
    let start = Instant::now();
    let answer = engine.records().check_access(std::hint::black_box(id), accessor, Action::Read);
    let nanos = start.elapsed().as_nanos() as u64;
    std::hint::black_box(answer.is_ok());
    nanos.saturating_sub(overhead)
}

fn summary(mut nanos: Vec<u64>) -> (u64, u64) {
    nanos.sort_unstable();
    (nanos[nanos.len() / 2], nanos[nanos.len() * 99 / 100])
}

/// The get-record of the 10th call: a random record read by its provider.
fn get_record<S>(engine: &Engine<S>, state: &State, rng: &mut Rng) {
    let id = 1 + rng.below(state.records.len() - 1);
    let provider = &state.providers[state.records[id] % PROVIDERS];
    engine.records().get_record(provider, id as u128).unwrap();
}

fn workloads<S: Store + 'static>(name: &str, engine: &Engine<S>, state: &State, overhead: u64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Warm: every record asked about once by each kind of accessor.
    for _ in 0..CHECKS {
        let (id, accessor) = pick(state, &mut rng);
        timed_check(engine, id, &accessor, overhead);
    }
    let (id, accessor) = pick(state, &mut rng);
    let repeated = (0..CHECKS).map(|_| timed_check(engine, id, &accessor, overhead)).collect();
    let random = (0..CHECKS).map(|_| {
        let (id, accessor) = pick(state, &mut rng);
        timed_check(engine, id, &accessor, overhead)
    });
    let random: Vec<u64> = random.collect();
    let mut each_committed = Vec::with_capacity(CHECKS);
    while each_committed.len() < CHECKS / 3 {
        for _ in 0..9 {
            let (id, accessor) = pick(state, &mut rng);
            each_committed.push(timed_check(engine, id, &accessor, overhead));
        }
        get_record(engine, state, &mut rng);
    }
    let mut in_blocks = Vec::with_capacity(CHECKS);
    while in_blocks.len() < CHECKS {
        engine.begin_block().unwrap();
        for _ in 0..10 {
            for _ in 0..9 {
                let (id, accessor) = pick(state, &mut rng);
                in_blocks.push(timed_check(engine, id, &accessor, overhead));
            }
            get_record(engine, state, &mut rng);
        }
        engine.commit_block().unwrap();
    }
    for (workload, nanos) in
        [("repeated call", repeated), ("random, no writes", random), ("9:1, each committed", each_committed), ("9:1, blocks of 100", in_blocks)]
    {
        let (median, p99) = summary(nanos);
        println!("| {name} | {workload} | {median} ns | {p99} ns |");
    }
}

/// Read-only checks per second from `threads` threads for `time`.
fn throughput<S: Store + 'static>(engine: &Engine<S>, state: &State, threads: usize, time: Duration) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (stop, done) = (&stop, &done);
            scope.spawn(move || {
                let mut rng = Rng(0x1234_5678 + t as u64);
                let mut count = 0;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..256 {
                        let (id, accessor) = pick(state, &mut rng);
                        std::hint::black_box(engine.records().check_access(id, &accessor, Action::Read).is_ok());
                    }
                    count += 256;
                }
                done.fetch_add(count, Ordering::Relaxed);
            });
        }
        std::thread::sleep(time);
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / time.as_secs_f64()
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let epoch = match args.iter().position(|arg| arg == "--epoch") {
        Some(at) => args.get(at + 1).and_then(|e| e.parse().ok()).expect("--epoch takes an epoch: 2.5 to 4.0"),
        None => clarimed_engine::Epoch::NEWEST,
    };
    let overhead = timer_overhead();
    println!(
        "epoch {epoch}; timer overhead subtracted: {overhead} ns; {PATIENTS} patients, {} records, {PROVIDERS} providers\n",
        PATIENTS * RECORD_TYPES.len()
    );
    println!("| engine | workload | check-access median | p99 |\n|---|---|---|---|");
    let memory = Engine::in_memory(&SigningKey::random().principal(), epoch).unwrap();
    without_block_limit(&memory);
    let memory_state = load(&memory);
    workloads("memory", &memory, &memory_state, overhead);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Engine::open_or_create(dir.path().join("mixed.db"), &SigningKey::random().principal(), epoch).unwrap();
    without_block_limit(&sqlite);
    let sqlite_state = load(&sqlite);
    workloads("sqlite", &sqlite, &sqlite_state, overhead);
    println!("\n| engine | threads | read-only check-access/s | vs 1 thread |\n|---|---|---|---|");
    let memory_rates = [1, 2].map(|n| throughput(&memory, &memory_state, n, Duration::from_secs(3)));
    let sqlite_rates = [1, 2].map(|n| throughput(&sqlite, &sqlite_state, n, Duration::from_secs(3)));
    for (name, rates) in [("memory", memory_rates), ("sqlite", sqlite_rates)] {
        println!("| {name} | 1 | {:.0} | 1.00× |", rates[0]);
        println!("| {name} | 2 | {:.0} | {:.2}× |", rates[1], rates[1] / rates[0]);
    }
}
