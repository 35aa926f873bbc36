//! Serde types for just the FHIR R4 (4.0.1) resources and data types clarimed
//! writes, with only the elements it fills. Names follow the specification's JSON.

use serde::Serialize;

/// `Coding`: a code in a code system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coding {
    /// The code system's URI.
    pub system: String,
    /// The code.
    pub code: String,
    /// The code's meaning for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    /// A coding with a display.
    pub fn new(system: &str, code: &str, display: &str) -> Coding {
        Coding { system: system.to_string(), code: code.to_string(), display: Some(display.to_string()) }
    }
}

/// `CodeableConcept`: one or more codings of one concept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeableConcept {
    /// The codings.
    pub coding: Vec<Coding>,
    /// The concept in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl From<Coding> for CodeableConcept {
    fn from(coding: Coding) -> CodeableConcept {
        CodeableConcept { coding: vec![coding], text: None }
    }
}

/// `Identifier`: a value in an identifier system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identifier {
    /// The identifier system's URI.
    pub system: String,
    /// The value.
    pub value: String,
}

/// `Reference`: to a resource by identifier (clarimed refers to principals and
/// records, which have no FHIR resource of their own here).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// The referred-to thing's identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// The kind of resource it would be (`Patient`, `Practitioner`, …).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A name for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `Period`: a start and an optional end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// When it began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// When it ended or ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `Bundle`: of type `collection` (what `clarimed fhir` prints) or `searchset`
/// (what a search answers).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Always `Bundle`.
    pub resource_type: &'static str,
    /// `collection` or `searchset`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When the bundle was assembled, as the chain's time of its tip.
    pub timestamp: String,
    /// How many resources match the search, on every page (FHIR allows it on a
    /// `searchset` or `history` Bundle only: bdl-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// A search's `self` link and, when there are more, its `next` page.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    /// The resources.
    pub entry: Vec<BundleEntry>,
}

/// `Bundle.link`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleLink {
    /// `self` or `next`.
    pub relation: &'static str,
    /// The URL.
    pub url: String,
}

/// One resource of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// The resource's URL (a search) or a URN naming it within the bundle.
    pub full_url: String,
    /// The resource.
    pub resource: Resource,
    /// In a search: why it is here (`match`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<EntrySearch>,
}

/// `Bundle.entry.search`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntrySearch {
    /// `match`: it matched the search.
    pub mode: &'static str,
}

/// The resources a bundle holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Resource {
    /// A consent.
    Consent(Box<Consent>),
    /// An audited event.
    AuditEvent(Box<AuditEvent>),
}

impl Resource {
    /// `{type}/{id}`.
    pub fn reference(&self) -> String {
        match self {
            Resource::Consent(consent) => format!("Consent/{}", consent.id),
            Resource::AuditEvent(event) => format!("AuditEvent/{}", event.id),
        }
    }
}

/// `Consent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// Always `Consent`.
    pub resource_type: &'static str,
    /// A stable id that reads it back (`ids`).
    pub id: String,
    /// `active`, or `inactive` once revoked or expired.
    pub status: &'static str,
    /// `patient-privacy`.
    pub scope: CodeableConcept,
    /// What kind of consent.
    pub category: Vec<CodeableConcept>,
    /// The patient.
    pub patient: Reference,
    /// When it was given.
    pub date_time: String,
    /// Who gave it: the patient.
    pub performer: Vec<Reference>,
    /// The policy it is given under (FHIR requires a policy or a policy rule).
    pub policy_rule: CodeableConcept,
    /// What it permits, to whom, for how long, for which data.
    pub provision: Provision,
}

/// `Consent.provision`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provision {
    /// `permit`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// From the grant to its expiry or revocation.
    pub period: Period,
    /// Who is permitted.
    pub actor: Vec<ProvisionActor>,
    /// Why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purpose: Vec<Coding>,
    /// The data it covers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<CodeableConcept>,
}

/// `Consent.provision.actor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionActor {
    /// The actor's role.
    pub role: CodeableConcept,
    /// The actor.
    pub reference: Reference,
}

/// `AuditEvent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Always `AuditEvent`.
    pub resource_type: &'static str,
    /// A stable id that reads it back (`ids`).
    pub id: String,
    /// The kind of event.
    #[serde(rename = "type")]
    pub kind: Coding,
    /// The event more precisely.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subtype: Vec<Coding>,
    /// `C`, `R`, `U`, `D` or `E`.
    pub action: &'static str,
    /// When it was recorded.
    pub recorded: String,
    /// `0`: success.
    pub outcome: &'static str,
    /// Why, when it was not an ordinary use (an emergency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_event: Vec<CodeableConcept>,
    /// Who acted.
    pub agent: Vec<Agent>,
    /// What recorded it.
    pub source: Source,
    /// What it was about.
    pub entity: Vec<Entity>,
}

/// `AuditEvent.agent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    /// The agent.
    pub who: Reference,
    /// Whether it asked for the event.
    pub requestor: bool,
}

/// `AuditEvent.source`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// The system that recorded it.
    pub observer: Reference,
    /// What kind of system.
    #[serde(rename = "type")]
    pub kind: Vec<Coding>,
}

/// `AuditEvent.entity`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    /// The thing.
    pub what: Reference,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: Coding,
    /// Its role in the event.
    pub role: Coding,
}

/// `OperationOutcome`: why a request was refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    /// Always `OperationOutcome`.
    pub resource_type: &'static str,
    /// The issues.
    pub issue: Vec<Issue>,
}

/// `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// `error`.
    pub severity: &'static str,
    /// `invalid`, `not-found`, …
    pub code: &'static str,
    /// The reason in words.
    pub diagnostics: String,
}

impl OperationOutcome {
    /// One error.
    pub fn error(code: &'static str, diagnostics: impl Into<String>) -> OperationOutcome {
        OperationOutcome { resource_type: "OperationOutcome", issue: vec![Issue { severity: "error", code, diagnostics: diagnostics.into() }] }
    }
}
