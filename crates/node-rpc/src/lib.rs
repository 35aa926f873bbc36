//! A Stacks node's HTTP RPC for both contracts, over the native engine: what
//! `@stacks/transactions` and the node's own OpenAPI clients call, with the node's
//! request bodies, response bodies, status codes and error shapes (stacks-core's
//! `docs/rpc/openapi.yaml` and `stackslib/src/net/api/`).
//!
//! Routes, one module each:
//! - [`info`]: `GET /v2/info`, and `GET /clarimed/status` (the state's digest);
//!   `GET /clarimed/health` answers from the miner's last commit
//!   ([`clarimed_listener::health`]), and `GET /metrics` from what the routes and
//!   the miner count ([`metrics`]);
//! - [`call_read`]: `POST /v2/contracts/call-read/{address}/{contract}/{function}`;
//! - [`data`]: `GET /v2/data_var/…` and `POST /v2/map_entry/…`;
//! - [`contracts`]: `GET /v2/contracts/source/…` and `GET /v2/contracts/interface/…`;
//! - [`accounts`]: `GET /v2/accounts/{principal}` and `GET /v2/fees/transfer`;
//! - [`transactions`]: `POST /v2/transactions` and `POST /v2/fees/transaction`;
//! - [`extended`]: the Hiro API's `GET /extended/v1/tx/{txid}` and
//!   `GET /extended/v1/address/{principal}/nonces`;
//! - [`fhir`]: clarimed's own FHIR R4 server: `GET /fhir/metadata`, searches
//!   of `Consent` and `AuditEvent` answering `searchset` Bundles, and reads by id.
//!
//! Every read is answered from the engine's committed state, from any number of
//! connections at once. Transactions wait in the [`mempool`] until the [`miner`],
//! a thread of its own, takes them into blocks; a block is one commit, and readers
//! see it whole once it is committed.
//!
//! What clients can hold is bounded: connections and the time to send a request
//! ([`clarimed_listener::Limits`], set by [`Node::with_limits`]) and the mempool
//! ([`mempool::MempoolLimits`], set by [`Node::with_mempool_limits`]).
#![deny(missing_docs)]

pub mod accounts;
pub mod call_read;
pub mod contracts;
pub mod data;
mod error;
pub mod extended;
pub mod fhir;
pub mod info;
pub mod mempool;
pub mod metrics;
pub mod miner;
pub mod transactions;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use clarimed_engine::table::Contract;
use clarimed_engine::{principal_to_string, Engine, Store, Version};
use clarimed_listener::health::{self, Health};
use metrics::NodeMetrics;
use tokio::net::TcpListener;

pub use clarimed_listener::Limits;
pub use error::RpcError;
pub use mempool::MempoolLimits;
pub use miner::{Mining, Pool, DEFAULT_TENURE_TIME};

/// The largest request body the server reads, as a node bounds its own. A request
/// declaring a longer one is refused at once, as the node refuses it (HTTP 400);
/// one that sends more without declaring it is cut off at this length (HTTP 413).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What every route reads: the engine, shared, the contracts' interfaces, and the
/// mempool.
pub struct Node<S> {
    engine: Arc<Engine<S>>,
    interfaces: Arc<[serde_json::Value; 2]>,
    pool: Arc<Pool>,
    /// How the FHIR routes turn block heights into times.
    clock: clarimed_fhir::Clock,
    /// What [`serve`] lets clients hold.
    limits: Limits,
    /// What `/metrics` answers, and the health it reads: whether the miner's last
    /// commit succeeded, and when.
    metrics: Arc<NodeMetrics>,
}

impl<S> Clone for Node<S> {
    fn clone(&self) -> Node<S> {
        Node {
            engine: self.engine.clone(),
            interfaces: self.interfaces.clone(),
            pool: self.pool.clone(),
            clock: self.clock,
            limits: self.limits,
            metrics: self.metrics.clone(),
        }
    }
}

impl<S: Store + Send + Sync + 'static> Node<S> {
    /// The node over `engine`, mining blocks as `mining` says; the contracts'
    /// interfaces are computed once, here.
    pub fn new(engine: Arc<Engine<S>>, mining: Mining) -> Result<Node<S>, String> {
        let mut versions = [Version::LATEST; 2];
        for (version, contract) in versions.iter_mut().zip(Contract::ALL) {
            *version = engine.version(contract).map_err(|e| e.to_string())?;
        }
        let interfaces = Arc::new(contracts::interfaces(engine.deployer(), versions)?);
        let metrics = Arc::new(NodeMetrics::new(Arc::new(Health::new(engine.committed_block_height().into()))));
        Ok(Node { engine, interfaces, pool: Arc::new(Pool::new(mining)), clock: clarimed_fhir::Clock::default(), limits: Limits::default(), metrics })
    }

    /// The node with a new tenure every `tenure_time` (the first block mined after
    /// that long starts one) instead of every [`miner::DEFAULT_TENURE_TIME`].
    pub fn with_tenure_time(mut self, tenure_time: std::time::Duration) -> Node<S> {
        let limits = self.pool.lock().limits();
        self.pool = Arc::new(Pool::with_tenure_time(self.pool.mining(), tenure_time));
        self.pool.lock().set_limits(limits);
        self
    }

    /// The node with its connections and requests bounded by `limits` instead of
    /// [`Limits::default`].
    pub fn with_limits(mut self, limits: Limits) -> Node<S> {
        self.limits = limits;
        self
    }

    /// The node with its mempool bounded by `limits` instead of
    /// [`MempoolLimits::default`].
    pub fn with_mempool_limits(self, limits: MempoolLimits) -> Node<S> {
        self.pool.lock().set_limits(limits);
        self
    }

    /// The node with the FHIR routes' block times given by `clock` instead of the
    /// default (block 0 at 2021-01-14T00:00:00Z, 10 minutes a block).
    pub fn with_fhir_clock(mut self, clock: clarimed_fhir::Clock) -> Node<S> {
        self.clock = clock;
        self
    }

    /// The contract `address.name` names, if it is one of the two the deployer
    /// deployed.
    fn contract(&self, address: &str, name: &str) -> Option<Contract> {
        let deployer = principal_to_string(self.engine.deployer());
        (address == deployer).then(|| Contract::from_name(name).ok()).flatten()
    }

    /// Every route.
    pub fn router(self) -> Router {
        Router::new()
            .route("/v2/info", get(info::get_info::<S>))
            .route("/clarimed/status", get(info::get_status::<S>))
            .route(health::PATH, self.metrics.common().health().route())
            .route(clarimed_listener::metrics::PATH, self.metrics.common().route())
            .route("/v2/contracts/call-read/:address/:contract/:function", post(call_read::call_read::<S>))
            .route("/v2/data_var/:address/:contract/:var", get(data::get_data_var::<S>))
            .route("/v2/map_entry/:address/:contract/:map", post(data::get_map_entry::<S>))
            .route("/v2/contracts/source/:address/:contract", get(contracts::get_source::<S>))
            .route("/v2/contracts/interface/:address/:contract", get(contracts::get_interface::<S>))
            .route("/v2/accounts/:principal", get(accounts::get_account::<S>))
            .route("/v2/fees/transfer", get(accounts::get_transfer_fee))
            .route("/v2/fees/transaction", post(transactions::post_fee_estimate::<S>))
            .route("/v2/transactions", post(transactions::post_transaction::<S>))
            .route("/extended/v1/tx/:txid", get(extended::get_transaction::<S>))
            .route("/extended/v1/address/:principal/nonces", get(extended::get_nonces::<S>))
            .route("/fhir/metadata", get(fhir::get_metadata::<S>))
            .route("/fhir/Consent", get(fhir::search_consents::<S>))
            .route("/fhir/Consent/:id", get(fhir::read_consent_by_id::<S>))
            .route("/fhir/AuditEvent", get(fhir::search_audit_events::<S>))
            .route("/fhir/AuditEvent/:id", get(fhir::read_audit_event_by_id::<S>))
            .fallback(error::not_found)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn(error::refuse_oversized))
            .with_state(self)
    }
}

/// Serves `node` on `listener` within the node's [`Limits`], mining on a thread of
/// its own, until `shutdown` resolves; then finishes the requests under way and the
/// block being built, if any. Transactions still waiting are not committed, as a
/// node's mempool is not part of its chain.
pub async fn serve<S: Store + Send + Sync + 'static>(
    listener: TcpListener,
    node: Node<S>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (engine, pool, limits, metrics) = (node.engine.clone(), node.pool.clone(), node.limits, node.metrics.clone());
    let (mining, counted) = (pool.clone(), metrics.clone());
    let miner = std::thread::Builder::new().name("clarimed-miner".to_string()).spawn(move || miner::run(engine, mining, counted))?;
    clarimed_listener::serve(listener, node.router(), limits, metrics.common().clone(), shutdown).await;
    pool.stop();
    let mined = tokio::task::spawn_blocking(move || miner.join()).await;
    if !matches!(mined, Ok(Ok(()))) {
        return Err(std::io::Error::other("the miner stopped with a panic"));
    }
    Ok(())
}

/// The address `serve` listens on unless told otherwise: stacks.js's devnet default.
pub fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 3999))
}
