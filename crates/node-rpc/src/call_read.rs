//! `POST /v2/contracts/call-read/{address}/{contract}/{function}`: any function run
//! as the node runs it for a read, on the committed state against the read-only
//! limit, with nothing kept.
//!
//! Answers are HTTP 200 with `{ okay: true, result }` (the value's hex), or
//! `{ okay: false, cause }`: `NotReadOnly` for a function that writes, as the node
//! says, and otherwise the node's text for the Clarity error. A body that does not
//! decode is HTTP 400.

use axum::extract::{Path, State};
use axum::Json;
use clarimed_engine::clarity::Value;
use clarimed_engine::{hex, parse_principal, EngineError, ExecutionCost, Store};
use serde::{Deserialize, Serialize};

use crate::error::json_body;
use crate::{Node, RpcError};

/// The node's `CallReadOnlyRequestBody`.
#[derive(Debug, Deserialize)]
pub struct CallReadRequest {
    /// Who calls (`tx-sender`).
    pub sender: String,
    /// A sponsor, which these contracts never read.
    #[serde(default)]
    pub sponsor: Option<String>,
    /// Each argument, hex of its consensus serialization.
    pub arguments: Vec<String>,
}

/// The node's `CallReadOnlyResponse`.
#[derive(Debug, Serialize)]
pub struct CallReadResponse {
    /// Whether the call ran.
    pub okay: bool,
    /// The result's hex, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Why it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// Runs the call.
pub async fn call_read<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path((address, contract, function)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<CallReadResponse>, RpcError> {
    let request: CallReadRequest = json_body(&body, "CallReadOnly")?;
    let sender = parse_principal(&request.sender).map_err(|_| RpcError::BadRequest("Failed to parse sender principal".to_string()))?;
    if let Some(sponsor) = &request.sponsor {
        parse_principal(sponsor).map_err(|_| RpcError::BadRequest("Failed to parse sponsor principal".to_string()))?;
    }
    let arguments = request
        .arguments
        .iter()
        .map(|hex| Value::try_deserialize_hex_untyped(hex.trim_start_matches("0x")).ok())
        .collect::<Option<Vec<Value>>>()
        .ok_or_else(|| RpcError::BadRequest("Failed to deserialize argument value".to_string()))?;
    let Some(known) = node.contract(&address, &contract) else {
        return Ok(Json(refused(format!("Unchecked(NoSuchContract(\"{address}.{contract}\"))"))));
    };
    // A read takes microseconds on the committed state and waits for no lock: it runs
    // on the request's own task.
    let answer = node.engine.call_read(&sender, known.name(), &function, &arguments);
    Ok(Json(match answer {
        Ok(output) => {
            let bytes = output.value.serialize_to_vec().map_err(|e| RpcError::Internal(format!("the result does not serialize: {e:?}")))?;
            CallReadResponse { okay: true, result: Some(format!("0x{}", hex(&bytes))), cause: None }
        }
        Err(error) => refused(cause(&error)?),
    }))
}

fn refused(cause: String) -> CallReadResponse {
    CallReadResponse { okay: false, result: None, cause: Some(cause) }
}

/// The node's `cause` for a call that did not run: clarity-vm's error, printed as
/// the node prints it.
fn cause(error: &EngineError) -> Result<String, RpcError> {
    Ok(match error {
        EngineError::NotReadOnly { .. } => "NotReadOnly".to_string(),
        EngineError::CostBalanceExceeded(over) => format!("Unchecked(CostBalanceExceeded({}, {}))", vm_cost(&over.cost), vm_cost(&over.limit)),
        EngineError::UnknownFunction { function, .. } => format!("Unchecked(UndefinedFunction(\"{function}\"))"),
        EngineError::Arity { expected, found, .. } => format!("Unchecked(IncorrectArgumentCount({expected}, {found}))"),
        EngineError::ArgumentType { expected, found, .. } => format!("Unchecked(TypeValueError({expected}, {found}))"),
        EngineError::InvalidPrincipal(_) | EngineError::InvalidValue { .. } | EngineError::InvalidLiteral(_) => format!("Unchecked({error})"),
        other => return Err(RpcError::Internal(other.to_string())),
    })
}

/// An execution cost as clarity-vm's `ExecutionCost` prints with `{:?}`.
fn vm_cost(cost: &ExecutionCost) -> String {
    format!(
        "ExecutionCost {{ write_length: {}, write_count: {}, read_length: {}, read_count: {}, runtime: {} }}",
        cost.write_length, cost.write_count, cost.read_length, cost.read_count, cost.runtime
    )
}
