//! `GET /v2/data_var/{address}/{contract}/{var}` and
//! `POST /v2/map_entry/{address}/{contract}/{map}`: stored values as the node reads
//! them from its Clarity store, hex-serialized.
//!
//! clarimed keeps no MARF, so it gives no Merkle proofs: a request with `proof=1`
//! (or none, which the node reads as 1) is answered without the `proof` field.

use axum::extract::{Path, State};
use axum::Json;
use clarimed_engine::clarity::Value;
use clarimed_engine::{hex, Store};
use serde::Serialize;

use crate::error::json_body;
use crate::{Node, RpcError};

/// The node's `DataVarResponse` and `MapEntryResponse`.
#[derive(Debug, Serialize)]
pub struct DataResponse {
    /// The value, `0x`-prefixed hex of its consensus serialization.
    pub data: String,
}

/// `GET /v2/data_var/…`: the var's value; 404 for a var (or contract) that does
/// not exist.
pub async fn get_data_var<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path((address, contract, var)): Path<(String, String, String)>,
) -> Result<Json<DataResponse>, RpcError> {
    let not_found = || RpcError::NotFound("Data var not found".to_string());
    let contract = node.contract(&address, &contract).ok_or_else(not_found)?;
    let value = node.engine.data_var(contract, &var)?.ok_or_else(not_found)?;
    Ok(Json(DataResponse { data: format!("0x{}", hex(&value)) }))
}

/// `POST /v2/map_entry/…` with the key as a JSON string of hex: the stored
/// `(some value)`, or `none` when there is no entry (also for an unknown contract
/// or map, as the node answers).
pub async fn get_map_entry<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path((address, contract, map)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<DataResponse>, RpcError> {
    let hex_key: String = json_body(&body, "GetMapEntry")?;
    let key = Value::try_deserialize_hex_untyped(hex_key.trim_start_matches("0x"))
        .map_err(|_| RpcError::BadRequest("Failed to deserialize map key value".to_string()))?;
    let key_bytes = key.serialize_to_vec().map_err(|e| RpcError::BadRequest(format!("the map key does not serialize: {e:?}")))?;
    let none = || vec![0x09];
    let entry = match node.contract(&address, &contract) {
        Some(contract) => node.engine.map_entry(contract, &map, &key_bytes)?.unwrap_or_else(none),
        None => none(),
    };
    Ok(Json(DataResponse { data: format!("0x{}", hex(&entry)) }))
}
