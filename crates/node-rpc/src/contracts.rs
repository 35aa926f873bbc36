//! `GET /v2/contracts/source/{address}/{contract}` and
//! `GET /v2/contracts/interface/{address}/{contract}`: a deployed contract's source,
//! and its interface as clarity-vm's analysis describes it.

use axum::extract::{Path, State};
use axum::Json;
use clarimed_engine::table::Contract;
use clarimed_engine::{principal_to_clarity, Principal, Store, Version, GENESIS_HEIGHT};
use clarity::types::StacksEpochId;
use clarity::vm::analysis::contract_interface_builder::build_contract_interface;
use clarity::vm::analysis::run_analysis;
use clarity::vm::ast::{build_ast_with_rules, ASTRules};
use clarity::vm::costs::LimitedCostTracker;
use clarity::vm::database::MemoryBackingStore;
use clarity::vm::types::{PrincipalData, QualifiedContractIdentifier};
use clarity::vm::ClarityVersion;
use serde::Serialize;

use crate::{Node, RpcError};

/// Both contracts' interfaces, as the node serves them: clarity-vm's
/// `ContractInterface` of each, from the analysis a node runs at deployment
/// (Clarity 2, epoch 2.5) of the version deployed, in deployment order.
pub fn interfaces(deployer: &Principal, versions: [Version; 2]) -> Result<[serde_json::Value; 2], String> {
    let PrincipalData::Standard(address) = principal_to_clarity(deployer).map_err(|e| e.to_string())? else {
        return Err("the deployer is not a standard principal".to_string());
    };
    let mut store = MemoryBackingStore::new();
    // One analysis transaction for both, as a node saves the first contract's
    // analysis for the second's `contract-call?`s.
    let mut db = store.as_analysis_db();
    db.begin();
    let mut analyse = |contract: Contract, version: Version| -> Result<serde_json::Value, String> {
        let id = QualifiedContractIdentifier::new(address.clone(), contract.name().into());
        let ast = build_ast_with_rules(&id, contract.source(version), &mut (), ClarityVersion::Clarity2, StacksEpochId::Epoch25, ASTRules::PrecheckSize)
            .map_err(|e| format!("{}: {e}", contract.name()))?;
        let analysis = run_analysis(&id, &ast.expressions, &mut db, true, LimitedCostTracker::new_free(), StacksEpochId::Epoch25, ClarityVersion::Clarity2)
            .map_err(|(e, _)| format!("{}: {}", contract.name(), e.err))?;
        let interface = build_contract_interface(&analysis).map_err(|e| format!("{}: {e}", contract.name()))?;
        serde_json::to_value(interface).map_err(|e| e.to_string())
    };
    let interfaces = [analyse(Contract::PatientConsent, versions[0]), analyse(Contract::RecordManagement, versions[1])];
    db.roll_back().map_err(|e| e.to_string())?;
    let [consent, records] = interfaces;
    Ok([consent?, records?])
}

/// The interface, or 404 for a contract that is not deployed.
pub async fn get_interface<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path((address, contract)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, RpcError> {
    let contract = node.contract(&address, &contract).ok_or_else(|| RpcError::NotFound("No contract interface data found".to_string()))?;
    let index = Contract::ALL.iter().position(|c| *c == contract).expect("one of the two");
    Ok(Json(node.interfaces[index].clone()))
}

/// The node's `ContractSrcResponse` (without a MARF proof).
#[derive(Debug, Serialize)]
pub struct SourceResponse {
    /// The Clarity source.
    pub source: String,
    /// The block height it was deployed at.
    pub publish_height: u32,
}

/// The source of the version deployed, or 404 for a contract that is not deployed.
pub async fn get_source<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path((address, contract)): Path<(String, String)>,
) -> Result<Json<SourceResponse>, RpcError> {
    let contract = node.contract(&address, &contract).ok_or_else(|| RpcError::NotFound("No contract source data found".to_string()))?;
    let version = node.engine.version(contract)?;
    Ok(Json(SourceResponse { source: contract.source(version).to_string(), publish_height: GENESIS_HEIGHT }))
}
