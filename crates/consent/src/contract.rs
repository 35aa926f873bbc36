//! The functions of `patient-consent`, check for check as in the Clarity source.
//!
//! A public function may write before it fails: the caller runs it in a transaction
//! and drops its writes on `Err`, as Clarity drops them on `(err …)`.

use clarimed_storage::clarity::{ContractId, Item, Map, Principal, StateError};
use clarimed_storage::{StoreRead, StoreWrite};

use crate::codes::{AuditAction, ConsentError, DataType, BLOCKS_PER_YEAR, DEFAULT_EMERGENCY_TIMEOUT, MAX_EMERGENCY_TIMEOUT, MIN_EMERGENCY_TIMEOUT};
use crate::context::{CallError, Context, Outcome};
use crate::events::ConsentEvent;
use crate::state::*;

/// A public call's result: its `ok` value and the event it printed.
pub type Printed<T> = Outcome<(T, ConsentEvent)>;

fn fail<T>(error: ConsentError) -> Outcome<T> {
    Err(CallError::Contract(error))
}

/// `asserts!`: `error` unless `condition` holds.
fn ensure(condition: bool, error: ConsentError) -> Outcome<()> {
    if condition {
        Ok(())
    } else {
        fail(error)
    }
}

/// The contract's maps and vars, under their names in the contract.
pub struct PatientConsent {
    contract_owner: Item<Principal>,
    paused: Item<bool>,
    emergency_timeout: Item<u128>,
    total_patients: Item<u128>,
    total_consents_granted: Item<u128>,
    total_consents_revoked: Item<u128>,
    total_emergency_overrides: Item<u128>,
    patients: Map<Principal, PatientProfile>,
    preferences: Map<Principal, Preferences>,
    consents: Map<ConsentKey, Consent>,
    emergency_access: Map<PatientProvider, EmergencyAccess>,
    emergency_responders: Map<Principal, bool>,
    audit_log: Map<AuditKey, AuditEntry>,
    audit_count: Map<Principal, u128>,
}

impl PatientConsent {
    pub fn new(contract: &ContractId) -> PatientConsent {
        PatientConsent {
            contract_owner: Item::new(contract, "contract-owner"),
            paused: Item::new(contract, "paused"),
            emergency_timeout: Item::new(contract, "emergency-timeout"),
            total_patients: Item::new(contract, "total-patients"),
            total_consents_granted: Item::new(contract, "total-consents-granted"),
            total_consents_revoked: Item::new(contract, "total-consents-revoked"),
            total_emergency_overrides: Item::new(contract, "total-emergency-overrides"),
            patients: Map::new(contract, "patients"),
            preferences: Map::new(contract, "preferences"),
            consents: Map::new(contract, "consents"),
            emergency_access: Map::new(contract, "emergency-access"),
            emergency_responders: Map::new(contract, "emergency-responders"),
            audit_log: Map::new(contract, "audit-log"),
            audit_count: Map::new(contract, "audit-count"),
        }
    }

    /// The contract's deployment: its data vars' initial values.
    pub fn deploy(&self, store: &mut impl StoreWrite, deployer: &Principal) -> Result<(), StateError> {
        self.contract_owner.set(store, deployer)?;
        self.paused.set(store, &false)?;
        self.emergency_timeout.set(store, &DEFAULT_EMERGENCY_TIMEOUT)?;
        for counter in [&self.total_patients, &self.total_consents_granted, &self.total_consents_revoked, &self.total_emergency_overrides] {
            counter.set(store, &0)?;
        }
        Ok(())
    }

    // Private helpers, as in the contract.

    fn is_owner(&self, store: &impl StoreRead, ctx: &Context) -> Result<bool, StateError> {
        Ok(ctx.sender == self.contract_owner.get(store)?)
    }

    fn ensure_not_paused(&self, store: &impl StoreRead) -> Outcome<()> {
        ensure(!self.paused.get(store)?, ConsentError::Paused)
    }

    fn increment(counter: &Item<u128>, store: &mut impl StoreWrite) -> Result<(), StateError> {
        let value = counter.get(store)?;
        counter.set(store, &(value + 1))
    }

    fn append_audit(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        patient: &Principal,
        action: AuditAction,
        provider: Option<Principal>,
        data_type: Option<u128>,
    ) -> Result<u128, StateError> {
        let seq = self.audit_count.get(store, patient)?.unwrap_or(0);
        let key = AuditKey { patient: patient.clone(), seq };
        let entry = AuditEntry { action: action.code(), actor: ctx.sender.clone(), block: ctx.block_height, data_type, provider };
        self.audit_log.set(store, &key, &entry)?;
        self.audit_count.set(store, patient, &(seq + 1))?;
        Ok(seq)
    }

    /// The caller as a registered, living patient.
    fn living_caller_profile(&self, store: &impl StoreRead, ctx: &Context) -> Outcome<PatientProfile> {
        let Some(profile) = self.patients.get(store, &ctx.sender)? else {
            return fail(ConsentError::PatientNotFound);
        };
        ensure(!profile.deceased, ConsentError::PatientDeceased)?;
        Ok(profile)
    }

    fn check_consent_terms(ctx: &Context, data_type: u128, expires_at: Option<u128>) -> Outcome<()> {
        let Some(data_type) = DataType::from_code(data_type) else {
            return fail(ConsentError::InvalidDataType);
        };
        if let Some(expiry) = expires_at {
            ensure(expiry > ctx.block_height, ConsentError::InvalidExpiry)?;
        }
        if data_type.is_sensitive() {
            match expires_at {
                Some(expiry) if expiry <= ctx.block_height + BLOCKS_PER_YEAR => {}
                _ => return fail(ConsentError::InvalidExpiry),
            }
        }
        Ok(())
    }

    fn write_consent(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        provider: &Principal,
        data_type: u128,
        expires_at: Option<u128>,
        purpose: &str,
    ) -> Outcome<()> {
        Self::check_consent_terms(ctx, data_type, expires_at)?;
        let key = ConsentKey { data_type, patient: ctx.sender.clone(), provider: provider.clone() };
        let consent = Consent { expires_at, granted_at: ctx.block_height, purpose: purpose.to_string() };
        self.consents.set(store, &key, &consent)?;
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Grant, Some(provider.clone()), Some(data_type))?;
        Self::increment(&self.total_consents_granted, store)?;
        Ok(())
    }

    // Public functions.

    pub fn register_patient(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        patient_id: &str,
        date_of_birth: u128,
        emergency_contact: Option<Principal>,
        primary_physician: Option<Principal>,
    ) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        ensure(!self.patients.contains(store, &ctx.sender)?, ConsentError::PatientExists)?;
        ensure(!patient_id.is_empty(), ConsentError::InvalidInput)?;
        ensure(is_valid_date_of_birth(date_of_birth), ConsentError::InvalidInput)?;
        let profile = PatientProfile {
            date_of_birth,
            deceased: false,
            emergency_contact,
            last_updated: ctx.block_height,
            patient_id: patient_id.to_string(),
            primary_physician,
            registration_date: ctx.block_height,
        };
        self.patients.set(store, &ctx.sender, &profile)?;
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Register, None, None)?;
        Self::increment(&self.total_patients, store)?;
        let event = ConsentEvent::PatientRegistered { patient: ctx.sender.clone(), patient_id: patient_id.to_string() };
        Ok((true, event))
    }

    pub fn update_patient_profile(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        emergency_contact: Option<Principal>,
        primary_physician: Option<Principal>,
    ) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        let profile = self.living_caller_profile(store, ctx)?;
        let profile = PatientProfile { emergency_contact, primary_physician, last_updated: ctx.block_height, ..profile };
        self.patients.set(store, &ctx.sender, &profile)?;
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Profile, None, None)?;
        Ok((true, ConsentEvent::ProfileUpdated { patient: ctx.sender.clone() }))
    }

    pub fn update_patient_preferences(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        allow_emergency_access: bool,
        notify_on_access: bool,
        research_opt_in: bool,
    ) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        self.living_caller_profile(store, ctx)?;
        let preferences = Preferences { allow_emergency_access, notify_on_access, research_opt_in };
        self.preferences.set(store, &ctx.sender, &preferences)?;
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Preferences, None, None)?;
        Ok((true, ConsentEvent::PreferencesUpdated { patient: ctx.sender.clone() }))
    }

    pub fn grant_consent(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        provider: &Principal,
        data_type: u128,
        expires_at: Option<u128>,
        purpose: &str,
    ) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        self.living_caller_profile(store, ctx)?;
        ensure(*provider != ctx.sender, ConsentError::InvalidInput)?;
        self.write_consent(store, ctx, provider, data_type, expires_at, purpose)?;
        let event = ConsentEvent::ConsentGranted { patient: ctx.sender.clone(), provider: provider.clone(), data_type, expires_at };
        Ok((true, event))
    }

    /// All or nothing: the first refused data type fails the call.
    pub fn grant_consent_batch(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        provider: &Principal,
        data_types: &[u128],
        expires_at: Option<u128>,
        purpose: &str,
    ) -> Printed<u128> {
        self.ensure_not_paused(store)?;
        self.living_caller_profile(store, ctx)?;
        ensure(*provider != ctx.sender, ConsentError::InvalidInput)?;
        ensure(!data_types.is_empty(), ConsentError::InvalidInput)?;
        for &data_type in data_types {
            self.write_consent(store, ctx, provider, data_type, expires_at, purpose)?;
        }
        let event = ConsentEvent::ConsentBatchGranted { patient: ctx.sender.clone(), provider: provider.clone(), data_types: data_types.to_vec(), expires_at };
        Ok((data_types.len() as u128, event))
    }

    /// Works while paused.
    pub fn revoke_consent(&self, store: &mut impl StoreWrite, ctx: &Context, provider: &Principal, data_type: u128) -> Printed<bool> {
        let key = ConsentKey { data_type, patient: ctx.sender.clone(), provider: provider.clone() };
        ensure(self.patients.contains(store, &ctx.sender)?, ConsentError::PatientNotFound)?;
        ensure(DataType::from_code(data_type).is_some(), ConsentError::InvalidDataType)?;
        ensure(self.consents.contains(store, &key)?, ConsentError::ConsentNotFound)?;
        self.consents.delete(store, &key)?;
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Revoke, Some(provider.clone()), Some(data_type))?;
        Self::increment(&self.total_consents_revoked, store)?;
        let event = ConsentEvent::ConsentRevoked { patient: ctx.sender.clone(), provider: provider.clone(), data_type };
        Ok((true, event))
    }

    pub fn emergency_override(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal, reason: &str) -> Printed<u128> {
        self.ensure_not_paused(store)?;
        ensure(self.is_emergency_responder(store, &ctx.sender)?, ConsentError::Unauthorized)?;
        let Some(profile) = self.patients.get(store, patient)? else {
            return fail(ConsentError::PatientNotFound);
        };
        let preferences = self.preferences.get(store, patient)?.unwrap_or_default();
        let expires_at = ctx.block_height + self.emergency_timeout.get(store)?;
        ensure(!profile.deceased, ConsentError::PatientDeceased)?;
        ensure(preferences.allow_emergency_access, ConsentError::EmergencyNotAllowed)?;
        ensure(!reason.is_empty(), ConsentError::InvalidInput)?;
        let key = PatientProvider { patient: patient.clone(), provider: ctx.sender.clone() };
        let access = EmergencyAccess { expires_at, granted_at: ctx.block_height, reason: reason.to_string() };
        self.emergency_access.set(store, &key, &access)?;
        self.append_audit(store, ctx, patient, AuditAction::EmergencyOverride, Some(ctx.sender.clone()), None)?;
        Self::increment(&self.total_emergency_overrides, store)?;
        let event = ConsentEvent::EmergencyOverride { patient: patient.clone(), provider: ctx.sender.clone(), expires_at, reason: reason.to_string() };
        Ok((expires_at, event))
    }

    /// Works while paused.
    pub fn revoke_emergency_access(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal, provider: &Principal) -> Printed<bool> {
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        ensure(ctx.sender == *patient || self.is_owner(store, ctx)?, ConsentError::Unauthorized)?;
        ensure(self.emergency_access.contains(store, &key)?, ConsentError::EmergencyNotFound)?;
        self.emergency_access.delete(store, &key)?;
        self.append_audit(store, ctx, patient, AuditAction::EmergencyRevoked, Some(provider.clone()), None)?;
        let event = ConsentEvent::EmergencyAccessRevoked { patient: patient.clone(), provider: provider.clone() };
        Ok((true, event))
    }

    pub fn mark_deceased(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        let Some(profile) = self.patients.get(store, patient)? else {
            return fail(ConsentError::PatientNotFound);
        };
        let is_physician = profile.primary_physician.as_ref() == Some(&ctx.sender);
        ensure(is_physician || self.is_owner(store, ctx)?, ConsentError::Unauthorized)?;
        ensure(!profile.deceased, ConsentError::PatientDeceased)?;
        let profile = PatientProfile { deceased: true, last_updated: ctx.block_height, ..profile };
        self.patients.set(store, patient, &profile)?;
        self.append_audit(store, ctx, patient, AuditAction::Deceased, None, None)?;
        Ok((true, ConsentEvent::PatientDeceased { patient: patient.clone() }))
    }

    // Owner functions: not subject to pause.

    pub fn set_paused(&self, store: &mut impl StoreWrite, ctx: &Context, paused: bool) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, ConsentError::Unauthorized)?;
        self.paused.set(store, &paused)?;
        Ok((true, ConsentEvent::PausedSet { paused }))
    }

    pub fn set_emergency_timeout(&self, store: &mut impl StoreWrite, ctx: &Context, blocks: u128) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, ConsentError::Unauthorized)?;
        ensure((MIN_EMERGENCY_TIMEOUT..=MAX_EMERGENCY_TIMEOUT).contains(&blocks), ConsentError::InvalidTimeout)?;
        self.emergency_timeout.set(store, &blocks)?;
        Ok((true, ConsentEvent::EmergencyTimeoutSet { blocks }))
    }

    pub fn set_emergency_responder(&self, store: &mut impl StoreWrite, ctx: &Context, responder: &Principal, enabled: bool) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, ConsentError::Unauthorized)?;
        self.emergency_responders.set(store, responder, &enabled)?;
        Ok((true, ConsentEvent::EmergencyResponderSet { responder: responder.clone(), enabled }))
    }

    pub fn transfer_ownership(&self, store: &mut impl StoreWrite, ctx: &Context, new_owner: &Principal) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, ConsentError::Unauthorized)?;
        self.contract_owner.set(store, new_owner)?;
        Ok((true, ConsentEvent::OwnershipTransferred { new_owner: new_owner.clone() }))
    }

    // Read-only functions.

    pub fn get_patient(&self, store: &impl StoreRead, patient: &Principal) -> Result<Option<PatientProfile>, StateError> {
        self.patients.get(store, patient)
    }

    pub fn get_preferences(&self, store: &impl StoreRead, patient: &Principal) -> Result<Option<Preferences>, StateError> {
        if !self.patients.contains(store, patient)? {
            return Ok(None);
        }
        Ok(Some(self.preferences.get(store, patient)?.unwrap_or_default()))
    }

    pub fn get_consent(&self, store: &impl StoreRead, patient: &Principal, provider: &Principal, data_type: u128) -> Result<Option<Consent>, StateError> {
        self.consents.get(store, &ConsentKey { data_type, patient: patient.clone(), provider: provider.clone() })
    }

    pub fn get_emergency_access(&self, store: &impl StoreRead, patient: &Principal, provider: &Principal) -> Result<Option<EmergencyAccess>, StateError> {
        self.emergency_access.get(store, &PatientProvider { patient: patient.clone(), provider: provider.clone() })
    }

    pub fn get_audit_entry(&self, store: &impl StoreRead, patient: &Principal, seq: u128) -> Result<Option<AuditEntry>, StateError> {
        self.audit_log.get(store, &AuditKey { patient: patient.clone(), seq })
    }

    pub fn get_audit_count(&self, store: &impl StoreRead, patient: &Principal) -> Result<u128, StateError> {
        Ok(self.audit_count.get(store, patient)?.unwrap_or(0))
    }

    pub fn get_emergency_timeout(&self, store: &impl StoreRead) -> Result<u128, StateError> {
        self.emergency_timeout.get(store)
    }

    pub fn is_paused(&self, store: &impl StoreRead) -> Result<bool, StateError> {
        self.paused.get(store)
    }

    pub fn get_contract_owner(&self, store: &impl StoreRead) -> Result<Principal, StateError> {
        self.contract_owner.get(store)
    }

    pub fn is_emergency_responder(&self, store: &impl StoreRead, responder: &Principal) -> Result<bool, StateError> {
        Ok(self.emergency_responders.get(store, responder)?.unwrap_or(false))
    }

    pub fn get_stats(&self, store: &impl StoreRead) -> Result<Stats, StateError> {
        Ok(Stats {
            total_consents_granted: self.total_consents_granted.get(store)?,
            total_consents_revoked: self.total_consents_revoked.get(store)?,
            total_emergency_overrides: self.total_emergency_overrides.get(store)?,
            total_patients: self.total_patients.get(store)?,
        })
    }

    /// An entry exists and its expiry is none or above `block-height`.
    pub fn has_consent(
        &self,
        store: &impl StoreRead,
        block_height: u128,
        patient: &Principal,
        provider: &Principal,
        data_type: u128,
    ) -> Result<bool, StateError> {
        let key = ConsentKey { data_type, patient: patient.clone(), provider: provider.clone() };
        Ok(match self.consents.view::<ConsentTerms>(store, &key)? {
            Some(consent) => consent.expires_at.is_none_or(|expiry| expiry > block_height),
            None => false,
        })
    }

    /// An entry exists and `block-height` is below its expiry.
    pub fn has_emergency_access(&self, store: &impl StoreRead, block_height: u128, patient: &Principal, provider: &Principal) -> Result<bool, StateError> {
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        Ok(self.emergency_access.view::<EmergencyTerms>(store, &key)?.is_some_and(|access| block_height < access.expires_at))
    }

    pub fn can_access(
        &self,
        store: &impl StoreRead,
        block_height: u128,
        patient: &Principal,
        provider: &Principal,
        data_type: u128,
    ) -> Result<bool, StateError> {
        if self.has_consent(store, block_height, patient, provider, data_type)? {
            return Ok(true);
        }
        let covered = DataType::from_code(data_type).is_some_and(DataType::is_emergency_covered);
        Ok(self.has_emergency_access(store, block_height, patient, provider)? && covered)
    }
}

/// YYYYMMDD with year 1900..2999, month 1..12, day 1..31.
fn is_valid_date_of_birth(date: u128) -> bool {
    let (year, month, day) = (date / 10_000, (date / 100) % 100, date % 100);
    (1900..=2999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}
