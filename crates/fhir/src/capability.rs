//! `GET /fhir/metadata`: the CapabilityStatement of exactly what `clarimed serve`
//! serves (FHIR R4, JSON only, `read` and `search-type` of `Consent` and
//! `AuditEvent` with their search parameters).

use serde_json::{json, Value};

use crate::search::ResourceType;

/// The canonical definition of each search parameter served.
fn definition(resource: ResourceType, parameter: &str) -> (&'static str, &'static str) {
    match (resource, parameter) {
        (ResourceType::Consent, "patient") => ("reference", "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        (ResourceType::AuditEvent, "patient") => ("reference", "http://hl7.org/fhir/SearchParameter/AuditEvent-patient"),
        (ResourceType::AuditEvent, "entity") => ("reference", "http://hl7.org/fhir/SearchParameter/AuditEvent-entity"),
        (ResourceType::AuditEvent, "agent") => ("reference", "http://hl7.org/fhir/SearchParameter/AuditEvent-agent"),
        (ResourceType::AuditEvent, "date") => ("date", "http://hl7.org/fhir/SearchParameter/AuditEvent-date"),
        _ => ("string", ""),
    }
}

fn documentation(resource: ResourceType, parameter: &str) -> &'static str {
    match (resource, parameter) {
        (_, "patient") => "The patient, as a Stacks principal (ST…); required.",
        (_, "entity") => "The patient (a principal) or one of their records (its id): that record's accesses only.",
        (_, "agent") => "Who acted, as a Stacks principal.",
        (_, "date") => "ge, gt, le or lt, and a day (YYYY-MM-DD) or an instant (YYYY-MM-DDThh:mm:ssZ); twice for a range.",
        _ => "",
    }
}

/// The statement, dated `date` (the chain's time of its tip), for the server at
/// `base` (its FHIR base URL).
pub fn capability_statement(base: &str, date: &str) -> Value {
    let resource = |kind: ResourceType| {
        let parameters: Vec<Value> = kind
            .parameters()
            .iter()
            .map(|name| {
                let (kind_of, definition) = definition(kind, name);
                json!({ "name": name, "definition": definition, "type": kind_of, "documentation": documentation(kind, name) })
            })
            .collect();
        json!({
            "type": kind.name(),
            "interaction": [{ "code": "read" }, { "code": "search-type" }],
            "searchParam": parameters,
        })
    };
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "clarimed",
        "kind": "instance",
        "software": { "name": "clarimed", "version": env!("CARGO_PKG_VERSION") },
        "implementation": {
            "description": "Consents and record accesses of the patient-consent and record-management contracts, read from a Stacks chain's state",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search results page with _count (at most 1000) and next links; _sort=date or -date.",
            "resource": [resource(ResourceType::Consent), resource(ResourceType::AuditEvent)],
        }],
    })
}
