//! `GET /v2/info`: the node's view of its chain, in the node's shape (testnet); and
//! beside it `GET /clarimed/status`, the digest of the contracts' state.

use axum::extract::State;
use axum::Json;
use clarimed_engine::Store;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Node, RpcError};

/// Testnet's `network_id` (the chain id, 0x80000000) and its parent (Bitcoin
/// testnet's network magic), and the peer version a testnet node reports.
const NETWORK_ID: u32 = 0x8000_0000;
const PARENT_NETWORK_ID: u32 = 0x0709_110b;
const PEER_VERSION: u32 = 0xfaca_de01;

/// The fields of the node's `RPCPeerInfoData` that describe a chain clarimed has.
#[derive(Debug, Serialize)]
pub struct InfoResponse {
    /// The peer protocol version.
    pub peer_version: u32,
    /// The burnchain's consensus hash at the tip.
    pub pox_consensus: String,
    /// The burnchain's height.
    pub burn_block_height: u32,
    /// The stable burnchain's consensus hash.
    pub stable_pox_consensus: String,
    /// The stable burnchain's height.
    pub stable_burn_block_height: u32,
    /// What serves.
    pub server_version: String,
    /// The chain id.
    pub network_id: u32,
    /// The burnchain's network.
    pub parent_network_id: u32,
    /// The height of the last mined block.
    pub stacks_tip_height: u32,
    /// Its block hash.
    pub stacks_tip: String,
    /// Its consensus hash.
    pub stacks_tip_consensus_hash: String,
    /// The genesis state's hash.
    pub genesis_chainstate_hash: String,
    /// The tenure height: what a Clarity 2 `block-height` answers from epoch 3.0.
    pub tenure_height: u32,
    /// No microblocks: `null`.
    pub unanchored_tip: Option<String>,
    /// No microblocks: `null`.
    pub unanchored_seq: Option<u16>,
    /// No scheduled exit: `null`.
    pub exit_at_block_height: Option<u64>,
    /// Always synced: clarimed is its own chain.
    pub is_fully_synced: bool,
    /// The node's public key (a fixed stand-in: clarimed has no peers).
    pub node_public_key: String,
    /// Its Hash160.
    pub node_public_key_hash: String,
    /// The last PoX anchor block and the transaction that committed it.
    pub last_pox_anchor: LastPoxAnchor,
    /// The StackerDB replicas the node hosts: none.
    pub stackerdbs: Vec<String>,
    /// The epoch the tip is in (clarimed's own field; a node reports it at
    /// `/v2/pox`), `2.5` to `4.0`.
    pub clarimed_epoch: String,
}

/// The node's `RPCLastPoxAnchorData`.
#[derive(Debug, Serialize)]
pub struct LastPoxAnchor {
    /// The anchor block's hash.
    pub anchor_block_hash: String,
    /// The block-commit's txid.
    pub anchor_block_txid: String,
}

/// The compressed public key of the private key 1, which the node's key stands in for.
const NODE_PUBLIC_KEY: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

/// 32 bytes that name block `height` of this chain: a stand-in for a block hash,
/// the same on every run.
pub(crate) fn block_hash(kind: &str, height: u32, len: usize) -> String {
    let digest = Sha256::digest(format!("clarimed {kind} {height}"));
    clarimed_engine::hex(&digest[..len])
}

/// The chain's tip.
pub async fn get_info<S: Store + 'static>(State(node): State<Node<S>>) -> Json<InfoResponse> {
    let tip = node.engine.committed_tip();
    let height = tip.stacks_height;
    let consensus = block_hash("consensus", tip.tenure_height, 20);
    Json(InfoResponse {
        peer_version: PEER_VERSION,
        pox_consensus: consensus.clone(),
        burn_block_height: tip.tenure_height,
        stable_pox_consensus: consensus.clone(),
        stable_burn_block_height: tip.tenure_height,
        server_version: format!("clarimed {} (native Clarity engine)", env!("CARGO_PKG_VERSION")),
        network_id: NETWORK_ID,
        parent_network_id: PARENT_NETWORK_ID,
        stacks_tip_height: height,
        stacks_tip: block_hash("block", height, 32),
        stacks_tip_consensus_hash: consensus,
        genesis_chainstate_hash: block_hash("genesis", 0, 32),
        tenure_height: tip.tenure_height,
        unanchored_tip: None,
        unanchored_seq: None,
        exit_at_block_height: None,
        is_fully_synced: true,
        node_public_key: NODE_PUBLIC_KEY.to_string(),
        node_public_key_hash: clarimed_engine::hex(&clarity::util::hash::Hash160::from_data(&clarimed_engine::unhex(NODE_PUBLIC_KEY).unwrap_or_default()).0),
        last_pox_anchor: LastPoxAnchor { anchor_block_hash: block_hash("anchor", 0, 32), anchor_block_txid: block_hash("anchor-txid", 0, 32) },
        stackerdbs: Vec::new(),
        clarimed_epoch: tip.epoch.name().to_string(),
    })
}

/// `GET /clarimed/status`: the committed height and the digest of both contracts'
/// state (SHA-256 of `clarimed export --format kv`), to compare with a follower's
/// or the VM's.
pub async fn get_status<S: Store + 'static>(State(node): State<Node<S>>) -> Result<Json<serde_json::Value>, RpcError> {
    let engine = node.engine.clone();
    // Hashing reads the whole state: off the request task.
    let (height, digest) = tokio::task::spawn_blocking(move || (engine.committed_block_height(), engine.state_digest()))
        .await
        .map_err(|_| RpcError::Internal("hashing the state panicked".to_string()))?;
    Ok(Json(serde_json::json!({ "block_height": height, "state_digest": clarimed_engine::hex(&digest?) })))
}
