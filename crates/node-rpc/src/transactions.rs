//! `POST /v2/transactions` and `POST /v2/fees/transaction`.
//!
//! A transaction comes as `application/octet-stream` (its bytes) or as
//! `application/json` (`{"tx": hex}`, an attachment ignored). Bytes that do not
//! decode are HTTP 400 with the node's text. A transaction the mempool refuses is
//! HTTP 400 with the node's rejection JSON (`txid`, `error`, `reason`,
//! `reason_data`), and changes nothing; one it admits (or already has, waiting or
//! mined) is HTTP 200 with its txid as a JSON string. See [`crate::mempool`] for
//! what is checked and [`crate::miner`] for when it runs.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clarimed_engine::{unhex, ExecutionCost, Store};
use clarimed_transactions::wire::{StacksMessageCodec, TransactionPayload};
use clarimed_transactions::{Rejection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::non_empty;
use crate::mempool::Checked;
use crate::{Node, RpcError};

/// The node's `PostTransactionRequestBody`.
#[derive(Debug, Deserialize)]
pub struct PostTransactionRequest {
    /// The transaction, hex of its serialization.
    pub tx: String,
    /// An Atlas attachment, which clarimed does not keep.
    #[serde(default)]
    pub attachment: Option<String>,
}

/// Admits a transaction to the mempool.
pub async fn post_transaction<S: Store + Send + Sync + 'static>(
    State(node): State<Node<S>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, RpcError> {
    if body.is_empty() {
        return Err(RpcError::BadRequest("Invalid Http request: expected non-zero-length body for PostTransaction".to_string()));
    }
    let bytes = match content_type(&headers).as_deref() {
        None => return Err(RpcError::BadRequest("Missing Content-Type for transaction".to_string())),
        Some("application/octet-stream") => body.to_vec(),
        Some("application/json") => {
            let request: PostTransactionRequest = serde_json::from_slice(&body).map_err(|_| RpcError::BadRequest("Failed to parse body".to_string()))?;
            unhex(request.tx.trim_start_matches("0x")).ok_or_else(|| RpcError::BadRequest("Failed to parse tx".to_string()))?
        }
        Some(_) => {
            return Err(RpcError::BadRequest("Wrong Content-Type for transaction; expected application/json or application/octet-stream".to_string()));
        }
    };
    let tx = Transaction::decode(&bytes).map_err(|error| RpcError::BadRequest(error.to_string()))?;
    let txid = tx.txid_hex();
    // Admission takes tens of microseconds (verifying a signature is most of it), so
    // it runs on the request's own task; the mempool's lock is not held while verifying.
    // Gives how many transactions wait once it is admitted (none new if known).
    let admit = || {
        if node.pool.lock().knows(&*node.engine, &tx.txid())? {
            return Ok(None);
        }
        let checked = Checked::new(tx, node.engine.deployer())?;
        let mut mempool = node.pool.lock();
        mempool.admit(&*node.engine, checked)?;
        node.metrics.waiting(mempool.len());
        Ok(Some(mempool.len()))
    };
    let admitted: Result<Option<usize>, Rejection> = admit();
    match admitted {
        Ok(waiting) => {
            if let Some(waiting) = waiting {
                node.pool.admitted(waiting);
            }
            Ok(Json(txid).into_response())
        }
        Err(rejection) => {
            node.metrics.rejected(&rejection);
            tracing::info!(txid = %txid, reason = rejection.reason(), detail = %rejection, "transaction rejected by the mempool");
            Ok((StatusCode::BAD_REQUEST, Json(rejection_json(&txid, &rejection))).into_response())
        }
    }
}

/// The media type of a request, without parameters.
fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// The node's rejection JSON (`MemPoolRejection::into_json`).
pub fn rejection_json(txid: &str, rejection: &Rejection) -> serde_json::Value {
    let message = |text: &str| Some(json!({ "message": text }));
    let reason_data = match rejection {
        Rejection::Deserialization(text) | Rejection::SignatureValidation(text) | Rejection::BadFunctionArgument(text) | Rejection::Other(text) => {
            message(text)
        }
        Rejection::FeeTooLow { actual, expected } => Some(json!({ "expected": expected, "actual": actual })),
        Rejection::BadNonce(mismatch) => Some(json!({
            "expected": mismatch.expected,
            "actual": mismatch.actual,
            "principal": mismatch.principal,
            "is_origin": mismatch.is_origin,
        })),
        Rejection::TooMuchChaining { max_nonce, actual_nonce, principal, is_origin } => Some(json!({
            "message": "Nonce would exceed chaining limit in mempool",
            "expected": max_nonce,
            "actual": actual_nonce,
            "principal": principal,
            "is_origin": is_origin,
        })),
        Rejection::BadTransactionVersion
        | Rejection::ConflictingNonceInMempool
        | Rejection::BadAddressVersionByte
        | Rejection::NoSuchContract
        | Rejection::NoSuchPublicFunction => None,
    };
    let mut answer = json!({ "txid": txid, "error": "transaction rejected", "reason": rejection.reason() });
    if let Some(reason_data) = reason_data {
        answer["reason_data"] = reason_data;
    }
    answer
}

/// The node's `FeeRateEstimateRequestBody`.
#[derive(Debug, Deserialize)]
pub struct FeeRequest {
    /// The payload, hex of its serialization.
    pub transaction_payload: String,
    /// The whole transaction's expected length in bytes.
    #[serde(default)]
    pub estimated_len: Option<u64>,
}

/// One of the node's three estimates.
#[derive(Debug, Serialize)]
pub struct FeeEstimate {
    /// Micro-STX per unit of the cost scalar.
    pub fee_rate: f64,
    /// The fee.
    pub fee: u64,
}

/// The node's `RPCFeeEstimateResponse`.
#[derive(Debug, Serialize)]
pub struct FeeResponse {
    /// The call's estimated cost.
    pub estimated_cost: ExecutionCost,
    /// The cost as one number: the sum of its dimensions' shares of the block limit
    /// and of its length's share of a block, each out of 10,000.
    pub estimated_cost_scalar: u64,
    /// Low, middle and high.
    pub estimations: [FeeEstimate; 3],
    /// How the scalar grows with each byte.
    pub cost_scalar_change_by_byte: f64,
}

/// The node's resolution of a share of the block limit.
const PROPORTION_RESOLUTION: u64 = 10_000;
/// The node's block size limit, in bytes.
const BLOCK_SIZE_LIMIT: u64 = 2 * 1024 * 1024;
/// clarimed has no fee market: its low, middle and high rates.
const FEE_RATES: [f64; 3] = [1.0, 2.0, 3.0];

/// Estimates a transaction's cost and fee as the node does: the cost is the last
/// mined call of the same function's (the node's estimator also learns from mined
/// blocks; before one is mined there is no estimate, the node's
/// `NoEstimateAvailable`), and every fee is at least one micro-STX per byte.
pub async fn post_fee_estimate<S: Store + 'static>(State(node): State<Node<S>>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, RpcError> {
    non_empty(&body, "FeeRateEstimate")?;
    if content_type(&headers).as_deref() != Some("application/json") {
        return Err(RpcError::BadRequest("Invalid content-type: expected application/json".to_string()));
    }
    let request: FeeRequest = serde_json::from_slice(&body).map_err(|e| RpcError::BadRequest(format!("Failed to parse JSON body: {e}")))?;
    let payload_bytes = unhex(request.transaction_payload.trim_start_matches("0x"))
        .ok_or_else(|| RpcError::BadRequest("Bad hex string supplied for transaction payload".to_string()))?;
    let payload = TransactionPayload::consensus_deserialize(&mut payload_bytes.as_slice()).map_err(|e| RpcError::BadRequest(e.to_string()))?;
    let estimated_len = request.estimated_len.unwrap_or(0).max(payload_bytes.len() as u64);
    let cost = match &payload {
        TransactionPayload::ContractCall(call) => node.pool.lock().estimated_cost(call.contract_name.as_str(), call.function_name.as_str()),
        _ => None,
    };
    let Some(cost) = cost else {
        let answer = json!({
            "error": "Estimation could not be performed",
            "reason": "NoEstimateAvailable",
            "reason_data": { "message": "No estimate available for the provided payload." },
        });
        return Ok((StatusCode::BAD_REQUEST, Json(answer)).into_response());
    };
    let limit = node.engine.block_limit();
    let share = |used: u64, of: u64| if of == 0 { 0 } else { (u128::from(used) * u128::from(PROPORTION_RESOLUTION) / u128::from(of)) as u64 };
    let execution = share(cost.runtime, limit.runtime)
        + share(cost.read_count, limit.read_count)
        + share(cost.read_length, limit.read_length)
        + share(cost.write_count, limit.write_count)
        + share(cost.write_length, limit.write_length);
    let length = share(estimated_len, BLOCK_SIZE_LIMIT).max(1);
    let scalar = execution + length;
    let estimate = |rate: f64| FeeEstimate { fee_rate: rate, fee: ((rate * scalar as f64) as u64).max(estimated_len) };
    Ok(Json(FeeResponse {
        estimated_cost: cost,
        estimated_cost_scalar: scalar,
        estimations: FEE_RATES.map(estimate),
        cost_scalar_change_by_byte: PROPORTION_RESOLUTION as f64 / BLOCK_SIZE_LIMIT as f64,
    })
    .into_response())
}
