//! `GET /v2/contracts/source/{address}/{contract}`: a deployed contract's source.

use axum::extract::{Path, State};
use axum::Json;
use clarimed_engine::table::Contract;
use clarimed_engine::{Store, GENESIS_HEIGHT};
use serde::Serialize;

use crate::{Node, RpcError};

/// The contracts' sources, as deployed.
pub fn source(contract: Contract) -> &'static str {
    match contract {
        Contract::PatientConsent => include_str!("../../../contracts/patient-consent.clar"),
        Contract::RecordManagement => include_str!("../../../contracts/record-management.clar"),
    }
}

/// The node's `ContractSrcResponse` (without a MARF proof).
#[derive(Debug, Serialize)]
pub struct SourceResponse {
    /// The Clarity source.
    pub source: String,
    /// The block height it was deployed at.
    pub publish_height: u32,
}

/// The source, or 404 for a contract that is not deployed.
pub async fn get_source<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path((address, contract)): Path<(String, String)>,
) -> Result<Json<SourceResponse>, RpcError> {
    let contract = node.contract(&address, &contract).ok_or_else(|| RpcError::NotFound("No contract source data found".to_string()))?;
    Ok(Json(SourceResponse { source: source(contract).to_string(), publish_height: GENESIS_HEIGHT }))
}
