//! A patient's Bundles, read from the engine: the consent audit trail, the terms
//! the contract holds now, and the access log of the patient's records.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use clarimed_engine::{parse_principal, principal_to_string, Engine, EngineError, Principal};

use crate::audit::{consent_events, record_events, AccessRecord};
use crate::clock::Clock;
use crate::consent::{consents, open_pairs, AuditRecord, Terms};
use crate::model::{AuditEvent, Bundle, BundleEntry, Resource};

/// Why a patient's Bundle could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The principal is not a registered patient.
    #[error("{0} is not a registered patient")]
    UnknownPatient(String),
    /// Reading the state failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn bundle(resources: Vec<Resource>, height: u32, clock: &Clock) -> Bundle {
    let entry: Vec<BundleEntry> = resources
        .into_iter()
        .map(|resource| {
            let id = match &resource {
                Resource::Consent(consent) => format!("Consent/{}", consent.id),
                Resource::AuditEvent(event) => format!("AuditEvent/{}", event.id),
            };
            BundleEntry { full_url: format!("urn:clarimed:{id}"), resource }
        })
        .collect();
    Bundle { resource_type: "Bundle", kind: "collection", timestamp: clock.instant(height.into()).unwrap_or_default(), total: entry.len(), entry }
}

/// The patient's audit trail, oldest first.
fn trail<S>(engine: &Engine<S>, patient: &Principal) -> Result<Vec<AuditRecord>, FhirError> {
    let count = engine.consent().get_audit_count(patient)?;
    let mut trail = Vec::new();
    for seq in 0..count {
        if let Some(entry) = engine.consent().get_audit_entry(patient, seq)? {
            trail.push(AuditRecord {
                seq,
                action: entry.action,
                actor: principal_to_string(&entry.actor),
                provider: entry.provider.as_ref().map(principal_to_string),
                data_type: entry.data_type,
                block: entry.block,
            });
        }
    }
    Ok(trail)
}

fn registered<S>(engine: &Engine<S>, patient: &Principal) -> Result<String, FhirError> {
    let text = principal_to_string(patient);
    match engine.consent().get_patient(patient)? {
        Some(_) => Ok(text),
        None => Err(FhirError::UnknownPatient(text)),
    }
}

/// One `Consent` per grant of a data type to a provider, and per emergency
/// override, as of the committed state.
pub fn consent_bundle<S>(engine: &Engine<S>, patient: &Principal, clock: &Clock) -> Result<Bundle, FhirError> {
    let text = registered(engine, patient)?;
    let trail = trail(engine, patient)?;
    let height = engine.committed_block_height();
    let mut current = BTreeMap::new();
    for (provider, data_type) in open_pairs(&trail) {
        let principal = parse_principal(&provider)?;
        let terms = match data_type {
            Some(data_type) => {
                engine.consent().get_consent(patient, &principal, data_type)?.map(|consent| Terms { expires_at: consent.expires_at, purpose: consent.purpose })
            }
            None => {
                engine.consent().get_emergency_access(patient, &principal)?.map(|access| Terms { expires_at: Some(access.expires_at), purpose: access.reason })
            }
        };
        current.extend(terms.map(|terms| ((provider, data_type), terms)));
    }
    let consents = consents(&text, &trail, &current, height.into(), clock);
    Ok(bundle(consents.into_iter().map(|consent| Resource::Consent(Box::new(consent))).collect(), height, clock))
}

/// One `AuditEvent` per consent audit entry of the patient and per access-log
/// entry of their records, at blocks within `blocks`, in block order.
pub fn audit_bundle<S>(engine: &Engine<S>, patient: &Principal, blocks: RangeInclusive<u128>, clock: &Clock) -> Result<Bundle, FhirError> {
    let text = registered(engine, patient)?;
    let records = engine.records();
    let mut record_ids = std::collections::BTreeSet::new();
    for index in 0..records.get_record_count(patient)? {
        record_ids.extend(records.get_patient_record_id(patient, index)?);
    }
    let mut accesses = Vec::new();
    // Log ids count up from 1; the log is read whole, as no index by record exists.
    for log_id in 1..=records.get_stats()?.total_access_log_entries {
        if let Some(entry) = records.get_access_log_entry(log_id)? {
            if record_ids.contains(&entry.record_id) && blocks.contains(&entry.block) {
                accesses.push(AccessRecord {
                    log_id,
                    record_id: entry.record_id,
                    accessor: principal_to_string(&entry.accessor),
                    action: entry.action,
                    block: entry.block,
                    emergency: entry.emergency,
                });
            }
        }
    }
    let trail: Vec<AuditRecord> = trail(engine, patient)?.into_iter().filter(|entry| blocks.contains(&entry.block)).collect();
    let mut events: Vec<(u128, AuditEvent)> = Vec::new();
    events.extend(trail.iter().map(|entry| entry.block).zip(consent_events(&text, &trail, clock)));
    events.extend(accesses.iter().map(|access| access.block).zip(record_events(&text, &accesses, clock)));
    // Stable: within a block, the consent trail first, each source in its order.
    events.sort_by_key(|(block, _)| *block);
    let height = engine.committed_block_height();
    Ok(bundle(events.into_iter().map(|(_, event)| Resource::AuditEvent(Box::new(event))).collect(), height, clock))
}
