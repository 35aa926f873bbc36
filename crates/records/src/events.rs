//! The print events of `record-management`: one per successful public call.

use clarimed_storage::clarity::{Principal, TupleBuilder};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordsEvent {
    ProviderAccessGranted { patient: Principal, provider: Principal, access_level: u128, expires_at: Option<u128> },
    ProviderAccessRevoked { patient: Principal, provider: Principal },
    RecordCreated { record_id: u128, patient: Principal, created_by: Principal, record_type: u128 },
    RecordRead { record_id: u128, accessor: Principal, access_level: u128 },
    RecordUpdated { record_id: u128, version: u128, updated_by: Principal },
    RecordRolledBack { record_id: u128, version: u128, restored_version: u128 },
    RecordArchived { record_id: u128, archived_by: Principal },
    RecordsArchived { record_ids: Vec<u128>, archived_by: Principal },
    RecordPurged { record_id: u128, purged_by: Principal },
    PausedSet { paused: bool },
    RetentionPeriodSet { blocks: u128 },
    OwnershipTransferred { new_owner: Principal },
}

impl RecordsEvent {
    /// The event's `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            RecordsEvent::ProviderAccessGranted { .. } => "provider-access-granted",
            RecordsEvent::ProviderAccessRevoked { .. } => "provider-access-revoked",
            RecordsEvent::RecordCreated { .. } => "record-created",
            RecordsEvent::RecordRead { .. } => "record-read",
            RecordsEvent::RecordUpdated { .. } => "record-updated",
            RecordsEvent::RecordRolledBack { .. } => "record-rolled-back",
            RecordsEvent::RecordArchived { .. } => "record-archived",
            RecordsEvent::RecordsArchived { .. } => "records-archived",
            RecordsEvent::RecordPurged { .. } => "record-purged",
            RecordsEvent::PausedSet { .. } => "paused-set",
            RecordsEvent::RetentionPeriodSet { .. } => "retention-period-set",
            RecordsEvent::OwnershipTransferred { .. } => "ownership-transferred",
        }
    }

    /// The printed tuple, serialized as Clarity serializes it.
    pub fn to_clarity_bytes(&self) -> Vec<u8> {
        let tuple = TupleBuilder::new().field("event", &self.name().to_string());
        let tuple = match self {
            RecordsEvent::ProviderAccessGranted { patient, provider, access_level, expires_at } => {
                tuple.field("patient", patient).field("provider", provider).field("access-level", access_level).field("expires-at", expires_at)
            }
            RecordsEvent::ProviderAccessRevoked { patient, provider } => tuple.field("patient", patient).field("provider", provider),
            RecordsEvent::RecordCreated { record_id, patient, created_by, record_type } => {
                tuple.field("record-id", record_id).field("patient", patient).field("created-by", created_by).field("record-type", record_type)
            }
            RecordsEvent::RecordRead { record_id, accessor, access_level } => {
                tuple.field("record-id", record_id).field("accessor", accessor).field("access-level", access_level)
            }
            RecordsEvent::RecordUpdated { record_id, version, updated_by } => {
                tuple.field("record-id", record_id).field("version", version).field("updated-by", updated_by)
            }
            RecordsEvent::RecordRolledBack { record_id, version, restored_version } => {
                tuple.field("record-id", record_id).field("version", version).field("restored-version", restored_version)
            }
            RecordsEvent::RecordArchived { record_id, archived_by } => tuple.field("record-id", record_id).field("archived-by", archived_by),
            RecordsEvent::RecordsArchived { record_ids, archived_by } => tuple.field("record-ids", record_ids).field("archived-by", archived_by),
            RecordsEvent::RecordPurged { record_id, purged_by } => tuple.field("record-id", record_id).field("purged-by", purged_by),
            RecordsEvent::PausedSet { paused } => tuple.field("paused", paused),
            RecordsEvent::RetentionPeriodSet { blocks } => tuple.field("blocks", blocks),
            RecordsEvent::OwnershipTransferred { new_owner } => tuple.field("new-owner", new_owner),
        };
        tuple.encode()
    }
}
