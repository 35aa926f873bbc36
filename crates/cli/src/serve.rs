//! `clarimed serve`: the Stacks node's RPC for both contracts, over the state file.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clarimed_listener::Limits;
use clarimed_node_rpc::MempoolLimits;

use crate::state::{hold_in_memory, open_to_serve};

/// What a client may hold of a server, for `serve` and `follow` alike (see
/// `clarimed_listener`).
#[derive(clap::Args)]
pub struct ConnectionLimits {
    /// The most connections open at once; one more is closed as soon as it is
    /// accepted [default: 10000, or the soft descriptor limit less 128 if lower].
    #[arg(long, value_name = "N", default_value_t = clarimed_listener::default_max_connections() as u64, hide_default_value = true, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Close a connection that has not sent a whole request head within SECONDS of
    /// its accept or of the request's first byte.
    #[arg(long, value_name = "SECONDS", default_value_t = clarimed_listener::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    header_timeout: u64,
    /// Close a connection that has not sent a request's whole body within SECONDS
    /// of its head.
    #[arg(long, value_name = "SECONDS", default_value_t = clarimed_listener::DEFAULT_BODY_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    body_timeout: u64,
    /// Close a keep-alive connection that has sent no new request for SECONDS.
    #[arg(long, value_name = "SECONDS", default_value_t = clarimed_listener::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
}

impl ConnectionLimits {
    pub fn limits(&self) -> Limits {
        Limits {
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
        }
    }
}

/// How much the mempool holds; a transaction past it is refused (the node's
/// `ServerFailureOther`) until the miner makes room.
#[derive(clap::Args)]
pub struct MempoolArgs {
    /// The most transactions waiting to be mined (or in the block being mined).
    #[arg(long, value_name = "N", default_value_t = clarimed_node_rpc::mempool::DEFAULT_MAX_TRANSACTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    mempool_max_transactions: u64,
    /// The most bytes of those transactions, as signed.
    #[arg(long, value_name = "BYTES", default_value_t = clarimed_node_rpc::mempool::DEFAULT_MAX_BYTES as u64, value_parser = clap::value_parser!(u64).range(1..=(1 << 40)))]
    mempool_max_bytes: u64,
}

impl MempoolArgs {
    pub fn limits(&self) -> MempoolLimits {
        MempoolLimits {
            max_transactions: usize::try_from(self.mempool_max_transactions).unwrap_or(usize::MAX),
            max_bytes: usize::try_from(self.mempool_max_bytes).unwrap_or(usize::MAX),
        }
    }
}

/// Serves the state at `db` on `listen`, mining as `mining` says, within `limits`
/// and `mempool`, until interrupted (Ctrl-C or SIGTERM); then finishes the requests
/// under way and the block being built.
pub fn run(
    db: &Path,
    listen: SocketAddr,
    mining: clarimed_node_rpc::Mining,
    tenure_time: Duration,
    clock: clarimed_fhir::Clock,
    limits: Limits,
    mempool: MempoolLimits,
) -> Result<ExitCode, String> {
    let engine = open_to_serve(db)?;
    hold_in_memory(&engine, db)?;
    let node = clarimed_node_rpc::Node::new(Arc::new(engine), mining)?
        .with_tenure_time(tenure_time)
        .with_fhir_clock(clock)
        .with_limits(limits)
        .with_mempool_limits(mempool);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!("clarimed serve: {} on http://{address} (Ctrl-C stops)", db.display());
        clarimed_node_rpc::serve(listener, node, stopped()).await.map_err(|e| format!("the server stopped: {e}"))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stopped() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
