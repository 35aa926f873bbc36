//! `GET /v2/accounts/{principal}` and `GET /v2/fees/transfer`.
//!
//! clarimed holds no STX: every account's balance is zero, and no fee is taken.
//! The nonce is the account's next one, as committed.

use axum::extract::{Path, State};
use axum::Json;
use clarimed_engine::{parse_principal, Store};
use serde::Serialize;

use crate::{Node, RpcError};

/// The node's `AccountEntryResponse` (without proofs).
#[derive(Debug, Serialize)]
pub struct AccountResponse {
    /// The balance, as 16 bytes of hex.
    pub balance: String,
    /// The locked balance, as 16 bytes of hex.
    pub locked: String,
    /// When the lock ends.
    pub unlock_height: u64,
    /// The nonce its next transaction must carry.
    pub nonce: u64,
}

/// The account of `principal`; 400 for text that is not a principal.
pub async fn get_account<S: Store + 'static>(State(node): State<Node<S>>, Path(principal): Path<String>) -> Result<Json<AccountResponse>, RpcError> {
    let account = parse_principal(&principal).map_err(|_| RpcError::BadRequest(format!("Failed to parse principal {principal}")))?;
    let nonce = node.engine.nonce(&account)?;
    let zero = format!("0x{}", "0".repeat(32));
    Ok(Json(AccountResponse { balance: zero.clone(), locked: zero, unlock_height: 0, nonce }))
}

/// The fee rate of an STX transfer, per byte, as the node's minimum.
pub async fn get_transfer_fee() -> Json<u64> {
    Json(1)
}
