//! The node's error answers: a status and a plain-text reason.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A refused request, answered as the node answers it.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// A request the node cannot decode: HTTP 400.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing at that path: HTTP 404.
    #[error("{0}")]
    NotFound(String),
    /// The state could not be read: HTTP 500.
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        let status = match self {
            RpcError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RpcError::NotFound(_) => StatusCode::NOT_FOUND,
            RpcError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, self.to_string()).into_response()
    }
}

impl From<clarimed_engine::EngineError> for RpcError {
    fn from(error: clarimed_engine::EngineError) -> RpcError {
        RpcError::Internal(error.to_string())
    }
}

/// Refuses a request whose declared body is longer than the server reads, before
/// reading it, as the node checks the content length first.
pub(crate) async fn refuse_oversized(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let declared = request.headers().get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > crate::MAX_BODY_BYTES as u64 => {
            RpcError::BadRequest(format!("Invalid Http request: invalid body length ({length})")).into_response()
        }
        _ => next.run(request).await,
    }
}

/// Refuses an empty body as the node refuses it, naming the `request` as the node
/// names its handler (`CallReadOnly`, `GetMapEntry`, …).
pub(crate) fn non_empty(body: &[u8], request: &str) -> Result<(), RpcError> {
    if body.is_empty() {
        return Err(RpcError::BadRequest(format!("Invalid Http request: invalid body length for {request} (0)")));
    }
    Ok(())
}

/// A body that must be there and be JSON of `T`, refused as the node refuses it.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], request: &str) -> Result<T, RpcError> {
    non_empty(body, request)?;
    serde_json::from_slice(body).map_err(|_| RpcError::BadRequest("Failed to parse JSON body".to_string()))
}

/// Any path the node does not serve.
pub(crate) async fn not_found() -> RpcError {
    RpcError::NotFound("No such file or directory".to_string())
}
