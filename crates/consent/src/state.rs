//! The contract's data: the values of its maps, named and typed as in the contract.

use clarimed_storage::clarity::Principal;
use clarimed_storage::{clarity_tuple, clarity_view};

clarity_tuple! {
    /// `patients` value.
    pub struct PatientProfile {
        "date-of-birth" => date_of_birth: u128,
        "deceased" => deceased: bool,
        "emergency-contact" => emergency_contact: Option<Principal>,
        "last-updated" => last_updated: u128,
        "patient-id" => patient_id: String,
        "primary-physician" => primary_physician: Option<Principal>,
        "registration-date" => registration_date: u128,
    }
}

clarity_tuple! {
    /// `preferences` value.
    pub struct Preferences {
        "allow-emergency-access" => allow_emergency_access: bool,
        "notify-on-access" => notify_on_access: bool,
        "research-opt-in" => research_opt_in: bool,
    }
}

impl Default for Preferences {
    /// What a registered patient without an entry has.
    fn default() -> Preferences {
        Preferences { allow_emergency_access: true, notify_on_access: true, research_opt_in: false }
    }
}

clarity_tuple! {
    /// `consents` key.
    pub struct ConsentKey {
        "data-type" => data_type: u128,
        "patient" => patient: Principal,
        "provider" => provider: Principal,
    }
}

clarity_tuple! {
    /// `consents` value.
    pub struct Consent {
        "expires-at" => expires_at: Option<u128>,
        "granted-at" => granted_at: u128,
        "purpose" => purpose: String,
    }
}

clarity_view! {
    /// What `has-consent` reads of a `consents` value.
    pub struct ConsentTerms {
        "expires-at" => expires_at: Option<u128>,
    }
}

clarity_tuple! {
    /// `emergency-access` key.
    pub struct PatientProvider {
        "patient" => patient: Principal,
        "provider" => provider: Principal,
    }
}

clarity_tuple! {
    /// `emergency-access` value.
    pub struct EmergencyAccess {
        "expires-at" => expires_at: u128,
        "granted-at" => granted_at: u128,
        "reason" => reason: String,
    }
}

clarity_view! {
    /// What `has-emergency-access` reads of an `emergency-access` value.
    pub struct EmergencyTerms {
        "expires-at" => expires_at: u128,
    }
}

clarity_tuple! {
    /// `audit-log` key.
    pub struct AuditKey {
        "patient" => patient: Principal,
        "seq" => seq: u128,
    }
}

clarity_tuple! {
    /// `audit-log` value.
    pub struct AuditEntry {
        "action" => action: u128,
        "actor" => actor: Principal,
        "block" => block: u128,
        "data-type" => data_type: Option<u128>,
        "provider" => provider: Option<Principal>,
    }
}

clarity_tuple! {
    /// `get-stats`.
    pub struct Stats {
        "total-consents-granted" => total_consents_granted: u128,
        "total-consents-revoked" => total_consents_revoked: u128,
        "total-emergency-overrides" => total_emergency_overrides: u128,
        "total-patients" => total_patients: u128,
    }
}
