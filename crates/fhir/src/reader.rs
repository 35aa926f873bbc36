//! What the FHIR resources are made from, read from the engine's committed state
//! one entry at a time: a patient's consent audit trail, their records, the access
//! log, the contracts' owners, and the patient's consents.

use std::collections::{BTreeMap, BTreeSet};

use clarimed_engine::{parse_principal, principal_to_string, Engine, Principal};

use crate::audit::{consent_events, record_events, AccessRecord};
use crate::bundle::FhirError;
use crate::clock::Clock;
use crate::consent::{closed_grants, consents, open_pairs, AuditRecord, Terms};
use crate::model::{AuditEvent, Consent};
use crate::stream::Event;

/// One patient's side of the state.
pub struct PatientReader<'e, S> {
    engine: &'e Engine<S>,
    patient: Principal,
    text: String,
}

impl<'e, S> PatientReader<'e, S> {
    /// The reader of `patient`, who must be registered.
    pub fn new(engine: &'e Engine<S>, patient: &Principal) -> Result<PatientReader<'e, S>, FhirError> {
        let text = principal_to_string(patient);
        match engine.consent().get_patient(patient)? {
            Some(_) => Ok(PatientReader { engine, patient: patient.clone(), text }),
            None => Err(FhirError::UnknownPatient(text)),
        }
    }

    /// The patient.
    pub fn patient(&self) -> &Principal {
        &self.patient
    }

    /// How many entries the patient's audit trail holds.
    pub fn trail_len(&self) -> Result<u128, FhirError> {
        Ok(self.engine.consent().get_audit_count(&self.patient)?)
    }

    /// Entry `seq` of the patient's audit trail.
    pub fn trail_entry(&self, seq: u128) -> Result<Option<AuditRecord>, FhirError> {
        Ok(self.engine.consent().get_audit_entry(&self.patient, seq)?.map(|entry| AuditRecord {
            seq,
            action: entry.action,
            actor: principal_to_string(&entry.actor),
            provider: entry.provider.as_ref().map(principal_to_string),
            data_type: entry.data_type,
            block: entry.block,
        }))
    }

    /// The whole trail, oldest first.
    pub fn trail(&self) -> Result<Vec<AuditRecord>, FhirError> {
        let mut trail = Vec::new();
        for seq in 0..self.trail_len()? {
            trail.extend(self.trail_entry(seq)?);
        }
        Ok(trail)
    }

    /// The ids of the patient's records, purged ones included (their index
    /// entries stay).
    pub fn record_ids(&self) -> Result<BTreeSet<u128>, FhirError> {
        let records = self.engine.records();
        let mut ids = BTreeSet::new();
        for index in 0..records.get_record_count(&self.patient)? {
            ids.extend(records.get_patient_record_id(&self.patient, index)?);
        }
        Ok(ids)
    }

    /// How many access-log entries `record` has.
    pub fn access_count(&self, record: u128) -> Result<u128, FhirError> {
        Ok(self.engine.records().get_record_access_count(record)?)
    }

    /// How many entries the whole access log holds (all patients'): log ids are
    /// 1 to this.
    pub fn log_len(&self) -> Result<u128, FhirError> {
        Ok(self.engine.records().get_stats()?.total_access_log_entries)
    }

    /// Access-log entry `log_id`, whoever's record it is.
    pub fn access(&self, log_id: u128) -> Result<Option<AccessRecord>, FhirError> {
        Ok(self.engine.records().get_access_log_entry(log_id)?.map(|entry| AccessRecord {
            log_id,
            record_id: entry.record_id,
            accessor: principal_to_string(&entry.accessor),
            action: entry.action,
            block: entry.block,
            emergency: entry.emergency,
        }))
    }

    /// Stream events as `AuditEvent`s, in their order.
    pub fn audit_events(&self, events: &[Event], clock: &Clock) -> Result<Vec<AuditEvent>, FhirError> {
        let consent_owner = principal_to_string(&self.engine.consent().get_contract_owner()?);
        let records_owner = principal_to_string(&self.engine.records().get_contract_owner()?);
        Ok(events
            .iter()
            .flat_map(|event| match event {
                Event::Trail(entry) => consent_events(&self.patient, std::slice::from_ref(entry), &consent_owner, clock),
                Event::Access(access) => record_events(&self.patient, std::slice::from_ref(access), &records_owner, clock),
            })
            .collect())
    }

    /// The patient's consents as of the committed state, in the order they were
    /// given.
    pub fn consents(&self, clock: &Clock) -> Result<Vec<Consent>, FhirError> {
        let trail = self.trail()?;
        let mut current = BTreeMap::new();
        for (provider, data_type) in open_pairs(&trail) {
            let principal = parse_principal(&provider)?;
            let consent = self.engine.consent();
            let terms = match data_type {
                Some(data_type) => {
                    consent.get_consent(&self.patient, &principal, data_type)?.map(|held| Terms { expires_at: held.expires_at, purpose: held.purpose })
                }
                None => consent.get_emergency_access(&self.patient, &principal)?.map(|held| Terms { expires_at: Some(held.expires_at), purpose: held.reason }),
            };
            current.extend(terms.map(|terms| ((provider, data_type), terms)));
        }
        let mut past = BTreeMap::new();
        for (provider, data_type, granted_at) in closed_grants(&trail) {
            let purpose = self.engine.closed_consent_purpose(&self.patient, &parse_principal(&provider)?, data_type, granted_at)?;
            past.extend(purpose.map(|purpose| ((provider, data_type, granted_at), purpose)));
        }
        Ok(consents(&self.patient, &trail, &current, &past, self.engine.committed_block_height().into(), clock))
    }

    /// The patient as Clarity writes it.
    pub fn text(&self) -> &str {
        &self.text
    }
}
