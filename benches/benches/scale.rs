//! How cost grows with the state. Patients, each with 10 consents, a provider
//! grant and 5 signed records, are bulk-loaded into a SQLite state
//! ([`Engine::open_for_loading`], blocks of 50,000 calls, each written while the
//! next runs): worker threads, one a
//! core, sign each patient's records and verify the signatures ahead
//! ([`VerifiedSignatures`]), and the engine's writer runs the calls in patient
//! order. At each size the state is opened as a node would open it (fresh caches)
//! and measured:
//! - the file's bytes per patient, consent and record;
//! - the first `check-access` on each of 1,600 distinct random records, on the
//!   state as opened;
//! - the time [`SqliteStore::warm_up`] takes to hold the state in memory; then
//!   the first `check-access` on each of 1,600 other records, and a repeated one
//!   on each (the memo);
//! - `get-record` transactions per second on 1,600 other records, committed in
//!   blocks of 100, each written while the next runs ([`Engine::submit_block`]);
//! - mixed traffic: 9 `check-access` to 1 `get-record` on random records of the
//!   whole state, asked by the record's provider (80%), its patient (10%) or
//!   another provider (10%, refused), committed in blocks of 100 likewise.
//!
//! The same number of distinct records is sampled at every size (at 1,000
//! patients, 4,800 of the 5,000), so no size is measured on repeats.
//!
//! `cargo bench -p clarimed-benches --bench scale -- [--sizes 1000,100000,1000000] [--dir PATH] [--loaded N] [--index-budget BYTES] [--verify-on-writer] [--commit-each]`
//!
//! `--loaded N` measures a state an earlier run left in `--dir` with `N` patients
//! loaded, adding only the patients past `N`. `--index-budget BYTES` opens the
//! state with that budget for its rows in memory (0: read from SQLite's B-tree).
//! Each row also gives the time [`Engine::open`] takes (the rows read into memory)
//! and the bytes the in-memory index holds a patient. `--verify-on-writer` loads
//! as before [`VerifiedSignatures`]: one thread signs, and the writer verifies
//! every signature. `--commit-each` makes each block durable before the next
//! runs ([`Engine::commit_block`]), as before [`Engine::submit_block`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

use clarimed_benches::without_block_limit;
use clarimed_engine::consent_codes::DataType;
use clarimed_engine::keys::{create_record_digest, SigningKey};
use clarimed_engine::records_codes::{AccessLevel, Action, RecordType};
use clarimed_engine::{Content, Engine, Principal, Signed, SqliteStore, Submitted, VerifiedSignatures};
use indicatif::{ProgressBar, ProgressStyle};

/// Calls committed together while loading.
const BLOCK: usize = 50_000;
/// Calls a patient's load makes: registration, 10 consents, a grant, 5 records.
const CALLS_PER_PATIENT: usize = 17;
/// Distinct records sampled for each of: the first checks on the state as opened,
/// the first checks once it is held in memory, and get-record.
const SAMPLED: usize = 1_600;
/// Calls of the mixed traffic at each size, committed in blocks of 100.
const MIXED_CALLS: usize = 50_000;
const CALLS_PER_BLOCK: usize = 100;
/// Providers: 0 holds every patient's records grant and consents; 1..9 hold
/// consents to four data types of the patients `i % 9 + 1`, and no grant.
const PROVIDERS: usize = 10;
/// Record types whose consent data types provider 0 holds (0, 1, 2, 3, 7).
const RECORD_TYPES: [RecordType; 5] =
    [RecordType::BasicInfo, RecordType::Diagnosis, RecordType::LabResults, RecordType::Medications, RecordType::EmergencyContacts];

struct Options {
    sizes: Vec<usize>,
    dir: Option<PathBuf>,
    loaded: usize,
    /// `None`: [`Engine::open`]'s default.
    index_budget: Option<usize>,
    verify_on_writer: bool,
    /// Each block durable before the next runs ([`Engine::commit_block`]), as
    /// before [`Engine::submit_block`].
    commit_each: bool,
}

fn options() -> Options {
    let mut sizes = vec![1_000, 100_000, 1_000_000];
    let mut dir = None;
    let mut loaded = 0;
    let mut index_budget = None;
    let mut verify_on_writer = false;
    let mut commit_each = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => sizes = args.next().expect("--sizes N,N,…").split(',').map(|n| n.parse().expect("a size")).collect(),
            "--dir" => dir = Some(PathBuf::from(args.next().expect("--dir PATH"))),
            "--loaded" => loaded = args.next().expect("--loaded N").parse().expect("a number of patients"),
            "--verify-on-writer" => verify_on_writer = true,
            "--commit-each" => commit_each = true,
            "--index-budget" => index_budget = Some(args.next().expect("--index-budget BYTES").parse().expect("a number of bytes")),
            _ => {} // cargo bench passes --bench
        }
    }
    assert!(loaded == 0 || dir.is_some(), "--loaded N measures the state in --dir");
    // A fresh run makes the directory it is told to write in.
    if let (Some(dir), 0) = (&dir, loaded) {
        std::fs::create_dir_all(dir).unwrap_or_else(|error| panic!("cannot make {}: {error}", dir.display()));
    }
    Options { sizes, dir, loaded, index_budget, verify_on_writer, commit_each }
}

/// A small xorshift: the same samples and traffic on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn patient_key(i: usize) -> SigningKey {
    SigningKey::from_hex(&format!("{:064x}", 0x5ca1_e000_0000_u64 + i as u64)).expect("a private key")
}

fn provider(i: usize) -> Principal {
    SigningKey::from_hex(&format!("{:064x}", 0x9e0_u64 + i as u64)).expect("a private key").principal()
}

/// What the calls of one patient need, computed ahead of the engine's writer:
/// signing is the test data's cost, and verifying the signatures
/// ([`VerifiedSignatures::verify`]) is done by the workers too.
struct PatientCalls {
    index: usize,
    principal: Principal,
    patient_id: String,
    public_key: [u8; 33],
    records: Vec<(RecordType, String, Vec<u8>, [u8; 65])>,
}

/// Patient `index`'s calls, signed; each record's signature verified into
/// `verified`, if given.
fn patient_calls(index: usize, verified: Option<&VerifiedSignatures>) -> PatientCalls {
    let key = patient_key(index);
    let principal = key.principal();
    let public_key = key.public_key();
    let records = RECORD_TYPES
        .iter()
        .enumerate()
        .map(|(k, record_type)| {
            let checksum = [(index as u64).to_be_bytes(), (k as u64).to_be_bytes()].concat();
            let data_hash = clarimed_engine::hex(&create_record_digest(&principal, *record_type, &format!("{index}-{k}"), &checksum));
            let digest = create_record_digest(&principal, *record_type, &data_hash, &checksum);
            let signature = key.sign(&digest).expect("a signature");
            if let Some(verified) = verified {
                assert!(verified.verify(&digest, &signature, &public_key), "a signature the loader made verifies");
            }
            (*record_type, data_hash, checksum, signature)
        })
        .collect();
    PatientCalls { index, principal, patient_id: format!("PAT-{index}"), public_key, records }
}

/// Patients `from..to`'s calls, in order, made by `workers` threads of `scope`:
/// worker `w` makes every `workers`-th patient from `from + w` into a channel of
/// its own, and the patients are read back from the channels in turn.
fn patients<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    from: usize,
    to: usize,
    workers: usize,
    verified: Option<&'s VerifiedSignatures>,
) -> impl Iterator<Item = PatientCalls> + 's {
    let channels: Vec<Receiver<PatientCalls>> = (0..workers)
        .map(|worker| {
            let (send, receive) = sync_channel(4_096 / workers);
            scope.spawn(move || make_patients(&send, (from + worker..to).step_by(workers), verified));
            receive
        })
        .collect();
    (0..to - from).map_while(move |k| channels[k % workers].recv().ok())
}

/// Sends each patient's calls until the reader hangs up.
fn make_patients(send: &SyncSender<PatientCalls>, indexes: impl Iterator<Item = usize>, verified: Option<&VerifiedSignatures>) {
    for index in indexes {
        if send.send(patient_calls(index, verified)).is_err() {
            return;
        }
    }
}

fn load_patient(engine: &Engine<SqliteStore>, verified: Option<&VerifiedSignatures>, providers: &[Principal], calls: &PatientCalls) {
    let patient = &calls.principal;
    let i = calls.index;
    engine.consent().register_patient(patient, &calls.patient_id, 19_800_101, None, Some(providers[0].clone())).expect("registers");
    for data_type in DataType::ALL.iter().filter(|t| !t.is_sensitive()) {
        engine.consent().grant_consent(patient, &providers[0], *data_type, None, "care").expect("consents");
    }
    for data_type in [DataType::MedicalHistory, DataType::LabResults, DataType::BasicInfo, DataType::TreatmentPlans] {
        engine.consent().grant_consent(patient, &providers[1 + i % (PROVIDERS - 1)], data_type, None, "referral").expect("consents");
    }
    engine.records().grant_provider_access(patient, patient, &providers[0], AccessLevel::Write, None, true).expect("grants");
    let records = match verified {
        Some(verified) => engine.records_verified(verified),
        None => engine.records(),
    };
    for (k, (record_type, data_hash, checksum, signature)) in calls.records.iter().enumerate() {
        let content = Content { title: "Record", data_hash, checksum };
        let signed = Signed { signature, public_key: &calls.public_key };
        records.create_record(patient, patient, *record_type, &content, None, (k % 2) as u128, &signed).expect("creates");
    }
}

/// Bulk-loads patients `from..to` into the state at `path`; returns the seconds
/// it took. The writer verifies the records' signatures only if `verify_on_writer`;
/// otherwise workers, one a core, verify them ahead.
fn load(path: &Path, owner: &Principal, providers: &[Principal], from: usize, to: usize, options: &Options) -> f64 {
    let verify_on_writer = options.verify_on_writer;
    let started = Instant::now();
    let (writer_before, process_before) = (thread_cpu_seconds().unwrap_or(0.0), process_cpu_seconds().unwrap_or(0.0));
    let engine = Engine::open_for_loading(path, owner, clarimed_engine::Epoch::Epoch25).expect("a state to load");
    without_block_limit(&engine);
    let bar = ProgressBar::new(((to - from) * CALLS_PER_PATIENT) as u64);
    bar.set_style(ProgressStyle::with_template("{msg} [{elapsed_precise}] {bar:40} {pos}/{len} calls, {per_sec}, eta {eta}").expect("a template"));
    bar.set_message(format!("loading patients {from}..{to}"));
    let verified = VerifiedSignatures::new();
    let (verified, workers) = match verify_on_writer {
        true => (None, 1),
        false => (Some(&verified), std::thread::available_parallelism().map_or(2, usize::from)),
    };
    let mut in_block = 0;
    let mut reported = Instant::now();
    let mut blocks = Pipelined::begin(&engine, options.commit_each);
    std::thread::scope(|scope| {
        for calls in patients(scope, from, to, workers, verified) {
            load_patient(&engine, verified, providers, &calls);
            in_block += CALLS_PER_PATIENT;
            bar.inc(CALLS_PER_PATIENT as u64);
            if bar.is_hidden() && reported.elapsed() > Duration::from_secs(30) {
                eprintln!("loading: {} patients of {from}..{to} in {:.0} s", calls.index + 1 - from, started.elapsed().as_secs_f64());
                reported = Instant::now();
            }
            if in_block + CALLS_PER_PATIENT > BLOCK {
                blocks.next();
                in_block = 0;
            }
        }
    });
    blocks.finish();
    drop(engine);
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    // CPU time says what bounds the load on a machine shared with other work,
    // where the wall time says little: the writer's thread, against every thread's.
    if let (Some(writer), Some(process)) = (thread_cpu_seconds().map(|now| now - writer_before), process_cpu_seconds().map(|now| now - process_before)) {
        eprintln!("loaded patients {from}..{to} in {seconds:.0} s: the writer's thread {writer:.0} s of CPU, every thread {process:.0} s");
    }
    seconds
}

/// CPU seconds of the process, every thread's, dead ones included (`None` where
/// there is no `/proc`): utime and stime of `/proc/self/stat`, in the kernel's
/// 100 ticks a second.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU seconds of the calling thread (`None` where there is no `/proc`).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn timed<T>(call: impl FnOnce() -> T) -> (T, u64) {
    let started = Instant::now();
    let answer = call();
    (answer, started.elapsed().as_nanos() as u64)
}

/// `count` distinct random record ids, in random order, none of `taken`.
fn distinct_records(rng: &mut Rng, records: usize, count: usize, taken: &HashSet<u128>) -> Vec<u128> {
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let id = 1 + rng.below(records) as u128;
        if !taken.contains(&id) && seen.insert(id) {
            ids.push(id);
        }
    }
    ids
}

/// Nanoseconds of the first check of each record by provider 0, and of a second.
fn check_latency(engine: &Engine<SqliteStore>, provider: &Principal, ids: &[u128]) -> (Vec<u64>, Vec<u64>) {
    let pass = || {
        let mut times: Vec<u64> = ids
            .iter()
            .map(|id| {
                let (level, nanos) = timed(|| engine.records().check_access(*id, provider, Action::Read));
                assert!(level.is_ok(), "record u{id}: {level:?}");
                nanos
            })
            .collect();
        times.sort_unstable();
        times
    };
    let cold = pass();
    (cold, pass())
}

/// get-record transactions per second on `ids`, committed in blocks of 100.
fn get_record_rate(engine: &Engine<SqliteStore>, provider: &Principal, ids: &[u128], commit_each: bool) -> f64 {
    let started = Instant::now();
    let mut blocks = Pipelined::begin(engine, commit_each);
    for (n, block) in ids.chunks(CALLS_PER_BLOCK).enumerate() {
        if n > 0 {
            blocks.next();
        }
        for id in block {
            engine.records().get_record(provider, *id).expect("a readable record");
        }
    }
    blocks.finish();
    ids.len() as f64 / started.elapsed().as_secs_f64()
}

/// Blocks committed as a node's miner would: each handed to the committer when
/// full, the next running while it is written, and waited for (durable) before
/// the one after is handed over.
/// With `commit_each` (`--commit-each`), each block is durable before the next
/// runs instead.
struct Pipelined<'e> {
    engine: &'e Engine<SqliteStore>,
    in_flight: Option<Submitted>,
    commit_each: bool,
}

impl<'e> Pipelined<'e> {
    fn begin(engine: &'e Engine<SqliteStore>, commit_each: bool) -> Pipelined<'e> {
        engine.begin_block().expect("a block");
        Pipelined { engine, in_flight: None, commit_each }
    }

    /// Hands the open block over and opens the next.
    fn next(&mut self) {
        if self.commit_each {
            self.engine.commit_block().expect("a commit");
            self.engine.begin_block().expect("a block");
            return;
        }
        let submitted = self.engine.submit_block().expect("a block handed over");
        if let Some(previous) = self.in_flight.replace(submitted) {
            self.engine.wait_durable(previous).expect("a durable commit");
        }
        self.engine.begin_block().expect("a block");
    }

    /// Commits the open block and waits for every block to be durable.
    fn finish(mut self) {
        self.engine.commit_block().expect("a commit");
        if let Some(previous) = self.in_flight.take() {
            self.engine.wait_durable(previous).expect("a durable commit");
        }
    }
}

/// Nanoseconds of each check of the 9:1 mixed traffic, and the traffic's calls per
/// second (commits included).
fn mixed_traffic(engine: &Engine<SqliteStore>, providers: &[Principal], patients: usize, rng: &mut Rng, commit_each: bool) -> (Vec<u64>, f64) {
    let records = patients * RECORD_TYPES.len();
    let mut checks = Vec::with_capacity(MIXED_CALLS);
    let started = Instant::now();
    let mut blocks = Pipelined::begin(engine, commit_each);
    for block in 0..MIXED_CALLS / CALLS_PER_BLOCK {
        if block > 0 {
            blocks.next();
        }
        for call in 0..CALLS_PER_BLOCK {
            let id = 1 + rng.below(records);
            // Records are created five to a patient, in patient order.
            let patient = (id - 1) / RECORD_TYPES.len();
            if call % 10 == 9 {
                engine.records().get_record(&providers[0], id as u128).expect("a readable record");
                continue;
            }
            let accessor = match rng.below(10) {
                0 => patient_key(patient).principal(),
                1 => providers[1 + rng.below(PROVIDERS - 1)].clone(),
                _ => providers[0].clone(),
            };
            let (answer, nanos) = timed(|| engine.records().check_access(id as u128, &accessor, Action::Read));
            std::hint::black_box(answer.is_ok());
            checks.push(nanos);
        }
    }
    blocks.finish();
    let rate = MIXED_CALLS as f64 / started.elapsed().as_secs_f64();
    checks.sort_unstable();
    (checks, rate)
}

fn micros(nanos: u64) -> String {
    format!("{:.2} µs", Duration::from_nanos(nanos).as_secs_f64() * 1e6)
}

fn main() {
    let options = options();
    let temporary = tempfile::tempdir().expect("a temporary folder");
    let dir = options.dir.clone().unwrap_or_else(|| temporary.path().to_path_buf());
    let path = dir.join("scale.db");
    let owner = SigningKey::from_hex(&format!("{:064x}", 0x0_0e4e_u64)).expect("a private key").principal();
    let providers: Vec<Principal> = (0..PROVIDERS).map(provider).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut loaded = options.loaded;
    let mut load_seconds = 0.0;
    println!(
        "| patients | file | bytes/patient | load (total) | open | index bytes/patient | first check, as opened | held in memory in | first check median | p99 | repeated | get-record/s | mixed check median | p99 | mixed calls/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &size in &options.sizes {
        if size > loaded {
            load_seconds += load(&path, &owner, &providers, loaded, size, &options);
            loaded = size;
        }
        let file = std::fs::metadata(&path).expect("the state file").len();
        let (engine, open) = timed(|| match options.index_budget {
            Some(budget) => Engine::open_with_index_budget(&path, budget),
            None => Engine::open(&path),
        });
        let engine = engine.expect("the loaded state");
        let index_bytes = engine.backend().index_status().bytes();
        without_block_limit(&engine);
        let records = size * RECORD_TYPES.len();
        let mut taken = HashSet::new();
        let mut sample = |rng: &mut Rng| {
            let ids = distinct_records(rng, records, SAMPLED, &taken);
            taken.extend(ids.iter().copied());
            ids
        };
        let (as_opened, get_ids, cold_ids) = (sample(&mut rng), sample(&mut rng), sample(&mut rng));
        let (as_opened, _) = check_latency(&engine, &providers[0], &as_opened);
        let (_, warm_up) = timed(|| engine.backend().warm_up().expect("the state read once"));
        let (cold, warm) = check_latency(&engine, &providers[0], &cold_ids);
        let get_rate = get_record_rate(&engine, &providers[0], &get_ids, options.commit_each);
        let (mixed, mixed_rate) = mixed_traffic(&engine, &providers, size, &mut rng, options.commit_each);
        println!(
            "| {size} | {:.1} MB | {} | {:.0} s | {:.1} s | {} | {} | {:.1} s | {} | {} | {} | {:.0} | {} | {} | {:.0} |",
            file as f64 / 1e6,
            file / size as u64,
            load_seconds,
            open as f64 / 1e9,
            index_bytes / size,
            micros(percentile(&as_opened, 0.5)),
            warm_up as f64 / 1e9,
            micros(percentile(&cold, 0.5)),
            micros(percentile(&cold, 0.99)),
            micros(percentile(&warm, 0.5)),
            get_rate,
            micros(percentile(&mixed, 0.5)),
            micros(percentile(&mixed, 0.99)),
            mixed_rate,
        );
    }
}
