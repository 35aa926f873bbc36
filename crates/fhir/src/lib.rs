//! A patient's consents and every access to their records, as HL7 FHIR R4 (4.0.1)
//! resources: `Consent` and `AuditEvent`, in `collection` Bundles (`clarimed fhir`)
//! or answered by a FHIR search API ([`search`], [`capability`]).
//!
//! [`consent`] and [`audit`] map the contracts' state (principals rendered as
//! `ST…` text) to serde types for just the resources and data types used
//! ([`model`]); [`reader`] reads a patient's side of the state from the engine,
//! [`stream`] their audit events in block order a page at a time, [`ids`] gives
//! each resource an id that reads it back; [`bundle`] assembles the export's
//! Bundles and [`search`] a search's pages. Block heights become times by a [`Clock`]; principals become
//! identifiers under [`PRINCIPAL_SYSTEM`], records under
//! [`audit::RECORD_SYSTEM`].

#![deny(missing_docs)]

pub mod audit;
pub mod bundle;
pub mod capability;
pub mod clock;
pub mod consent;
pub mod ids;
pub mod model;
pub mod reader;
pub mod search;
pub mod stream;

pub use bundle::{audit_bundle, consent_bundle, FhirError};
pub use capability::capability_statement;
pub use clock::Clock;
pub use search::{read_audit_event, read_consent, ResourceType, Search};

use model::{Identifier, Reference};

/// The identifier system of Stacks principals: `Identifier.value` is the principal
/// as Clarity writes it (`ST…`, or `ST….contract` for a contract).
pub const PRINCIPAL_SYSTEM: &str = "https://clarimed.dev/fhir/sid/stacks-principal";

/// The code system of the contract's eight data types; codes are the contract's
/// names for them (`LAB-RESULTS`, …).
pub const DATA_TYPE_SYSTEM: &str = "https://clarimed.dev/fhir/CodeSystem/data-type";

/// A reference to a principal by its identifier, as the kind of resource it acts
/// as (`Patient`, `Practitioner`).
pub fn principal_reference(principal: &str, kind: &str) -> Reference {
    Reference {
        identifier: Some(Identifier { system: PRINCIPAL_SYSTEM.to_string(), value: principal.to_string() }),
        kind: Some(kind.to_string()),
        display: None,
    }
}
