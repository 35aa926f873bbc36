//! `clarimed follow` and `clarimed replay`: a node's event-observer feed, live or
//! recorded, re-executed natively and checked transaction by transaction.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clarimed_engine::{parse_principal, principal_to_string, Engine, EngineError, Epoch, MemoryStore, Network, Principal, SqliteStore, Store};
use clarimed_follower::metrics::FollowMetrics;
use clarimed_follower::observer::{self, Ended};
use clarimed_follower::{BlockReport, Epochs, FollowError, Follower, Mismatch, OnMismatch};
use clarimed_listener::health::Health;

use crate::state::{explain, hold_in_memory, IO_FAULT};

/// What `follow` and `replay` share.
#[derive(clap::Args)]
pub struct Following {
    /// The address that deployed both contracts on the chain followed (ST… or SP…).
    #[arg(long, value_name = "ADDRESS")]
    contracts: String,
    /// On a transaction whose outcome differs from the node's: stop (apply nothing of
    /// its block, exit 1) or log it and go on.
    #[arg(long, value_enum, default_value_t = Policy::Log)]
    on_mismatch: Policy,
    /// How many of the last blocks can be undone when the chain forks.
    #[arg(long, value_name = "BLOCKS", default_value_t = clarimed_follower::DEFAULT_FORK_DEPTH, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    fork_depth: u32,
    /// The network whose epoch activation heights (stacks-core's) tell each block's
    /// epoch from its burn_block_height [default: mainnet, unless --epoch is given].
    #[arg(long, conflicts_with = "epoch")]
    network: Option<Network>,
    /// Run every block in this epoch instead (a local or regtest chain): 2.5, 3.0,
    /// 3.1, 3.2, 3.3, 3.4 or 4.0.
    #[arg(long)]
    epoch: Option<Epoch>,
}

impl Following {
    fn epochs(&self) -> Epochs {
        match (self.epoch, self.network) {
            (Some(epoch), _) => Epochs::Fixed(epoch),
            (None, network) => Epochs::Network(network.unwrap_or(Network::Mainnet)),
        }
    }

    /// The epoch a new state starts in: the fixed one, or the first clarimed runs
    /// (each block moves it on).
    fn genesis_epoch(&self) -> Epoch {
        self.epoch.unwrap_or(Epoch::Epoch25)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Policy {
    Stop,
    Log,
}

/// `follow`'s own options.
#[derive(clap::Args)]
pub struct Follow {
    #[command(flatten)]
    following: Following,
    /// Where the node posts (its `[[events_observer]]` endpoint).
    #[arg(long, default_value = "127.0.0.1:3700")]
    listen: SocketAddr,
    /// Append every block applied (its `/new_block` body) to FILE, one a line: a feed `clarimed replay` reads.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[command(flatten)]
    limits: crate::serve::ConnectionLimits,
    /// Answer GET /clarimed/health 503 once no block has been applied for SECONDS
    /// (0: never on that account).
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=31_536_000))]
    health_max_block_age: u64,
    #[command(flatten)]
    logs: crate::logs::LogArgs,
}

/// `replay`'s own options.
#[derive(clap::Args)]
pub struct Replay {
    /// The recorded feed: one `/new_block` body a line.
    file: PathBuf,
    #[command(flatten)]
    following: Following,
    /// Fast catch-up: apply the feed to the --db file as a bulk load does, with no
    /// journal and nothing synced until the replay ends, when one sync makes it all
    /// durable. Until then the file is marked unfinished and held by this process
    /// alone; if the replay is interrupted (killed, Ctrl-C, a crash, a failed write)
    /// the mark stays and every open refuses the file, even a state that was fine
    /// before: copy the file first. Forks, mismatches and output are replay's.
    #[arg(long)]
    bulk: bool,
    #[command(flatten)]
    logs: crate::logs::LogArgs,
}

/// Follows a node on `options.listen` until Ctrl-C or SIGTERM (exit 0), or until a
/// mismatch stops it (exit 1). The state is the SQLite file `db`, or memory.
pub fn follow(db: Option<&Path>, options: &Follow, json: bool) -> Result<ExitCode, String> {
    options.logs.install()?;
    let address = address(&options.following.contracts)?;
    match db {
        Some(path) => follow_on(sqlite(path, &address, options.following.genesis_epoch())?, &describe(db), options, json),
        None => follow_on(memory(&address, options.following.genesis_epoch())?, &describe(db), options, json),
    }
}

/// Replays the recorded feed `options.file`: exit 0 when every transaction agrees,
/// 1 on a mismatch, 2 when a block is refused, 3 when a bulk replay could not be
/// made durable (its file is then refused).
pub fn replay(db: Option<&Path>, options: &Replay, json: bool) -> Result<ExitCode, String> {
    options.logs.install()?;
    let (file, following) = (options.file.as_path(), &options.following);
    let address = address(&following.contracts)?;
    let epoch = following.genesis_epoch();
    match (db, options.bulk) {
        (Some(path), false) => replay_on(sqlite(path, &address, epoch)?, file, following, json, |_| Ok(())),
        (Some(path), true) => replay_on(loading(path, &address, epoch)?, file, following, json, |engine| finish_load(engine, path)),
        (None, false) => replay_on(memory(&address, epoch)?, file, following, json, |_| Ok(())),
        (None, true) => Err("--bulk writes a state file: give it with --db (without --db the state is in memory, with nothing to sync)".to_string()),
    }
}

fn address(text: &str) -> Result<Principal, String> {
    let address = parse_principal(text).map_err(|_| format!("`{text}` is not an address (expected ST… or SP…)"))?;
    if address.contract_name.is_some() {
        return Err(format!("`{text}` is a contract; --contracts takes the address that deployed both"));
    }
    Ok(address)
}

fn sqlite(path: &Path, address: &Principal, epoch: Epoch) -> Result<Engine<SqliteStore>, String> {
    let engine = Engine::open_or_create(path, address, epoch).map_err(|e| explain(path, &e))?;
    same_deployer(&engine, path, address)?;
    hold_in_memory(&engine, path)?;
    Ok(engine)
}

/// The state at `path` (created if missing) opened for a bulk load: marked
/// unfinished until the engine is dropped after [`finish_load`]. Refused, the
/// engine is dropped at once, which clears the mark: nothing was written.
fn loading(path: &Path, address: &Principal, epoch: Epoch) -> Result<Engine<SqliteStore>, String> {
    let engine = Engine::open_for_loading(path, address, epoch).map_err(|e| explain(path, &e))?;
    same_deployer(&engine, path, address)?;
    Ok(engine)
}

/// Makes everything a bulk replay wrote durable (its one sync); a failure, or a
/// write that failed before, leaves the file marked unfinished.
fn finish_load(engine: &Engine<SqliteStore>, path: &Path) -> Result<(), String> {
    engine.backend().sync_load().map_err(|error| {
        // An earlier failed write was reported with its block.
        let cause = if error.is_unfinished_load() { String::new() } else { format!(" ({error})") };
        format!(
            "the bulk replay of {} did not finish{cause}: the file may hold half a write, and every open refuses it; replay the feed again onto a copy taken before, or into a new file",
            path.display()
        )
    })
}

fn same_deployer(engine: &Engine<SqliteStore>, path: &Path, address: &Principal) -> Result<(), String> {
    if engine.deployer() == address {
        return Ok(());
    }
    Err(format!("the state {} holds the contracts of {}, not {}", path.display(), principal_to_string(engine.deployer()), principal_to_string(address)))
}

fn memory(address: &Principal, epoch: Epoch) -> Result<Engine<MemoryStore>, String> {
    Engine::in_memory(address, epoch).map_err(|e| e.to_string())
}

fn describe(db: Option<&Path>) -> String {
    db.map_or("memory (no --db)".to_string(), |path| path.display().to_string())
}

fn policy(options: &Following) -> OnMismatch {
    match options.on_mismatch {
        Policy::Stop => OnMismatch::Stop,
        Policy::Log => OnMismatch::Log,
    }
}

fn follow_on<S: Store + Send + Sync + 'static>(engine: Engine<S>, state: &str, options: &Follow, json: bool) -> Result<ExitCode, String> {
    let follower = Follower::new(Arc::new(engine), options.following.fork_depth, policy(&options.following))
        .map_err(|e| format!("{state}: {e}"))?
        .with_epochs(options.following.epochs());
    let follower = Arc::new(Mutex::new(follower));
    let record: Option<Box<dyn Write + Send>> = match &options.record {
        Some(path) => Some(Box::new(OpenOptions::new().create(true).append(true).open(path).map_err(|e| format!("cannot record to {}: {e}", path.display()))?)),
        None => None,
    };
    // The observer logs each block, refusal and mismatch; stdout takes the mismatches as JSON.
    let on_block: observer::OnBlock = Box::new(|result| match result {
        Ok(report) => print_mismatches(report),
        Err(FollowError::Stopped(mismatch)) => print_mismatch(mismatch),
        Err(_) => {}
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the observer's runtime: {e}"))?;
    let served = follower.clone();
    let limits = options.limits.limits();
    let max_block_age = (options.health_max_block_age > 0).then(|| Duration::from_secs(options.health_max_block_age));
    let height = follower.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).engine().committed_block_height();
    let health = Arc::new(Health::with_clock(height.into(), max_block_age, Arc::new(Instant::now)));
    let metrics = Arc::new(FollowMetrics::new(health));
    let ended = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen).await.map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!(
            "clarimed follow: {}'s contracts, state in {state}, listening on http://{bound} (the node's [[events_observer]] endpoint = \"{bound}\"; Ctrl-C stops)",
            options.following.contracts
        );
        Ok::<_, String>(observer::serve(listener, served, record, on_block, limits, metrics, crate::serve::stopped()).await)
    })?;
    summarize(&follower.lock().unwrap_or_else(|poisoned| poisoned.into_inner()), json)?;
    Ok(if ended == Ended::Stopped { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Replays `file` onto `engine`; `finish` makes what was applied durable before
/// the replay is timed and reported (a bulk replay's one sync).
fn replay_on<S: Store + 'static>(
    engine: Engine<S>,
    file: &Path,
    options: &Following,
    json: bool,
    finish: impl FnOnce(&Engine<S>) -> Result<(), String>,
) -> Result<ExitCode, String> {
    let feed = File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut follower = Follower::new(Arc::new(engine), options.fork_depth, policy(options)).map_err(|e| e.to_string())?.with_epochs(options.epochs());
    // The state's counts go on from an earlier run; this replay's are the difference.
    let before = follower.counts();
    let started = Instant::now();
    let (mut last_progress, mut calls) = (Instant::now(), 0u64);
    let replayed = clarimed_follower::replay::replay(&mut follower, BufReader::new(feed), |line, report| {
        print_mismatches(report);
        calls += report.calls;
        if last_progress.elapsed() >= Duration::from_secs(10) {
            tracing::info!(
                line,
                height = report.height,
                calls,
                "line {line}: block {}, {calls} calls so far, {:.0} calls/s",
                report.height,
                calls as f64 / started.elapsed().as_secs_f64()
            );
            last_progress = Instant::now();
        }
    });
    let finished = finish(follower.engine());
    let elapsed = started.elapsed();
    let after = follower.counts();
    let (blocks, calls) = (after.blocks - before.blocks, after.calls - before.calls);
    tracing::info!(
        blocks,
        calls,
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "replayed {blocks} blocks, {calls} calls in {:.2} s: {:.0} calls/s",
        elapsed.as_secs_f64(),
        calls as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    if let Err(unfinished) = finished {
        if let Err(error) = &replayed {
            tracing::error!("clarimed replay: {}: {error}", file.display());
        }
        tracing::error!("clarimed replay: {unfinished}");
        return Ok(ExitCode::from(IO_FAULT));
    }
    match replayed {
        Ok(()) => {
            summarize(&follower, json)?;
            Ok(if after.mismatched > before.mismatched { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Err(clarimed_follower::replay::ReplayError::Block { line, error: FollowError::Stopped(mismatch) }) => {
            print_mismatch(&mismatch);
            tracing::warn!(line, "clarimed replay: line {line}: {}", FollowError::Stopped(mismatch.clone()));
            summarize(&follower, json)?;
            Ok(ExitCode::from(1))
        }
        // The disk, not the feed: exit 3 as `call` and `run` do; the block was not
        // applied, and a replay from the same feed goes on from the tip.
        Err(clarimed_follower::replay::ReplayError::Block { line, error: FollowError::Engine(EngineError::Store(store)) }) if store.is_io_fault() => {
            tracing::error!(
                line,
                "clarimed replay: {}: line {line}: the state could not be written or read ({store}); that block was not applied: replay again once the disk is fixed",
                file.display()
            );
            Ok(ExitCode::from(IO_FAULT))
        }
        Err(error) => Err(format!("{}: {error}", file.display())),
    }
}

/// Each mismatch as one JSON line on stdout.
fn print_mismatches(report: &BlockReport) {
    report.mismatches.iter().for_each(print_mismatch);
}

/// A mismatch as one JSON line on stdout: the transaction and both outcomes.
fn print_mismatch(mismatch: &Mismatch) {
    println!("{}", serde_json::json!({ "mismatch": mismatch }));
}

/// The follower's counts, tip and digest.
fn summarize<S: Store + 'static>(follower: &Follower<S>, json: bool) -> Result<(), String> {
    let status = observer::status_json(follower).map_err(|e| e.to_string())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status).expect("JSON values print"));
        return Ok(());
    }
    let counts = &status["counts"];
    println!(
        "{} blocks, {} calls: {} agree, {} mismatch; {} blocks rewound, {} refused (on this state)",
        counts["blocks"], counts["calls"], counts["agreed"], counts["mismatched"], counts["rewound"], counts["refused"]
    );
    match status["tip"].as_object() {
        Some(tip) => println!("tip          {} {}", tip["block_height"], tip["index_block_hash"].as_str().unwrap_or_default()),
        None => println!("tip          none (no block applied)"),
    }
    println!("state digest {}", status["state_digest"].as_str().unwrap_or_default());
    Ok(())
}
