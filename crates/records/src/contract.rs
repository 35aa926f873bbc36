//! The functions of `record-management`, check for check as in the Clarity source.
//!
//! A public function may write before it fails: the caller runs it in a transaction
//! and drops its writes on `Err`, as Clarity drops them on `(err …)`.

use clarimed_consent::{CallError, Context};
use clarimed_costs::{arg, ser, sized, CostFunction as F, Meter, Shape};
use clarimed_storage::clarity::{Buff, ClarityType, ContractId, Item, Map, Principal, StateError};
use clarimed_storage::{StoreRead, StoreWrite};
use sha2::{Digest, Sha256};

use crate::codes::{
    AccessLevel, Action, LogAction, RecordStatus, RecordType, RecordsError, DEFAULT_RETENTION_PERIOD, MAX_CONFIDENTIALITY, MAX_RETENTION_PERIOD, MAX_VERSIONS,
    MIN_RETENTION_PERIOD,
};
use crate::costs::*;
use crate::events::RecordsEvent;
use crate::state::*;
use crate::view::{ConsentView, Crypto};

pub type Outcome<T> = clarimed_consent::Outcome<T, RecordsError>;
/// A public call's result: its `ok` value and the event it printed.
pub type Printed<T> = Outcome<(T, RecordsEvent)>;

fn fail<T>(error: RecordsError) -> Outcome<T> {
    Err(CallError::Contract(error))
}

/// The end of `(asserts! condition ERR-…)` at local-context `depth`: the error
/// constant is looked up only when the condition fails.
fn assert_or(m: &Meter, depth: u64, condition: bool, error: RecordsError) -> Outcome<()> {
    if condition {
        Ok(())
    } else {
        m.var(depth, ERR);
        fail(error)
    }
}

const READ: u128 = Action::Read.code();
const WRITE: u128 = Action::Write.code();
const ADMIN: u128 = AccessLevel::Admin.code();
const ACTIVE: u128 = RecordStatus::Active.code();

/// A new record's content, as `create-record` and `update-record` take it.
pub struct Content<'a> {
    pub title: &'a str,
    pub data_hash: &'a str,
    pub checksum: &'a [u8],
}

/// A signature over a record's content and the key that made it.
pub struct Signed<'a> {
    pub signature: &'a [u8],
    pub public_key: &'a [u8],
}

/// The contract's maps and vars, under their names in the contract.
pub struct RecordManagement {
    contract_owner: Item<Principal>,
    paused: Item<bool>,
    retention_period: Item<u128>,
    next_record_id: Item<u128>,
    next_log_id: Item<u128>,
    total_provider_grants: Item<u128>,
    records: Map<u128, Record>,
    record_versions: Map<VersionKey, RecordVersion>,
    hash_index: Map<String, u128>,
    patient_record_count: Map<Principal, u128>,
    patient_records: Map<PatientIndex, u128>,
    provider_access: Map<PatientProvider, Grant>,
    access_log: Map<u128, LogEntry>,
    record_access_count: Map<u128, u128>,
}

impl RecordManagement {
    pub fn new(contract: &ContractId) -> RecordManagement {
        RecordManagement {
            contract_owner: Item::new(contract, "contract-owner"),
            paused: Item::new(contract, "paused"),
            retention_period: Item::new(contract, "retention-period"),
            next_record_id: Item::new(contract, "next-record-id"),
            next_log_id: Item::new(contract, "next-log-id"),
            total_provider_grants: Item::new(contract, "total-provider-grants"),
            records: Map::new(contract, "records"),
            record_versions: Map::new(contract, "record-versions"),
            hash_index: Map::new(contract, "hash-index"),
            patient_record_count: Map::new(contract, "patient-record-count"),
            patient_records: Map::new(contract, "patient-records"),
            provider_access: Map::new(contract, "provider-access"),
            access_log: Map::new(contract, "access-log"),
            record_access_count: Map::new(contract, "record-access-count"),
        }
    }

    /// The contract's deployment: its data vars' initial values.
    pub fn deploy(&self, store: &mut impl StoreWrite, deployer: &Principal) -> Result<(), StateError> {
        self.contract_owner.set(store, deployer)?;
        self.paused.set(store, &false)?;
        self.retention_period.set(store, &DEFAULT_RETENTION_PERIOD)?;
        self.next_record_id.set(store, &1)?;
        self.next_log_id.set(store, &1)?;
        self.total_provider_grants.set(store, &0)
    }

    // Private helpers, as in the contract. Each charges its entry and body, and
    // most the call itself too (the lookup of the name and the arguments); those
    // whose callers charge the call say so, as do the steps a `fold` applies
    // (which are entered without a lookup).

    fn is_owner(&self, store: &impl StoreRead, ctx: &Context) -> Result<bool, StateError> {
        let m = &ctx.meter;
        m.lookup();
        m.enter(&[]);
        let owner = self.contract_owner.var_get(store, m)?;
        is_eq_principals(m, &ctx.caller, &owner);
        Ok(ctx.caller == owner)
    }

    /// `(asserts! (not (var-get paused)) ERR-PAUSED)`.
    fn ensure_not_paused(&self, store: &impl StoreRead, m: &Meter) -> Outcome<()> {
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        let paused = self.paused.var_get(store, m)?;
        assert_or(m, 0, !paused, RecordsError::Paused)
    }

    /// `(asserts! (is-owner) ERR-UNAUTHORIZED)`, the first line of each owner function.
    fn ensure_owner(&self, store: &impl StoreRead, ctx: &Context) -> Outcome<()> {
        ctx.meter.apply(F::Asserts, 0);
        let owner = self.is_owner(store, ctx)?;
        assert_or(&ctx.meter, 0, owner, RecordsError::Unauthorized)
    }

    /// A grant whose expiry is none or above `block-height`. The caller charges the
    /// call ([`RecordManagement::call_live_grant`]).
    fn live_grant(&self, store: &impl StoreRead, ctx: &Context, patient: &Principal, provider: &Principal) -> Result<Option<GrantTerms>, StateError> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::Match, 0);
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        let Some(grant) = self.provider_access.map_view::<GrantTerms>(store, &key, m)? else {
            return Ok(None);
        };
        m.apply(F::If, 0);
        m.apply(F::Match, 0);
        m.apply(F::TupleGet, 5);
        m.var(1, GRANT);
        let live = match grant.expires_at {
            Some(expiry) => {
                m.compare_uints(F::Ge);
                m.inspect(2, UINT);
                m.block_height();
                expiry > ctx.block_height
            }
            None => true,
        };
        if !live {
            return Ok(None);
        }
        m.unary(F::SomeCons);
        m.var(1, GRANT);
        Ok(Some(grant))
    }

    /// `(live-grant patient provider)`, its arguments named at `depth`.
    fn call_live_grant(
        &self,
        store: &impl StoreRead,
        ctx: &Context,
        depth: u64,
        patient: &Principal,
        provider: &Principal,
    ) -> Result<Option<GrantTerms>, StateError> {
        ctx.meter.lookup();
        ctx.meter.var(depth, PRINCIPAL);
        ctx.meter.var(depth, PRINCIPAL);
        self.live_grant(store, ctx, patient, provider)
    }

    /// `(or (is-eq contract-caller patient) (is-live-admin patient contract-caller))`, at `depth`.
    fn is_patient_or_live_admin(&self, store: &impl StoreRead, ctx: &Context, depth: u64, patient: &Principal) -> Result<bool, StateError> {
        let m = &ctx.meter;
        m.apply(F::Or, 2);
        is_eq_principals(m, &ctx.caller, patient);
        m.var(depth, PRINCIPAL);
        if ctx.caller == *patient {
            return Ok(true);
        }
        m.lookup();
        m.var(depth, PRINCIPAL);
        self.is_live_admin(store, ctx, patient, &ctx.caller)
    }

    /// Whether `provider` holds a live ADMIN grant; the caller charges the call.
    fn is_live_admin(&self, store: &impl StoreRead, ctx: &Context, patient: &Principal, provider: &Principal) -> Result<bool, StateError> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::Match, 0);
        let Some(grant) = self.call_live_grant(store, ctx, 0, patient, provider)? else {
            return Ok(false);
        };
        m.is_eq_uints();
        m.apply(F::TupleGet, 5);
        m.var(1, GRANT);
        m.var(1, UINT);
        Ok(grant.access_level == ADMIN)
    }

    /// Steps 2-4 of `check-access`, for an accessor who is not the patient.
    #[allow(clippy::too_many_arguments)]
    fn provider_access_level<S: StoreRead>(
        &self,
        store: &S,
        consent: &impl ConsentView<S>,
        ctx: &Context,
        patient: &Principal,
        accessor: &Principal,
        data_type: u128,
        confidentiality: u128,
        creator: &Principal,
        status: u128,
        action: u128,
    ) -> Outcome<u128> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL), arg(UINT), arg(UINT), arg(PRINCIPAL), arg(UINT), arg(UINT)]);
        m.apply(F::Let, 1);
        let grant = self.call_live_grant(store, ctx, 1, patient, accessor)?;
        let grant_size = Shape::optional(grant.as_ref().map(|_| Shape { size: GRANT, type_size: 0 })).size;
        m.apply(F::If, 0);
        m.apply(F::And, 2);
        m.unary(F::IsSome);
        m.var(1, grant_size);
        if let Some(grant) = &grant {
            contract_call(m, 1, &[PRINCIPAL, PRINCIPAL, UINT]);
            if consent.has_consent(store, m, ctx.block_height, patient, accessor, data_type)? {
                let level = grant.access_level;
                m.apply(F::Let, 1);
                m.apply(F::TupleGet, 5);
                m.unary(F::Unwrap);
                m.var(2, grant_size);
                m.apply(F::Asserts, 0);
                m.apply(F::Or, 2);
                m.is_eq_uints();
                m.var(2, UINT);
                m.var(2, UINT);
                if action != READ {
                    m.compare_uints(F::Geq);
                    m.inspect(2, UINT);
                    m.inspect(2, UINT);
                }
                assert_or(m, 2, action == READ || level >= AccessLevel::Write.code(), RecordsError::Unauthorized)?;
                m.apply(F::Asserts, 0);
                m.apply(F::Or, 2);
                m.is_eq_uints();
                m.var(2, UINT);
                m.var(2, UINT);
                if action != READ {
                    m.is_eq_uints();
                    m.var(2, UINT);
                    m.var(2, UINT);
                }
                assert_or(m, 2, action == READ || status == ACTIVE, RecordsError::RecordArchived)?;
                m.apply(F::Asserts, 0);
                m.apply(F::Or, 3);
                m.compare_uints(F::Le);
                m.inspect(2, UINT);
                if confidentiality >= 2 {
                    m.is_eq_uints();
                    m.var(2, UINT);
                    m.var(2, UINT);
                    if level != ADMIN {
                        is_eq_principals(m, accessor, creator);
                        m.var(2, PRINCIPAL);
                        m.var(2, PRINCIPAL);
                    }
                }
                assert_or(m, 2, confidentiality < 2 || level == ADMIN || accessor == creator, RecordsError::Unauthorized)?;
                m.unary(F::OkCons);
                m.var(2, UINT);
                return Ok(level);
            }
        }
        m.apply(F::If, 0);
        contract_call(m, 1, &[PRINCIPAL, PRINCIPAL]);
        if consent.has_emergency_access(store, m, ctx.block_height, patient, accessor)? {
            m.lookup();
            m.apply(F::Asserts, 0);
            m.apply(F::And, 3);
            m.is_eq_uints();
            m.var(1, UINT);
            m.var(1, UINT);
            let allowed = action == READ && is_emergency_covered(m, 1, data_type) && {
                m.compare_uints(F::Leq);
                m.inspect(1, UINT);
                confidentiality <= 1
            };
            assert_or(m, 1, allowed, RecordsError::EmergencyViolation)?;
            m.charge(F::Begin, 2);
            m.unary(F::OkCons);
            m.var(1, UINT);
            return Ok(AccessLevel::Emergency.code());
        }
        m.apply(F::If, 0);
        m.unary(F::IsSome);
        m.var(1, grant_size);
        m.var(1, ERR);
        fail(if grant.is_some() { RecordsError::NoConsent } else { RecordsError::Unauthorized })
    }

    /// `(record-access-level record-id accessor action)`; the caller charges the
    /// lookup and the arguments.
    fn record_access_level<S: StoreRead>(
        &self,
        store: &S,
        consent: &impl ConsentView<S>,
        ctx: &Context,
        record_id: u128,
        accessor: &Principal,
        action: u128,
    ) -> Outcome<u128> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT), arg(PRINCIPAL), arg(UINT)]);
        m.lookup();
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Leq);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        assert_or(m, 0, action <= WRITE, RecordsError::InvalidInput)?;
        m.apply(F::Let, 1);
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, UINT);
        m.var(1, ERR);
        let Some(record) = self.records.map_view::<RecordAccess>(store, &record_id, m)? else {
            return fail(RecordsError::RecordNotFound);
        };
        // The `begin` ends in a value from here on, so it is charged.
        m.charge(F::Begin, 2);
        m.apply(F::If, 0);
        is_eq_principals(m, accessor, &record.patient);
        m.var(1, PRINCIPAL);
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        if *accessor == record.patient {
            m.unary(F::OkCons);
            m.var(1, UINT);
            return Ok(ADMIN);
        }
        m.lookup();
        for _ in 0..5 {
            m.apply(F::TupleGet, 13);
            m.var(1, RECORD);
        }
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.lookup();
        let data_type = record_data_type(m, record.record_type);
        self.provider_access_level(
            store,
            consent,
            ctx,
            &record.patient,
            accessor,
            data_type,
            record.confidentiality_level,
            &record.created_by,
            record.status,
            action,
        )
    }

    /// `(record-access-level record-id contract-caller CHECK-…)` at `depth`.
    fn caller_access_level<S: StoreRead>(
        &self,
        store: &S,
        consent: &impl ConsentView<S>,
        ctx: &Context,
        depth: u64,
        record_id: u128,
        action: u128,
    ) -> Outcome<u128> {
        ctx.meter.lookup();
        ctx.meter.var(depth, UINT);
        ctx.meter.var(depth, UINT);
        self.record_access_level(store, consent, ctx, record_id, &ctx.caller, action)
    }

    /// `(append-access-log record-id LOG-… emergency)`: the caller charges the
    /// lookup and the arguments.
    fn append_access_log(&self, store: &mut impl StoreWrite, ctx: &Context, record_id: u128, action: LogAction, emergency: bool) -> Result<u128, StateError> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT), arg(UINT), arg(BOOL)]);
        m.apply(F::Let, 1);
        let log_id = self.next_log_id.var_get(store, m)?;
        let entry = LogEntry { accessor: ctx.caller.clone(), action: action.code(), block: ctx.block_height, emergency, record_id };
        m.var(1, UINT);
        m.apply(F::TupleCons, 5);
        m.var(1, UINT);
        m.var(1, UINT);
        m.block_height();
        m.var(1, BOOL);
        self.access_log.map_set(store, &log_id, &entry, m)?;
        m.var(1, UINT);
        m.apply(F::Add, 2);
        m.apply(F::DefaultTo, 2);
        m.inspect(1, UINT);
        let count = self.record_access_count.map_get(store, &record_id, m)?.unwrap_or(0);
        self.record_access_count.map_set(store, &record_id, &(count + 1), m)?;
        m.apply(F::Add, 2);
        m.var(1, UINT);
        self.next_log_id.var_set(store, &(log_id + 1), m)?;
        m.var(1, UINT);
        Ok(log_id)
    }

    /// `(append-access-log record-id LOG-… false)` at `depth`.
    fn log_access(&self, store: &mut impl StoreWrite, ctx: &Context, depth: u64, record_id: u128, action: LogAction) -> Result<u128, StateError> {
        ctx.meter.lookup();
        ctx.meter.var(depth, UINT);
        ctx.meter.var(depth, UINT);
        self.append_access_log(store, ctx, record_id, action, false)
    }

    /// `(try! (check-signature (sha256 (unwrap-panic (to-consensus-buff? message)))
    /// signature public-key))` at `depth`, where building `message` charged
    /// `fields` field lookups. The signature is by `public-key`, whose principal is
    /// the caller, over the message's hash.
    fn check_signature(crypto: &impl Crypto, ctx: &Context, depth: u64, message: &impl ClarityType, signed: &Signed<'_>) -> Outcome<()> {
        let m = &ctx.meter;
        let message = message.to_bytes();
        m.unary(F::TryRet);
        m.lookup();
        m.apply(F::Sha256, ser::bytes(message.len() as u64));
        m.unary(F::Unwrap);
        m.apply(F::ToConsensusBuff, message.len() as u64);
        m.var(depth, buff(signed.signature));
        m.var(depth, buff(signed.public_key));
        m.enter(&[arg(BUFF_32), sized(BUFF_65, buff(signed.signature)), sized(BUFF_33, buff(signed.public_key))]);
        m.lookup();
        m.apply(F::Asserts, 0);
        m.is_eq_uints();
        m.unary(F::Len);
        m.var(0, buff(signed.public_key));
        let Ok(public_key) = <&[u8; 33]>::try_from(signed.public_key) else {
            return assert_or(m, 0, false, RecordsError::InvalidSignature);
        };
        m.apply(F::Asserts, 0);
        let signer = crypto.principal_of(public_key);
        let signer_len = signer.as_ref().map_or(ser::UINT, Principal::serialized_len);
        m.apply(F::Eq, ser::wrapped(signer_len) + ser::wrapped(ctx.caller.serialized_len()));
        m.apply(F::PrincipalOf, 0);
        m.inspect(0, BUFF_33);
        m.unary(F::OkCons);
        assert_or(m, 0, signer.as_ref() == Some(&ctx.caller), RecordsError::InvalidSignature)?;
        m.apply(F::Asserts, 0);
        m.apply(F::Secp256k1verify, 0);
        m.inspect(0, BUFF_32);
        m.inspect(0, buff(signed.signature));
        // clarity-vm answers false for a signature it cannot use before it looks
        // at the key.
        let signature = signed.signature;
        if signature.len() >= 64 && !(signature.len() == 65 && signature[64] > 3) {
            m.inspect(0, BUFF_33);
        }
        let digest: [u8; 32] = Sha256::digest(&message).into();
        assert_or(m, 0, crypto.secp256k1_verify(&digest, signed.signature, public_key), RecordsError::InvalidSignature)?;
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok(())
    }

    /// `(try! (check-new-content title data-hash))` at `depth`.
    fn check_new_content(&self, store: &impl StoreRead, m: &Meter, depth: u64, content: &Content<'_>) -> Outcome<()> {
        m.unary(F::TryRet);
        m.lookup();
        m.var(depth, ascii(content.title));
        m.var(depth, ascii(content.data_hash));
        m.enter(&[sized(TITLE, ascii(content.title)), sized(DATA_HASH, ascii(content.data_hash))]);
        m.lookup();
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Ge);
        m.unary(F::Len);
        m.var(0, ascii(content.title));
        assert_or(m, 0, !content.title.is_empty(), RecordsError::InvalidInput)?;
        m.apply(F::Asserts, 0);
        let valid = is_valid_data_hash(m, content.data_hash);
        assert_or(m, 0, valid, RecordsError::InvalidInput)?;
        m.apply(F::Asserts, 0);
        m.unary(F::IsNone);
        m.inspect(0, ascii(content.data_hash));
        let duplicate = self.hash_index.map_contains(store, &content.data_hash.to_string(), m)?;
        assert_or(m, 0, !duplicate, RecordsError::DuplicateRecord)?;
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok(())
    }

    /// `(archive-one record-id)`: the caller charges the lookup and the argument.
    fn archive_one<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128) -> Outcome<()> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT)]);
        m.apply(F::Let, 2);
        m.unary(F::TryRet);
        let level = self.caller_access_level(store, consent, ctx, 1, record_id, WRITE)?;
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, UINT);
        m.var(1, ERR);
        let Some(record) = self.records.map_get(store, &record_id, m)? else {
            return fail(RecordsError::RecordNotFound);
        };
        m.apply(F::Asserts, 0);
        m.apply(F::Or, 2);
        m.is_eq_uints();
        m.var(1, UINT);
        m.var(1, UINT);
        if level != ADMIN {
            is_eq_principals(m, &ctx.caller, &record.created_by);
            m.apply(F::TupleGet, 13);
            m.var(1, RECORD);
        }
        assert_or(m, 1, level == ADMIN || ctx.caller == record.created_by, RecordsError::Unauthorized)?;
        m.apply(F::Asserts, 0);
        m.is_eq_uints();
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        m.var(1, UINT);
        assert_or(m, 1, record.status == ACTIVE, RecordsError::RecordArchived)?;
        m.var(1, UINT);
        m.apply(F::TupleMerge, len_of(&record) + ser::tuple(&[("status", ser::UINT), ("updated-at", ser::UINT)]));
        m.var(1, RECORD);
        m.apply(F::TupleCons, 2);
        m.var(1, UINT);
        m.block_height();
        let record = Record { status: RecordStatus::Archived.code(), updated_at: ctx.block_height, ..record };
        self.records.map_set(store, &record_id, &record, m)?;
        self.log_access(store, ctx, 1, record_id, LogAction::Archive)?;
        m.unary(F::OkCons);
        Ok(())
    }

    /// One step of `archive-records`' fold: `acc` is the result so far. A step
    /// after a failure only passes the failure on.
    fn archive_step<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128, acc: Outcome<u128>) -> Outcome<u128> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT), arg(RESPONSE)]);
        m.apply(F::Match, 0);
        m.var(0, RESPONSE);
        let count = match acc {
            Ok(count) => count,
            Err(error) => {
                m.var(1, RESPONSE);
                return Err(error);
            }
        };
        m.apply(F::Match, 0);
        m.lookup();
        m.var(1, UINT);
        match self.archive_one(store, consent, ctx, record_id) {
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

    #[allow(clippy::too_many_arguments)] // the Clarity function's parameters, and the store and context
    pub fn grant_provider_access<S: StoreWrite>(
        &self,
        store: &mut S,
        consent: &impl ConsentView<S>,
        ctx: &Context,
        patient: &Principal,
        provider: &Principal,
        access_level: u128,
        expires_at: Option<u128>,
        audit_required: bool,
    ) -> Printed<bool> {
        let m = &ctx.meter;
        let expiry_size = Shape::optional(expires_at.map(|_| Shape::UINT)).size;
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL), arg(UINT), sized(OPTIONAL_UINT, expiry_size), arg(BOOL)]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        self.ensure_registered(store, consent, m, patient)?;
        m.apply(F::Asserts, 0);
        let allowed = self.is_patient_or_live_admin(store, ctx, 0, patient)?;
        assert_or(m, 0, allowed, RecordsError::Unauthorized)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Leq);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        assert_or(m, 0, access_level <= ADMIN, RecordsError::InvalidAccessLevel)?;
        m.apply(F::Match, 0);
        m.var(0, expiry_size);
        if let Some(expiry) = expires_at {
            m.apply(F::Asserts, 0);
            m.compare_uints(F::Ge);
            m.inspect(1, UINT);
            m.block_height();
            assert_or(m, 1, expiry > ctx.block_height, RecordsError::InvalidExpiry)?;
        }
        m.apply(F::Asserts, 0);
        m.unary(F::Not);
        is_eq_principals(m, provider, patient);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        assert_or(m, 0, provider != patient, RecordsError::InvalidInput)?;
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        let grant = Grant { access_level, audit_required, expires_at, granted_at: ctx.block_height, granted_by: ctx.caller.clone() };
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        m.apply(F::TupleCons, 5);
        m.var(0, UINT);
        m.block_height();
        m.var(0, expiry_size);
        m.var(0, BOOL);
        self.provider_access.map_set(store, &key, &grant, m)?;
        let total = self.total_provider_grants.var_get(store, m)?;
        m.apply(F::Add, 2);
        self.total_provider_grants.var_set(store, &(total + 1), m)?;
        let event = RecordsEvent::ProviderAccessGranted { patient: patient.clone(), provider: provider.clone(), access_level, expires_at };
        m.apply(F::TupleCons, 5);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.var(0, expiry_size);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 9);
        Ok((true, event))
    }

    /// `(asserts! (is-some (contract-call? .patient-consent get-patient patient))
    /// ERR-PATIENT-NOT-FOUND)`.
    fn ensure_registered<S: StoreRead>(&self, store: &S, consent: &impl ConsentView<S>, m: &Meter, patient: &Principal) -> Outcome<()> {
        m.apply(F::Asserts, 0);
        m.unary(F::IsSome);
        contract_call(m, 0, &[PRINCIPAL]);
        let registered = consent.is_registered(store, m, patient)?;
        assert_or(m, 0, registered, RecordsError::PatientNotFound)
    }

    /// Works while paused.
    pub fn revoke_provider_access(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal, provider: &Principal) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::Let, 1);
        m.apply(F::TupleCons, 2);
        m.var(1, PRINCIPAL);
        m.var(1, PRINCIPAL);
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        m.apply(F::Asserts, 0);
        let allowed = self.is_patient_or_live_admin(store, ctx, 1, patient)?;
        assert_or(m, 1, allowed, RecordsError::Unauthorized)?;
        m.apply(F::Asserts, 0);
        m.unary(F::IsSome);
        m.inspect(1, PATIENT_PROVIDER);
        let granted = self.provider_access.map_contains(store, &key, m)?;
        assert_or(m, 1, granted, RecordsError::AccessNotFound)?;
        m.inspect(1, PATIENT_PROVIDER);
        self.provider_access.map_delete(store, &key, m)?;
        let event = RecordsEvent::ProviderAccessRevoked { patient: patient.clone(), provider: provider.clone() };
        m.apply(F::TupleCons, 3);
        m.var(1, PRINCIPAL);
        m.var(1, PRINCIPAL);
        print(m, &event);
        m.unary(F::OkCons);
        Ok((true, event))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn create_record<S: StoreWrite>(
        &self,
        store: &mut S,
        consent: &impl ConsentView<S>,
        crypto: &impl Crypto,
        ctx: &Context,
        patient: &Principal,
        record_type: u128,
        content: &Content<'_>,
        encryption_key_id: Option<&str>,
        confidentiality_level: u128,
        signed: &Signed<'_>,
    ) -> Printed<u128> {
        let m = &ctx.meter;
        let key_id_size = Shape::optional(encryption_key_id.map(|id| Shape::ascii(id.len() as u64))).size;
        m.enter(&[
            arg(PRINCIPAL),
            arg(UINT),
            sized(TITLE, ascii(content.title)),
            sized(DATA_HASH, ascii(content.data_hash)),
            sized(BUFF_32, buff(content.checksum)),
            sized(KEY_ID, key_id_size),
            arg(UINT),
            sized(BUFF_65, buff(signed.signature)),
            sized(BUFF_33, buff(signed.public_key)),
        ]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Le);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        assert_or(m, 0, RecordType::from_code(record_type).is_some(), RecordsError::InvalidRecordType)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Leq);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        assert_or(m, 0, confidentiality_level <= MAX_CONFIDENTIALITY, RecordsError::InvalidInput)?;
        self.ensure_registered(store, consent, m, patient)?;
        m.apply(F::If, 0);
        is_eq_principals(m, &ctx.caller, patient);
        m.var(0, PRINCIPAL);
        if ctx.caller != *patient {
            m.lookup();
            m.unary(F::TryRet);
            m.lookup();
            m.var(0, PRINCIPAL);
            // confidentiality-level, STATUS-ACTIVE, CHECK-WRITE
            for _ in 0..3 {
                m.var(0, UINT);
            }
            m.lookup();
            m.var(0, UINT);
            let data_type = record_data_type(m, record_type);
            self.provider_access_level(store, consent, ctx, patient, &ctx.caller, data_type, confidentiality_level, &ctx.caller, ACTIVE, WRITE)?;
            m.charge(F::Begin, 2);
        }
        self.check_new_content(store, m, 0, content)?;
        let message =
            CreateMessage { checksum: Buff(content.checksum.to_vec()), data_hash: content.data_hash.to_string(), patient: patient.clone(), record_type };
        m.apply(F::TupleCons, 4);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        m.var(0, ascii(content.data_hash));
        m.var(0, buff(content.checksum));
        Self::check_signature(crypto, ctx, 0, &message, signed)?;

        m.apply(F::Let, 2);
        let record_id = self.next_record_id.var_get(store, m)?;
        m.apply(F::DefaultTo, 2);
        m.inspect(1, PRINCIPAL);
        let index = self.patient_record_count.map_get(store, patient, m)?.unwrap_or(0);
        m.var(1, UINT);
        m.apply(F::TupleCons, 13);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.block_height();
        m.block_height();
        m.var(1, UINT);
        m.var(1, ascii(content.title));
        m.var(1, ascii(content.data_hash));
        m.var(1, buff(content.checksum));
        m.var(1, key_id_size);
        m.var(1, UINT);
        m.apply(F::Add, 2);
        m.block_height();
        let record = Record {
            checksum: Buff(content.checksum.to_vec()),
            confidentiality_level,
            created_at: ctx.block_height,
            created_by: ctx.caller.clone(),
            data_hash: content.data_hash.to_string(),
            encryption_key_id: encryption_key_id.map(str::to_string),
            patient: patient.clone(),
            record_type,
            retention_until: ctx.block_height + self.retention_period.var_get(store, m)?,
            status: ACTIVE,
            title: content.title.to_string(),
            updated_at: ctx.block_height,
            version: 1,
        };
        self.records.map_set(store, &record_id, &record, m)?;
        m.apply(F::TupleCons, 2);
        m.var(1, UINT);
        self.write_version(store, m, 1, &VersionKey { record_id, version: 1 }, &current_version(&record, ctx), content)?;
        m.var(1, ascii(content.data_hash));
        m.var(1, UINT);
        self.hash_index.map_set(store, &record.data_hash, &record_id, m)?;
        m.apply(F::TupleCons, 2);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        m.var(1, UINT);
        self.patient_records.map_set(store, &PatientIndex { index, patient: patient.clone() }, &record_id, m)?;
        m.var(1, PRINCIPAL);
        m.apply(F::Add, 2);
        m.var(1, UINT);
        self.patient_record_count.map_set(store, patient, &(index + 1), m)?;
        m.apply(F::Add, 2);
        m.var(1, UINT);
        self.next_record_id.var_set(store, &(record_id + 1), m)?;
        self.log_access(store, ctx, 1, record_id, LogAction::Create)?;
        let event = RecordsEvent::RecordCreated { record_id, patient: patient.clone(), created_by: ctx.caller.clone(), record_type };
        m.apply(F::TupleCons, 5);
        m.var(1, UINT);
        m.var(1, PRINCIPAL);
        m.var(1, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.var(1, UINT);
        m.charge(F::Begin, 8);
        Ok((record_id, event))
    }

    /// `(map-set record-versions { record-id, version } { title: title, data-hash:
    /// data-hash, checksum: checksum, updated-by: contract-caller, updated-at:
    /// block-height })` at `depth`, the key's tuple charged by the caller.
    fn write_version(
        &self,
        store: &mut impl StoreWrite,
        m: &Meter,
        depth: u64,
        key: &VersionKey,
        version: &RecordVersion,
        content: &Content<'_>,
    ) -> Result<(), StateError> {
        m.apply(F::TupleCons, 5);
        m.var(depth, ascii(content.title));
        m.var(depth, ascii(content.data_hash));
        m.var(depth, buff(content.checksum));
        m.block_height();
        self.record_versions.map_set(store, key, version, m)
    }

    pub fn get_record<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128) -> Printed<Record> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT)]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.apply(F::Let, 2);
        m.unary(F::TryRet);
        let level = self.caller_access_level(store, consent, ctx, 1, record_id, READ)?;
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, UINT);
        m.var(1, ERR);
        let Some(record) = self.records.map_get(store, &record_id, m)? else {
            return fail(RecordsError::RecordNotFound);
        };
        let emergency = level == AccessLevel::Emergency.code();
        m.lookup();
        m.var(1, UINT);
        m.var(1, UINT);
        m.is_eq_uints();
        m.var(1, UINT);
        m.var(1, UINT);
        self.append_access_log(store, ctx, record_id, LogAction::Read, emergency)?;
        let event = RecordsEvent::RecordRead { record_id, accessor: ctx.caller.clone(), access_level: level };
        m.apply(F::TupleCons, 4);
        m.var(1, UINT);
        m.var(1, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.var(1, RECORD);
        m.charge(F::Begin, 2);
        Ok((record, event))
    }

    /// The first lines of `update-record` and `rollback-record`'s `let`: the
    /// record, its next version, and the check that it is active.
    fn active_record(&self, store: &impl StoreRead, m: &Meter, record_id: u128) -> Outcome<Record> {
        m.apply(F::Let, 2);
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, UINT);
        m.var(1, ERR);
        let Some(record) = self.records.map_get(store, &record_id, m)? else {
            return fail(RecordsError::RecordNotFound);
        };
        m.apply(F::Add, 2);
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        m.apply(F::Asserts, 0);
        m.is_eq_uints();
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        m.var(1, UINT);
        assert_or(m, 1, record.status == ACTIVE, RecordsError::RecordArchived)?;
        Ok(record)
    }

    /// `(asserts! (<= new-version MAX-VERSIONS) ERR-INVALID-VERSION)`.
    fn ensure_version_left(m: &Meter, new_version: u128) -> Outcome<()> {
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Leq);
        m.inspect(1, UINT);
        m.inspect(1, UINT);
        assert_or(m, 1, new_version <= MAX_VERSIONS, RecordsError::InvalidVersion)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn update_record<S: StoreWrite>(
        &self,
        store: &mut S,
        consent: &impl ConsentView<S>,
        crypto: &impl Crypto,
        ctx: &Context,
        record_id: u128,
        content: &Content<'_>,
        signed: &Signed<'_>,
    ) -> Printed<u128> {
        let m = &ctx.meter;
        m.enter(&[
            arg(UINT),
            sized(TITLE, ascii(content.title)),
            sized(DATA_HASH, ascii(content.data_hash)),
            sized(BUFF_32, buff(content.checksum)),
            sized(BUFF_65, buff(signed.signature)),
            sized(BUFF_33, buff(signed.public_key)),
        ]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.unary(F::TryRet);
        self.caller_access_level(store, consent, ctx, 0, record_id, WRITE)?;
        let record = self.active_record(store, m, record_id)?;
        let new_version = record.version + 1;
        self.check_new_content(store, m, 1, content)?;
        Self::ensure_version_left(m, new_version)?;
        let message = UpdateMessage { checksum: Buff(content.checksum.to_vec()), data_hash: content.data_hash.to_string(), record_id, version: new_version };
        m.apply(F::TupleCons, 4);
        m.var(1, UINT);
        m.var(1, UINT);
        m.var(1, ascii(content.data_hash));
        m.var(1, buff(content.checksum));
        Self::check_signature(crypto, ctx, 1, &message, signed)?;
        let update = ser::tuple(&[
            ("title", ser::bytes(content.title.len() as u64)),
            ("data-hash", ser::bytes(content.data_hash.len() as u64)),
            ("checksum", ser::bytes(content.checksum.len() as u64)),
            ("version", ser::UINT),
            ("updated-at", ser::UINT),
        ]);
        m.var(1, UINT);
        m.apply(F::TupleMerge, len_of(&record) + update);
        m.var(1, RECORD);
        m.apply(F::TupleCons, 5);
        m.var(1, ascii(content.title));
        m.var(1, ascii(content.data_hash));
        m.var(1, buff(content.checksum));
        m.var(1, UINT);
        m.block_height();
        let record = Record {
            title: content.title.to_string(),
            data_hash: content.data_hash.to_string(),
            checksum: Buff(content.checksum.to_vec()),
            version: new_version,
            updated_at: ctx.block_height,
            ..record
        };
        self.records.map_set(store, &record_id, &record, m)?;
        m.apply(F::TupleCons, 2);
        m.var(1, UINT);
        m.var(1, UINT);
        self.write_version(store, m, 1, &VersionKey { record_id, version: new_version }, &current_version(&record, ctx), content)?;
        m.var(1, ascii(content.data_hash));
        m.var(1, UINT);
        self.hash_index.map_set(store, &record.data_hash, &record_id, m)?;
        self.log_access(store, ctx, 1, record_id, LogAction::Update)?;
        let event = RecordsEvent::RecordUpdated { record_id, version: new_version, updated_by: ctx.caller.clone() };
        m.apply(F::TupleCons, 4);
        m.var(1, UINT);
        m.var(1, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.var(1, UINT);
        m.charge(F::Begin, 3);
        Ok((new_version, event))
    }

    pub fn rollback_record<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128, version: u128) -> Printed<u128> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT), arg(UINT)]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.apply(F::Asserts, 0);
        m.lookup();
        m.unary(F::TryRet);
        let level = self.caller_access_level(store, consent, ctx, 0, record_id, WRITE)?;
        // `is-eq` is charged once its arguments are evaluated: a failed `try!` skips it.
        m.charge(F::Eq, 2 * ser::UINT);
        m.var(0, UINT);
        assert_or(m, 0, level == ADMIN, RecordsError::Unauthorized)?;
        let record = self.active_record(store, m, record_id)?;
        let new_version = record.version + 1;
        m.apply(F::Asserts, 0);
        m.apply(F::And, 2);
        m.compare_uints(F::Geq);
        m.inspect(1, UINT);
        if version >= 1 {
            m.compare_uints(F::Le);
            m.inspect(1, UINT);
            m.apply(F::TupleGet, 13);
            m.var(1, RECORD);
        }
        assert_or(m, 1, version >= 1 && version < record.version, RecordsError::InvalidVersion)?;
        Self::ensure_version_left(m, new_version)?;
        m.apply(F::Let, 1);
        m.apply(F::UnwrapRet, 2);
        m.apply(F::TupleCons, 2);
        m.var(2, UINT);
        m.var(2, UINT);
        m.var(2, ERR);
        let Some(old) = self.record_versions.map_get(store, &VersionKey { record_id, version }, m)? else {
            return fail(RecordsError::InvalidVersion);
        };
        let update = ser::tuple(&[
            ("title", len_of(&old.title)),
            ("data-hash", len_of(&old.data_hash)),
            ("checksum", len_of(&old.checksum)),
            ("version", ser::UINT),
            ("updated-at", ser::UINT),
        ]);
        m.var(2, UINT);
        m.apply(F::TupleMerge, len_of(&record) + update);
        m.var(2, RECORD);
        m.apply(F::TupleCons, 5);
        get_old_content(m);
        m.var(2, UINT);
        m.block_height();
        let record = Record {
            title: old.title.clone(),
            data_hash: old.data_hash.clone(),
            checksum: old.checksum.clone(),
            version: new_version,
            updated_at: ctx.block_height,
            ..record
        };
        self.records.map_set(store, &record_id, &record, m)?;
        m.apply(F::TupleCons, 2);
        m.var(2, UINT);
        m.var(2, UINT);
        m.apply(F::TupleCons, 5);
        get_old_content(m);
        m.block_height();
        let restored = RecordVersion { updated_at: ctx.block_height, updated_by: ctx.caller.clone(), ..old };
        self.record_versions.map_set(store, &VersionKey { record_id, version: new_version }, &restored, m)?;
        self.log_access(store, ctx, 2, record_id, LogAction::Rollback)?;
        let event = RecordsEvent::RecordRolledBack { record_id, version: new_version, restored_version: version };
        m.apply(F::TupleCons, 4);
        for _ in 0..3 {
            m.var(2, UINT);
        }
        print(m, &event);
        m.unary(F::OkCons);
        m.var(2, UINT);
        m.charge(F::Begin, 3);
        Ok((new_version, event))
    }

    pub fn archive_record<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT)]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.unary(F::TryRet);
        m.lookup();
        m.var(0, UINT);
        self.archive_one(store, consent, ctx, record_id)?;
        let event = RecordsEvent::RecordArchived { record_id, archived_by: ctx.caller.clone() };
        m.apply(F::TupleCons, 3);
        m.var(0, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok((true, event))
    }

    /// All or nothing: the first record that cannot be archived fails the call.
    pub fn archive_records<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_ids: &[u128]) -> Printed<u128> {
        let m = &ctx.meter;
        let list = Shape::list(Shape::UINT, record_ids.len() as u64).size;
        m.enter(&[sized(RECORD_IDS, list)]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Ge);
        m.unary(F::Len);
        m.var(0, list);
        assert_or(m, 0, !record_ids.is_empty(), RecordsError::InvalidInput)?;
        m.apply(F::Let, 1);
        m.unary(F::TryRet);
        m.apply(F::Fold, 0);
        m.lookup();
        m.var(1, list);
        m.unary(F::OkCons);
        let mut acc = Ok(0);
        for &record_id in record_ids {
            acc = self.archive_step(store, consent, ctx, record_id, acc);
            if let Err(CallError::State(error)) = acc {
                return Err(CallError::State(error));
            }
        }
        let count = acc?;
        let event = RecordsEvent::RecordsArchived { record_ids: record_ids.to_vec(), archived_by: ctx.caller.clone() };
        m.apply(F::TupleCons, 3);
        m.var(1, list);
        print(m, &event);
        m.unary(F::OkCons);
        m.var(1, UINT);
        m.charge(F::Begin, 3);
        Ok((count, event))
    }

    pub fn purge_record(&self, store: &mut impl StoreWrite, ctx: &Context, record_id: u128) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT)]);
        m.lookup();
        self.ensure_not_paused(store, m)?;
        m.apply(F::Let, 1);
        m.apply(F::UnwrapRet, 2);
        m.inspect(1, UINT);
        m.var(1, ERR);
        let Some(record) = self.records.map_get(store, &record_id, m)? else {
            return fail(RecordsError::RecordNotFound);
        };
        m.apply(F::Asserts, 0);
        m.apply(F::Or, 2);
        is_eq_principals(m, &ctx.caller, &record.patient);
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        let allowed = ctx.caller == record.patient || self.is_owner(store, ctx)?;
        assert_or(m, 1, allowed, RecordsError::Unauthorized)?;
        m.apply(F::Asserts, 0);
        m.compare_uints(F::Geq);
        m.block_height();
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        assert_or(m, 1, ctx.block_height >= record.retention_until, RecordsError::RetentionPeriod)?;
        m.apply(F::Fold, 0);
        m.lookup();
        m.unary(F::Unwrap);
        m.apply(F::Slice, record.version as u64 * UINT);
        m.var(1, VERSION_NUMBERS);
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        m.var(1, UINT);
        for version in 1..=record.version {
            m.enter(&[arg(UINT), arg(UINT)]);
            m.apply(F::Begin, 2);
            m.apply(F::TupleCons, 2);
            m.var(0, UINT);
            m.var(0, UINT);
            self.record_versions.map_delete(store, &VersionKey { record_id, version }, m)?;
            m.var(0, UINT);
        }
        m.inspect(1, UINT);
        self.records.map_delete(store, &record_id, m)?;
        self.log_access(store, ctx, 1, record_id, LogAction::Purge)?;
        let event = RecordsEvent::RecordPurged { record_id, purged_by: ctx.caller.clone() };
        m.apply(F::TupleCons, 3);
        m.var(1, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 2);
        Ok((true, event))
    }

    // Owner functions: not subject to pause.

    pub fn set_paused(&self, store: &mut impl StoreWrite, ctx: &Context, paused: bool) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(BOOL)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.var(0, BOOL);
        self.paused.var_set(store, &paused, m)?;
        let event = RecordsEvent::PausedSet { paused };
        m.apply(F::TupleCons, 2);
        m.var(0, BOOL);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok((true, event))
    }

    pub fn set_retention_period(&self, store: &mut impl StoreWrite, ctx: &Context, blocks: u128) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.apply(F::Asserts, 0);
        m.apply(F::And, 2);
        m.compare_uints(F::Geq);
        m.inspect(0, UINT);
        m.inspect(0, UINT);
        if blocks >= MIN_RETENTION_PERIOD {
            m.compare_uints(F::Leq);
            m.inspect(0, UINT);
            m.inspect(0, UINT);
        }
        assert_or(m, 0, (MIN_RETENTION_PERIOD..=MAX_RETENTION_PERIOD).contains(&blocks), RecordsError::InvalidInput)?;
        m.var(0, UINT);
        self.retention_period.var_set(store, &blocks, m)?;
        let event = RecordsEvent::RetentionPeriodSet { blocks };
        m.apply(F::TupleCons, 2);
        m.var(0, UINT);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 5);
        Ok((true, event))
    }

    pub fn transfer_ownership(&self, store: &mut impl StoreWrite, ctx: &Context, new_owner: &Principal) -> Printed<bool> {
        let m = &ctx.meter;
        m.enter(&[arg(PRINCIPAL)]);
        m.lookup();
        self.ensure_owner(store, ctx)?;
        m.var(0, PRINCIPAL);
        self.contract_owner.var_set(store, new_owner, m)?;
        let event = RecordsEvent::OwnershipTransferred { new_owner: new_owner.clone() };
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        print(m, &event);
        m.unary(F::OkCons);
        m.charge(F::Begin, 4);
        Ok((true, event))
    }

    // Read-only functions. Each charges its entry to the meter; the caller charges
    // the load of the contract.

    /// The permission check: the level the access is granted under, or why not.
    pub fn check_access<S: StoreRead>(
        &self,
        store: &S,
        consent: &impl ConsentView<S>,
        ctx: &Context,
        record_id: u128,
        accessor: &Principal,
        action: u128,
    ) -> Outcome<u128> {
        let m = &ctx.meter;
        m.enter(&[arg(UINT), arg(PRINCIPAL), arg(UINT)]);
        m.lookup();
        m.var(0, UINT);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        self.record_access_level(store, consent, ctx, record_id, accessor, action)
    }

    pub fn get_record_info(&self, store: &impl StoreRead, m: &Meter, record_id: u128) -> Result<Option<Record>, StateError> {
        m.enter(&[arg(UINT)]);
        m.inspect(0, UINT);
        self.records.map_get(store, &record_id, m)
    }

    pub fn get_record_version(&self, store: &impl StoreRead, m: &Meter, record_id: u128, version: u128) -> Result<Option<RecordVersion>, StateError> {
        m.enter(&[arg(UINT), arg(UINT)]);
        m.apply(F::TupleCons, 2);
        m.var(0, UINT);
        m.var(0, UINT);
        self.record_versions.map_get(store, &VersionKey { record_id, version }, m)
    }

    pub fn get_provider_access(&self, store: &impl StoreRead, m: &Meter, patient: &Principal, provider: &Principal) -> Result<Option<Grant>, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(PRINCIPAL)]);
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, PRINCIPAL);
        self.provider_access.map_get(store, &PatientProvider { patient: patient.clone(), provider: provider.clone() }, m)
    }

    pub fn get_access_log_entry(&self, store: &impl StoreRead, m: &Meter, log_id: u128) -> Result<Option<LogEntry>, StateError> {
        m.enter(&[arg(UINT)]);
        m.inspect(0, UINT);
        self.access_log.map_get(store, &log_id, m)
    }

    pub fn get_record_access_count(&self, store: &impl StoreRead, m: &Meter, record_id: u128) -> Result<u128, StateError> {
        m.enter(&[arg(UINT)]);
        m.apply(F::DefaultTo, 2);
        m.inspect(0, UINT);
        Ok(self.record_access_count.map_get(store, &record_id, m)?.unwrap_or(0))
    }

    pub fn get_record_count(&self, store: &impl StoreRead, m: &Meter, patient: &Principal) -> Result<u128, StateError> {
        m.enter(&[arg(PRINCIPAL)]);
        m.apply(F::DefaultTo, 2);
        m.inspect(0, PRINCIPAL);
        Ok(self.patient_record_count.map_get(store, patient, m)?.unwrap_or(0))
    }

    pub fn get_patient_record_id(&self, store: &impl StoreRead, m: &Meter, patient: &Principal, index: u128) -> Result<Option<u128>, StateError> {
        m.enter(&[arg(PRINCIPAL), arg(UINT)]);
        m.apply(F::TupleCons, 2);
        m.var(0, PRINCIPAL);
        m.var(0, UINT);
        self.patient_records.map_get(store, &PatientIndex { index, patient: patient.clone() }, m)
    }

    pub fn verify_checksum(&self, store: &impl StoreRead, m: &Meter, record_id: u128, checksum: &[u8]) -> Result<bool, StateError> {
        m.enter(&[arg(UINT), sized(BUFF_32, buff(checksum))]);
        m.apply(F::Match, 0);
        m.inspect(0, UINT);
        let Some(record) = self.records.map_get(store, &record_id, m)? else {
            return Ok(false);
        };
        m.apply(F::Eq, len_of(&record.checksum) + ser::bytes(checksum.len() as u64));
        m.apply(F::TupleGet, 13);
        m.var(1, RECORD);
        m.var(1, buff(checksum));
        Ok(record.checksum.0 == checksum)
    }

    pub fn get_retention_period(&self, store: &impl StoreRead, m: &Meter) -> Result<u128, StateError> {
        m.enter(&[]);
        self.retention_period.var_get(store, m)
    }

    pub fn is_paused(&self, store: &impl StoreRead, m: &Meter) -> Result<bool, StateError> {
        m.enter(&[]);
        self.paused.var_get(store, m)
    }

    pub fn get_contract_owner(&self, store: &impl StoreRead, m: &Meter) -> Result<Principal, StateError> {
        m.enter(&[]);
        self.contract_owner.var_get(store, m)
    }

    pub fn get_stats(&self, store: &impl StoreRead, m: &Meter) -> Result<Stats, StateError> {
        m.enter(&[]);
        m.apply(F::TupleCons, 3);
        m.apply(F::Sub, 2);
        let total_records = self.next_record_id.var_get(store, m)? - 1;
        m.apply(F::Sub, 2);
        let total_access_log_entries = self.next_log_id.var_get(store, m)? - 1;
        Ok(Stats { total_access_log_entries, total_provider_grants: self.total_provider_grants.var_get(store, m)?, total_records })
    }
}

/// `(contract-call? .patient-consent fn args…)`'s own charges, its arguments of
/// sizes `args` named at `depth`; the callee charges its load and entry.
fn contract_call(m: &Meter, depth: u64, args: &[u64]) {
    m.apply(F::ContractCall, 0);
    for size in args {
        m.var(depth, *size);
    }
}

/// `(get title old)`, `(get data-hash old)`, `(get checksum old)` in a rollback.
fn get_old_content(m: &Meter) {
    for _ in 0..3 {
        m.apply(F::TupleGet, 5);
        m.var(2, VERSION);
    }
}

/// `(record-data-type record-type)`'s entry and body: the consent data type a
/// record type needs (u0 past the table). The caller charges the lookup and the
/// argument.
fn record_data_type(m: &Meter, record_type: u128) -> u128 {
    m.enter(&[arg(UINT)]);
    m.apply(F::DefaultTo, 2);
    m.apply(F::ElementAt, 2);
    m.var(0, RECORD_DATA_TYPES);
    m.var(0, UINT);
    RecordType::from_code(record_type).map_or(0, |kind| kind.data_type().code())
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
    data_type == 7
}

/// `(is-valid-data-hash data-hash)` in `check-new-content`: lower-case hex
/// digits, exactly 64 of them, checked by folding `is-hex-digit` over the string.
fn is_valid_data_hash(m: &Meter, data_hash: &str) -> bool {
    m.lookup();
    m.var(0, ascii(data_hash));
    m.enter(&[sized(DATA_HASH, ascii(data_hash))]);
    m.apply(F::And, 2);
    m.is_eq_uints();
    m.unary(F::Len);
    m.var(0, ascii(data_hash));
    if data_hash.len() != 64 {
        return false;
    }
    m.apply(F::Fold, 0);
    m.lookup();
    m.var(0, ascii(data_hash));
    let mut valid = true;
    for byte in data_hash.bytes() {
        m.enter(&[arg(CHARACTER), arg(BOOL)]);
        m.apply(F::And, 2);
        m.inspect(0, BOOL);
        if valid {
            m.unary(F::IsSome);
            m.apply(F::IndexOf, ser::bytes(16) + ser::bytes(1));
            m.var(0, HEX_DIGITS);
            m.var(0, Shape::ascii(1).size);
            valid = matches!(byte, b'0'..=b'9' | b'a'..=b'f');
        }
    }
    valid
}

/// `(print event)`: charged by the printed tuple's size.
fn print(m: &Meter, event: &RecordsEvent) {
    m.apply(F::Print, event_size(event));
}

/// The `record-versions` entry for a record's current content, written by `ctx`.
fn current_version(record: &Record, ctx: &Context) -> RecordVersion {
    RecordVersion {
        checksum: record.checksum.clone(),
        data_hash: record.data_hash.clone(),
        title: record.title.clone(),
        updated_at: ctx.block_height,
        updated_by: ctx.caller.clone(),
    }
}
