//! clarimed's FHIR R4 server, beside the node's routes: the search API of
//! [`clarimed_fhir::search`] with the node's clock ([`crate::Node::with_fhir_clock`]).
//!
//! - `GET /fhir/metadata`: the CapabilityStatement of what is served;
//! - `GET /fhir/Consent?patient=…` and `GET /fhir/AuditEvent?patient=…[&entity=…]
//!   [&agent=…][&date=ge…][&date=le…][&_count=…][&_sort=-date]`: `searchset`
//!   Bundles, paged by `next` links;
//! - `GET /fhir/Consent/{id}` and `GET /fhir/AuditEvent/{id}`: one resource.
//!
//! Everything answers `application/fhir+json`. A request whose `Accept` admits no
//! JSON is 406; a bad search 400, an unknown resource 404, each with an
//! `OperationOutcome`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clarimed_engine::Store;
use clarimed_fhir::model::OperationOutcome;
use clarimed_fhir::search::is_json_format;
use clarimed_fhir::{capability_statement, read_audit_event, read_consent, FhirError, ResourceType, Search};

use crate::Node;

const FHIR_JSON: &str = "application/fhir+json";

fn fhir_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, FHIR_JSON)], bytes).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

fn outcome(status: StatusCode, code: &'static str, diagnostics: impl Into<String>) -> Response {
    fhir_json(status, &OperationOutcome::error(code, diagnostics))
}

fn refusal(error: FhirError) -> Response {
    match error {
        FhirError::UnknownPatient(patient) => outcome(StatusCode::NOT_FOUND, "not-found", format!("{patient} is not a registered patient")),
        FhirError::Search { code, reason } => outcome(StatusCode::BAD_REQUEST, code, reason),
        FhirError::Engine(error) => outcome(StatusCode::INTERNAL_SERVER_ERROR, "exception", error.to_string()),
    }
}

/// Whether `Accept` admits FHIR JSON (no header admits anything).
fn accepts_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT) else { return true };
    let Ok(accept) = accept.to_str() else { return false };
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        // A quality of 0 refuses the type; a quality that is no number refuses too.
        let quality = parts.find_map(|parameter| parameter.strip_prefix("q=")).map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
        quality.is_some_and(|q| q > 0.0)
            && ["application/fhir+json", "application/json", "application/json+fhir", "application/*", "*/*"].contains(&media.as_str())
    })
}

fn not_acceptable() -> Response {
    outcome(StatusCode::NOT_ACCEPTABLE, "not-supported", "only application/fhir+json (or application/json) is served")
}

/// The FHIR base URL clients reached this server at.
fn base(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}/fhir")
}

/// The query's name–value pairs, decoded.
fn pairs(query: Option<&str>) -> Result<Vec<(String, String)>, Box<Response>> {
    serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|error| Box::new(outcome(StatusCode::BAD_REQUEST, "invalid", format!("the query is malformed: {error}"))))
}

/// A read or `metadata` takes no parameter but `_format`.
fn only_format(query: Option<&str>) -> Result<(), Box<Response>> {
    for (name, value) in pairs(query)? {
        match name.as_str() {
            "_format" if is_json_format(&value) => {}
            "_format" => return Err(Box::new(not_acceptable())),
            _ => return Err(Box::new(outcome(StatusCode::BAD_REQUEST, "not-supported", format!("`{name}` is not a parameter of this interaction")))),
        }
    }
    Ok(())
}

/// `GET /fhir/metadata`.
pub async fn get_metadata<S: Store + 'static>(State(node): State<Node<S>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if !accepts_json(&headers) {
        return not_acceptable();
    }
    if let Err(refused) = only_format(query.as_deref()) {
        return *refused;
    }
    let date = node.clock.instant(node.engine.committed_block_height().into()).unwrap_or_default();
    fhir_json(StatusCode::OK, &capability_statement(&base(&headers), &date))
}

async fn search<S: Store + 'static>(node: Node<S>, resource: ResourceType, headers: HeaderMap, query: Option<String>) -> Response {
    if !accepts_json(&headers) {
        return not_acceptable();
    }
    let pairs = match pairs(query.as_deref()) {
        Ok(pairs) => pairs,
        Err(refused) => return *refused,
    };
    let (engine, clock, base) = (node.engine.clone(), node.clock, base(&headers));
    // A page may read past many other patients' log entries: off the request task.
    let answered = tokio::task::spawn_blocking(move || {
        let search = Search::parse(resource, &pairs, &clock)?;
        search.run(&engine, &base, query.as_deref().unwrap_or_default(), &clock)
    })
    .await;
    match answered {
        Ok(Ok(bundle)) => fhir_json(StatusCode::OK, &bundle),
        Ok(Err(error)) => refusal(error),
        Err(_) => outcome(StatusCode::INTERNAL_SERVER_ERROR, "exception", "the search panicked"),
    }
}

/// `GET /fhir/Consent?…`.
pub async fn search_consents<S: Store + 'static>(State(node): State<Node<S>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    search(node, ResourceType::Consent, headers, query).await
}

/// `GET /fhir/AuditEvent?…`.
pub async fn search_audit_events<S: Store + 'static>(State(node): State<Node<S>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    search(node, ResourceType::AuditEvent, headers, query).await
}

async fn read<S: Store + 'static>(node: Node<S>, resource: ResourceType, id: String, headers: HeaderMap, query: Option<String>) -> Response {
    if !accepts_json(&headers) {
        return not_acceptable();
    }
    if let Err(refused) = only_format(query.as_deref()) {
        return *refused;
    }
    let (engine, clock) = (node.engine.clone(), node.clock);
    let wanted = id.clone();
    let read = tokio::task::spawn_blocking(move || match resource {
        ResourceType::Consent => read_consent(&engine, &wanted, &clock).map(|found| found.map(serde_json::to_value)),
        ResourceType::AuditEvent => read_audit_event(&engine, &wanted, &clock).map(|found| found.map(serde_json::to_value)),
    })
    .await;
    match read {
        Ok(Ok(Some(Ok(resource)))) => fhir_json(StatusCode::OK, &resource),
        Ok(Ok(None)) => outcome(StatusCode::NOT_FOUND, "not-found", format!("{}/{id} is not known", resource.name())),
        Ok(Ok(Some(Err(error)))) => outcome(StatusCode::INTERNAL_SERVER_ERROR, "exception", error.to_string()),
        Ok(Err(error)) => refusal(error),
        Err(_) => outcome(StatusCode::INTERNAL_SERVER_ERROR, "exception", "the read panicked"),
    }
}

/// `GET /fhir/Consent/{id}`.
pub async fn read_consent_by_id<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(node, ResourceType::Consent, id, headers, query).await
}

/// `GET /fhir/AuditEvent/{id}`.
pub async fn read_audit_event_by_id<S: Store + 'static>(
    State(node): State<Node<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(node, ResourceType::AuditEvent, id, headers, query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        accepts_json(&headers)
    }

    #[test]
    fn json_is_acceptable_unless_refused_by_a_zero_quality() {
        assert!(accepts_json(&HeaderMap::new()));
        for yes in ["application/fhir+json", "application/json", "*/*", "text/html, application/fhir+json;q=0.9", "application/*;q=0.5"] {
            assert!(accept(yes), "{yes}");
        }
        for no in ["application/fhir+xml", "text/html", "application/json;q=0", "application/xml, text/plain"] {
            assert!(!accept(no), "{no}");
        }
    }
}
