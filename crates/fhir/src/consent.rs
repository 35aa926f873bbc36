//! A patient's consents as FHIR `Consent` resources, rebuilt from their audit
//! trail: each grant of a data type to a provider opens a consent, which a revoke
//! or a new grant of the same pair closes; each emergency override opens one that
//! its revocation closes. Consents still open take their expiry (and purpose)
//! from the contract's current state, given by (provider, data type), the data
//! type `None` for an emergency override; closed ones take their purpose from what
//! the engine kept as they closed (`Engine::closed_consent_purpose`).

use std::collections::BTreeMap;

use clarimed_consent::codes::{AuditAction, DataType};

use clarimed_engine::Principal;

use crate::clock::Clock;
use crate::ids::{self, Source};
use crate::model::{CodeableConcept, Coding, Consent, Period, Provision, ProvisionActor};
use crate::{principal_reference, DATA_TYPE_SYSTEM};

/// One entry of the patient's audit trail (`get-audit-entry`), principals as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its place in the trail, from 0.
    pub seq: u128,
    /// The contract's action code.
    pub action: u128,
    /// Who acted.
    pub actor: String,
    /// The provider the action concerned, if any.
    pub provider: Option<String>,
    /// The data type it concerned, if any.
    pub data_type: Option<u128>,
    /// The block it happened at.
    pub block: u128,
}

/// What the contract holds now for a consent that is still open (`get-consent`,
/// `get-emergency-access`): its expiry, and its purpose or reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The block it expires at, if it does.
    pub expires_at: Option<u128>,
    /// The purpose (a consent) or reason (an emergency override).
    pub purpose: String,
}

/// A consent as the trail shows it: to whom, for what, from when to when.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Episode {
    /// The audit entry that opened it.
    seq: u128,
    provider: String,
    /// `None`: an emergency override.
    data_type: Option<u128>,
    granted_at: u128,
    closed_at: Option<u128>,
}

/// The (provider, data type) pairs whose terms [`consents`] needs: those of the
/// consents the trail leaves open.
pub fn open_pairs(trail: &[AuditRecord]) -> Vec<(String, Option<u128>)> {
    episodes(trail).into_iter().filter(|episode| episode.closed_at.is_none()).map(|episode| (episode.provider, episode.data_type)).collect()
}

fn episodes(trail: &[AuditRecord]) -> Vec<Episode> {
    let mut episodes: Vec<Episode> = Vec::new();
    let mut open: BTreeMap<(String, Option<u128>), usize> = BTreeMap::new();
    for entry in trail {
        let Some(provider) = entry.provider.clone() else { continue };
        let (opens, data_type) = match AuditAction::from_code(entry.action) {
            Some(AuditAction::Grant) => (true, entry.data_type),
            Some(AuditAction::Revoke) => (false, entry.data_type),
            Some(AuditAction::EmergencyOverride) => (true, None),
            Some(AuditAction::EmergencyRevoked) => (false, None),
            _ => continue,
        };
        if let Some(index) = open.remove(&(provider.clone(), data_type)) {
            episodes[index].closed_at = Some(entry.block);
        }
        if opens {
            open.insert((provider.clone(), data_type), episodes.len());
            episodes.push(Episode { seq: entry.seq, provider, data_type, granted_at: entry.block, closed_at: None });
        }
    }
    episodes
}

/// A consent the trail closes, by what the engine keeps its purpose under: the
/// provider, the data type and the block it was granted at.
pub type ClosedGrant = (String, u128, u128);

/// The consents whose purposes [`consents`] needs: those the trail closes (the
/// open ones' purposes are in the contract).
pub fn closed_grants(trail: &[AuditRecord]) -> Vec<ClosedGrant> {
    episodes(trail)
        .into_iter()
        .filter(|episode| episode.closed_at.is_some())
        .filter_map(|episode| episode.data_type.map(|data_type| (episode.provider, data_type, episode.granted_at)))
        .collect()
}

/// The patient's consents at block `height`. `current` holds the terms the
/// contract has for the pairs of [`open_pairs`] it still grants; `past` the
/// purposes of [`closed_grants`], where known.
pub fn consents(
    patient: &Principal,
    trail: &[AuditRecord],
    current: &BTreeMap<(String, Option<u128>), Terms>,
    past: &BTreeMap<ClosedGrant, String>,
    height: u128,
    clock: &Clock,
) -> Vec<Consent> {
    let text = clarimed_engine::principal_to_string(patient);
    episodes(trail)
        .into_iter()
        .map(|episode| {
            let terms = episode.closed_at.is_none().then(|| current.get(&(episode.provider.clone(), episode.data_type))).flatten();
            let end = episode.closed_at.or(terms.as_ref().and_then(|terms| terms.expires_at));
            let active = episode.closed_at.is_none() && terms.is_some() && end.is_none_or(|end| end > height);
            let closed = episode.data_type.map(|data_type| (episode.provider.clone(), data_type, episode.granted_at));
            let granted_for = terms.map(|terms| &terms.purpose).or_else(|| closed.and_then(|closed| past.get(&closed)));
            let purpose = match (granted_for, episode.data_type) {
                (_, None) => vec![Coding::new("http://terminology.hl7.org/CodeSystem/v3-ActReason", "ETREAT", "Emergency Treatment")],
                (Some(purpose), Some(_)) if !purpose.is_empty() => {
                    vec![Coding { system: PURPOSE_SYSTEM.to_string(), code: purpose.clone(), display: None }]
                }
                _ => Vec::new(),
            };
            Consent {
                resource_type: "Consent",
                id: ids::id(Source::Consent(episode.seq), patient),
                status: if active { "active" } else { "inactive" },
                scope: Coding::new("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent").into(),
                category: vec![Coding::new("http://loinc.org", "59284-0", "Patient Consent").into()],
                patient: principal_reference(&text, "Patient"),
                date_time: clock.instant(episode.granted_at).unwrap_or_default(),
                performer: vec![principal_reference(&text, "Patient")],
                policy_rule: Coding::new("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in").into(),
                provision: Provision {
                    kind: "permit",
                    period: Period { start: clock.instant(episode.granted_at), end: end.and_then(|end| clock.instant(end)) },
                    actor: vec![ProvisionActor {
                        role: Coding::new("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient").into(),
                        reference: principal_reference(&episode.provider, "Practitioner"),
                    }],
                    purpose,
                    code: episode.data_type.into_iter().map(data_type_concept).collect(),
                },
            }
        })
        .collect()
}

/// The code system of the purposes patients grant consent for: the code is the
/// purpose as the patient wrote it.
pub const PURPOSE_SYSTEM: &str = "https://clarimed.dev/fhir/CodeSystem/purpose";

/// A data type as a concept of [`DATA_TYPE_SYSTEM`].
pub fn data_type_concept(code: u128) -> CodeableConcept {
    let name = DataType::from_code(code).map_or_else(|| format!("DATA-TYPE-{code}"), |data_type| data_type.name().to_string());
    CodeableConcept { coding: vec![Coding { system: DATA_TYPE_SYSTEM.to_string(), code: name, display: None }], text: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";

    fn patient() -> Principal {
        clarimed_engine::parse_principal(PATIENT).unwrap()
    }

    fn none_past() -> BTreeMap<ClosedGrant, String> {
        BTreeMap::new()
    }

    fn entry(seq: u128, action: AuditAction, provider: &str, data_type: Option<DataType>, block: u128) -> AuditRecord {
        AuditRecord {
            seq,
            action: action.code(),
            actor: "STPATIENT".to_string(),
            provider: Some(provider.to_string()),
            data_type: data_type.map(DataType::code),
            block,
        }
    }

    fn terms(expires_at: Option<u128>, purpose: &str) -> Terms {
        Terms { expires_at, purpose: purpose.to_string() }
    }

    fn current(pairs: &[(&str, Option<DataType>, Terms)]) -> BTreeMap<(String, Option<u128>), Terms> {
        pairs.iter().map(|(provider, data_type, terms)| ((provider.to_string(), data_type.map(DataType::code)), terms.clone())).collect()
    }

    #[test]
    fn a_grant_still_held_is_active_and_a_revoked_one_inactive_with_the_revocation_as_its_end() {
        let trail = [
            entry(1, AuditAction::Grant, "STDOC", Some(DataType::LabResults), 10),
            entry(2, AuditAction::Grant, "STDOC", Some(DataType::BasicInfo), 11),
            entry(3, AuditAction::Revoke, "STDOC", Some(DataType::BasicInfo), 20),
        ];
        assert_eq!(open_pairs(&trail), vec![("STDOC".to_string(), Some(DataType::LabResults.code()))]);
        let current = current(&[("STDOC", Some(DataType::LabResults), terms(None, "labs"))]);
        let consents = consents(&patient(), &trail, &current, &none_past(), 30, &Clock::default());
        assert_eq!(consents.len(), 2);
        assert_eq!((consents[0].status, &consents[0].provision.period.end), ("active", &None));
        assert_eq!(consents[0].provision.code, vec![data_type_concept(DataType::LabResults.code())]);
        assert_eq!(consents[1].status, "inactive");
        assert_eq!(consents[1].provision.period.end, Clock::default().instant(20));
        assert_eq!((consents[0].id.clone(), consents[1].id.clone()), (format!("c1-{PATIENT}"), format!("c2-{PATIENT}")));
    }

    #[test]
    fn a_closed_consent_keeps_the_purpose_it_was_granted_for() {
        let trail =
            [entry(4, AuditAction::Grant, "STDOC", Some(DataType::BasicInfo), 11), entry(5, AuditAction::Revoke, "STDOC", Some(DataType::BasicInfo), 20)];
        let closed = ("STDOC".to_string(), DataType::BasicInfo.code(), 11);
        assert_eq!(closed_grants(&trail), vec![closed.clone()]);
        let past = BTreeMap::from([(closed, "billing".to_string())]);
        let consents = consents(&patient(), &trail, &BTreeMap::new(), &past, 30, &Clock::default());
        assert_eq!(consents[0].status, "inactive");
        assert_eq!(consents[0].provision.purpose, vec![Coding { system: PURPOSE_SYSTEM.to_string(), code: "billing".to_string(), display: None }]);
    }

    #[test]
    fn a_consent_past_its_expiry_is_inactive_and_ends_at_it() {
        let trail = [entry(1, AuditAction::Grant, "STDOC", Some(DataType::LabResults), 10)];
        let current = current(&[("STDOC", Some(DataType::LabResults), terms(Some(25), "labs"))]);
        let before = consents(&patient(), &trail, &current, &none_past(), 24, &Clock::default());
        let after = consents(&patient(), &trail, &current, &none_past(), 25, &Clock::default());
        assert_eq!((before[0].status, after[0].status), ("active", "inactive"));
        assert_eq!(after[0].provision.period.end, Clock::default().instant(25));
    }

    #[test]
    fn an_emergency_override_is_a_consent_for_emergency_treatment_over_its_window() {
        let trail = [entry(1, AuditAction::EmergencyOverride, "STER", None, 40)];
        let current = current(&[("STER", None, terms(Some(472), "trauma"))]);
        let consents = consents(&patient(), &trail, &current, &none_past(), 100, &Clock::default());
        assert_eq!(consents[0].status, "active");
        assert_eq!(consents[0].provision.purpose[0].code, "ETREAT");
        assert_eq!(consents[0].provision.period.start, Clock::default().instant(40));
        assert_eq!(consents[0].provision.period.end, Clock::default().instant(472));
        assert!(consents[0].provision.code.is_empty());
    }

    #[test]
    fn a_grant_again_closes_the_consent_it_replaces() {
        let trail =
            [entry(1, AuditAction::Grant, "STDOC", Some(DataType::LabResults), 10), entry(2, AuditAction::Grant, "STDOC", Some(DataType::LabResults), 15)];
        let current = current(&[("STDOC", Some(DataType::LabResults), terms(None, "labs"))]);
        let consents = consents(&patient(), &trail, &current, &none_past(), 20, &Clock::default());
        assert_eq!((consents[0].status, consents[1].status), ("inactive", "active"));
        assert_eq!(consents[0].provision.period.end, Clock::default().instant(15));
    }
}
