//! The numbers of `patient-consent`, as in `contracts/patient-consent.clar`.

use crate::code_enum;

code_enum! {
    /// The contract's `err` codes.
    pub enum ConsentError {
        Unauthorized = 100 => "UNAUTHORIZED",
        PatientNotFound = 101 => "PATIENT-NOT-FOUND",
        PatientExists = 102 => "PATIENT-EXISTS",
        InvalidDataType = 103 => "INVALID-DATA-TYPE",
        ConsentNotFound = 104 => "CONSENT-NOT-FOUND",
        InvalidExpiry = 105 => "INVALID-EXPIRY",
        Paused = 106 => "PAUSED",
        PatientDeceased = 107 => "PATIENT-DECEASED",
        EmergencyNotAllowed = 108 => "EMERGENCY-NOT-ALLOWED",
        InvalidInput = 109 => "INVALID-INPUT",
        InvalidTimeout = 110 => "INVALID-TIMEOUT",
        EmergencyNotFound = 111 => "EMERGENCY-NOT-FOUND",
    }
}

impl std::error::Error for ConsentError {}

code_enum! {
    /// The kinds of data a patient consents to share, one consent each.
    pub enum DataType {
        BasicInfo = 0 => "BASIC-INFO",
        MedicalHistory = 1 => "MEDICAL-HISTORY",
        LabResults = 2 => "LAB-RESULTS",
        TreatmentPlans = 3 => "TREATMENT-PLANS",
        /// Enhanced protection: consent needs an expiry at most a year ahead.
        MentalHealth = 4 => "MENTAL-HEALTH",
        /// Highest protection: consent needs an expiry at most a year ahead.
        Genetic = 5 => "GENETIC",
        Financial = 6 => "FINANCIAL",
        EmergencyContacts = 7 => "EMERGENCY-CONTACTS",
    }
}

impl DataType {
    /// Whether an emergency override opens this type (never MENTAL-HEALTH, GENETIC
    /// or FINANCIAL).
    pub const fn is_emergency_covered(self) -> bool {
        matches!(self, DataType::BasicInfo | DataType::MedicalHistory | DataType::LabResults | DataType::TreatmentPlans | DataType::EmergencyContacts)
    }

    /// Whether consent to this type must expire within [`BLOCKS_PER_YEAR`].
    pub const fn is_sensitive(self) -> bool {
        matches!(self, DataType::MentalHealth | DataType::Genetic)
    }
}

code_enum! {
    /// What an audit-log entry records.
    pub enum AuditAction {
        Register = 1 => "REGISTER",
        Grant = 2 => "GRANT",
        Revoke = 3 => "REVOKE",
        EmergencyOverride = 4 => "EMERGENCY-OVERRIDE",
        EmergencyRevoked = 5 => "EMERGENCY-REVOKED",
        Preferences = 6 => "PREFERENCES",
        Profile = 7 => "PROFILE",
        Deceased = 8 => "DECEASED",
    }
}

/// 6 blocks an hour, 144 a day.
pub const BLOCKS_PER_YEAR: u128 = 52_560;
/// 72 hours.
pub const DEFAULT_EMERGENCY_TIMEOUT: u128 = 432;
pub const MIN_EMERGENCY_TIMEOUT: u128 = 6;
pub const MAX_EMERGENCY_TIMEOUT: u128 = 4_320;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_run_from_u100_to_u111() {
        let codes: Vec<u128> = ConsentError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, (100..=111).collect::<Vec<_>>());
    }

    #[test]
    fn every_code_round_trips() {
        for error in ConsentError::ALL {
            assert_eq!(ConsentError::from_code(error.code()), Some(*error));
        }
        for data_type in DataType::ALL {
            assert_eq!(DataType::from_code(data_type.code()), Some(*data_type));
        }
        assert_eq!(DataType::from_code(8), None);
    }

    #[test]
    fn emergency_never_covers_mental_health_genetic_or_financial() {
        let uncovered: Vec<DataType> = DataType::ALL.iter().copied().filter(|t| !t.is_emergency_covered()).collect();
        assert_eq!(uncovered, [DataType::MentalHealth, DataType::Genetic, DataType::Financial]);
    }
}
