//! The two routes of the Hiro API that stacks.js clients poll beside the node's:
//! `GET /extended/v1/tx/{txid}` (a transaction's outcome) and
//! `GET /extended/v1/address/{principal}/nonces` (the next nonce, counting the
//! mempool; what `fetchNonce` asks first).
//!
//! A transaction is answered in the Hiro API's shape for a contract call: waiting
//! (`tx_status` `pending`), dropped (`dropped_…`), or mined (`success`,
//! `abort_by_response`, `abort_by_post_condition`, with `tx_result`, `events`,
//! `block_height`, `tx_index` and the execution cost). Block hashes are clarimed's
//! stand-ins (see [`crate::info`]); block times are when the miner built the block,
//! and clarimed, its own burn chain, gives the same height and time for the burn
//! block.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use clarimed_engine::clarity::Value;
use clarimed_engine::principal_to_native;
use clarimed_engine::table::find;
use clarimed_engine::{bytes_to_value, hex, parse_principal, principal_to_string, unhex, Receipt, Store};
use clarimed_transactions::wire::{
    AssetInfo, FungibleConditionCode, NonfungibleConditionCode, PostConditionPrincipal, TransactionAnchorMode, TransactionPostCondition,
    TransactionPostConditionMode,
};
use clarimed_transactions::Transaction;
use clarity::types::chainstate::StacksAddress;
use serde_json::{json, Value as JsonValue};

use crate::mempool::Known;
use crate::{info, Node, RpcError};

/// A transaction by txid (with or without `0x`); 404 when it is not known.
pub async fn get_transaction<S: Store + 'static>(State(node): State<Node<S>>, Path(txid): Path<String>) -> Result<Response, RpcError> {
    let bytes: Option<[u8; 32]> = unhex(txid.trim_start_matches("0x")).and_then(|bytes| bytes.try_into().ok());
    let Some(id) = bytes else {
        return Err(RpcError::BadRequest(format!("Invalid tx id {txid}")));
    };
    // The mempool first: a transaction leaves it only once its block is committed.
    let known = node.pool.lock().find(&id);
    match known {
        Some(Known::Pending(pending)) => Ok(Json(described(&pending.tx, "pending")).into_response()),
        Some(Known::Dropped(pending, why)) => Ok(Json(described(&pending.tx, why.status())).into_response()),
        None => {
            if let Some(receipt) = node.engine.receipt(&id)? {
                let tx = Transaction::decode(&receipt.transaction).map_err(|e| RpcError::Internal(format!("a kept transaction does not decode: {e}")))?;
                return Ok(Json(mined(&tx, &receipt)?).into_response());
            }
            let answer = json!({ "error": format!("could not find transaction by ID 0x{}", hex(&id)) });
            Ok((StatusCode::NOT_FOUND, Json(answer)).into_response())
        }
    }
}

/// What the transaction says of itself, with its status.
fn described(tx: &Transaction, status: &str) -> JsonValue {
    let wire = tx.wire();
    let call = match &wire.payload {
        clarimed_transactions::wire::TransactionPayload::ContractCall(call) => Some(call),
        _ => None,
    };
    let contract_call = call.map(|call| {
        let contract_id = format!("{}.{}", address_text(&call.address), call.contract_name);
        let function = find(call.contract_name.as_str(), call.function_name.as_str()).ok();
        let signature = function.map(|function| {
            let params: Vec<String> = function.params.iter().map(|param| format!("({} {})", param.name, param.ty)).collect();
            format!("(define-public ({} {}))", function.name, params.join(" "))
        });
        let args: Vec<JsonValue> = call
            .function_args
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let param = function.and_then(|function| function.params.get(index));
                json!({
                    "hex": value_hex(value),
                    "repr": repr(value),
                    "name": param.map(|param| param.name),
                    "type": param.map(|param| param.ty.to_string()),
                })
            })
            .collect();
        json!({
            "contract_id": contract_id,
            "function_name": call.function_name.as_str(),
            "function_signature": signature.unwrap_or_default(),
            "function_args": args,
        })
    });
    json!({
        "tx_id": format!("0x{}", tx.txid_hex()),
        "tx_status": status,
        "tx_type": if call.is_some() { "contract_call" } else { wire.payload.name() },
        "nonce": tx.nonce(),
        "fee_rate": tx.fee().to_string(),
        "sender_address": principal_to_string(&tx.origin()),
        "sponsored": tx.is_sponsored(),
        "post_condition_mode": match wire.post_condition_mode {
            TransactionPostConditionMode::Allow => "allow",
            TransactionPostConditionMode::Deny => "deny",
        },
        "post_conditions": wire.post_conditions.iter().map(post_condition).collect::<Vec<_>>(),
        "anchor_mode": match wire.anchor_mode {
            TransactionAnchorMode::OnChainOnly => "on_chain_only",
            TransactionAnchorMode::OffChainOnly => "off_chain_only",
            TransactionAnchorMode::Any => "any",
        },
        "contract_call": contract_call,
    })
}

/// A mined transaction: its description, block and outcome.
fn mined(tx: &Transaction, receipt: &Receipt) -> Result<JsonValue, RpcError> {
    let mut answer = described(tx, receipt.status.as_str());
    let result = bytes_to_value(&receipt.result).map_err(|e| RpcError::Internal(e.to_string()))?;
    let events = receipt
        .events
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let value = bytes_to_value(bytes).map_err(|e| RpcError::Internal(e.to_string()))?;
            Ok(json!({
                "event_index": index,
                "event_type": "smart_contract_log",
                "tx_id": format!("0x{}", tx.txid_hex()),
                "contract_log": {
                    "contract_id": receipt.contract,
                    "topic": "print",
                    "value": { "hex": format!("0x{}", hex(bytes)), "repr": repr(&value) },
                },
            }))
        })
        .collect::<Result<Vec<_>, RpcError>>()?;
    let time = receipt.block_time;
    let fields = json!({
        "block_hash": format!("0x{}", info::block_hash("block", receipt.block_height, 32)),
        "block_height": receipt.block_height,
        "block_time": time,
        "block_time_iso": iso_8601(time),
        "parent_block_hash": format!("0x{}", info::block_hash("block", receipt.block_height - 1, 32)),
        // clarimed is its own burn chain: a burn block per block, at the same time.
        "burn_block_height": receipt.block_height,
        "burn_block_time": time,
        "burn_block_time_iso": iso_8601(time),
        "parent_burn_block_time": time,
        "parent_burn_block_time_iso": iso_8601(time),
        "is_unanchored": false,
        "microblock_hash": "0x",
        "microblock_sequence": MICROBLOCK_SEQUENCE_OF_ANCHORED,
        "index_block_hash": format!("0x{}", info::block_hash("index", receipt.block_height, 32)),
        "canonical": true,
        "microblock_canonical": true,
        "tx_index": receipt.tx_index,
        "tx_result": { "hex": format!("0x{}", hex(&receipt.result)), "repr": repr(&result) },
        "event_count": events.len(),
        "events": events,
        "execution_cost_read_count": receipt.cost.read_count,
        "execution_cost_read_length": receipt.cost.read_length,
        "execution_cost_runtime": receipt.cost.runtime,
        "execution_cost_write_count": receipt.cost.write_count,
        "execution_cost_write_length": receipt.cost.write_length,
    });
    if let (Some(answer), JsonValue::Object(fields)) = (answer.as_object_mut(), fields) {
        answer.extend(fields);
    }
    Ok(answer)
}

/// The Hiro API's microblock sequence of a transaction in an anchored block.
const MICROBLOCK_SEQUENCE_OF_ANCHORED: i32 = i32::MAX;

/// Unix seconds as ISO 8601 in UTC (`2026-11-24T18:30:00.000Z`), by the civil
/// calendar's day count.
fn iso_8601(seconds: u64) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    let (year, month, day) = clarimed_fhir::clock::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z", rest / 3_600, rest % 3_600 / 60, rest % 60)
}

/// A post-condition in the Hiro API's shape.
fn post_condition(condition: &TransactionPostCondition) -> JsonValue {
    let principal = |principal: &PostConditionPrincipal| match principal {
        PostConditionPrincipal::Origin => json!({ "type_id": "principal_origin" }),
        PostConditionPrincipal::Standard(address) => json!({ "type_id": "principal_standard", "address": address_text(address) }),
        PostConditionPrincipal::Contract(address, name) => {
            json!({ "type_id": "principal_contract", "address": address_text(address), "contract_name": name.as_str() })
        }
    };
    let fungible_code = |code: &FungibleConditionCode| match code {
        FungibleConditionCode::SentEq => "sent_equal_to",
        FungibleConditionCode::SentGt => "sent_greater_than",
        FungibleConditionCode::SentGe => "sent_greater_than_or_equal_to",
        FungibleConditionCode::SentLt => "sent_less_than",
        FungibleConditionCode::SentLe => "sent_less_than_or_equal_to",
    };
    let asset = |info: &AssetInfo| json!({ "asset_name": info.asset_name.as_str(), "contract_address": address_text(&info.contract_address), "contract_name": info.contract_name.as_str() });
    match condition {
        TransactionPostCondition::STX(who, code, amount) => {
            json!({ "type": "stx", "principal": principal(who), "condition_code": fungible_code(code), "amount": amount.to_string() })
        }
        TransactionPostCondition::Fungible(who, info, code, amount) => json!({
            "type": "fungible", "principal": principal(who), "condition_code": fungible_code(code), "amount": amount.to_string(), "asset": asset(info),
        }),
        TransactionPostCondition::Nonfungible(who, info, value, code) => json!({
            "type": "non_fungible",
            "principal": principal(who),
            "condition_code": match code { NonfungibleConditionCode::Sent => "sent", NonfungibleConditionCode::NotSent => "not_sent" },
            "asset_value": { "hex": value_hex(value), "repr": repr(value) },
            "asset": asset(info),
        }),
    }
}

fn address_text(address: &StacksAddress) -> String {
    principal_to_string(&principal_to_native(&(*address).into()))
}

fn value_hex(value: &Value) -> String {
    format!("0x{}", hex(&value.serialize_to_vec().unwrap_or_default()))
}

/// An account's nonces, counting the mempool.
pub async fn get_nonces<S: Store + 'static>(State(node): State<Node<S>>, Path(principal): Path<String>) -> Result<Json<JsonValue>, RpcError> {
    let account = parse_principal(&principal).map_err(|_| RpcError::BadRequest(format!("invalid STX address \"{principal}\"")))?;
    let next = node.engine.nonce(&account)?;
    let waiting = node.pool.lock().waiting_nonces(&account);
    let last_waiting = waiting.last().copied();
    let missing: Vec<u64> = match last_waiting {
        Some(last) => (next..last).filter(|nonce| !waiting.contains(nonce)).rev().collect(),
        None => Vec::new(),
    };
    Ok(Json(json!({
        "last_executed_tx_nonce": next.checked_sub(1),
        "last_mempool_tx_nonce": last_waiting,
        "possible_next_nonce": last_waiting.map_or(next, |last| (last + 1).max(next)),
        "detected_missing_nonces": missing,
        "detected_mempool_nonces": waiting,
    })))
}

/// A value as the Hiro API's `repr` writes it: clarity's `Display` (a tuple as
/// `(tuple (key value) …)`, a list as `(a b)`, a principal without its quote).
fn repr(value: &clarimed_engine::clarity::Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use clarimed_engine::parse_literal;

    use super::repr;

    #[test]
    fn a_repr_is_written_as_the_hiro_api_writes_it() {
        let record =
            parse_literal("(ok { checksum: 0x00ff, title: \"t\", owner: 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM, versions: (list u1 u2), key: none })")
                .unwrap();
        assert_eq!(
            repr(&record),
            "(ok (tuple (checksum 0x00ff) (key none) (owner ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM) (title \"t\") (versions (u1 u2))))"
        );
    }
}
