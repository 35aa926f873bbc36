//! `clarimed`: both contracts from a terminal, against a local SQLite state.
//!
//! Exit status: 0 for success (a call's `ok`), 1 for a contract's `err`, 2 for bad
//! usage or a state that cannot be used, 3 when the disk failed to write (or read)
//! the state; neither changes anything.

mod backup;
mod commands;
mod config;
#[cfg(feature = "harness")]
mod conform;
#[cfg(feature = "harness")]
mod costs;
#[cfg(feature = "harness")]
mod demo;
mod fhir;
mod follow;
mod logs;
mod script;
mod serve;
mod state;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use state::Failure;

#[derive(Parser)]
#[command(name = "clarimed", version, about = "Clarity-compatible engine for the patient-consent and record-management contracts")]
struct Cli {
    /// The SQLite state file [default: clarimed.db].
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the state and deploy both contracts natively.
    Init {
        /// The principal that deploys (and owns) both contracts.
        #[arg(long, default_value = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")]
        deployer: String,
        /// Replace an existing state.
        #[arg(long)]
        force: bool,
        /// The epoch the chain runs in: 2.5, 3.0, 3.1, 3.2, 3.3, 3.4 or 4.0.
        #[arg(long, default_value_t = clarimed_engine::Epoch::NEWEST)]
        epoch: clarimed_engine::Epoch,
    },
    /// Run a public function at the current block.
    Call {
        /// patient-consent or record-management.
        contract: String,
        function: String,
        /// Arguments as Clarity literals: u5, 'ST1…, "text", none, (some u10), 0x00ff, (list u1 u2), true, { a: u1 }.
        args: Vec<String>,
        /// Who calls (tx-sender and contract-caller).
        #[arg(long)]
        sender: String,
    },
    /// Run a read-only function.
    Read {
        contract: String,
        function: String,
        args: Vec<String>,
        /// Who asks (the deployer if not given).
        #[arg(long)]
        sender: Option<String>,
    },
    /// Run a Clarity script of calls and mined blocks (the form a divergence is
    /// printed in), each step its own durable transaction, printing a line per step.
    ///
    /// Steps are the `(contract-call? …)` lines (public or read-only functions:
    /// both are allowed) and the `::advance_chain_tip N` lines; `::set_tx_sender`
    /// lines, comments and blank lines are not steps. Calls do not mine a block:
    /// every call runs at the current block height until a `::advance_chain_tip`
    /// line (or --block-per-call) moves it. Each step's line names the block it ran
    /// in.
    Run {
        /// The script file, or - for stdin: `::set_tx_sender PRINCIPAL`,
        /// `(contract-call? .CONTRACT FUNCTION ARG …)` and `::advance_chain_tip N`
        /// lines; `;;` starts a comment.
        script: String,
        /// The step to start at (1-based), to continue an interrupted run.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        from: u64,
        /// Mine one block before each call, as Clarinet's simnet does.
        #[arg(long)]
        block_per_call: bool,
        /// Commit N steps at a time, the next N running while they are written; a
        /// step's line is printed once its commit is durable. A read-only call
        /// first commits the steps before it (it reads the committed state). After
        /// a crash, the run goes on from the step after the last line printed, or
        /// from where the state shows later steps committed (`--from`).
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        commit_every: u64,
    },
    /// Mine blocks: BLOCKS new tenures of one Stacks block each (Clarinet's
    /// `::advance_burn_chain_tip`), or with --in-tenure BLOCKS Stacks blocks in the
    /// current tenure (`::advance_stacks_chain_tip`).
    Mine {
        #[arg(default_value_t = 1)]
        blocks: u32,
        /// Mine the blocks in the current tenure: from epoch 3.0 `block-height` (the
        /// tenure height) does not move, and the blocks share the tenure's budget.
        #[arg(long)]
        in_tenure: bool,
    },
    /// Block height, counters, the state's digest (SHA-256 of `export --format kv`,
    /// so it reads the whole state) and, for a follower's state, the last block it
    /// applied.
    Status,
    /// A patient's consent audit trail and the access log of their records.
    Audit { patient: String },
    /// A patient's consents (Consent) or the accesses to their records and their
    /// consent audit trail (AuditEvent) as a FHIR R4 Bundle in JSON.
    #[command(subcommand)]
    Fhir(fhir::FhirCommand),
    /// Testnet keys and record signatures.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Walk the patient journey on the native engine, printing each call and result.
    #[cfg(feature = "harness")]
    Demo,
    /// Serve the state over a Stacks node's HTTP RPC: signed transactions
    /// (POST /v2/transactions), mined into blocks, and the node's read routes; and
    /// GET /fhir/Consent and /fhir/AuditEvent, whose times --genesis and
    /// --block-seconds set. GET /metrics (Prometheus) and /clarimed/health are for
    /// operators.
    Serve {
        /// The address to listen on (3999 is stacks.js's devnet default).
        #[arg(long, default_value_t = clarimed_node_rpc::default_listen())]
        listen: std::net::SocketAddr,
        /// Mine a block every MS milliseconds while transactions wait.
        #[arg(long, value_name = "MS", default_value_t = 1000, conflicts_with = "block_per_tx", value_parser = clap::value_parser!(u64).range(1..))]
        block_time: u64,
        /// Mine each transaction in a block of its own, at once.
        #[arg(long)]
        block_per_tx: bool,
        /// The most transactions a block takes (a block is mined as soon as this many wait).
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        block_txs: u64,
        /// Start a new tenure every SECONDS: the first block mined after that long
        /// starts one, the others are mined in the current tenure (from epoch 3.0
        /// `block-height` is the tenure height).
        #[arg(long, value_name = "SECONDS", default_value_t = clarimed_node_rpc::DEFAULT_TENURE_TIME.as_secs(), value_parser = clap::value_parser!(u64).range(0..=86_400))]
        tenure_time: u64,
        #[command(flatten)]
        clock: fhir::ClockArgs,
        #[command(flatten)]
        limits: serve::ConnectionLimits,
        #[command(flatten)]
        mempool: serve::MempoolArgs,
        #[command(flatten)]
        logs: logs::LogArgs,
    },
    /// Follow a Stacks node: an event observer (the node's `[[events_observer]]`)
    /// that re-executes every deployment and call of both contracts at ADDRESS and
    /// compares its result, status, print events and cost with the node's. The
    /// state is the --db file, or memory without one. GET /metrics (Prometheus) and
    /// /clarimed/health are for operators.
    Follow(follow::Follow),
    /// Check a recorded feed without a node: FILE holds one `/new_block` body a line
    /// (what `follow --record` writes), applied in order as `follow` applies them.
    /// Exit 0 when every transaction agrees, 1 on a mismatch, 2 on a refused block.
    Replay(follow::Replay),
    /// Copy the state (--db) while `serve` or `follow` runs on it: SQLite's online
    /// backup, at one committed block, whose height and digest are printed (the
    /// digest `clarimed status` prints).
    Backup {
        /// The copy to write; refused if it exists, unless --force.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// The state: in the Clarity VM's key layout (kv) or as readable JSON.
    Export {
        #[arg(long, value_enum, default_value_t = commands::ExportFormat::Kv)]
        format: commands::ExportFormat,
    },
    /// Run random sequences of every public function of both contracts on the
    /// Clarity VM and on the native engine, comparing every step; exit 1 on any
    /// divergence.
    #[cfg(feature = "harness")]
    Conform(conform::Options),
    /// What each function costs on the default random sequences, as clarity-vm
    /// charges it: min / median / max of each dimension and the largest share of
    /// the block and read-only limits.
    #[cfg(feature = "harness")]
    Costs(conform::Sequences),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// A new testnet key: private key, compressed public key and ST… principal.
    New,
    /// The 65-byte signature over (sha256 (unwrap-panic (to-consensus-buff? TUPLE)))
    /// that secp256k1-verify accepts.
    Sign {
        /// The private key as hex.
        #[arg(long)]
        key: String,
        /// The signed value, a Clarity literal such as { patient: 'ST1…, record-type: u2, … }.
        #[arg(long)]
        message: String,
    },
}

fn main() -> ExitCode {
    let command = config::command(Cli::command());
    let merged = match config::merge(&command, std::env::args_os().collect()) {
        Ok(merged) => merged,
        Err(failure) => return failure.report(),
    };
    let cli = match command.try_get_matches_from(&merged.args).and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(cli) => cli,
        Err(error) => return merged.refusal(&error).unwrap_or_else(|| error.exit()).report(),
    };
    let given_db = cli.db.as_deref();
    let db = given_db.unwrap_or(Path::new(clarimed_engine::DEFAULT_DB_PATH));
    let json = cli.json;
    let result = match cli.command {
        Command::Init { deployer, force, epoch } => commands::init(db, &deployer, epoch, force, json),
        Command::Call { contract, function, args, sender } => commands::call(db, &contract, &function, &args, &sender, json),
        Command::Read { contract, function, args, sender } => commands::read(db, &contract, &function, &args, sender.as_deref(), json),
        Command::Run { script, from, block_per_call, commit_every } => {
            script::run(db, &script, from, block_per_call, usize::try_from(commit_every).unwrap_or(usize::MAX), json)
        }
        Command::Mine { blocks, in_tenure } => commands::mine(db, blocks, in_tenure, json),
        Command::Status => commands::status(db, json),
        Command::Audit { patient } => commands::audit(db, &patient, json),
        Command::Fhir(command) => fhir::run(db, &command).map_err(Failure::from),
        Command::Key(KeyCommand::New) => commands::key_new(json),
        Command::Key(KeyCommand::Sign { key, message }) => commands::key_sign(&key, &message, json),
        #[cfg(feature = "harness")]
        Command::Demo => demo::run(given_db, &mut std::io::stdout()).map_err(Failure::from),
        Command::Export { format } => commands::export(db, format),
        Command::Backup { to, force } => backup::run(db, &to, force, json),
        Command::Follow(options) => follow::follow(given_db, &options, json).map_err(Failure::from),
        Command::Replay(options) => follow::replay(given_db, &options, json).map_err(Failure::from),
        Command::Serve { listen, block_time, block_per_tx, block_txs, tenure_time, clock, limits, mempool, logs } => {
            if let Err(refused) = logs.install() {
                return Failure::from(refused).report();
            }
            let mining = if block_per_tx {
                clarimed_node_rpc::Mining::PerTransaction
            } else {
                clarimed_node_rpc::Mining::Every { interval: std::time::Duration::from_millis(block_time), max_transactions: block_txs as usize }
            };
            serve::run(db, listen, mining, std::time::Duration::from_secs(tenure_time), clock.clock(), limits.limits(), mempool.limits()).map_err(Failure::from)
        }
        #[cfg(feature = "harness")]
        Command::Conform(options) => return conform::run(&options),
        #[cfg(feature = "harness")]
        Command::Costs(options) => costs::run(&options, json).map_err(Failure::from),
    };
    result.unwrap_or_else(|failure| failure.report())
}
