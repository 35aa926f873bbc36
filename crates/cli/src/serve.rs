//! `clarimed serve`: the Stacks node's RPC for both contracts, over the state file.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::state::{hold_in_memory, open};

/// Serves the state at `db` on `listen`, mining as `mining` says, until interrupted
/// (Ctrl-C or SIGTERM); then finishes the requests under way and the block being
/// built.
pub fn run(db: &Path, listen: SocketAddr, mining: clarimed_node_rpc::Mining, tenure_time: Duration, clock: clarimed_fhir::Clock) -> Result<ExitCode, String> {
    let engine = open(db)?;
    hold_in_memory(&engine, db)?;
    let node = clarimed_node_rpc::Node::new(Arc::new(engine), mining)?.with_tenure_time(tenure_time).with_fhir_clock(clock);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("clarimed serve: {} on http://{address} (Ctrl-C stops)", db.display());
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
