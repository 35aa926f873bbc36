//! Every access to a patient's records (the records contract's access log) and
//! every entry of their consent audit trail, as FHIR `AuditEvent` resources.

use clarimed_consent::codes::AuditAction;
use clarimed_engine::{principal_to_string, Principal};
use clarimed_records::codes::LogAction;

use crate::clock::Clock;
use crate::consent::AuditRecord;
use crate::ids::{self, Source as IdSource};
use crate::model::{Agent, AuditEvent, Coding, Entity, Identifier, Reference, Source};
use crate::principal_reference;

/// FHIR's codes of RESTful interactions, which fit the record actions that are
/// one (`read`, `create`, `update`, `delete`).
pub const RESTFUL_INTERACTION_SYSTEM: &str = "http://hl7.org/fhir/restful-interaction";

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

/// The RESTful interaction an access-log action is, where it is one: a rollback
/// and an archive change a record as no plain interaction does.
fn restful_interaction(action: u128) -> Option<&'static str> {
    match LogAction::from_code(action)? {
        LogAction::Read => Some("read"),
        LogAction::Create => Some("create"),
        LogAction::Update => Some("update"),
        LogAction::Purge => Some("delete"),
        LogAction::Rollback | LogAction::Archive => None,
    }
}

/// What a principal acts as, for the reference to it: the patient as `Patient`,
/// the owner of the contract that recorded the event as `Organization` (whoever
/// runs the deployment), anyone else (a provider, a responder, a physician) as
/// `Practitioner`.
pub fn acting_as(actor: &str, patient: &str, owner: &str) -> &'static str {
    if actor == patient {
        "Patient"
    } else if actor == owner {
        "Organization"
    } else {
        "Practitioner"
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
    subtype: Vec<Coding>,
    action: &'static str,
    block: u128,
    agent: &'a str,
    /// What the agent acts as ([`acting_as`]).
    agent_kind: &'static str,
    emergency: bool,
    entity: Vec<Entity>,
    contract: &'static str,
}

fn event(happened: Happened, clock: &Clock) -> AuditEvent {
    AuditEvent {
        resource_type: "AuditEvent",
        id: happened.id,
        kind: Coding::new("http://dicom.nema.org/resources/ontology/DCM", "110110", "Patient Record"),
        subtype: happened.subtype,
        action: happened.action,
        recorded: clock.instant(happened.block).unwrap_or_default(),
        outcome: "0",
        purpose_of_event: if happened.emergency {
            vec![Coding::new("http://terminology.hl7.org/CodeSystem/v3-ActReason", "ETREAT", "Emergency Treatment").into()]
        } else {
            Vec::new()
        },
        agent: vec![Agent { who: principal_reference(happened.agent, happened.agent_kind), requestor: true }],
        source: Source {
            observer: Reference { identifier: None, kind: Some("Device".to_string()), display: Some(format!("clarimed: the {} contract", happened.contract)) },
            kind: vec![Coding::new("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
        },
        entity: happened.entity,
    }
}

/// An `AuditEvent` for each access-log entry of the patient's records;
/// `owner` owns `record-management`.
pub fn record_events(patient: &Principal, accesses: &[AccessRecord], owner: &str, clock: &Clock) -> Vec<AuditEvent> {
    let text = principal_to_string(patient);
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
            // The standard code first, where one fits; ours always, as only it
            // tells a rollback from an archive.
            let standard = restful_interaction(access.action).map(|code| Coding::new(RESTFUL_INTERACTION_SYSTEM, code, code));
            let ours = Coding { system: RECORD_ACTION_SYSTEM.to_string(), code: name.to_string(), display: None };
            let happened = Happened {
                id: ids::id(IdSource::Access(access.log_id), patient),
                subtype: standard.into_iter().chain([ours]).collect(),
                action: record_action(access.action),
                block: access.block,
                agent: &access.accessor,
                agent_kind: acting_as(&access.accessor, &text, owner),
                emergency: access.emergency,
                entity: vec![patient_entity(&text), record],
                contract: "record-management",
            };
            event(happened, clock)
        })
        .collect()
}

/// An `AuditEvent` for each entry of the patient's consent audit trail;
/// `owner` owns `patient-consent`.
pub fn consent_events(patient: &Principal, trail: &[AuditRecord], owner: &str, clock: &Clock) -> Vec<AuditEvent> {
    let text = principal_to_string(patient);
    trail
        .iter()
        .map(|entry| {
            let name = AuditAction::from_code(entry.action).map_or("UNKNOWN", AuditAction::name);
            let subtype = Coding { system: CONSENT_ACTION_SYSTEM.to_string(), code: name.to_string(), display: None };
            let emergency = AuditAction::from_code(entry.action) == Some(AuditAction::EmergencyOverride);
            let happened = Happened {
                id: ids::id(IdSource::Trail(entry.seq), patient),
                subtype: vec![subtype],
                action: consent_action(entry.action),
                block: entry.block,
                agent: &entry.actor,
                agent_kind: acting_as(&entry.actor, &text, owner),
                emergency,
                entity: vec![patient_entity(&text)],
                contract: "patient-consent",
            };
            event(happened, clock)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";
    const OWNER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    const RESPONDER: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";

    #[test]
    fn a_read_under_an_emergency_is_an_r_event_for_emergency_treatment_about_the_patient_and_the_record() {
        let patient = clarimed_engine::parse_principal(PATIENT).unwrap();
        let access = AccessRecord { log_id: 7, record_id: 3, accessor: RESPONDER.to_string(), action: LogAction::Read.code(), block: 12, emergency: true };
        let events = record_events(&patient, &[access], OWNER, &Clock::default());
        let event = &events[0];
        assert_eq!((event.action, event.id.clone()), ("R", format!("a7-{PATIENT}")));
        let subtypes: Vec<(&str, &str)> = event.subtype.iter().map(|c| (c.system.as_str(), c.code.as_str())).collect();
        assert_eq!(subtypes, [(RESTFUL_INTERACTION_SYSTEM, "read"), (RECORD_ACTION_SYSTEM, "READ")]);
        assert_eq!(event.agent[0].who.kind.as_deref(), Some("Practitioner"));
        assert_eq!(event.purpose_of_event[0].coding[0].code, "ETREAT");
        assert_eq!(event.entity.len(), 2);
        assert_eq!(event.entity[1].what.identifier.as_ref().map(|id| id.value.as_str()), Some("3"));
        assert_eq!(event.recorded, Clock::default().instant(12).unwrap());
    }

    #[test]
    fn an_agent_is_referred_to_as_what_it_acts_as() {
        assert_eq!(acting_as(PATIENT, PATIENT, OWNER), "Patient");
        assert_eq!(acting_as(OWNER, PATIENT, OWNER), "Organization");
        assert_eq!(acting_as(RESPONDER, PATIENT, OWNER), "Practitioner");
        let patient = clarimed_engine::parse_principal(PATIENT).unwrap();
        let register = AuditRecord { seq: 0, action: AuditAction::Register.code(), actor: PATIENT.to_string(), provider: None, data_type: None, block: 1 };
        let events = consent_events(&patient, &[register], OWNER, &Clock::default());
        assert_eq!(events[0].agent[0].who.kind.as_deref(), Some("Patient"), "the patient registered themself");
        assert_eq!(events[0].entity[0].what.kind.as_deref(), Some("Patient"));
    }

    #[test]
    fn only_rollback_and_archive_have_no_restful_interaction() {
        let codes: Vec<Option<&str>> = LogAction::ALL.iter().map(|a| restful_interaction(a.code())).collect();
        assert_eq!(codes, [Some("read"), Some("create"), Some("update"), None, None, Some("delete")]);
    }

    #[test]
    fn every_access_and_consent_action_has_a_fhir_action() {
        let actions: Vec<&str> = LogAction::ALL.iter().map(|a| record_action(a.code())).collect();
        assert_eq!(actions, ["R", "C", "U", "U", "U", "D"]);
        let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| consent_action(a.code())).collect();
        assert_eq!(actions, ["C", "C", "D", "E", "D", "U", "U", "U"]);
    }
}
