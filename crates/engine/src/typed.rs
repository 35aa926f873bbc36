//! The typed API, for embedding: each contract function as a Rust method.
//!
//! Public functions take the caller (`tx-sender`) and return their `ok` value and
//! the event they printed, or [`CallError::Contract`] with the contract's error;
//! either way the call was a transaction of its own at the engine's block height,
//! kept only on `Ok`. Read-only functions read the committed state through a shared
//! reference. Every method checks its arguments against its row of the function
//! table, as the Clarity-valued API does: a string longer than its parameter, say,
//! is [`EngineError::ArgumentType`] and changes nothing. Codes (data types, access
//! levels, record types, actions) are taken as anything that turns into a `uint`:
//! the typed enums, or a raw code, which the contract checks as Clarity would.

use clarimed_consent::codes::ConsentError;
use clarimed_consent::state::{AuditEntry, Consent, EmergencyAccess, PatientProfile, Preferences};
use clarimed_consent::ConsentEvent;
use clarimed_records::codes::RecordsError;
use clarimed_records::state::{Grant, LogEntry, Record, RecordVersion};
use clarimed_records::{Content, RecordsEvent, Signed};
use clarimed_storage::clarity::Principal;
use std::cell::Cell;

use clarimed_costs::ExecutionCost;

use crate::engine::{ConsentReader, Core, Engine, Mode};
use crate::error::{CallError, EngineError};
use crate::purposes;
use crate::table::{self, Arg, Contract};
use crate::verified::{Consulting, VerifiedSignatures};

/// A public call's `ok` value and its print event, or why not.
pub type ConsentResult<T> = Result<(T, ConsentEvent), CallError<ConsentError>>;
/// A public call's `ok` value and its print event, or why not.
pub type RecordsResult<T> = Result<(T, RecordsEvent), CallError<RecordsError>>;

impl<S> Engine<S> {
    /// `patient-consent`'s functions.
    pub fn consent(&self) -> ConsentCalls<'_> {
        self.core().consent()
    }

    /// `record-management`'s functions.
    pub fn records(&self) -> RecordsCalls<'_> {
        self.core().records()
    }

    /// `record-management`'s functions, each signature looked up in `verified`
    /// before it is verified (see [`VerifiedSignatures`]): same answers, same
    /// costs, and a signature verified on another thread is not verified again.
    pub fn records_verified<'e>(&'e self, verified: &'e VerifiedSignatures) -> RecordsCalls<'e> {
        RecordsCalls { verified: Some(verified), ..self.core().records() }
    }
}

impl Core {
    pub(crate) fn consent(&self) -> ConsentCalls<'_> {
        self.consent_in(Mode::Commit)
    }

    pub(crate) fn records(&self) -> RecordsCalls<'_> {
        self.records_in(Mode::Commit)
    }

    pub(crate) fn consent_in(&self, mode: Mode) -> ConsentCalls<'_> {
        ConsentCalls { core: self, mode, cost: Cell::new(ExecutionCost::ZERO) }
    }

    pub(crate) fn records_in(&self, mode: Mode) -> RecordsCalls<'_> {
        RecordsCalls { core: self, mode, cost: Cell::new(ExecutionCost::ZERO), verified: None }
    }
}

/// `patient-consent`'s public and read-only functions.
///
/// Each call's execution cost, as clarity-vm charges it, is kept until the next
/// call: [`ConsentCalls::last_cost`].
pub struct ConsentCalls<'e> {
    core: &'e Core,
    mode: Mode,
    cost: Cell<ExecutionCost>,
}

/// `record-management`'s public and read-only functions.
///
/// Each call's execution cost, as clarity-vm charges it, is kept until the next
/// call: [`RecordsCalls::last_cost`].
pub struct RecordsCalls<'e> {
    core: &'e Core,
    mode: Mode,
    cost: Cell<ExecutionCost>,
    /// Signatures verified ahead, for [`Engine::records_verified`].
    verified: Option<&'e VerifiedSignatures>,
}

/// The table row's check of the arguments, as the error of any call.
fn admit<E>(row: &table::Function, args: &[&dyn Arg]) -> Result<(), CallError<E>> {
    Ok(row.admit(args)?)
}

impl ConsentCalls<'_> {
    /// The execution cost of the last call made through this value that ran
    /// (a call refused for its arguments runs nothing and costs nothing): a public
    /// call's, whatever its result, or a read-only call's, including one refused
    /// for passing a cost limit.
    pub fn last_cost(&self) -> ExecutionCost {
        self.cost.get()
    }

    /// `register-patient`.
    pub fn register_patient(
        &self,
        sender: &Principal,
        patient_id: &str,
        date_of_birth: u128,
        emergency_contact: Option<Principal>,
        primary_physician: Option<Principal>,
    ) -> ConsentResult<bool> {
        admit(&table::REGISTER_PATIENT, &[&patient_id, &date_of_birth, &emergency_contact, &primary_physician])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            self.core.consent.register_patient(store, ctx, patient_id, date_of_birth, emergency_contact, primary_physician)
        })
    }

    /// `update-patient-profile`.
    pub fn update_patient_profile(
        &self,
        sender: &Principal,
        emergency_contact: Option<Principal>,
        primary_physician: Option<Principal>,
    ) -> ConsentResult<bool> {
        admit(&table::UPDATE_PATIENT_PROFILE, &[&emergency_contact, &primary_physician])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            self.core.consent.update_patient_profile(store, ctx, emergency_contact, primary_physician)
        })
    }

    /// `update-patient-preferences`.
    pub fn update_patient_preferences(
        &self,
        sender: &Principal,
        allow_emergency_access: bool,
        notify_on_access: bool,
        research_opt_in: bool,
    ) -> ConsentResult<bool> {
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            self.core.consent.update_patient_preferences(store, ctx, allow_emergency_access, notify_on_access, research_opt_in)
        })
    }

    /// `grant-consent`.
    pub fn grant_consent(
        &self,
        sender: &Principal,
        provider: &Principal,
        data_type: impl Into<u128>,
        expires_at: Option<u128>,
        purpose: &str,
    ) -> ConsentResult<bool> {
        let data_type = data_type.into();
        admit(&table::GRANT_CONSENT, &[provider, &data_type, &expires_at, &purpose])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            purposes::keep_before_closing(store, &self.core.consent, &ctx.caller, provider, data_type)?;
            self.core.consent.grant_consent(store, ctx, provider, data_type, expires_at, purpose)
        })
    }

    /// `grant-consent-batch`: all or nothing.
    pub fn grant_consent_batch<T: Into<u128> + Copy>(
        &self,
        sender: &Principal,
        provider: &Principal,
        data_types: &[T],
        expires_at: Option<u128>,
        purpose: &str,
    ) -> ConsentResult<u128> {
        let codes: Vec<u128> = data_types.iter().map(|&t| t.into()).collect();
        admit(&table::GRANT_CONSENT_BATCH, &[provider, &codes.as_slice(), &expires_at, &purpose])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            for data_type in &codes {
                purposes::keep_before_closing(store, &self.core.consent, &ctx.caller, provider, *data_type)?;
            }
            self.core.consent.grant_consent_batch(store, ctx, provider, &codes, expires_at, purpose)
        })
    }

    /// `revoke-consent`; works while paused.
    pub fn revoke_consent(&self, sender: &Principal, provider: &Principal, data_type: impl Into<u128>) -> ConsentResult<bool> {
        let data_type = data_type.into();
        admit(&table::REVOKE_CONSENT, &[provider, &data_type])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            purposes::keep_before_closing(store, &self.core.consent, &ctx.caller, provider, data_type)?;
            self.core.consent.revoke_consent(store, ctx, provider, data_type)
        })
    }

    /// `emergency-override`: the block its access ends at.
    pub fn emergency_override(&self, sender: &Principal, patient: &Principal, reason: &str) -> ConsentResult<u128> {
        admit(&table::EMERGENCY_OVERRIDE, &[patient, &reason])?;
        self.core
            .transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| self.core.consent.emergency_override(store, ctx, patient, reason))
    }

    /// `revoke-emergency-access`; works while paused.
    pub fn revoke_emergency_access(&self, sender: &Principal, patient: &Principal, provider: &Principal) -> ConsentResult<bool> {
        admit(&table::REVOKE_EMERGENCY_ACCESS, &[patient, provider])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            self.core.consent.revoke_emergency_access(store, ctx, patient, provider)
        })
    }

    /// `mark-deceased`.
    pub fn mark_deceased(&self, sender: &Principal, patient: &Principal) -> ConsentResult<bool> {
        admit(&table::MARK_DECEASED, &[patient])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| self.core.consent.mark_deceased(store, ctx, patient))
    }

    /// `set-paused` (owner only).
    pub fn set_paused(&self, sender: &Principal, paused: bool) -> ConsentResult<bool> {
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| self.core.consent.set_paused(store, ctx, paused))
    }

    /// `set-emergency-timeout` (owner only).
    pub fn set_emergency_timeout(&self, sender: &Principal, blocks: u128) -> ConsentResult<bool> {
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| self.core.consent.set_emergency_timeout(store, ctx, blocks))
    }

    /// `set-emergency-responder` (owner only).
    pub fn set_emergency_responder(&self, sender: &Principal, responder: &Principal, enabled: bool) -> ConsentResult<bool> {
        admit(&table::SET_EMERGENCY_RESPONDER, &[responder, &enabled])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| {
            self.core.consent.set_emergency_responder(store, ctx, responder, enabled)
        })
    }

    /// `transfer-ownership` (owner only).
    pub fn transfer_ownership(&self, sender: &Principal, new_owner: &Principal) -> ConsentResult<bool> {
        admit(&table::CONSENT_TRANSFER_OWNERSHIP, &[new_owner])?;
        self.core.transact(sender, Contract::PatientConsent, self.mode, &self.cost, |store, ctx| self.core.consent.transfer_ownership(store, ctx, new_owner))
    }

    /// `get-patient`.
    pub fn get_patient(&self, patient: &Principal) -> Result<Option<PatientProfile>, EngineError> {
        table::GET_PATIENT.admit(&[patient])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_patient(store, m, patient))
    }

    /// `get-preferences`.
    pub fn get_preferences(&self, patient: &Principal) -> Result<Option<Preferences>, EngineError> {
        table::GET_PREFERENCES.admit(&[patient])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_preferences(store, m, patient))
    }

    /// `get-consent`.
    pub fn get_consent(&self, patient: &Principal, provider: &Principal, data_type: impl Into<u128>) -> Result<Option<Consent>, EngineError> {
        let data_type = data_type.into();
        table::GET_CONSENT.admit(&[patient, provider, &data_type])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_consent(store, m, patient, provider, data_type))
    }

    /// `get-emergency-access`.
    pub fn get_emergency_access(&self, patient: &Principal, provider: &Principal) -> Result<Option<EmergencyAccess>, EngineError> {
        table::GET_EMERGENCY_ACCESS.admit(&[patient, provider])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_emergency_access(store, m, patient, provider))
    }

    /// `get-audit-entry`.
    pub fn get_audit_entry(&self, patient: &Principal, seq: u128) -> Result<Option<AuditEntry>, EngineError> {
        table::GET_AUDIT_ENTRY.admit(&[patient, &seq])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_audit_entry(store, m, patient, seq))
    }

    /// `get-audit-count`.
    pub fn get_audit_count(&self, patient: &Principal) -> Result<u128, EngineError> {
        table::GET_AUDIT_COUNT.admit(&[patient])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_audit_count(store, m, patient))
    }

    /// `get-emergency-timeout`.
    pub fn get_emergency_timeout(&self) -> Result<u128, EngineError> {
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_emergency_timeout(store, m))
    }

    /// `is-paused`.
    pub fn is_paused(&self) -> Result<bool, EngineError> {
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.is_paused(store, m))
    }

    /// `get-contract-owner`.
    pub fn get_contract_owner(&self) -> Result<Principal, EngineError> {
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_contract_owner(store, m))
    }

    /// `is-emergency-responder`.
    pub fn is_emergency_responder(&self, responder: &Principal) -> Result<bool, EngineError> {
        table::IS_EMERGENCY_RESPONDER.admit(&[responder])?;
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.is_emergency_responder(store, m, responder))
    }

    /// `get-stats`.
    pub fn get_stats(&self) -> Result<clarimed_consent::state::Stats, EngineError> {
        self.core.read_only(Contract::PatientConsent, &self.cost, |store, _, m| self.core.consent.get_stats(store, m))
    }

    /// `has-consent`, at the committed block height.
    pub fn has_consent(&self, patient: &Principal, provider: &Principal, data_type: impl Into<u128>) -> Result<bool, EngineError> {
        let data_type = data_type.into();
        table::HAS_CONSENT.admit(&[patient, provider, &data_type])?;
        self.core
            .read_only(Contract::PatientConsent, &self.cost, |store, height, m| self.core.consent.has_consent(store, m, height, patient, provider, data_type))
    }

    /// `has-emergency-access`, at the committed block height.
    pub fn has_emergency_access(&self, patient: &Principal, provider: &Principal) -> Result<bool, EngineError> {
        table::HAS_EMERGENCY_ACCESS.admit(&[patient, provider])?;
        self.core
            .read_only(Contract::PatientConsent, &self.cost, |store, height, m| self.core.consent.has_emergency_access(store, m, height, patient, provider))
    }

    /// `can-access`, at the committed block height.
    pub fn can_access(&self, patient: &Principal, provider: &Principal, data_type: impl Into<u128>) -> Result<bool, EngineError> {
        let data_type = data_type.into();
        table::CAN_ACCESS.admit(&[patient, provider, &data_type])?;
        self.core
            .read_only(Contract::PatientConsent, &self.cost, |store, height, m| self.core.consent.can_access(store, m, height, patient, provider, data_type))
    }
}

impl RecordsCalls<'_> {
    /// The execution cost of the last call made through this value that ran: see
    /// [`ConsentCalls::last_cost`].
    pub fn last_cost(&self) -> ExecutionCost {
        self.cost.get()
    }

    /// `grant-provider-access`.
    pub fn grant_provider_access(
        &self,
        sender: &Principal,
        patient: &Principal,
        provider: &Principal,
        access_level: impl Into<u128>,
        expires_at: Option<u128>,
        audit_required: bool,
    ) -> RecordsResult<bool> {
        let level = access_level.into();
        admit(&table::GRANT_PROVIDER_ACCESS, &[patient, provider, &level, &expires_at, &audit_required])?;
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.grant_provider_access(store, &ConsentReader(&self.core.consent), ctx, patient, provider, level, expires_at, audit_required)
        })
    }

    /// `revoke-provider-access`; works while paused.
    pub fn revoke_provider_access(&self, sender: &Principal, patient: &Principal, provider: &Principal) -> RecordsResult<bool> {
        admit(&table::REVOKE_PROVIDER_ACCESS, &[patient, provider])?;
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.revoke_provider_access(store, ctx, patient, provider)
        })
    }

    /// `create-record`: the new record's id.
    #[allow(clippy::too_many_arguments)]
    pub fn create_record(
        &self,
        sender: &Principal,
        patient: &Principal,
        record_type: impl Into<u128>,
        content: &Content<'_>,
        encryption_key_id: Option<&str>,
        confidentiality_level: u128,
        signed: &Signed<'_>,
    ) -> RecordsResult<u128> {
        let record_type = record_type.into();
        admit(
            &table::CREATE_RECORD,
            &[
                patient,
                &record_type,
                &content.title,
                &content.data_hash,
                &content.checksum,
                &encryption_key_id,
                &confidentiality_level,
                &signed.signature,
                &signed.public_key,
            ],
        )?;
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            let consent = ConsentReader(&self.core.consent);
            self.core.records.create_record(
                store,
                &consent,
                &Consulting(self.verified),
                ctx,
                patient,
                record_type,
                content,
                encryption_key_id,
                confidentiality_level,
                signed,
            )
        })
    }

    /// `get-record`: the record, with an access-log entry.
    pub fn get_record(&self, sender: &Principal, record_id: u128) -> RecordsResult<Record> {
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.get_record(store, &ConsentReader(&self.core.consent), ctx, record_id)
        })
    }

    /// `update-record`: the new version.
    pub fn update_record(&self, sender: &Principal, record_id: u128, content: &Content<'_>, signed: &Signed<'_>) -> RecordsResult<u128> {
        admit(&table::UPDATE_RECORD, &[&record_id, &content.title, &content.data_hash, &content.checksum, &signed.signature, &signed.public_key])?;
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.update_record(store, &ConsentReader(&self.core.consent), &Consulting(self.verified), ctx, record_id, content, signed)
        })
    }

    /// `rollback-record`: the new version.
    pub fn rollback_record(&self, sender: &Principal, record_id: u128, version: u128) -> RecordsResult<u128> {
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.rollback_record(store, &ConsentReader(&self.core.consent), ctx, record_id, version)
        })
    }

    /// `archive-record`.
    pub fn archive_record(&self, sender: &Principal, record_id: u128) -> RecordsResult<bool> {
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.archive_record(store, &ConsentReader(&self.core.consent), ctx, record_id)
        })
    }

    /// `archive-records`: all or nothing.
    pub fn archive_records(&self, sender: &Principal, record_ids: &[u128]) -> RecordsResult<u128> {
        admit(&table::ARCHIVE_RECORDS, &[&record_ids])?;
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| {
            self.core.records.archive_records(store, &ConsentReader(&self.core.consent), ctx, record_ids)
        })
    }

    /// `purge-record`.
    pub fn purge_record(&self, sender: &Principal, record_id: u128) -> RecordsResult<bool> {
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| self.core.records.purge_record(store, ctx, record_id))
    }

    /// `set-paused` (owner only).
    pub fn set_paused(&self, sender: &Principal, paused: bool) -> RecordsResult<bool> {
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| self.core.records.set_paused(store, ctx, paused))
    }

    /// `set-retention-period` (owner only).
    pub fn set_retention_period(&self, sender: &Principal, blocks: u128) -> RecordsResult<bool> {
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| self.core.records.set_retention_period(store, ctx, blocks))
    }

    /// `transfer-ownership` (owner only).
    pub fn transfer_ownership(&self, sender: &Principal, new_owner: &Principal) -> RecordsResult<bool> {
        admit(&table::RECORDS_TRANSFER_OWNERSHIP, &[new_owner])?;
        self.core.transact(sender, Contract::RecordManagement, self.mode, &self.cost, |store, ctx| self.core.records.transfer_ownership(store, ctx, new_owner))
    }

    /// The permission check, at the committed block height: the access level
    /// granted, or the contract's refusal. Answers are remembered until a key they
    /// read is written.
    pub fn check_access(&self, record_id: u128, accessor: &Principal, action: impl Into<u128>) -> Result<u128, CallError<RecordsError>> {
        let action = action.into();
        admit(&table::CHECK_ACCESS, &[&record_id, accessor, &action])?;
        self.core.check_access(record_id, accessor, action, &self.cost)
    }

    /// `get-record-info`.
    pub fn get_record_info(&self, record_id: u128) -> Result<Option<Record>, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_record_info(store, m, record_id))
    }

    /// `get-record-version`.
    pub fn get_record_version(&self, record_id: u128, version: u128) -> Result<Option<RecordVersion>, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_record_version(store, m, record_id, version))
    }

    /// `get-provider-access`.
    pub fn get_provider_access(&self, patient: &Principal, provider: &Principal) -> Result<Option<Grant>, EngineError> {
        table::GET_PROVIDER_ACCESS.admit(&[patient, provider])?;
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_provider_access(store, m, patient, provider))
    }

    /// `get-access-log-entry`.
    pub fn get_access_log_entry(&self, log_id: u128) -> Result<Option<LogEntry>, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_access_log_entry(store, m, log_id))
    }

    /// `get-record-access-count`.
    pub fn get_record_access_count(&self, record_id: u128) -> Result<u128, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_record_access_count(store, m, record_id))
    }

    /// `get-record-count`.
    pub fn get_record_count(&self, patient: &Principal) -> Result<u128, EngineError> {
        table::GET_RECORD_COUNT.admit(&[patient])?;
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_record_count(store, m, patient))
    }

    /// `get-patient-record-id`.
    pub fn get_patient_record_id(&self, patient: &Principal, index: u128) -> Result<Option<u128>, EngineError> {
        table::GET_PATIENT_RECORD_ID.admit(&[patient, &index])?;
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_patient_record_id(store, m, patient, index))
    }

    /// `verify-checksum`.
    pub fn verify_checksum(&self, record_id: u128, checksum: &[u8]) -> Result<bool, EngineError> {
        table::VERIFY_CHECKSUM.admit(&[&record_id, &checksum])?;
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.verify_checksum(store, m, record_id, checksum))
    }

    /// `get-retention-period`.
    pub fn get_retention_period(&self) -> Result<u128, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_retention_period(store, m))
    }

    /// `is-paused`.
    pub fn is_paused(&self) -> Result<bool, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.is_paused(store, m))
    }

    /// `get-contract-owner`.
    pub fn get_contract_owner(&self) -> Result<Principal, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_contract_owner(store, m))
    }

    /// `get-stats`.
    pub fn get_stats(&self) -> Result<clarimed_records::state::Stats, EngineError> {
        self.core.read_only(Contract::RecordManagement, &self.cost, |store, _, m| self.core.records.get_stats(store, m))
    }
}
