//! Every access to a patient's records (the records contract's access log) and
//! every entry of their consent audit trail, as FHIR `AuditEvent` resources.

use clarimed_consent::codes::AuditAction;
use clarimed_records::codes::LogAction;

use crate::clock::Clock;
use crate::consent::AuditRecord;
use crate::model::{Agent, AuditEvent, Coding, Entity, Identifier, Reference, Source};
use crate::principal_reference;

/// The identifier system of record ids: `Identifier.value` is the record's id.
pub const RECORD_SYSTEM: &str = "https://clarimed.dev/fhir/sid/record-id";
/// The code system of access-log actions (`READ`, `CREATE`, `UPDATE`, `ROLLBACK`,
/// `ARCHIVE`, `PURGE`).
pub const RECORD_ACTION_SYSTEM: &str = "https://clarimed.dev/fhir/CodeSystem/record-action";
/// The code system of consent audit actions (`REGISTER`, `GRANT`, `REVOKE`,
/// `EMERGENCY-OVERRIDE`, `EMERGENCY-REVOKED`, `PREFERENCES`, `PROFILE`, `DECEASED`).
pub const CONSENT_ACTION_SYSTEM: &str = "https://clarimed.dev/fhir/CodeSystem/consent-action";

/// One entry of the records contract's access log, for one of the patient's
/// records (`get-access-log-entry`), principals as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// The log entry's id.
    pub log_id: u128,
    /// The record accessed.
    pub record_id: u128,
    /// Who accessed it.
    pub accessor: String,
    /// The contract's action code.
    pub action: u128,
    /// The block it happened at.
    pub block: u128,
    /// Whether it was under an emergency override.
    pub emergency: bool,
}

/// The FHIR action (C, R, U, D, E) of an access-log action.
fn record_action(action: u128) -> &'static str {
    match LogAction::from_code(action) {
        Some(LogAction::Read) => "R",
        Some(LogAction::Create) => "C",
        Some(LogAction::Update | LogAction::Rollback | LogAction::Archive) => "U",
        Some(LogAction::Purge) => "D",
        None => "E",
    }
}

/// The FHIR action of a consent audit action.
fn consent_action(action: u128) -> &'static str {
    match AuditAction::from_code(action) {
        Some(AuditAction::Register | AuditAction::Grant) => "C",
        Some(AuditAction::Revoke | AuditAction::EmergencyRevoked) => "D",
        Some(AuditAction::Preferences | AuditAction::Profile | AuditAction::Deceased) => "U",
        Some(AuditAction::EmergencyOverride) | None => "E",
    }
}

fn patient_entity(patient: &str) -> Entity {
    Entity {
        what: principal_reference(patient, "Patient"),
        kind: Coding::new("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
        role: Coding::new("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
    }
}

/// What an event records, from either contract.
struct Happened<'a> {
    id: String,
    subtype: Coding,
    action: &'static str,
    block: u128,
    agent: &'a str,
    emergency: bool,
    entity: Vec<Entity>,
    contract: &'static str,
}

fn event(happened: Happened, clock: &Clock) -> AuditEvent {
    AuditEvent {
        resource_type: "AuditEvent",
        id: happened.id,
        kind: Coding::new("http://dicom.nema.org/resources/ontology/DCM", "110110", "Patient Record"),
        subtype: vec![happened.subtype],
        action: happened.action,
        recorded: clock.instant(happened.block).unwrap_or_default(),
        outcome: "0",
        purpose_of_event: if happened.emergency {
            vec![Coding::new("http://terminology.hl7.org/CodeSystem/v3-ActReason", "ETREAT", "Emergency Treatment").into()]
        } else {
            Vec::new()
        },
        agent: vec![Agent { who: principal_reference(happened.agent, "Practitioner"), requestor: true }],
        source: Source {
            observer: Reference { identifier: None, kind: Some("Device".to_string()), display: Some(format!("clarimed: the {} contract", happened.contract)) },
            kind: vec![Coding::new("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
        },
        entity: happened.entity,
    }
}

/// An `AuditEvent` for each access-log entry of the patient's records.
pub fn record_events(patient: &str, accesses: &[AccessRecord], clock: &Clock) -> Vec<AuditEvent> {
    accesses
        .iter()
        .map(|access| {
            let name = LogAction::from_code(access.action).map_or("UNKNOWN", LogAction::name);
            let record = Entity {
                what: Reference {
                    identifier: Some(Identifier { system: RECORD_SYSTEM.to_string(), value: access.record_id.to_string() }),
                    kind: None,
                    display: None,
                },
                kind: Coding::new("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
                role: Coding::new("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource"),
            };
            let subtype = Coding { system: RECORD_ACTION_SYSTEM.to_string(), code: name.to_string(), display: None };
            let happened = Happened {
                id: format!("access-{}", access.log_id),
                subtype,
                action: record_action(access.action),
                block: access.block,
                agent: &access.accessor,
                emergency: access.emergency,
                entity: vec![patient_entity(patient), record],
                contract: "record-management",
            };
            event(happened, clock)
        })
        .collect()
}

/// An `AuditEvent` for each entry of the patient's consent audit trail.
pub fn consent_events(patient: &str, trail: &[AuditRecord], clock: &Clock) -> Vec<AuditEvent> {
    trail
        .iter()
        .map(|entry| {
            let name = AuditAction::from_code(entry.action).map_or("UNKNOWN", AuditAction::name);
            let subtype = Coding { system: CONSENT_ACTION_SYSTEM.to_string(), code: name.to_string(), display: None };
            let emergency = AuditAction::from_code(entry.action) == Some(AuditAction::EmergencyOverride);
            let happened = Happened {
                id: format!("audit-{}", entry.seq),
                subtype,
                action: consent_action(entry.action),
                block: entry.block,
                agent: &entry.actor,
                emergency,
                entity: vec![patient_entity(patient)],
                contract: "patient-consent",
            };
            event(happened, clock)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_under_an_emergency_is_an_r_event_for_emergency_treatment_about_the_patient_and_the_record() {
        let access = AccessRecord { log_id: 7, record_id: 3, accessor: "STER".to_string(), action: LogAction::Read.code(), block: 12, emergency: true };
        let events = record_events("STPATIENT", &[access], &Clock::default());
        let event = &events[0];
        assert_eq!((event.action, event.subtype[0].code.as_str(), event.id.as_str()), ("R", "READ", "access-7"));
        assert_eq!(event.purpose_of_event[0].coding[0].code, "ETREAT");
        assert_eq!(event.entity.len(), 2);
        assert_eq!(event.entity[1].what.identifier.as_ref().map(|id| id.value.as_str()), Some("3"));
        assert_eq!(event.recorded, Clock::default().instant(12).unwrap());
    }

    #[test]
    fn every_access_and_consent_action_has_a_fhir_action() {
        let actions: Vec<&str> = LogAction::ALL.iter().map(|a| record_action(a.code())).collect();
        assert_eq!(actions, ["R", "C", "U", "U", "U", "D"]);
        let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| consent_action(a.code())).collect();
        assert_eq!(actions, ["C", "C", "D", "E", "D", "U", "U", "U"]);
    }
}
