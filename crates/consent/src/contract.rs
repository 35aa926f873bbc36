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

    // Private helpers, as in the contract. Each charges its own entry; its caller
    // charges the lookup of its name and the evaluation of its arguments.

    fn ensure_not_paused(&self, store: &impl StoreRead, m: &Meter, depth: u64) -> Outcome<()> {
        m.apply(F::Asserts, 0);
        unary(m, F::Not);
        let paused = self.paused.var_get(store, m)?;
        assert_or(m, depth, !paused, ConsentError::Paused)
    }

    fn is_owner(&self, store: &impl StoreRead, ctx: &Context) -> Result<bool, StateError> {
        let m = &ctx.meter;
        m.call();
        m.enter(&[]);
        let owner = self.contract_owner.var_get(store, m)?;
        is_eq_principals(m, &ctx.sender, &owner);
        Ok(ctx.sender == owner)
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
        m.call();
        m.enter(&[PRINCIPAL, UINT, OPTIONAL_PRINCIPAL, OPTIONAL_UINT]);
        m.apply(F::Let, 1);
        m.apply(F::DefaultTo, 2);
        m.var(1, PRINCIPAL);
        let seq = self.audit_count.map_get(store, patient, m)?.unwrap_or(0);
        let key = AuditKey { patient: patient.clone(), seq };
        let entry = AuditEntry { action: action.code(), actor: ctx.sender.clone(), block: ctx.block_height, data_type, provider };
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
        m.call();
        m.enter(&[]);
        m.apply(F::Let, 1);
        m.apply(F::UnwrapRet, 2);
        m.var(1, ERR);
        let Some(profile) = self.patients.map_get(store, &ctx.sender, m)? else {
            return fail(ConsentError::PatientNotFound);
        };
        m.apply(F::Asserts, 0);
        unary(m, F::Not);
        m.apply(F::TupleGet, 7);
        m.var(1, profile_size());
        assert_or(m, 1, !profile.deceased, ConsentError::PatientDeceased)?;
        unary(m, F::OkCons);
        m.var(1, profile_size());
        Ok(profile)
    }

    /// `(try! (living-caller-profile))`.
    fn try_living_caller_profile(&self, store: &impl StoreRead, ctx: &Context) -> Outcome<PatientProfile> {
        unary(&ctx.meter, F::TryRet);
        self.living_caller_profile(store, ctx)
    }

    fn is_valid_data_type(m: &Meter, depth: u64, data_type: u128) -> bool {
        m.call();
        m.var(depth, UINT);
        m.enter(&[UINT]);
        compare(m, F::Le);
        m.var(0, UINT);
        m.var(0, UINT);
        DataType::from_code(data_type).is_some()
    }

    fn is_sensitive(m: &Meter, depth: u64, data_type: DataType) -> bool {
        m.call();
        m.var(depth, UINT);
        m.enter(&[UINT]);
        m.apply(F::Or, 2);
        let mental_health = data_type == DataType::MentalHealth;
        for _ in 0..if mental_health { 1 } else { 2 } {
            is_eq_uints(m);
            m.var(0, UINT);
            m.var(0, UINT);
        }
        data_type.is_sensitive()
    }

    fn check_consent_terms(ctx: &Context, data_type: u128, expires_at: Option<u128>) -> Outcome<()> {
        let m = &ctx.meter;
        m.call();
        m.var(0, UINT);
        m.var(0, optional(expires_at.map(|_| UINT)));
        m.enter(&[UINT, OPTIONAL_UINT]);
        m.apply(F::Begin, 3);
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
            compare(m, F::Ge);
            m.var(1, UINT);
            m.block_height();
            assert_or(m, 1, expiry > ctx.block_height, ConsentError::InvalidExpiry)?;
        }
        m.apply(F::If, 0);
        if !Self::is_sensitive(m, 0, data_type) {
            unary(m, F::OkCons);
            return Ok(());
        }
        m.apply(F::Match, 0);
        m.var(0, optional(expires_at.map(|_| UINT)));
        let Some(expiry) = expires_at else {
            m.var(0, ERR);
            return fail(ConsentError::InvalidExpiry);
        };
        m.apply(F::If, 0);
        compare(m, F::Leq);
        m.var(1, UINT);
        m.apply(F::Add, 2);
        m.block_height();
        m.var(1, UINT);
        if expiry <= ctx.block_height + BLOCKS_PER_YEAR {
            unary(m, F::OkCons);
            Ok(())
        } else {
            m.var(1, ERR);
            fail(ConsentError::InvalidExpiry)
        }
    }

    /// `(write-consent provider data-type expires-at purpose)`, its arguments
    /// evaluated at `depth`; `args` is what evaluating them charged beyond that.
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
        m.enter(&[PRINCIPAL, UINT, OPTIONAL_UINT, ASCII_64]);
        m.apply(F::Begin, 5);
        unary(m, F::TryRet);
        Self::check_consent_terms(ctx, data_type, expires_at)?;
        let key = ConsentKey { data_type, patient: ctx.sender.clone(), provider: provider.clone() };
        let consent = Consent { expires_at, granted_at: ctx.block_height, purpose: purpose.to_string() };
        m.apply(F::TupleCons, 3);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.apply(F::TupleCons, 3);
        m.block_height();
        m.var(0, optional(expires_at.map(|_| UINT)));
        m.var(0, ascii(purpose));
        self.consents.map_set(store, &key, &consent, m)?;
        // tx-sender ACTION-GRANT (some provider) (some data-type)
        m.var(0, UINT);
        unary(m, F::SomeCons);
        m.var(0, PRINCIPAL);
        unary(m, F::SomeCons);
        m.var(0, UINT);
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Grant, Some(provider.clone()), Some(data_type))?;
        Self::increment(&self.total_consents_granted, store, m)?;
        unary(m, F::OkCons);
        Ok(())
    }

    /// One step of `grant-consent-batch`'s fold: `acc` is the result so far.
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
    ) -> Outcome<u128> {
        let m = &ctx.meter;
        let acc_size = Shape::tuple(&[
            ("provider", Shape::PRINCIPAL),
            ("expires-at", Shape::optional(expires_at.map(|_| Shape::UINT))),
            ("purpose", Shape::ascii(purpose.len() as u64)),
            ("result", Shape::response(Shape::UINT)),
        ])
        .size;
        m.enter(&[UINT, batch_accumulator()]);
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
            ("provider", provider.to_bytes().len() as u64),
            ("expires-at", ser::optional(expires_at.map(|_| ser::UINT))),
            ("purpose", ser::bytes(purpose.len() as u64)),
            ("result", ser::wrapped(ser::UINT)),
        ]);
        m.apply(F::TupleMerge, acc_ser + ser::tuple(&[("result", ser::wrapped(ser::UINT))]));
        m.var(1, acc_size);
        m.apply(F::TupleCons, 1);
        m.apply(F::Match, 0);
        m.call();
        for _ in 0..3 {
            m.apply(F::TupleGet, 4);
            m.var(1, acc_size);
        }
        m.var(1, UINT);
        let written = self.write_consent(store, ctx, provider, data_type, expires_at, purpose);
        match written {
            Ok(()) => {
                unary(m, F::OkCons);
                m.apply(F::Add, 2);
                m.var(2, UINT);
                Ok(count + 1)
            }
            Err(error) => {
                unary(m, F::ErrCons);
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
        m.enter(&[ASCII_64, UINT, OPTIONAL_PRINCIPAL, OPTIONAL_PRINCIPAL]);
        m.apply(F::Begin, 9);
        self.ensure_not_paused(store, m, 0)?;
        m.apply(F::Asserts, 0);
        unary(m, F::IsNone);
        let exists = self.patients.map_contains(store, &ctx.sender, m)?;
        assert_or(m, 0, !exists, ConsentError::PatientExists)?;
        m.apply(F::Asserts, 0);
        compare(m, F::Ge);
        unary(m, F::Len);
        m.var(0, ascii(patient_id));
        assert_or(m, 0, !patient_id.is_empty(), ConsentError::InvalidInput)?;
        m.apply(F::Asserts, 0);
        let valid = is_valid_date_of_birth(m, date_of_birth);
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
        self.patients.map_set(store, &ctx.sender, &profile, m)?;
        m.var(0, UINT);
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Register, None, None)?;
        Self::increment(&self.total_patients, store, m)?;
        let event = ConsentEvent::PatientRegistered { patient: ctx.sender.clone(), patient_id: patient_id.to_string() };
        m.apply(F::TupleCons, 3);
        m.var(0, ascii(patient_id));
        print(m, &event);
        unary(m, F::OkCons);
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
        m.enter(&[OPTIONAL_PRINCIPAL, OPTIONAL_PRINCIPAL]);
        m.apply(F::Begin, 2);
        self.ensure_not_paused(store, m, 0)?;
        m.apply(F::Let, 1);
        let profile = self.try_living_caller_profile(store, ctx)?;
        let update = ser::tuple(&[
            ("emergency-contact", ser::optional(emergency_contact.as_ref().map(|p| p.to_bytes().len() as u64))),
            ("primary-physician", ser::optional(primary_physician.as_ref().map(|p| p.to_bytes().len() as u64))),
            ("last-updated", ser::UINT),
        ]);
        m.apply(F::TupleMerge, profile.to_bytes().len() as u64 + update);
        m.var(1, profile_size());
        m.apply(F::TupleCons, 3);
        m.var(1, optional(emergency_contact.as_ref().map(|_| PRINCIPAL)));
        m.var(1, optional(primary_physician.as_ref().map(|_| PRINCIPAL)));
        m.block_height();
        let profile = PatientProfile { emergency_contact, primary_physician, last_updated: ctx.block_height, ..profile };
        self.patients.map_set(store, &ctx.sender, &profile, m)?;
        m.var(1, UINT);
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Profile, None, None)?;
        let event = ConsentEvent::ProfileUpdated { patient: ctx.sender.clone() };
        m.apply(F::TupleCons, 2);
        print(m, &event);
        unary(m, F::OkCons);
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
        m.enter(&[BOOL, BOOL, BOOL]);
        m.apply(F::Begin, 6);
        self.ensure_not_paused(store, m, 0)?;
        self.try_living_caller_profile(store, ctx)?;
        m.apply(F::TupleCons, 3);
        for _ in 0..3 {
            m.var(0, BOOL);
        }
        let preferences = Preferences { allow_emergency_access, notify_on_access, research_opt_in };
        self.preferences.map_set(store, &ctx.sender, &preferences, m)?;
        m.var(0, UINT);
        self.append_audit(store, ctx, &ctx.sender, AuditAction::Preferences, None, None)?;
        let event = ConsentEvent::PreferencesUpdated { patient: ctx.sender.clone() };
        m.apply(F::TupleCons, 2);
        print(m, &event);
        unary(m, F::OkCons);
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
        m.enter(&[PRINCIPAL, UINT, OPTIONAL_UINT, ASCII_64]);
        m.apply(F::Begin, 6);
        self.ensure_not_paused(store, m, 0)?;
        self.try_living_caller_profile(store, ctx)?;
        self.ensure_not_caller(ctx, 0, provider)?;
        unary(m, F::TryRet);
        m.call();
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.var(0, optional(expires_at.map(|_| UINT)));
        m.var(0, ascii(purpose));
        self.write_consent(store, ctx, provider, data_type, expires_at, purpose)?;
        let event = ConsentEvent::ConsentGranted { patient: ctx.sender.clone(), provider: provider.clone(), data_type, expires_at };
        m.apply(F::TupleCons, 5);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.var(0, optional(expires_at.map(|_| UINT)));
        print(m, &event);
        unary(m, F::OkCons);
        Ok((true, event))
    }

    /// `(asserts! (not (is-eq provider tx-sender)) ERR-INVALID-INPUT)`.
    fn ensure_not_caller(&self, ctx: &Context, depth: u64, provider: &Principal) -> Outcome<()> {
        let m = &ctx.meter;
        m.apply(F::Asserts, 0);
        unary(m, F::Not);
        is_eq_principals(m, provider, &ctx.sender);
        m.var(depth, PRINCIPAL);
        assert_or(m, depth, *provider != ctx.sender, ConsentError::InvalidInput)
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
        m.enter(&[PRINCIPAL, DATA_TYPES, OPTIONAL_UINT, ASCII_64]);
        m.apply(F::Begin, 6);
        self.ensure_not_paused(store, m, 0)?;
        self.try_living_caller_profile(store, ctx)?;
        self.ensure_not_caller(ctx, 0, provider)?;
        m.apply(F::Asserts, 0);
        compare(m, F::Ge);
        unary(m, F::Len);
        m.var(0, list);
        assert_or(m, 0, !data_types.is_empty(), ConsentError::InvalidInput)?;
        m.apply(F::Let, 1);
        unary(m, F::TryRet);
        m.apply(F::TupleGet, 4);
        m.apply(F::Fold, 0);
        m.call();
        m.var(1, list);
        m.apply(F::TupleCons, 4);
        m.var(1, PRINCIPAL);
        m.var(1, optional(expires_at.map(|_| UINT)));
        m.var(1, ascii(purpose));
        unary(m, F::OkCons);
        let mut acc = Ok(0);
        for &data_type in data_types {
            acc = self.grant_batch_step(store, ctx, provider, data_type, expires_at, purpose, acc);
            if let Err(CallError::State(error)) = acc {
                return Err(CallError::State(error));
            }
        }
        let count = acc?;
        let event = ConsentEvent::ConsentBatchGranted { patient: ctx.sender.clone(), provider: provider.clone(), data_types: data_types.to_vec(), expires_at };
        m.apply(F::TupleCons, 5);
        m.var(1, PRINCIPAL);
        m.var(1, list);
        m.var(1, optional(expires_at.map(|_| UINT)));
        print(m, &event);
        unary(m, F::OkCons);
        m.var(1, UINT);
        Ok((count, event))
    }
/// YYYYMMDD with year 1900..2999, month 1..12, day 1..31.
fn is_valid_date_of_birth(date: u128) -> bool {
    let (year, month, day) = (date / 10_000, (date / 100) % 100, date % 100);
    (1900..=2999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}
