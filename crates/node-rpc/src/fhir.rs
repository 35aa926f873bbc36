//! clarimed's FHIR routes, beside the node's: `GET /fhir/Consent?patient=…` and
//! `GET /fhir/AuditEvent?patient=…[&from=BLOCK][&to=BLOCK]`, each a FHIR R4 Bundle
//! as `clarimed fhir consent|audit` prints it (with the node's clock,
//! [`crate::Node::with_fhir_clock`]), as `application/fhir+json`. A missing,
//! malformed or unregistered patient, or a malformed block, is HTTP 400 with an
//! `OperationOutcome`.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use clarimed_engine::{parse_principal, Store};
use clarimed_fhir::model::OperationOutcome;
use clarimed_fhir::{audit_bundle, consent_bundle, FhirError};
use serde::Deserialize;

use crate::Node;

/// The query both routes read.
#[derive(Debug, Deserialize)]
pub struct FhirQuery {
    patient: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Which Bundle.
#[derive(Clone, Copy)]
enum Wanted {
    Consent,
    AuditEvent,
}

fn fhir_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/fhir+json")], bytes).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

fn refused(code: &'static str, diagnostics: String) -> Response {
    fhir_json(StatusCode::BAD_REQUEST, &OperationOutcome::error(code, diagnostics))
}

/// A block height parameter, or why it is not one.
fn block(text: Option<&str>, name: &str) -> Result<Option<u128>, String> {
    text.map(|text| text.parse::<u128>().map_err(|_| format!("`{name}` must be a block height, not `{text}`"))).transpose()
}

async fn bundle<S: Store + 'static>(node: Node<S>, query: FhirQuery, wanted: Wanted) -> Response {
    let Some(text) = query.patient else {
        return refused("required", "the `patient` parameter is required (a principal, ST…)".to_string());
    };
    let Ok(patient) = parse_principal(&text) else {
        return refused("invalid", format!("`{text}` is not a principal (expected ST…)"));
    };
    let range = match (block(query.from.as_deref(), "from"), block(query.to.as_deref(), "to")) {
        (Ok(from), Ok(to)) => from.unwrap_or(0)..=to.unwrap_or(u128::MAX),
        (Err(reason), _) | (_, Err(reason)) => return refused("invalid", reason),
    };
    let (engine, clock) = (node.engine.clone(), node.clock);
    // The audit Bundle reads the whole access log: off the request task.
    let made = tokio::task::spawn_blocking(move || match wanted {
        Wanted::Consent => consent_bundle(&engine, &patient, &clock),
        Wanted::AuditEvent => audit_bundle(&engine, &patient, range, &clock),
    })
    .await;
    match made {
        Ok(Ok(bundle)) => fhir_json(StatusCode::OK, &bundle),
        Ok(Err(FhirError::UnknownPatient(patient))) => refused("not-found", format!("{patient} is not a registered patient")),
        Ok(Err(FhirError::Engine(error))) => fhir_json(StatusCode::INTERNAL_SERVER_ERROR, &OperationOutcome::error("exception", error.to_string())),
        Err(_) => fhir_json(StatusCode::INTERNAL_SERVER_ERROR, &OperationOutcome::error("exception", "making the Bundle panicked")),
    }
}

/// `GET /fhir/Consent?patient=…`.
pub async fn get_consents<S: Store + 'static>(State(node): State<Node<S>>, Query(query): Query<FhirQuery>) -> Response {
    bundle(node, query, Wanted::Consent).await
}

/// `GET /fhir/AuditEvent?patient=…[&from=…][&to=…]`.
pub async fn get_audit_events<S: Store + 'static>(State(node): State<Node<S>>, Query(query): Query<FhirQuery>) -> Response {
    bundle(node, query, Wanted::AuditEvent).await
}
