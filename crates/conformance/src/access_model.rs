//! Who may open which record, as CONTRACTS.md states it, kept as a small model
//! apart from both implementations: the access-control invariants compare the
//! native engine's answers with this model's.
//!
//! The model learns the state only from calls that returned `ok`, read from their
//! arguments (a consent granted, a grant revoked, a record created), and from mined
//! blocks. It knows nothing of the contracts' storage.

use std::collections::HashMap;

use clarimed_reference::PrincipalData;

/// Consent data type each record type needs (CONTRACTS.md's table, by record type).
const CONSENT_TYPE_OF_RECORD: [u128; 13] = [0, 1, 1, 3, 2, 2, 1, 1, 1, 4, 5, 6, 7];

/// Data types an emergency override may open: never MENTAL-HEALTH, GENETIC or FINANCIAL.
pub const EMERGENCY_COVERED: [u128; 5] = [0, 1, 2, 3, 7];

pub const READ: u128 = 0;
pub const WRITE: u128 = 1;
pub const ADMIN: u128 = 2;
pub const EMERGENCY: u128 = 3;

/// The consent data type a record type needs (`None` for an unknown record type).
pub fn consent_type_of(record_type: u128) -> Option<u128> {
    usize::try_from(record_type).ok().and_then(|i| CONSENT_TYPE_OF_RECORD.get(i).copied())
}

/// What the access rules need of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    pub patient: PrincipalData,
    pub data_type: u128,
    pub creator: PrincipalData,
    pub confidentiality: u128,
    pub active: bool,
}

/// Why the model refuses an access (the contract's codes are not modelled, only
/// whether and under which level access is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    NoRecord,
    /// No live grant with live consent, and no emergency path.
    NotPermitted,
    /// A live grant and consent that fall short: a READ grant writing, an archived
    /// record written, or confidentiality u2+ without ADMIN or authorship.
    Insufficient,
    /// An override that does not reach: a write, an uncovered type, or confidentiality
    /// above u1.
    EmergencyViolation,
}

/// Grants and consents keyed by who gave them to whom.
#[derive(Debug, Clone, Default)]
pub struct AccessModel {
    pub height: u128,
    pub emergency_timeout: u128,
    /// `(patient, provider, data type)` -> expiry (`None`: never).
    pub consents: HashMap<(PrincipalData, PrincipalData, u128), Option<u128>>,
    /// `(patient, responder)` -> the block the override ends at.
    pub overrides: HashMap<(PrincipalData, PrincipalData), u128>,
    /// `(patient, provider)` -> (access level, expiry).
    pub grants: HashMap<(PrincipalData, PrincipalData), (u128, Option<u128>)>,
    pub records: HashMap<u128, ModelRecord>,
}

fn live(expiry: Option<u128>, height: u128) -> bool {
    expiry.is_none_or(|at| at > height)
}

impl AccessModel {
    /// The model of a fresh deployment at `height`.
    pub fn new(height: u128) -> AccessModel {
        AccessModel { height, emergency_timeout: 432, ..AccessModel::default() }
    }

    pub fn has_consent(&self, patient: &PrincipalData, provider: &PrincipalData, data_type: u128) -> bool {
        self.consents.get(&(patient.clone(), provider.clone(), data_type)).is_some_and(|expiry| live(*expiry, self.height))
    }

    /// A live grant's level.
    pub fn live_grant(&self, patient: &PrincipalData, provider: &PrincipalData) -> Option<u128> {
        self.grants.get(&(patient.clone(), provider.clone())).filter(|(_, expiry)| live(*expiry, self.height)).map(|(level, _)| *level)
    }

    pub fn has_override(&self, patient: &PrincipalData, responder: &PrincipalData) -> bool {
        self.overrides.get(&(patient.clone(), responder.clone())).is_some_and(|until| self.height < *until)
    }

    /// The level `accessor` reads (`action` READ) or writes (WRITE) `record_id` under.
    pub fn access(&self, record_id: u128, accessor: &PrincipalData, action: u128) -> Result<u128, Denial> {
        let record = self.records.get(&record_id).ok_or(Denial::NoRecord)?;
        if *accessor == record.patient {
            return Ok(ADMIN);
        }
        let writing = action == WRITE;
        let granted = self.live_grant(&record.patient, accessor);
        if let Some(level) = granted.filter(|_| self.has_consent(&record.patient, accessor, record.data_type)) {
            let short = (writing && (level < WRITE || !record.active)) || (record.confidentiality >= 2 && level != ADMIN && *accessor != record.creator);
            return if short { Err(Denial::Insufficient) } else { Ok(level) };
        }
        if self.has_override(&record.patient, accessor) {
            let reaches = !writing && EMERGENCY_COVERED.contains(&record.data_type) && record.confidentiality <= 1;
            return if reaches { Ok(EMERGENCY) } else { Err(Denial::EmergencyViolation) };
        }
        Err(Denial::NotPermitted)
    }

    /// Whether `patient`'s consent or grant to `provider` exists but has expired.
    pub fn has_expired_permission(&self, patient: &PrincipalData, provider: &PrincipalData, data_type: u128) -> bool {
        let consent_expired = self.consents.get(&(patient.clone(), provider.clone(), data_type)).is_some_and(|expiry| !live(*expiry, self.height));
        let grant_expired = self.grants.get(&(patient.clone(), provider.clone())).is_some_and(|(_, expiry)| !live(*expiry, self.height));
        consent_expired || grant_expired
    }
}
