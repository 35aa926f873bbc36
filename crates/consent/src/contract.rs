//! The functions of `patient-consent`, check for check as in the Clarity source.
//!
//! A public function may write before it fails: the caller runs it in a transaction
//! and drops its writes on `Err`, as Clarity drops them on `(err …)`.

use clarimed_costs::{arg, ser, sized, CostFunction as F, Meter, Shape};
use clarimed_storage::clarity::{ClarityType, ContractId, Item, Map, Principal, StateError};
use clarimed_storage::{StoreRead, StoreWrite};

use crate::codes::{AuditAction, ConsentError, DataType, BLOCKS_PER_YEAR, DEFAULT_EMERGENCY_TIMEOUT, MAX_EMERGENCY_TIMEOUT, MIN_EMERGENCY_TIMEOUT};
use crate::context::{CallError, Context, Outcome};
use crate::costs::*;
use crate::events::ConsentEvent;
use crate::state::*;

/// A public call's result: its `ok` value and the event it printed.
pub type Printed<T> = Outcome<(T, ConsentEvent)>;

fn fail<T>(error: ConsentError) -> Outcome<T> {
    Err(CallError::Contract(error))
}

/// The end of `(asserts! condition ERR-…)` at local-context `depth`: the error
/// constant is looked up only when the condition fails.
fn assert_or(m: &Meter, depth: u64, condition: bool, error: ConsentError) -> Outcome<()> {
    if condition {
        Ok(())
    } else {
        m.var(depth, ERR);
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

    // Private helpers, as in the contract. Each charges its entry and body, and
    // most the call itself too (the lookup of the name and the arguments); those
    // whose callers charge the call say so, as do the steps a `fold` applies
    // (which are entered without a lookup).

    fn ensure_not_paused(&self, store: &impl StoreRead, m: &Meter, depth: u64) -> Outcome<()> {
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        let paused = self.paused.var_get(store, m)?;
        assert_or(m, depth, !paused, ConsentError::Paused)
    }

    fn is_owner(&self, store: &impl StoreRead, ctx: &Context) -> Result<bool, StateError> {
        let m = &ctx.meter;
        m.lookup();
        m.enter(&[]);
        let owner = self.contract_owner.var_get(store, m)?;
        is_eq_principals(m, &ctx.caller, &owner);
        Ok(ctx.caller == owner)
    }

    fn increment(counter: &Item<u128>, store: &mut impl StoreWrite, m: &Meter) -> Result<(), StateError> {
        let value = counter.var_get(store, m)?;
        m.apply(F::Add, 2);
        counter.var_set(store, &(value + 1), m)
    }

    /// `(append-audit patient action provider data-type)`; the caller charges the
    /// evaluation of the arguments, which differs from call to call.
    fn append_audit(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        patient: &Principal,
        action: AuditAction,
        provider: Option<Principal>,
        data_type: Option<u128>,
    ) -> Result<u128, StateError> {
        let m = &ctx.meter;
        m.lookup();
        m.enter(&[
            arg(PRINCIPAL),
            arg(UINT),
            sized(OPTIONAL_PRINCIPAL, optional(provider.as_ref().map(|_| PRINCIPAL))),
            sized(OPTIONAL_UINT, optional(data_type.map(|_| UINT))),
        ]);
        m.apply(F::Let, 1);
        m.apply(F::DefaultTo, 2);
        m.inspect(1, PRINCIPAL);
        let seq = self.audit_count.map_get(store, patient, m)?.unwrap_or(0);
        let key = AuditKey { patient: patient.clone(), seq };
        let entry = AuditEntry { action: action.code(), actor: ctx.caller.clone(), block: ctx.block_height, data_type, provider };
        m.apply(F::TupleCons, 2);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.apply(F::TupleCons, 5);
        m.var(1, UINT);
        m.var(1, optional(entry.provider.as_ref().map(|_| PRINCIPAL)));
        m.var(1, optional(entry.data_type.map(|_| UINT)));
        m.block_height();
        self.audit_log.map_set(store, &key, &entry, m)?;
        m.var(1, PRINCIPAL);
        m.apply(F::Add, 2);
        m.var(1, UINT);
        self.audit_count.map_set(store, patient, &(seq + 1), m)?;
        m.var(1, UINT);
        Ok(seq)
    }

    /// The caller as a registered, living patient.
    fn living_caller_profile(&self, store: &impl StoreRead, ctx: &Context) -> Outcome<PatientProfile> {
        let m = &ctx.meter;
        m.lookup();
        m.enter(&[]);
        m.apply(F::Let, 1);
        m.apply(F::UnwrapRet, 2);
        m.var(1, ERR);
        let Some(profile) = self.patients.map_get(store, &ctx.caller, m)? else {
            return fail(ConsentError::PatientNotFound);
        };
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        m.apply(F::TupleGet, 7);
        m.var(1, PROFILE);
        assert_or(m, 1, !profile.deceased, ConsentError::PatientDeceased)?;
        m.unary(F::OkCons);
        m.var(1, PROFILE);
        Ok(profile)
    }

    /// `(try! (living-caller-profile))`.
    fn try_living_caller_profile(&self, store: &impl StoreRead, ctx: &Context) -> Outcome<PatientProfile> {
        ctx.meter.unary(F::TryRet);
        self.living_caller_profile(store, ctx)
    }

    fn is_valid_data_type(m: &Meter, depth: u64, data_type: u128) -> bool {
        m.lookup();
        m.var(depth, UINT);
        m.enter(&[arg(UINT)]);
        m.compare_uints(F::Le);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        DataType::from_code(data_type).is_some()
    }

    fn is_sensitive(m: &Meter, depth: u64, data_type: DataType) -> bool {
        m.lookup();
        m.var(depth, UINT);
        m.enter(&[arg(UINT)]);
        m.apply(F::Or, 2);
        let mental_health = data_type == DataType::MentalHealth;
        for _ in 0..if mental_health { 1 } else { 2 } {
            m.is_eq_uints();
            m.var(0, UINT);
            m.var(0, UINT);
        }
        data_type.is_sensitive()
    }

    fn check_consent_terms(ctx: &Context, data_type: u128, expires_at: Option<u128>) -> Outcome<()> {
        let m = &ctx.meter;
        m.lookup();
        m.var(0, UINT);
        m.var(0, optional(expires_at.map(|_| UINT)));
        m.enter(&[arg(UINT), sized(OPTIONAL_UINT, optional(expires_at.map(|_| UINT)))]);
        m.lookup();
        m.apply(F::Asserts, 0);
        let valid = Self::is_valid_data_type(m, 0, data_type);
        assert_or(m, 0, valid, ConsentError::InvalidDataType)?;
        let Some(data_type) = DataType::from_code(data_type) else {
            return fail(ConsentError::InvalidDataType);
        };
        m.apply(F::Match, 0);
        m.var(0, optional(expires_at.map(|_| UINT)));
        if let Some(expiry) = expires_at {
            m.apply(F::Asserts, 0);
            m.compare_uints(F::Ge);
            m.inspect(1, UINT);
            m.block_height();
            assert_or(m, 1, expiry > ctx.block_height, ConsentError::InvalidExpiry)?;
        }
        // The `begin` ends in a value from here on, so it is charged.
        m.charge(F::Begin, 3);
        m.apply(F::If, 0);
        if !Self::is_sensitive(m, 0, data_type) {
            m.unary(F::OkCons);
            return Ok(());
        }
        m.apply(F::Match, 0);
        m.var(0, optional(expires_at.map(|_| UINT)));
        let Some(expiry) = expires_at else {
            m.var(0, ERR);
            return fail(ConsentError::InvalidExpiry);
        };
        m.apply(F::If, 0);
        m.compare_uints(F::Leq);
        m.inspect(1, UINT);
        m.apply(F::Add, 2);
        m.block_height();
        m.var(1, UINT);
        if expiry <= ctx.block_height + BLOCKS_PER_YEAR {
            m.unary(F::OkCons);
            Ok(())
        } else {
            m.var(1, ERR);
            fail(ConsentError::InvalidExpiry)
        }
    }

    /// `(write-consent provider data-type expires-at purpose)`: its entry and body;
    /// the caller charges the lookup of its name and its arguments, which differ
    /// between `grant-consent` and `grant-batch-step`.
    fn write_consent(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        provider: &Principal,
        data_type: u128,
        expires_at: Option<u128>,
        purpose: &str,
    ) -> Outcome<()> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(UINT), sized(OPTIONAL_UINT, optional(expires_at.map(|_| UINT))), sized(ASCII_64, ascii(purpose))]);
        m.lookup();
        m.unary(F::TryRet);
        Self::check_consent_terms(ctx, data_type, expires_at)?;
        let key = ConsentKey { data_type, patient: ctx.caller.clone(), provider: provider.clone() };
        let consent = Consent { expires_at, granted_at: ctx.block_height, purpose: purpose.to_string() };
        m.apply(F::TupleCons, 3);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.apply(F::TupleCons, 3);
        m.block_height();
        m.var(0, optional(expires_at.map(|_| UINT)));
        m.var(0, ascii(purpose));
        self.consents.map_set(store, &key, &consent, m)?;
        // contract-caller ACTION-GRANT (some provider) (some data-type)
        m.var(0, UINT);
        m.unary(F::SomeCons);
        m.var(0, PRINCIPAL);
        m.unary(F::SomeCons);
        m.var(0, UINT);
        self.append_audit(store, ctx, &ctx.caller, AuditAction::Grant, Some(provider.clone()), Some(data_type))?;
        Self::increment(&self.total_consents_granted, store, m)?;
        m.unary(F::OkCons);
        m.charge(F::Begin, 5);
        Ok(())
    }

    /// One step of `grant-consent-batch`'s fold: `acc` is the result so far, and
    /// `first` says whether it is the fold's initial value, which the contract built.
    #[allow(clippy::too_many_arguments)]
    fn grant_batch_step(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        provider: &Principal,
        data_type: u128,
        expires_at: Option<u128>,
        purpose: &str,
        acc: Outcome<u128>,
        first: bool,
    ) -> Outcome<u128> {
        let m = &ctx.meter;
        // The accumulator has its parameter's declared type inside the step until 4.0
        // (Clarity 2's cast), its values' from 4.0; a later step is passed the one the
        // step before returned, of those same types.
        let own = batch_accumulator(expires_at, purpose);
        let acc_size = m.entered(BATCH_ACCUMULATOR, own);
        m.enter(&[arg(UINT), sized(BATCH_ACCUMULATOR, if first { own } else { acc_size })]);
        m.apply(F::Match, 0);
        m.apply(F::TupleGet, 4);
        m.var(0, acc_size);
        let count = match acc {
            Ok(count) => count,
            Err(error) => {
                m.var(1, acc_size);
                return Err(error);
            }
        };
        let acc_ser = ser::tuple(&[
            ("provider", provider.serialized_len()),
            ("expires-at", ser::optional(expires_at.map(|_| ser::UINT))),
            ("purpose", ser::bytes(purpose.len() as u64)),
            ("result", ser::wrapped(ser::UINT)),
        ]);
        m.apply(F::TupleMerge, acc_ser + ser::tuple(&[("result", ser::wrapped(ser::UINT))]));
        m.var(1, acc_size);
        m.apply(F::TupleCons, 1);
        m.apply(F::Match, 0);
        m.lookup();
        for _ in 0..3 {
            m.apply(F::TupleGet, 4);
            m.var(1, acc_size);
        }
        m.var(1, UINT);
        let written = self.write_consent(store, ctx, provider, data_type, expires_at, purpose);
        match written {
            Ok(()) => {
                m.unary(F::OkCons);
                m.apply(F::Add, 2);
                m.var(2, UINT);
                Ok(count + 1)
            }
            Err(error) => {
                m.unary(F::ErrCons);
                m.var(2, UINT);
                Err(error)
            }
        }
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
        let m = &ctx.meter;
        m.enter(&[
            sized(ASCII_64, ascii(patient_id)),
            arg(UINT),
            sized(OPTIONAL_PRINCIPAL, optional(emergency_contact.as_ref().map(|_| PRINCIPAL))),
            sized(OPTIONAL_PRINCIPAL, optional(primary_physician.as_ref().map(|_| PRINCIPAL))),
        ]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        m.apply(F::Asserts, 0);
        m.unary(F::IsNone);
        let exists = self.patients.map_contains(store, &ctx.caller, m)?;
        assert_or(m, 0, !exists, ConsentError::PatientExists)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Ge);
        m.unary(F::Len);
        m.var(0, ascii(patient_id));
        assert_or(m, 0, !patient_id.is_empty(), ConsentError::InvalidInput)?;
        m.apply(F::Asserts, 0);
        let valid = is_valid_date_of_birth(m, 0, date_of_birth);
        assert_or(m, 0, valid, ConsentError::InvalidInput)?;
        m.apply(F::TupleCons, 7);
        m.var(0, ascii(patient_id));
        m.var(0, UINT);
        m.var(0, optional(emergency_contact.as_ref().map(|_| PRINCIPAL)));
        m.var(0, optional(primary_physician.as_ref().map(|_| PRINCIPAL)));
        m.block_height();
        m.block_height();
        let profile = PatientProfile {
            date_of_birth,
            deceased: false,
            emergency_contact,
            last_updated: ctx.block_height,
            patient_id: patient_id.to_string(),
            primary_physician,
            registration_date: ctx.block_height,
        };
        self.patients.map_set(store, &ctx.caller, &profile, m)?;
        m.var(0, UINT);
        self.append_audit(store, ctx, &ctx.caller, AuditAction::Register, None, None)?;
        Self::increment(&self.total_patients, store, m)?;
        let event = ConsentEvent::PatientRegistered { patient: ctx.caller.clone(), patient_id: patient_id.to_string() };
        m.apply(F::TupleCons, 3);
        m.var(0, ascii(patient_id));
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 9);
        Ok((true, event))
    }

    pub fn update_patient_profile(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        emergency_contact: Option<Principal>,
        primary_physician: Option<Principal>,
    ) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[
            sized(OPTIONAL_PRINCIPAL, optional(emergency_contact.as_ref().map(|_| PRINCIPAL))),
            sized(OPTIONAL_PRINCIPAL, optional(primary_physician.as_ref().map(|_| PRINCIPAL))),
        ]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        m.apply(F::Let, 1);
        let profile = self.try_living_caller_profile(store, ctx)?;
        let update = ser::tuple(&[
            ("emergency-contact", ser::optional(emergency_contact.as_ref().map(|p| p.serialized_len()))),
            ("primary-physician", ser::optional(primary_physician.as_ref().map(|p| p.serialized_len()))),
            ("last-updated", ser::UINT),
        ]);
        m.apply(F::TupleMerge, profile.to_bytes().len() as u64 + update);
        m.var(1, PROFILE);
        m.apply(F::TupleCons, 3);
        m.var(1, optional(emergency_contact.as_ref().map(|_| PRINCIPAL)));
        m.var(1, optional(primary_physician.as_ref().map(|_| PRINCIPAL)));
        m.block_height();
        let profile = PatientProfile { emergency_contact, primary_physician, last_updated: ctx.block_height, ..profile };
        self.patients.map_set(store, &ctx.caller, &profile, m)?;
        m.var(1, UINT);
        self.append_audit(store, ctx, &ctx.caller, AuditAction::Profile, None, None)?;
        let event = ConsentEvent::ProfileUpdated { patient: ctx.caller.clone() };
        m.apply(F::TupleCons, 2);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 2);
        Ok((true, event))
    }

    pub fn update_patient_preferences(
        &self,
        store: &mut impl StoreWrite,
        ctx: &Context,
        allow_emergency_access: bool,
        notify_on_access: bool,
        research_opt_in: bool,
    ) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(BOOL), arg(BOOL), arg(BOOL)]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        self.try_living_caller_profile(store, ctx)?;
        m.apply(F::TupleCons, 3);
        for _ in 0..3 {
            m.var(0, BOOL);
        }
        let preferences = Preferences { allow_emergency_access, notify_on_access, research_opt_in };
        self.preferences.map_set(store, &ctx.caller, &preferences, m)?;
        m.var(0, UINT);
        self.append_audit(store, ctx, &ctx.caller, AuditAction::Preferences, None, None)?;
        let event = ConsentEvent::PreferencesUpdated { patient: ctx.caller.clone() };
        m.apply(F::TupleCons, 2);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 6);
        Ok((true, event))
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
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(UINT), sized(OPTIONAL_UINT, optional(expires_at.map(|_| UINT))), sized(ASCII_64, ascii(purpose))]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        self.try_living_caller_profile(store, ctx)?;
        self.ensure_not_caller(ctx, 0, provider)?;
        m.unary(F::TryRet);
        m.lookup();
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.var(0, optional(expires_at.map(|_| UINT)));
        m.var(0, ascii(purpose));
        self.write_consent(store, ctx, provider, data_type, expires_at, purpose)?;
        let event = ConsentEvent::ConsentGranted { patient: ctx.caller.clone(), provider: provider.clone(), data_type, expires_at };
        m.apply(F::TupleCons, 5);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.var(0, optional(expires_at.map(|_| UINT)));
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 6);
        Ok((true, event))
    }

    /// `(asserts! (not (is-eq provider contract-caller)) ERR-INVALID-INPUT)`.
    fn ensure_not_caller(&self, ctx: &Context, depth: u64, provider: &Principal) -> Outcome<()> {
        let m = &ctx.meter;
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        is_eq_principals(m, provider, &ctx.caller);
        m.var(depth, PRINCIPAL);
        assert_or(m, depth, *provider != ctx.caller, ConsentError::InvalidInput)
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
        let m = &ctx.meter;
        let list = Shape::list(Shape::UINT, data_types.len() as u64).size;
        m.enter(&[arg(PRINCIPAL), sized(DATA_TYPES, list), sized(OPTIONAL_UINT, optional(expires_at.map(|_| UINT))), sized(ASCII_64, ascii(purpose))]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        self.try_living_caller_profile(store, ctx)?;
        self.ensure_not_caller(ctx, 0, provider)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Ge);
        m.unary(F::Len);
        m.var(0, list);
        assert_or(m, 0, !data_types.is_empty(), ConsentError::InvalidInput)?;
        m.apply(F::Let, 1);
        m.unary(F::TryRet);
        m.apply(F::TupleGet, 4);
        m.apply(F::Fold, 0);
        m.lookup();
        m.var(1, list);
        m.apply(F::TupleCons, 4);
        m.var(1, PRINCIPAL);
        m.var(1, optional(expires_at.map(|_| UINT)));
        m.var(1, ascii(purpose));
        m.unary(F::OkCons);
        let mut acc = Ok(0);
        for (index, &data_type) in data_types.iter().enumerate() {
            acc = self.grant_batch_step(store, ctx, provider, data_type, expires_at, purpose, acc, index == 0);
            if let Err(CallError::State(error)) = acc {
                return Err(CallError::State(error));
            }
        }
        let count = acc?;
        let event = ConsentEvent::ConsentBatchGranted { patient: ctx.caller.clone(), provider: provider.clone(), data_types: data_types.to_vec(), expires_at };
        m.apply(F::TupleCons, 5);
        m.var(1, PRINCIPAL);
        m.var(1, list);
        m.var(1, optional(expires_at.map(|_| UINT)));
        print(m, &event);
        m.unary(F::OkCons);
        m.var(1, UINT);
        m.charge(F::Begin, 6);
        Ok((count, event))
    }

    /// Works while paused: a patient can always withdraw consent.
    pub fn revoke_consent(&self, store: &mut impl StoreWrite, ctx: &Context, provider: &Principal, data_type: u128) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(UINT)]);
        m.apply(F::Let, 1);
        let key = ConsentKey { data_type, patient: ctx.caller.clone(), provider: provider.clone() };
        m.apply(F::TupleCons, 3);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.apply(F::Asserts, 0);
        m.unary(F::IsSome);
        let registered = self.patients.map_contains(store, &ctx.caller, m)?;
        assert_or(m, 1, registered, ConsentError::PatientNotFound)?;
        m.apply(F::Asserts, 0);
        let valid = Self::is_valid_data_type(m, 1, data_type);
        assert_or(m, 1, valid, ConsentError::InvalidDataType)?;
        m.apply(F::Asserts, 0);
        m.unary(F::IsSome);
        m.inspect(1, CONSENT_KEY);
        let granted = self.consents.map_contains(store, &key, m)?;
        assert_or(m, 1, granted, ConsentError::ConsentNotFound)?;
        m.inspect(1, CONSENT_KEY);
        self.consents.map_delete(store, &key, m)?;
        m.var(1, UINT);
        m.unary(F::SomeCons);
        m.var(1, PRINCIPAL);
        m.unary(F::SomeCons);
        m.var(1, UINT);
        self.append_audit(store, ctx, &ctx.caller, AuditAction::Revoke, Some(provider.clone()), Some(data_type))?;
        Self::increment(&self.total_consents_revoked, store, m)?;
        let event = ConsentEvent::ConsentRevoked { patient: ctx.caller.clone(), provider: provider.clone(), data_type };
        m.apply(F::TupleCons, 4);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        Ok((true, event))
    }

    /// The caller must be an enabled emergency responder; returns the expiry.
    pub fn emergency_override(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal, reason: &str) -> Printed<u128> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), sized(ASCII_128, ascii(reason))]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        m.apply(F::Asserts, 0);
        m.apply(F::DefaultTo, 2);
        let responder = self.emergency_responders.map_get(store, &ctx.caller, m)?.unwrap_or(false);
        assert_or(m, 0, responder, ConsentError::Unauthorized)?;
        m.apply(F::Let, 3);
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, PRINCIPAL);
        m.var(1, ERR);
        let Some(profile) = self.patients.map_get(store, patient, m)? else {
            return fail(ConsentError::PatientNotFound);
        };
        m.apply(F::DefaultTo, 2);
        m.var(1, DEFAULT_PREFERENCES);
        m.inspect(1, PRINCIPAL);
        let preferences = self.preferences.map_get(store, patient, m)?.unwrap_or_default();
        m.apply(F::Add, 2);
        m.block_height();
        let expires_at = ctx.block_height + self.emergency_timeout.var_get(store, m)?;
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        m.apply(F::TupleGet, 7);
        m.var(1, PROFILE);
        assert_or(m, 1, !profile.deceased, ConsentError::PatientDeceased)?;
        m.apply(F::Asserts, 0);
        m.apply(F::TupleGet, 3);
        m.var(1, DEFAULT_PREFERENCES);
        assert_or(m, 1, preferences.allow_emergency_access, ConsentError::EmergencyNotAllowed)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Ge);
        m.unary(F::Len);
        m.var(1, ascii(reason));
        assert_or(m, 1, !reason.is_empty(), ConsentError::InvalidInput)?;
        let key = PatientProvider { patient: patient.clone(), provider: ctx.caller.clone() };
        let access = EmergencyAccess { expires_at, granted_at: ctx.block_height, reason: reason.to_string() };
        m.apply(F::TupleCons, 2);
        m.var(1, PRINCIPAL);
        m.apply(F::TupleCons, 3);
        m.block_height();
        m.var(1, UINT);
        m.var(1, ascii(reason));
        self.emergency_access.map_set(store, &key, &access, m)?;
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.unary(F::SomeCons);
        self.append_audit(store, ctx, patient, AuditAction::EmergencyOverride, Some(ctx.caller.clone()), None)?;
        Self::increment(&self.total_emergency_overrides, store, m)?;
        let event = ConsentEvent::EmergencyOverride { patient: patient.clone(), provider: ctx.caller.clone(), expires_at, reason: reason.to_string() };
        m.apply(F::TupleCons, 5);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.var(1, ascii(reason));
        print(m, &event);
        m.unary(F::OkCons);
        m.var(1, UINT);
        m.charge(F::Begin, 3);
        Ok((expires_at, event))
    }

    /// Works while paused.
    pub fn revoke_emergency_access(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal, provider: &Principal) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::Let, 1);
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        m.apply(F::TupleCons, 2);
        m.var(1, PRINCIPAL);
        m.var(1, PRINCIPAL);
        m.apply(F::Asserts, 0);
        let allowed = self.is_patient_or_owner(store, ctx, 1, patient)?;
        assert_or(m, 1, allowed, ConsentError::Unauthorized)?;
        m.apply(F::Asserts, 0);
        m.unary(F::IsSome);
        m.inspect(1, PATIENT_PROVIDER);
        let granted = self.emergency_access.map_contains(store, &key, m)?;
        assert_or(m, 1, granted, ConsentError::EmergencyNotFound)?;
        m.inspect(1, PATIENT_PROVIDER);
        self.emergency_access.map_delete(store, &key, m)?;
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.unary(F::SomeCons);
        m.var(1, PRINCIPAL);
        self.append_audit(store, ctx, patient, AuditAction::EmergencyRevoked, Some(provider.clone()), None)?;
        let event = ConsentEvent::EmergencyAccessRevoked { patient: patient.clone(), provider: provider.clone() };
        m.apply(F::TupleCons, 3);
        m.var(1, PRINCIPAL);
        m.var(1, PRINCIPAL);
        print(m, &event);
        m.unary(F::OkCons);
        Ok((true, event))
    }

    /// `(or (is-eq contract-caller patient) (is-owner))`.
    fn is_patient_or_owner(&self, store: &impl StoreRead, ctx: &Context, depth: u64, patient: &Principal) -> Result<bool, StateError> {
        let m = &ctx.meter;
        m.apply(F::Or, 2);
        is_eq_principals(m, &ctx.caller, patient);
        m.var(depth, PRINCIPAL);
        Ok(ctx.caller == *patient || self.is_owner(store, ctx)?)
    }

    pub fn mark_deceased(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL)]);
        m.lookup();
        self.ensure_not_paused(store, m, 0)?;
        m.apply(F::Let, 1);
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, PRINCIPAL);
        m.var(1, ERR);
        let Some(profile) = self.patients.map_get(store, patient, m)? else {
            return fail(ConsentError::PatientNotFound);
        };
        m.apply(F::Asserts, 0);
        m.apply(F::Or, 2);
        let physician = profile.primary_physician.as_ref().map_or(ser::NONE, |p| ser::wrapped(p.serialized_len()));
        m.apply(F::Eq, ser::wrapped(ctx.caller.serialized_len()) + physician);
        m.unary(F::SomeCons);
        m.apply(F::TupleGet, 7);
        m.var(1, PROFILE);
        let allowed = profile.primary_physician.as_ref() == Some(&ctx.caller) || self.is_owner(store, ctx)?;
        assert_or(m, 1, allowed, ConsentError::Unauthorized)?;
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        m.apply(F::TupleGet, 7);
        m.var(1, PROFILE);
        assert_or(m, 1, !profile.deceased, ConsentError::PatientDeceased)?;
        m.var(1, PRINCIPAL);
        m.apply(F::TupleMerge, profile.to_bytes().len() as u64 + ser::tuple(&[("deceased", ser::BOOL), ("last-updated", ser::UINT)]));
        m.var(1, PROFILE);
        m.apply(F::TupleCons, 2);
        m.block_height();
        let profile = PatientProfile { deceased: true, last_updated: ctx.block_height, ..profile };
        self.patients.map_set(store, patient, &profile, m)?;
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        self.append_audit(store, ctx, patient, AuditAction::Deceased, None, None)?;
        let event = ConsentEvent::PatientDeceased { patient: patient.clone() };
        m.apply(F::TupleCons, 2);
        m.var(1, PRINCIPAL);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 2);
        Ok((true, event))
    }

    // Owner functions: not subject to pause.

    /// `(asserts! (is-owner) ERR-UNAUTHORIZED)`, the first line of each.
    fn ensure_owner(&self, store: &impl StoreRead, ctx: &Context) -> Outcome<()> {
        ctx.meter.apply(F::Asserts, 0);
        let owner = self.is_owner(store, ctx)?;
        assert_or(&ctx.meter, 0, owner, ConsentError::Unauthorized)
    }

    pub fn set_paused(&self, store: &mut impl StoreWrite, ctx: &Context, paused: bool) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(BOOL)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.var(0, BOOL);
        self.paused.var_set(store, &paused, m)?;
        let event = ConsentEvent::PausedSet { paused };
        m.apply(F::TupleCons, 2);
        m.var(0, BOOL);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok((true, event))
    }

    pub fn set_emergency_timeout(&self, store: &mut impl StoreWrite, ctx: &Context, blocks: u128) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.apply(F::Asserts, 0);
        m.apply(F::And, 2);
        m.compare_uints(F::Geq);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        if blocks >= MIN_EMERGENCY_TIMEOUT {
            m.compare_uints(F::Leq);
            m.inspect(0, UINT);
            m.inspect(0, UINT);
        }
        assert_or(m, 0, (MIN_EMERGENCY_TIMEOUT..=MAX_EMERGENCY_TIMEOUT).contains(&blocks), ConsentError::InvalidTimeout)?;
        m.var(0, UINT);
        self.emergency_timeout.var_set(store, &blocks, m)?;
        let event = ConsentEvent::EmergencyTimeoutSet { blocks };
        m.apply(F::TupleCons, 2);
        m.var(0, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 5);
        Ok((true, event))
    }

    pub fn set_emergency_responder(&self, store: &mut impl StoreWrite, ctx: &Context, responder: &Principal, enabled: bool) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(BOOL)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.var(0, PRINCIPAL);
        m.var(0, BOOL);
        self.emergency_responders.map_set(store, responder, &enabled, m)?;
        let event = ConsentEvent::EmergencyResponderSet { responder: responder.clone(), enabled };
        m.apply(F::TupleCons, 3);
        m.var(0, PRINCIPAL);
        m.var(0, BOOL);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok((true, event))
    }

    pub fn transfer_ownership(&self, store: &mut impl StoreWrite, ctx: &Context, new_owner: &Principal) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.var(0, PRINCIPAL);
        self.contract_owner.var_set(store, new_owner, m)?;
        let event = ConsentEvent::OwnershipTransferred { new_owner: new_owner.clone() };
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok((true, event))
    }

    // Read-only functions. Each charges its entry to `m`; the caller charges the
    // load of the contract, or the lookup of the name and the arguments when one
    // function calls another.

    pub fn get_patient(&self, store: &impl StoreRead, m: &Meter, patient: &Principal) -> Result<Option<PatientProfile>, StateError> {
        m.enter(&[arg(PRINCIPAL)]);
        m.inspect(0, PRINCIPAL);
        self.patients.map_get(store, patient, m)
    }

    pub fn get_preferences(&self, store: &impl StoreRead, m: &Meter, patient: &Principal) -> Result<Option<Preferences>, StateError> {
        m.enter(&[arg(PRINCIPAL)]);
        m.apply(F::Match, 0);
        m.inspect(0, PRINCIPAL);
        if !self.patients.map_contains(store, patient, m)? {
            return Ok(None);
        }
        m.unary(F::SomeCons);
        m.apply(F::DefaultTo, 2);
        m.var(1, DEFAULT_PREFERENCES);
        m.inspect(1, PRINCIPAL);
        Ok(Some(self.preferences.map_get(store, patient, m)?.unwrap_or_default()))
    }

    pub fn get_consent(
        &self,
        store: &impl StoreRead,
        m: &Meter,
        patient: &Principal,
        provider: &Principal,
        data_type: u128,
    ) -> Result<Option<Consent>, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL), arg(UINT)]);
        m.apply(F::TupleCons, 3);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        self.consents.map_get(store, &ConsentKey { data_type, patient: patient.clone(), provider: provider.clone() }, m)
    }

    pub fn get_emergency_access(
        &self,
        store: &impl StoreRead,
        m: &Meter,
        patient: &Principal,
        provider: &Principal,
    ) -> Result<Option<EmergencyAccess>, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        self.emergency_access.map_get(store, &PatientProvider { patient: patient.clone(), provider: provider.clone() }, m)
    }

    pub fn get_audit_entry(&self, store: &impl StoreRead, m: &Meter, patient: &Principal, seq: u128) -> Result<Option<AuditEntry>, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(UINT)]);
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        self.audit_log.map_get(store, &AuditKey { patient: patient.clone(), seq }, m)
    }

    pub fn get_audit_count(&self, store: &impl StoreRead, m: &Meter, patient: &Principal) -> Result<u128, StateError> {
        m.enter(&[arg(PRINCIPAL)]);
        m.apply(F::DefaultTo, 2);
        m.inspect(0, PRINCIPAL);
        Ok(self.audit_count.map_get(store, patient, m)?.unwrap_or(0))
    }

    pub fn get_emergency_timeout(&self, store: &impl StoreRead, m: &Meter) -> Result<u128, StateError> {
        m.enter(&[]);
        self.emergency_timeout.var_get(store, m)
    }

    pub fn is_paused(&self, store: &impl StoreRead, m: &Meter) -> Result<bool, StateError> {
        m.enter(&[]);
        self.paused.var_get(store, m)
    }

    pub fn get_contract_owner(&self, store: &impl StoreRead, m: &Meter) -> Result<Principal, StateError> {
        m.enter(&[]);
        self.contract_owner.var_get(store, m)
    }

    pub fn is_emergency_responder(&self, store: &impl StoreRead, m: &Meter, responder: &Principal) -> Result<bool, StateError> {
        m.enter(&[arg(PRINCIPAL)]);
        m.apply(F::DefaultTo, 2);
        m.inspect(0, PRINCIPAL);
        Ok(self.emergency_responders.map_get(store, responder, m)?.unwrap_or(false))
    }

    pub fn get_stats(&self, store: &impl StoreRead, m: &Meter) -> Result<Stats, StateError> {
        m.enter(&[]);
        m.apply(F::TupleCons, 4);
        Ok(Stats {
            total_patients: self.total_patients.var_get(store, m)?,
            total_consents_granted: self.total_consents_granted.var_get(store, m)?,
            total_consents_revoked: self.total_consents_revoked.var_get(store, m)?,
            total_emergency_overrides: self.total_emergency_overrides.var_get(store, m)?,
        })
    }

    /// An entry exists and its expiry is none or above `block-height`.
    pub fn has_consent(
        &self,
        store: &impl StoreRead,
        m: &Meter,
        block_height: u128,
        patient: &Principal,
        provider: &Principal,
        data_type: u128,
    ) -> Result<bool, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL), arg(UINT)]);
        m.apply(F::Match, 0);
        m.apply(F::TupleCons, 3);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        let key = ConsentKey { data_type, patient: patient.clone(), provider: provider.clone() };
        let Some(consent) = self.consents.map_view::<ConsentTerms>(store, &key, m)? else {
            return Ok(false);
        };
        m.apply(F::Match, 0);
        m.apply(F::TupleGet, 3);
        m.var(1, CONSENT);
        Ok(match consent.expires_at {
            Some(expiry) => {
                m.compare_uints(F::Ge);
                m.inspect(2, UINT);
                m.block_height();
                expiry > block_height
            }
            None => true,
        })
    }

    /// An entry exists and `block-height` is below its expiry.
    pub fn has_emergency_access(
        &self,
        store: &impl StoreRead,
        m: &Meter,
        block_height: u128,
        patient: &Principal,
        provider: &Principal,
    ) -> Result<bool, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::Match, 0);
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        let Some(access) = self.emergency_access.map_view::<EmergencyTerms>(store, &key, m)? else {
            return Ok(false);
        };
        m.compare_uints(F::Le);
        m.block_height();
        m.apply(F::TupleGet, 3);
        m.var(1, EMERGENCY_ACCESS);
        Ok(block_height < access.expires_at)
    }

    pub fn can_access(
        &self,
        store: &impl StoreRead,
        m: &Meter,
        block_height: u128,
        patient: &Principal,
        provider: &Principal,
        data_type: u128,
    ) -> Result<bool, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL), arg(UINT)]);
        m.apply(F::Or, 2);
        m.lookup();
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        if self.has_consent(store, m, block_height, patient, provider, data_type)? {
            return Ok(true);
        }
        m.apply(F::And, 2);
        m.lookup();
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        if !self.has_emergency_access(store, m, block_height, patient, provider)? {
            return Ok(false);
        }
        Ok(is_emergency_covered(m, 0, data_type))
    }
}

/// `(is-emergency-covered data-type)`, its argument named at `depth`.
fn is_emergency_covered(m: &Meter, depth: u64, data_type: u128) -> bool {
    m.lookup();
    m.var(depth, UINT);
    m.enter(&[arg(UINT)]);
    m.apply(F::Or, 2);
    m.compare_uints(F::Leq);
    m.inspect(0, UINT);
    if data_type <= 3 {
        return true;
    }
    m.is_eq_uints();
    m.var(0, UINT);
    m.var(0, UINT);
    DataType::from_code(data_type).is_some_and(DataType::is_emergency_covered)
}

/// `(is-valid-date-of-birth date)`, its argument named at `depth`: YYYYMMDD with
/// year 1900..2999, month 1..12, day 1..31, checked in that order.
fn is_valid_date_of_birth(m: &Meter, depth: u64, date: u128) -> bool {
    m.lookup();
    m.var(depth, UINT);
    m.enter(&[arg(UINT)]);
    m.apply(F::Let, 3);
    m.apply(F::Div, 2);
    m.var(1, UINT);
    m.apply(F::Mod, 2);
    m.apply(F::Div, 2);
    m.var(1, UINT);
    m.apply(F::Mod, 2);
    m.var(1, UINT);
    let (year, month, day) = (date / 10_000, (date / 100) % 100, date % 100);
    let checks = [year >= 1900, year <= 2999, month >= 1, month <= 12, day >= 1, day <= 31];
    m.apply(F::And, checks.len() as u64);
    for (i, passed) in checks.into_iter().enumerate() {
        m.compare_uints(if i % 2 == 0 { F::Geq } else { F::Leq });
        m.inspect(1, UINT);
        if !passed {
            return false;
        }
    }
    true
}

/// `(print event)`: charged by the printed tuple's size.
fn print(m: &Meter, event: &ConsentEvent) {
    m.apply(F::Print, event_size(event));
}
