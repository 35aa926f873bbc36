//! The typed API, for embedding: each contract function as a Rust method.
//!
//! Public functions return their `ok` value and the event they printed, or the
//! contract's error ([`CallError::Contract`]); either way the call was a transaction
//! of its own, kept only on `Ok`. Read-only functions cannot write.

use clarimed_consent::codes::{ConsentError, DataType};
use clarimed_consent::state::{AuditEntry, Consent, EmergencyAccess, PatientProfile, Preferences};
use clarimed_consent::{ConsentEvent, Context, Outcome};
use clarimed_records::codes::{AccessLevel, Action, RecordType, RecordsError};
use clarimed_records::state::{Grant, LogEntry, Record, RecordVersion};
use clarimed_records::{Content, RecordsEvent, Signed};
use clarimed_storage::clarity::{Principal, StateError};
use clarimed_storage::Store;

use crate::crypto::TestnetCrypto;
use crate::engine::{ConsentReader, Engine};

/// A public call's `ok` value and its print event.
pub type ConsentResult<T> = Outcome<(T, ConsentEvent), ConsentError>;
/// A public call's `ok` value and its print event.
pub type RecordsResult<T> = Outcome<(T, RecordsEvent), RecordsError>;

impl<S: Store> Engine<S> {
    /// `patient-consent`'s functions.
    pub fn consent(&mut self) -> ConsentCalls<'_, S> {
        ConsentCalls { engine: self }
    }

    /// `record-management`'s functions.
    pub fn records(&mut self) -> RecordsCalls<'_, S> {
        RecordsCalls { engine: self }
    }
}

pub struct ConsentCalls<'e, S: Store> {
    engine: &'e mut Engine<S>,
}

impl<S: Store> ConsentCalls<'_, S> {
    pub fn register_patient(&mut self, ctx: &Context, patient_id: &str, date_of_birth: u128, emergency_contact: Option<Principal>, primary_physician: Option<Principal>) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.register_patient(store, ctx, patient_id, date_of_birth, emergency_contact, primary_physician))
    }

    pub fn update_patient_profile(&mut self, ctx: &Context, emergency_contact: Option<Principal>, primary_physician: Option<Principal>) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.update_patient_profile(store, ctx, emergency_contact, primary_physician))
    }

    pub fn update_patient_preferences(&mut self, ctx: &Context, allow_emergency_access: bool, notify_on_access: bool, research_opt_in: bool) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.update_patient_preferences(store, ctx, allow_emergency_access, notify_on_access, research_opt_in))
    }

    pub fn grant_consent(&mut self, ctx: &Context, provider: &Principal, data_type: DataType, expires_at: Option<u128>, purpose: &str) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.grant_consent(store, ctx, provider, data_type.code(), expires_at, purpose))
    }

    pub fn grant_consent_batch(&mut self, ctx: &Context, provider: &Principal, data_types: &[DataType], expires_at: Option<u128>, purpose: &str) -> ConsentResult<u128> {
        let codes: Vec<u128> = data_types.iter().map(|t| t.code()).collect();
        self.engine.transact(|store, consent, _| consent.grant_consent_batch(store, ctx, provider, &codes, expires_at, purpose))
    }

    pub fn revoke_consent(&mut self, ctx: &Context, provider: &Principal, data_type: DataType) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.revoke_consent(store, ctx, provider, data_type.code()))
    }

    pub fn emergency_override(&mut self, ctx: &Context, patient: &Principal, reason: &str) -> ConsentResult<u128> {
        self.engine.transact(|store, consent, _| consent.emergency_override(store, ctx, patient, reason))
    }

    pub fn revoke_emergency_access(&mut self, ctx: &Context, patient: &Principal, provider: &Principal) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.revoke_emergency_access(store, ctx, patient, provider))
    }

    pub fn mark_deceased(&mut self, ctx: &Context, patient: &Principal) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.mark_deceased(store, ctx, patient))
    }

    pub fn set_paused(&mut self, ctx: &Context, paused: bool) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.set_paused(store, ctx, paused))
    }

    pub fn set_emergency_timeout(&mut self, ctx: &Context, blocks: u128) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.set_emergency_timeout(store, ctx, blocks))
    }

    pub fn set_emergency_responder(&mut self, ctx: &Context, responder: &Principal, enabled: bool) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.set_emergency_responder(store, ctx, responder, enabled))
    }

    pub fn transfer_ownership(&mut self, ctx: &Context, new_owner: &Principal) -> ConsentResult<bool> {
        self.engine.transact(|store, consent, _| consent.transfer_ownership(store, ctx, new_owner))
    }

    pub fn get_patient(&self, patient: &Principal) -> Result<Option<PatientProfile>, StateError> {
        self.engine.consent.get_patient(&self.engine.store, patient)
    }

    pub fn get_preferences(&self, patient: &Principal) -> Result<Option<Preferences>, StateError> {
        self.engine.consent.get_preferences(&self.engine.store, patient)
    }

    pub fn get_consent(&self, patient: &Principal, provider: &Principal, data_type: DataType) -> Result<Option<Consent>, StateError> {
        self.engine.consent.get_consent(&self.engine.store, patient, provider, data_type.code())
    }

    pub fn get_emergency_access(&self, patient: &Principal, provider: &Principal) -> Result<Option<EmergencyAccess>, StateError> {
        self.engine.consent.get_emergency_access(&self.engine.store, patient, provider)
    }

    pub fn get_audit_entry(&self, patient: &Principal, seq: u128) -> Result<Option<AuditEntry>, StateError> {
        self.engine.consent.get_audit_entry(&self.engine.store, patient, seq)
    }

    pub fn get_audit_count(&self, patient: &Principal) -> Result<u128, StateError> {
        self.engine.consent.get_audit_count(&self.engine.store, patient)
    }

    pub fn get_stats(&self) -> Result<clarimed_consent::state::Stats, StateError> {
        self.engine.consent.get_stats(&self.engine.store)
    }

    pub fn has_consent(&self, ctx: &Context, patient: &Principal, provider: &Principal, data_type: DataType) -> Result<bool, StateError> {
        self.engine.consent.has_consent(&self.engine.store, ctx.block_height, patient, provider, data_type.code())
    }

    pub fn has_emergency_access(&self, ctx: &Context, patient: &Principal, provider: &Principal) -> Result<bool, StateError> {
        self.engine.consent.has_emergency_access(&self.engine.store, ctx.block_height, patient, provider)
    }

    pub fn can_access(&self, ctx: &Context, patient: &Principal, provider: &Principal, data_type: DataType) -> Result<bool, StateError> {
        self.engine.consent.can_access(&self.engine.store, ctx.block_height, patient, provider, data_type.code())
    }
}

pub struct RecordsCalls<'e, S: Store> {
    engine: &'e mut Engine<S>,
}

impl<S: Store> RecordsCalls<'_, S> {
    pub fn grant_provider_access(&mut self, ctx: &Context, patient: &Principal, provider: &Principal, level: AccessLevel, expires_at: Option<u128>, audit_required: bool) -> RecordsResult<bool> {
        self.engine.transact(|store, consent, records| {
            records.grant_provider_access(store, &ConsentReader(consent), ctx, patient, provider, level.code(), expires_at, audit_required)
        })
    }

    pub fn revoke_provider_access(&mut self, ctx: &Context, patient: &Principal, provider: &Principal) -> RecordsResult<bool> {
        self.engine.transact(|store, _, records| records.revoke_provider_access(store, ctx, patient, provider))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn create_record(&mut self, ctx: &Context, patient: &Principal, record_type: RecordType, content: &Content<'_>, encryption_key_id: Option<&str>, confidentiality_level: u128, signed: &Signed<'_>) -> RecordsResult<u128> {
        self.engine.transact(|store, consent, records| {
            records.create_record(store, &ConsentReader(consent), &TestnetCrypto, ctx, patient, record_type.code(), content, encryption_key_id, confidentiality_level, signed)
        })
    }

    pub fn get_record(&mut self, ctx: &Context, record_id: u128) -> RecordsResult<Record> {
        self.engine.transact(|store, consent, records| records.get_record(store, &ConsentReader(consent), ctx, record_id))
    }

    pub fn update_record(&mut self, ctx: &Context, record_id: u128, content: &Content<'_>, signed: &Signed<'_>) -> RecordsResult<u128> {
        self.engine.transact(|store, consent, records| records.update_record(store, &ConsentReader(consent), &TestnetCrypto, ctx, record_id, content, signed))
    }

    pub fn rollback_record(&mut self, ctx: &Context, record_id: u128, version: u128) -> RecordsResult<u128> {
        self.engine.transact(|store, consent, records| records.rollback_record(store, &ConsentReader(consent), ctx, record_id, version))
    }

    pub fn archive_record(&mut self, ctx: &Context, record_id: u128) -> RecordsResult<bool> {
        self.engine.transact(|store, consent, records| records.archive_record(store, &ConsentReader(consent), ctx, record_id))
    }

    pub fn archive_records(&mut self, ctx: &Context, record_ids: &[u128]) -> RecordsResult<u128> {
        self.engine.transact(|store, consent, records| records.archive_records(store, &ConsentReader(consent), ctx, record_ids))
    }

    pub fn purge_record(&mut self, ctx: &Context, record_id: u128) -> RecordsResult<bool> {
        self.engine.transact(|store, _, records| records.purge_record(store, ctx, record_id))
    }

    pub fn set_paused(&mut self, ctx: &Context, paused: bool) -> RecordsResult<bool> {
        self.engine.transact(|store, _, records| records.set_paused(store, ctx, paused))
    }

    pub fn set_retention_period(&mut self, ctx: &Context, blocks: u128) -> RecordsResult<bool> {
        self.engine.transact(|store, _, records| records.set_retention_period(store, ctx, blocks))
    }

    pub fn transfer_ownership(&mut self, ctx: &Context, new_owner: &Principal) -> RecordsResult<bool> {
        self.engine.transact(|store, _, records| records.transfer_ownership(store, ctx, new_owner))
    }

    /// The permission check: the access level granted, or the contract's refusal.
    pub fn check_access(&self, ctx: &Context, record_id: u128, accessor: &Principal, action: Action) -> Outcome<u128, RecordsError> {
        let engine = &*self.engine;
        engine.records.check_access(&engine.store, &ConsentReader(&engine.consent), ctx, record_id, accessor, action.code())
    }

    pub fn get_record_info(&self, record_id: u128) -> Result<Option<Record>, StateError> {
        self.engine.records.get_record_info(&self.engine.store, record_id)
    }

    pub fn get_record_version(&self, record_id: u128, version: u128) -> Result<Option<RecordVersion>, StateError> {
        self.engine.records.get_record_version(&self.engine.store, record_id, version)
    }

    pub fn get_provider_access(&self, patient: &Principal, provider: &Principal) -> Result<Option<Grant>, StateError> {
        self.engine.records.get_provider_access(&self.engine.store, patient, provider)
    }

    pub fn get_access_log_entry(&self, log_id: u128) -> Result<Option<LogEntry>, StateError> {
        self.engine.records.get_access_log_entry(&self.engine.store, log_id)
    }

    pub fn get_record_count(&self, patient: &Principal) -> Result<u128, StateError> {
        self.engine.records.get_record_count(&self.engine.store, patient)
    }

    pub fn get_stats(&self) -> Result<clarimed_records::state::Stats, StateError> {
        self.engine.records.get_stats(&self.engine.store)
    }

    pub fn get_patient_record_id(&self, patient: &Principal, index: u128) -> Result<Option<u128>, StateError> {
        self.engine.records.get_patient_record_id(&self.engine.store, patient, index)
    }
}

