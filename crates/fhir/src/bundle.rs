//! A patient's Bundles as `clarimed fhir` prints them: `collection` Bundles of
//! every consent, and of every audit event in a range of blocks.

use std::ops::RangeInclusive;

use clarimed_engine::{Engine, EngineError, Principal};

use crate::clock::Clock;
use crate::model::{Bundle, BundleEntry, Resource};
use crate::reader::PatientReader;
use crate::stream::{page, Filter, Order};

/// Why a patient's resources could not be made or searched.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The principal is not a registered patient.
    #[error("{0} is not a registered patient")]
    UnknownPatient(String),
    /// A search parameter that is not one, or not one served; FHIR's issue type
    /// (`invalid`, `not-supported`, `required`) and why.
    #[error("{reason}")]
    Search {
        /// The `OperationOutcome.issue.code`.
        code: &'static str,
        /// Why, in words.
        reason: String,
    },
    /// Reading the state failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A `collection` Bundle (no `total`: FHIR allows it on search and history
/// Bundles only), each entry named by a URN.
fn collection(resources: Vec<Resource>, height: u32, clock: &Clock) -> Bundle {
    let entry =
        resources.into_iter().map(|resource| BundleEntry { full_url: format!("urn:clarimed:{}", resource.reference()), resource, search: None }).collect();
    Bundle { resource_type: "Bundle", kind: "collection", timestamp: clock.instant(height.into()).unwrap_or_default(), total: None, link: Vec::new(), entry }
}

/// One `Consent` per grant of a data type to a provider, and per emergency
/// override, as of the committed state.
pub fn consent_bundle<S>(engine: &Engine<S>, patient: &Principal, clock: &Clock) -> Result<Bundle, FhirError> {
    let reader = PatientReader::new(engine, patient)?;
    let consents = reader.consents(clock)?;
    Ok(collection(consents.into_iter().map(|consent| Resource::Consent(Box::new(consent))).collect(), engine.committed_block_height(), clock))
}

/// One `AuditEvent` per consent audit entry of the patient and per access-log
/// entry of their records, at blocks within `blocks`, in block order.
pub fn audit_bundle<S>(engine: &Engine<S>, patient: &Principal, blocks: RangeInclusive<u128>, clock: &Clock) -> Result<Bundle, FhirError> {
    let reader = PatientReader::new(engine, patient)?;
    let filter = Filter { blocks, ..Filter::all() };
    let events = page(&reader, &filter, Order::Ascending, usize::MAX, None)?.events;
    let resources = reader.audit_events(&events, clock)?.into_iter().map(|event| Resource::AuditEvent(Box::new(event))).collect();
    Ok(collection(resources, engine.committed_block_height(), clock))
}
