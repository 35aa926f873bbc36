//! The contract's data: the keys and values of its maps, named and typed as in the
//! contract, and the messages its signatures cover.

use clarimed_storage::clarity::{Buff, Principal};
use clarimed_storage::{clarity_tuple, clarity_view};

pub use clarimed_consent::state::PatientProvider;

clarity_tuple! {
    /// `records` value.
    pub struct Record {
        "checksum" => checksum: Buff,
        "confidentiality-level" => confidentiality_level: u128,
        "created-at" => created_at: u128,
        "created-by" => created_by: Principal,
        "data-hash" => data_hash: String,
        "encryption-key-id" => encryption_key_id: Option<String>,
        "patient" => patient: Principal,
        "record-type" => record_type: u128,
        "retention-until" => retention_until: u128,
        "status" => status: u128,
        "title" => title: String,
        "updated-at" => updated_at: u128,
        "version" => version: u128,
    }
}

clarity_view! {
    /// What `check-access` reads of a `records` value.
    pub struct RecordAccess {
        "confidentiality-level" => confidentiality_level: u128,
        "created-by" => created_by: Principal,
        "patient" => patient: Principal,
        "record-type" => record_type: u128,
        "status" => status: u128,
    }
}

clarity_tuple! {
    /// `record-versions` key.
    pub struct VersionKey {
        "record-id" => record_id: u128,
        "version" => version: u128,
    }
}

clarity_tuple! {
    /// `record-versions` value.
    pub struct RecordVersion {
        "checksum" => checksum: Buff,
        "data-hash" => data_hash: String,
        "title" => title: String,
        "updated-at" => updated_at: u128,
        "updated-by" => updated_by: Principal,
    }
}

clarity_tuple! {
    /// `patient-records` key.
    pub struct PatientIndex {
        "index" => index: u128,
        "patient" => patient: Principal,
    }
}

clarity_tuple! {
    /// `provider-access` value.
    pub struct Grant {
        "access-level" => access_level: u128,
        "audit-required" => audit_required: bool,
        "expires-at" => expires_at: Option<u128>,
        "granted-at" => granted_at: u128,
        "granted-by" => granted_by: Principal,
    }
}

clarity_view! {
    /// What `check-access` reads of a `provider-access` value.
    pub struct GrantTerms {
        "access-level" => access_level: u128,
        "expires-at" => expires_at: Option<u128>,
    }
}

clarity_tuple! {
    /// `access-log` value.
    pub struct LogEntry {
        "accessor" => accessor: Principal,
        "action" => action: u128,
        "block" => block: u128,
        "emergency" => emergency: bool,
        "record-id" => record_id: u128,
    }
}

clarity_tuple! {
    /// `get-stats`.
    pub struct Stats {
        "total-access-log-entries" => total_access_log_entries: u128,
        "total-provider-grants" => total_provider_grants: u128,
        "total-records" => total_records: u128,
    }
}

clarity_tuple! {
    /// What `create-record`'s signature covers (as `to-consensus-buff?`).
    pub struct CreateMessage {
        "checksum" => checksum: Buff,
        "data-hash" => data_hash: String,
        "patient" => patient: Principal,
        "record-type" => record_type: u128,
    }
}

clarity_tuple! {
    /// What `update-record`'s signature covers (as `to-consensus-buff?`).
    pub struct UpdateMessage {
        "checksum" => checksum: Buff,
        "data-hash" => data_hash: String,
        "record-id" => record_id: u128,
        "version" => version: u128,
    }
}
