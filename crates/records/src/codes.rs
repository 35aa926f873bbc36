//! The numbers of `record-management`, as in `contracts/record-management.clar`.

use clarimed_consent::code_enum;
use clarimed_consent::codes::DataType;

code_enum! {
    /// The contract's `err` codes.
    pub enum RecordsError {
        Unauthorized = 200 => "UNAUTHORIZED",
        RecordNotFound = 201 => "RECORD-NOT-FOUND",
        PatientNotFound = 202 => "PATIENT-NOT-FOUND",
        AccessNotFound = 203 => "ACCESS-NOT-FOUND",
        InvalidRecordType = 204 => "INVALID-RECORD-TYPE",
        InvalidAccessLevel = 205 => "INVALID-ACCESS-LEVEL",
        InvalidSignature = 206 => "INVALID-SIGNATURE",
        DuplicateRecord = 207 => "DUPLICATE-RECORD",
        RecordArchived = 208 => "RECORD-ARCHIVED",
        RetentionPeriod = 209 => "RETENTION-PERIOD",
        Paused = 210 => "PAUSED",
        InvalidInput = 211 => "INVALID-INPUT",
        NoConsent = 212 => "NO-CONSENT",
        InvalidVersion = 213 => "INVALID-VERSION",
        EmergencyViolation = 214 => "EMERGENCY-VIOLATION",
        InvalidExpiry = 215 => "INVALID-EXPIRY",
    }
}

impl std::error::Error for RecordsError {}

code_enum! {
    /// The 13 kinds of record.
    pub enum RecordType {
        BasicInfo = 0 => "BASIC-INFO",
        Vitals = 1 => "VITALS",
        Diagnosis = 2 => "DIAGNOSIS",
        Medications = 3 => "MEDICATIONS",
        LabResults = 4 => "LAB-RESULTS",
        Imaging = 5 => "IMAGING",
        Procedures = 6 => "PROCEDURES",
        Allergies = 7 => "ALLERGIES",
        Immunizations = 8 => "IMMUNIZATIONS",
        MentalHealth = 9 => "MENTAL-HEALTH",
        GeneticData = 10 => "GENETIC-DATA",
        Insurance = 11 => "INSURANCE",
        EmergencyContacts = 12 => "EMERGENCY-CONTACTS",
    }
}

impl RecordType {
    /// The consent data type a provider needs to reach a record of this type.
    pub const fn data_type(self) -> DataType {
        match self {
            RecordType::BasicInfo => DataType::BasicInfo,
            RecordType::Vitals | RecordType::Diagnosis | RecordType::Procedures | RecordType::Allergies | RecordType::Immunizations => DataType::MedicalHistory,
            RecordType::Medications => DataType::TreatmentPlans,
            RecordType::LabResults | RecordType::Imaging => DataType::LabResults,
            RecordType::MentalHealth => DataType::MentalHealth,
            RecordType::GeneticData => DataType::Genetic,
            RecordType::Insurance => DataType::Financial,
            RecordType::EmergencyContacts => DataType::EmergencyContacts,
        }
    }
}

code_enum! {
    /// The level an access is granted under. Only READ, WRITE and ADMIN are granted;
    /// EMERGENCY is what an active emergency override gives.
    pub enum AccessLevel {
        Read = 0 => "READ",
        Write = 1 => "WRITE",
        Admin = 2 => "ADMIN",
        Emergency = 3 => "EMERGENCY",
    }
}

code_enum! {
    /// What `check-access` is asked about.
    pub enum Action {
        Read = 0 => "READ",
        Write = 1 => "WRITE",
    }
}

code_enum! {
    pub enum RecordStatus {
        Active = 0 => "ACTIVE",
        Archived = 1 => "ARCHIVED",
    }
}

code_enum! {
    /// What an access-log entry records.
    pub enum LogAction {
        Read = 0 => "READ",
        Create = 1 => "CREATE",
        Update = 2 => "UPDATE",
        Rollback = 3 => "ROLLBACK",
        Archive = 4 => "ARCHIVE",
        Purge = 5 => "PURGE",
    }
}

pub const MAX_CONFIDENTIALITY: u128 = 3;
/// 30 years of blocks.
pub const DEFAULT_RETENTION_PERIOD: u128 = 1_576_800;
pub const MIN_RETENTION_PERIOD: u128 = 315_360;
pub const MAX_RETENTION_PERIOD: u128 = 5_256_000;
/// Purge walks a fixed list of version numbers, so a record holds at most this many.
pub const MAX_VERSIONS: u128 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_run_from_u200_to_u215() {
        let codes: Vec<u128> = RecordsError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, (200..=215).collect::<Vec<_>>());
    }

    #[test]
    fn record_types_map_to_the_spec_data_types() {
        let data_types: Vec<u128> = RecordType::ALL.iter().map(|t| t.data_type().code()).collect();
        assert_eq!(data_types, [0, 1, 1, 3, 2, 2, 1, 1, 1, 4, 5, 6, 7]);
    }
}
