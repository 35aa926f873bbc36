//! The print events of `patient-consent`: one per successful public call.

use clarimed_storage::clarity::{Principal, TupleBuilder};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentEvent {
    PatientRegistered { patient: Principal, patient_id: String },
    ProfileUpdated { patient: Principal },
    PreferencesUpdated { patient: Principal },
    ConsentGranted { patient: Principal, provider: Principal, data_type: u128, expires_at: Option<u128> },
    ConsentBatchGranted { patient: Principal, provider: Principal, data_types: Vec<u128>, expires_at: Option<u128> },
    ConsentRevoked { patient: Principal, provider: Principal, data_type: u128 },
    EmergencyOverride { patient: Principal, provider: Principal, expires_at: u128, reason: String },
    EmergencyAccessRevoked { patient: Principal, provider: Principal },
    PatientDeceased { patient: Principal },
    PausedSet { paused: bool },
    EmergencyTimeoutSet { blocks: u128 },
    EmergencyResponderSet { responder: Principal, enabled: bool },
    OwnershipTransferred { new_owner: Principal },
}

impl ConsentEvent {
    /// The event's `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            ConsentEvent::PatientRegistered { .. } => "patient-registered",
            ConsentEvent::ProfileUpdated { .. } => "profile-updated",
            ConsentEvent::PreferencesUpdated { .. } => "preferences-updated",
            ConsentEvent::ConsentGranted { .. } => "consent-granted",
            ConsentEvent::ConsentBatchGranted { .. } => "consent-batch-granted",
            ConsentEvent::ConsentRevoked { .. } => "consent-revoked",
            ConsentEvent::EmergencyOverride { .. } => "emergency-override",
            ConsentEvent::EmergencyAccessRevoked { .. } => "emergency-access-revoked",
            ConsentEvent::PatientDeceased { .. } => "patient-deceased",
            ConsentEvent::PausedSet { .. } => "paused-set",
            ConsentEvent::EmergencyTimeoutSet { .. } => "emergency-timeout-set",
            ConsentEvent::EmergencyResponderSet { .. } => "emergency-responder-set",
            ConsentEvent::OwnershipTransferred { .. } => "ownership-transferred",
        }
    }

    /// The printed tuple, serialized as Clarity serializes it.
    pub fn to_clarity_bytes(&self) -> Vec<u8> {
        let tuple = TupleBuilder::new().field("event", &self.name().to_string());
        let tuple = match self {
            ConsentEvent::PatientRegistered { patient, patient_id } => tuple.field("patient", patient).field("patient-id", patient_id),
            ConsentEvent::ProfileUpdated { patient } | ConsentEvent::PreferencesUpdated { patient } | ConsentEvent::PatientDeceased { patient } => {
                tuple.field("patient", patient)
            }
            ConsentEvent::ConsentGranted { patient, provider, data_type, expires_at } => {
                tuple.field("patient", patient).field("provider", provider).field("data-type", data_type).field("expires-at", expires_at)
            }
            ConsentEvent::ConsentBatchGranted { patient, provider, data_types, expires_at } => {
                tuple.field("patient", patient).field("provider", provider).field("data-types", data_types).field("expires-at", expires_at)
            }
            ConsentEvent::ConsentRevoked { patient, provider, data_type } => {
                tuple.field("patient", patient).field("provider", provider).field("data-type", data_type)
            }
            ConsentEvent::EmergencyOverride { patient, provider, expires_at, reason } => {
                tuple.field("patient", patient).field("provider", provider).field("expires-at", expires_at).field("reason", reason)
            }
            ConsentEvent::EmergencyAccessRevoked { patient, provider } => tuple.field("patient", patient).field("provider", provider),
            ConsentEvent::PausedSet { paused } => tuple.field("paused", paused),
            ConsentEvent::EmergencyTimeoutSet { blocks } => tuple.field("blocks", blocks),
            ConsentEvent::EmergencyResponderSet { responder, enabled } => tuple.field("responder", responder).field("enabled", enabled),
            ConsentEvent::OwnershipTransferred { new_owner } => tuple.field("new-owner", new_owner),
        };
        tuple.encode()
    }
}
