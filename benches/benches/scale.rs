//! How cost grows with the state: patients, each with 10 consents, a provider grant
//! and 5 signed records, loaded into the SQLite engine in blocks of calls; at each size
//! the permission check's latency, get-record transactions per second, and the state
//! file's bytes per patient, consent and record.
//!
//! `cargo bench -p clarimed-benches --bench scale -- [--sizes 1000,100000,1000000] [--dir PATH]`

use std::path::PathBuf;
use std::time::Instant;

use clarimed_benches::without_block_limit;
use clarimed_engine::consent_codes::DataType;
use clarimed_engine::records_codes::{AccessLevel, Action, RecordType};
use clarimed_engine::{principal_to_native, Content, Engine, Principal, Signed, SqliteStore};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, buff, principal, tuple, uint};
use indicatif::{ProgressBar, ProgressStyle};

/// Calls committed together, as a node commits a block.
const BLOCK: usize = 1_000;
/// Permission checks and get-record calls measured at each size.
const SAMPLES: usize = 10_000;
const GET_RECORD_BLOCK: usize = 100;
/// Record types whose consent data types the provider holds (0, 1, 2, 3, 7).
const RECORD_TYPES: [RecordType; 5] =
    [RecordType::BasicInfo, RecordType::Diagnosis, RecordType::LabResults, RecordType::Medications, RecordType::EmergencyContacts];

struct Options {
    sizes: Vec<usize>,
    dir: Option<PathBuf>,
}

fn options() -> Options {
    let mut sizes = vec![1_000, 100_000, 1_000_000];
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => sizes = args.next().expect("--sizes N,N,…").split(',').map(|n| n.parse().expect("a size")).collect(),
            "--dir" => dir = Some(PathBuf::from(args.next().expect("--dir PATH"))),
            _ => {} // cargo bench passes --bench
        }
    }
    Options { sizes, dir }
}

fn native(key: &Key) -> Principal {
    principal_to_native(&key.principal().into())
}

fn patient_key(i: usize) -> Key {
    Key::from_seed(format!("scale patient {i}").as_bytes())
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template("{msg:>28} [{elapsed_precise}] {bar:40} {pos}/{len} calls, {per_sec}, eta {eta}").expect("a template"));
    bar.set_message(what.to_string());
    bar
}

fn file_bytes(path: &std::path::Path, engine: &Engine<SqliteStore>) -> u64 {
    engine.backend().checkpoint().expect("a checkpoint");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Loads patients `from..to`: registration and consents, then records; returns the
/// file bytes each phase added.
fn load(engine: &mut Engine<SqliteStore>, path: &std::path::Path, providers: &[Principal], from: usize, to: usize) -> (u64, u64) {
    let start = file_bytes(path, engine);
    let bar = progress(((to - from) * 12) as u64, &format!("patients {from}..{to}: consents"));
    for chunk in (from..to).collect::<Vec<_>>().chunks(BLOCK / 12) {
        engine.begin_block().expect("a block");
        for &i in chunk {
            let patient = native(&patient_key(i));
            let ctx = patient.clone();
            engine.consent().register_patient(&ctx, &format!("PAT-{i}"), 19_800_101, None, Some(providers[0].clone())).expect("registers");
            for data_type in DataType::ALL.iter().filter(|t| !t.is_sensitive()) {
                engine.consent().grant_consent(&ctx, &providers[0], *data_type, None, "care").expect("consents");
            }
            for data_type in [DataType::MedicalHistory, DataType::LabResults, DataType::BasicInfo, DataType::TreatmentPlans] {
                engine.consent().grant_consent(&ctx, &providers[1 + i % (providers.len() - 1)], data_type, None, "referral").expect("consents");
            }
            engine.records().grant_provider_access(&ctx, &patient, &providers[0], AccessLevel::Write, None, true).expect("grants");
            bar.inc(12);
        }
        engine.commit_block().expect("a commit");
    }
    bar.finish_and_clear();
    let after_consents = file_bytes(path, engine);
    let bar = progress(((to - from) * RECORD_TYPES.len()) as u64, &format!("patients {from}..{to}: records"));
    for chunk in (from..to).collect::<Vec<_>>().chunks(BLOCK / RECORD_TYPES.len()) {
        engine.begin_block().expect("a block");
        for &i in chunk {
            let key = patient_key(i);
            let patient = native(&key);
            let ctx = patient.clone();
            for (k, record_type) in RECORD_TYPES.iter().enumerate() {
                let checksum = clarimed_reference::keys::consensus_digest(&uint((i * 8 + k) as u128)).expect("a digest");
                let data_hash = clarimed_engine::hex(&checksum);
                let message = tuple(&[
                    ("patient", principal(key.principal())),
                    ("record-type", uint(record_type.code())),
                    ("data-hash", ascii(&data_hash)),
                    ("checksum", buff(&checksum)),
                ]);
                let signature = key.sign_value(&message).expect("a signature");
                let content = Content { title: "Record", data_hash: &data_hash, checksum: &checksum };
                let signed = Signed { signature: &signature, public_key: &key.public_key() };
                engine.records().create_record(&ctx, &patient, *record_type, &content, None, (k % 2) as u128, &signed).expect("creates");
                bar.inc(1);
            }
        }
        engine.commit_block().expect("a commit");
    }
    bar.finish_and_clear();
    let after_records = file_bytes(path, engine);
    (after_consents - start, after_records - after_consents)
}

/// Nanoseconds of each of `SAMPLES` permission checks on random records, twice over
/// the same records: the first pass reads the store, the second the warm cache.
fn check_latency(engine: &mut Engine<SqliteStore>, provider: &Principal, records: u128, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let mut rng = seed | 1;
    let ids: Vec<u128> = (0..SAMPLES)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            1 + u128::from(rng) % records
        })
        .collect();
    let _ctx = provider.clone();
    let pass = || {
        let mut times: Vec<u64> = ids
            .iter()
            .map(|id| {
                let started = Instant::now();
                let level = engine.records().check_access(*id, provider, Action::Read);
                let elapsed = started.elapsed().as_nanos() as u64;
                assert!(level.is_ok(), "record u{id}: {level:?}");
                elapsed
            })
            .collect();
        times.sort_unstable();
        times
    };
    let cold = pass();
    let warm = pass();
    (cold, warm)
}

/// get-record transactions per second, committed in blocks of `GET_RECORD_BLOCK`.
fn get_record_rate(engine: &mut Engine<SqliteStore>, provider: &Principal, records: u128) -> f64 {
    let ctx = provider.clone();
    let started = Instant::now();
    for block in 0..SAMPLES / GET_RECORD_BLOCK {
        engine.begin_block().expect("a block");
        for i in 0..GET_RECORD_BLOCK {
            let id = 1 + ((block * GET_RECORD_BLOCK + i) as u128 * 7_919) % records;
            engine.records().get_record(&ctx, id).expect("a readable record");
        }
        engine.commit_block().expect("a commit");
    }
    SAMPLES as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let options = options();
    let temporary = tempfile::tempdir().expect("a temporary folder");
    let dir = options.dir.clone().unwrap_or_else(|| temporary.path().to_path_buf());
    let path = dir.join("scale.db");
    let owner = native(&Key::from_seed(b"scale owner"));
    let providers: Vec<Principal> = (0..10).map(|i| native(&Key::from_seed(format!("scale provider {i}").as_bytes()))).collect();
    let mut engine = Engine::open_or_create(&path, &owner).expect("a SQLite state");
    without_block_limit(&engine);
    let mut loaded = 0;
    let (mut consent_bytes, mut record_bytes) = (0u64, 0u64);
    println!(
        "{:>10} {:>12} {:>12} {:>12} {:>12} {:>14} {:>14} {:>14}",
        "patients", "cold median", "cold p99", "warm median", "warm p99", "get-record/s", "bytes/consent", "bytes/record"
    );
    for &size in &options.sizes {
        let (c, r) = load(&mut engine, &path, &providers, loaded, size);
        consent_bytes += c;
        record_bytes += r;
        loaded = size;
        let records = (size * RECORD_TYPES.len()) as u128;
        let (cold, warm) = check_latency(&mut engine, &providers[0], records, size as u64);
        let rate = get_record_rate(&mut engine, &providers[0], records);
        // Registration, grants and audit entries count toward the consents' share.
        let consents = (size * 10) as u64;
        println!(
            "{:>10} {:>10}ns {:>10}ns {:>10}ns {:>10}ns {:>14.0} {:>14} {:>14}",
            size,
            percentile(&cold, 0.5),
            percentile(&cold, 0.99),
            percentile(&warm, 0.5),
            percentile(&warm, 0.99),
            rate,
            consent_bytes / consents,
            record_bytes / records as u64
        );
    }
}
