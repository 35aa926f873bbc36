//! The functions of `record-management`, check for check as in the Clarity source.
//!
//! A public function may write before it fails: the caller runs it in a transaction
//! and drops its writes on `Err`, as Clarity drops them on `(err …)`.

use clarimed_consent::{CallError, Context};
use clarimed_storage::clarity::{Buff, ClarityType, ContractId, Item, Map, Principal, StateError};
use clarimed_storage::{StoreRead, StoreWrite};
use sha2::{Digest, Sha256};

use crate::codes::{
    AccessLevel, Action, LogAction, RecordStatus, RecordType, RecordsError, DEFAULT_RETENTION_PERIOD, MAX_CONFIDENTIALITY, MAX_RETENTION_PERIOD, MAX_VERSIONS,
    MIN_RETENTION_PERIOD,
};
use crate::events::RecordsEvent;
use crate::state::*;
use crate::view::{ConsentView, Crypto};

pub type Outcome<T> = clarimed_consent::Outcome<T, RecordsError>;
/// A public call's result: its `ok` value and the event it printed.
pub type Printed<T> = Outcome<(T, RecordsEvent)>;

fn fail<T>(error: RecordsError) -> Outcome<T> {
    Err(CallError::Contract(error))
}

/// `asserts!`: `error` unless `condition` holds.
fn ensure(condition: bool, error: RecordsError) -> Outcome<()> {
    if condition {
        Ok(())
    } else {
        fail(error)
    }
}

const READ: u128 = Action::Read.code();
const WRITE: u128 = Action::Write.code();
const ADMIN: u128 = AccessLevel::Admin.code();
const ACTIVE: u128 = RecordStatus::Active.code();

/// `is-emergency-covered` on a data type code.
fn is_emergency_covered(data_type: u128) -> bool {
    data_type <= 3 || data_type == 7
}

/// Lower-case hex digits, exactly 64 of them.
fn is_valid_data_hash(data_hash: &str) -> bool {
    data_hash.len() == 64 && data_hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

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

    // Private helpers, as in the contract.

    fn is_owner(&self, store: &impl StoreRead, ctx: &Context) -> Result<bool, StateError> {
        Ok(ctx.sender == self.contract_owner.get(store)?)
    }

    fn ensure_not_paused(&self, store: &impl StoreRead) -> Outcome<()> {
        ensure(!self.paused.get(store)?, RecordsError::Paused)
    }

    /// A grant whose expiry is none or above `block-height`.
    fn live_grant(&self, store: &impl StoreRead, ctx: &Context, patient: &Principal, provider: &Principal) -> Result<Option<GrantTerms>, StateError> {
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        Ok(self.provider_access.view::<GrantTerms>(store, &key)?.filter(|grant| grant.expires_at.is_none_or(|expiry| expiry > ctx.block_height)))
    }

    fn is_live_admin(&self, store: &impl StoreRead, ctx: &Context, patient: &Principal, provider: &Principal) -> Result<bool, StateError> {
        Ok(self.live_grant(store, ctx, patient, provider)?.is_some_and(|grant| grant.access_level == ADMIN))
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
        let grant = self.live_grant(store, ctx, patient, accessor)?;
        if let Some(grant) = &grant {
            if consent.has_consent(store, ctx.block_height, patient, accessor, data_type)? {
                let level = grant.access_level;
                ensure(action == READ || level >= AccessLevel::Write.code(), RecordsError::Unauthorized)?;
                ensure(action == READ || status == ACTIVE, RecordsError::RecordArchived)?;
                ensure(confidentiality < 2 || level == ADMIN || accessor == creator, RecordsError::Unauthorized)?;
                return Ok(level);
            }
        }
        if consent.has_emergency_access(store, ctx.block_height, patient, accessor)? {
            ensure(action == READ && is_emergency_covered(data_type) && confidentiality <= 1, RecordsError::EmergencyViolation)?;
            return Ok(AccessLevel::Emergency.code());
        }
        fail(if grant.is_some() { RecordsError::NoConsent } else { RecordsError::Unauthorized })
    }

    fn record_access_level<S: StoreRead>(
        &self,
        store: &S,
        consent: &impl ConsentView<S>,
        ctx: &Context,
        record_id: u128,
        accessor: &Principal,
        action: u128,
    ) -> Outcome<u128> {
        ensure(action <= WRITE, RecordsError::InvalidInput)?;
        let Some(record) = self.records.view::<RecordAccess>(store, &record_id)? else {
            return fail(RecordsError::RecordNotFound);
        };
        if *accessor == record.patient {
            return Ok(ADMIN);
        }
        self.provider_access_level(
            store,
            consent,
            ctx,
            &record.patient,
            accessor,
            record_data_type(record.record_type),
            record.confidentiality_level,
            &record.created_by,
            record.status,
            action,
        )
    }

    fn append_access_log(&self, store: &mut impl StoreWrite, ctx: &Context, record_id: u128, action: LogAction, emergency: bool) -> Result<u128, StateError> {
        let log_id = self.next_log_id.get(store)?;
        let entry = LogEntry { accessor: ctx.sender.clone(), action: action.code(), block: ctx.block_height, emergency, record_id };
        self.access_log.set(store, &log_id, &entry)?;
        let count = self.record_access_count.get(store, &record_id)?.unwrap_or(0);
        self.record_access_count.set(store, &record_id, &(count + 1))?;
        self.next_log_id.set(store, &(log_id + 1))?;
        Ok(log_id)
    }

    /// The signature is by `public_key`, whose principal is the caller, over `message`.
    fn check_signature(crypto: &impl Crypto, ctx: &Context, message: &impl ClarityType, signed: &Signed<'_>) -> Outcome<()> {
        let Ok(public_key) = <&[u8; 33]>::try_from(signed.public_key) else {
            return fail(RecordsError::InvalidSignature);
        };
        ensure(crypto.principal_of(public_key).as_ref() == Some(&ctx.sender), RecordsError::InvalidSignature)?;
        let digest: [u8; 32] = Sha256::digest(message.to_bytes()).into();
        ensure(crypto.secp256k1_verify(&digest, signed.signature, public_key), RecordsError::InvalidSignature)
    }

    fn check_new_content(&self, store: &impl StoreRead, content: &Content<'_>) -> Outcome<()> {
        ensure(!content.title.is_empty(), RecordsError::InvalidInput)?;
        ensure(is_valid_data_hash(content.data_hash), RecordsError::InvalidInput)?;
        ensure(!self.hash_index.contains(store, &content.data_hash.to_string())?, RecordsError::DuplicateRecord)
    }

    fn archive_one<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128) -> Outcome<()> {
        let level = self.record_access_level(store, consent, ctx, record_id, &ctx.sender, WRITE)?;
        let Some(record) = self.records.get(store, &record_id)? else {
            return fail(RecordsError::RecordNotFound);
        };
        ensure(level == ADMIN || ctx.sender == record.created_by, RecordsError::Unauthorized)?;
        ensure(record.status == ACTIVE, RecordsError::RecordArchived)?;
        let record = Record { status: RecordStatus::Archived.code(), updated_at: ctx.block_height, ..record };
        self.records.set(store, &record_id, &record)?;
        self.append_access_log(store, ctx, record_id, LogAction::Archive, false)?;
        Ok(())
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
        self.ensure_not_paused(store)?;
        ensure(consent.is_registered(store, patient)?, RecordsError::PatientNotFound)?;
        ensure(ctx.sender == *patient || self.is_live_admin(store, ctx, patient, &ctx.sender)?, RecordsError::Unauthorized)?;
        ensure(access_level <= ADMIN, RecordsError::InvalidAccessLevel)?;
        if let Some(expiry) = expires_at {
            ensure(expiry > ctx.block_height, RecordsError::InvalidExpiry)?;
        }
        ensure(provider != patient, RecordsError::InvalidInput)?;
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        let grant = Grant { access_level, audit_required, expires_at, granted_at: ctx.block_height, granted_by: ctx.sender.clone() };
        self.provider_access.set(store, &key, &grant)?;
        let total = self.total_provider_grants.get(store)?;
        self.total_provider_grants.set(store, &(total + 1))?;
        let event = RecordsEvent::ProviderAccessGranted { patient: patient.clone(), provider: provider.clone(), access_level, expires_at };
        Ok((true, event))
    }

    /// Works while paused.
    pub fn revoke_provider_access(&self, store: &mut impl StoreWrite, ctx: &Context, patient: &Principal, provider: &Principal) -> Printed<bool> {
        let key = PatientProvider { patient: patient.clone(), provider: provider.clone() };
        ensure(ctx.sender == *patient || self.is_live_admin(store, ctx, patient, &ctx.sender)?, RecordsError::Unauthorized)?;
        ensure(self.provider_access.contains(store, &key)?, RecordsError::AccessNotFound)?;
        self.provider_access.delete(store, &key)?;
        Ok((true, RecordsEvent::ProviderAccessRevoked { patient: patient.clone(), provider: provider.clone() }))
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
        self.ensure_not_paused(store)?;
        let Some(kind) = RecordType::from_code(record_type) else {
            return fail(RecordsError::InvalidRecordType);
        };
        ensure(confidentiality_level <= MAX_CONFIDENTIALITY, RecordsError::InvalidInput)?;
        ensure(consent.is_registered(store, patient)?, RecordsError::PatientNotFound)?;
        if ctx.sender != *patient {
            let data_type = kind.data_type().code();
            self.provider_access_level(store, consent, ctx, patient, &ctx.sender, data_type, confidentiality_level, &ctx.sender, ACTIVE, WRITE)?;
        }
        self.check_new_content(store, content)?;
        let message =
            CreateMessage { checksum: Buff(content.checksum.to_vec()), data_hash: content.data_hash.to_string(), patient: patient.clone(), record_type };
        Self::check_signature(crypto, ctx, &message, signed)?;

        let record_id = self.next_record_id.get(store)?;
        let index = self.patient_record_count.get(store, patient)?.unwrap_or(0);
        let record = Record {
            checksum: Buff(content.checksum.to_vec()),
            confidentiality_level,
            created_at: ctx.block_height,
            created_by: ctx.sender.clone(),
            data_hash: content.data_hash.to_string(),
            encryption_key_id: encryption_key_id.map(str::to_string),
            patient: patient.clone(),
            record_type,
            retention_until: ctx.block_height + self.retention_period.get(store)?,
            status: ACTIVE,
            title: content.title.to_string(),
            updated_at: ctx.block_height,
            version: 1,
        };
        self.records.set(store, &record_id, &record)?;
        let version = current_version(&record, ctx);
        self.record_versions.set(store, &VersionKey { record_id, version: 1 }, &version)?;
        self.hash_index.set(store, &record.data_hash, &record_id)?;
        self.patient_records.set(store, &PatientIndex { index, patient: patient.clone() }, &record_id)?;
        self.patient_record_count.set(store, patient, &(index + 1))?;
        self.next_record_id.set(store, &(record_id + 1))?;
        self.append_access_log(store, ctx, record_id, LogAction::Create, false)?;
        let event = RecordsEvent::RecordCreated { record_id, patient: patient.clone(), created_by: ctx.sender.clone(), record_type };
        Ok((record_id, event))
    }

    pub fn get_record<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128) -> Printed<Record> {
        self.ensure_not_paused(store)?;
        let level = self.record_access_level(store, consent, ctx, record_id, &ctx.sender, READ)?;
        let Some(record) = self.records.get(store, &record_id)? else {
            return fail(RecordsError::RecordNotFound);
        };
        let emergency = level == AccessLevel::Emergency.code();
        self.append_access_log(store, ctx, record_id, LogAction::Read, emergency)?;
        let event = RecordsEvent::RecordRead { record_id, accessor: ctx.sender.clone(), access_level: level };
        Ok((record, event))
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
        self.ensure_not_paused(store)?;
        self.record_access_level(store, consent, ctx, record_id, &ctx.sender, WRITE)?;
        let Some(record) = self.records.get(store, &record_id)? else {
            return fail(RecordsError::RecordNotFound);
        };
        let new_version = record.version + 1;
        ensure(record.status == ACTIVE, RecordsError::RecordArchived)?;
        self.check_new_content(store, content)?;
        ensure(new_version <= MAX_VERSIONS, RecordsError::InvalidVersion)?;
        let message = UpdateMessage { checksum: Buff(content.checksum.to_vec()), data_hash: content.data_hash.to_string(), record_id, version: new_version };
        Self::check_signature(crypto, ctx, &message, signed)?;
        let record = Record {
            title: content.title.to_string(),
            data_hash: content.data_hash.to_string(),
            checksum: Buff(content.checksum.to_vec()),
            version: new_version,
            updated_at: ctx.block_height,
            ..record
        };
        self.records.set(store, &record_id, &record)?;
        let version = current_version(&record, ctx);
        self.record_versions.set(store, &VersionKey { record_id, version: new_version }, &version)?;
        self.hash_index.set(store, &record.data_hash, &record_id)?;
        self.append_access_log(store, ctx, record_id, LogAction::Update, false)?;
        let event = RecordsEvent::RecordUpdated { record_id, version: new_version, updated_by: ctx.sender.clone() };
        Ok((new_version, event))
    }

    pub fn rollback_record<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128, version: u128) -> Printed<u128> {
        self.ensure_not_paused(store)?;
        let level = self.record_access_level(store, consent, ctx, record_id, &ctx.sender, WRITE)?;
        ensure(level == ADMIN, RecordsError::Unauthorized)?;
        let Some(record) = self.records.get(store, &record_id)? else {
            return fail(RecordsError::RecordNotFound);
        };
        let new_version = record.version + 1;
        ensure(record.status == ACTIVE, RecordsError::RecordArchived)?;
        ensure(version >= 1 && version < record.version, RecordsError::InvalidVersion)?;
        ensure(new_version <= MAX_VERSIONS, RecordsError::InvalidVersion)?;
        let Some(old) = self.record_versions.get(store, &VersionKey { record_id, version })? else {
            return fail(RecordsError::InvalidVersion);
        };
        let record = Record {
            title: old.title.clone(),
            data_hash: old.data_hash.clone(),
            checksum: old.checksum.clone(),
            version: new_version,
            updated_at: ctx.block_height,
            ..record
        };
        self.records.set(store, &record_id, &record)?;
        let restored = RecordVersion { updated_at: ctx.block_height, updated_by: ctx.sender.clone(), ..old };
        self.record_versions.set(store, &VersionKey { record_id, version: new_version }, &restored)?;
        self.append_access_log(store, ctx, record_id, LogAction::Rollback, false)?;
        let event = RecordsEvent::RecordRolledBack { record_id, version: new_version, restored_version: version };
        Ok((new_version, event))
    }

    pub fn archive_record<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_id: u128) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        self.archive_one(store, consent, ctx, record_id)?;
        Ok((true, RecordsEvent::RecordArchived { record_id, archived_by: ctx.sender.clone() }))
    }

    /// All or nothing: the first record that cannot be archived fails the call.
    pub fn archive_records<S: StoreWrite>(&self, store: &mut S, consent: &impl ConsentView<S>, ctx: &Context, record_ids: &[u128]) -> Printed<u128> {
        self.ensure_not_paused(store)?;
        ensure(!record_ids.is_empty(), RecordsError::InvalidInput)?;
        for &record_id in record_ids {
            self.archive_one(store, consent, ctx, record_id)?;
        }
        let event = RecordsEvent::RecordsArchived { record_ids: record_ids.to_vec(), archived_by: ctx.sender.clone() };
        Ok((record_ids.len() as u128, event))
    }

    pub fn purge_record(&self, store: &mut impl StoreWrite, ctx: &Context, record_id: u128) -> Printed<bool> {
        self.ensure_not_paused(store)?;
        let Some(record) = self.records.get(store, &record_id)? else {
            return fail(RecordsError::RecordNotFound);
        };
        ensure(ctx.sender == record.patient || self.is_owner(store, ctx)?, RecordsError::Unauthorized)?;
        ensure(ctx.block_height >= record.retention_until, RecordsError::RetentionPeriod)?;
        for version in 1..=record.version {
            self.record_versions.delete(store, &VersionKey { record_id, version })?;
        }
        self.records.delete(store, &record_id)?;
        self.append_access_log(store, ctx, record_id, LogAction::Purge, false)?;
        Ok((true, RecordsEvent::RecordPurged { record_id, purged_by: ctx.sender.clone() }))
    }

    // Owner functions: not subject to pause.

    pub fn set_paused(&self, store: &mut impl StoreWrite, ctx: &Context, paused: bool) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, RecordsError::Unauthorized)?;
        self.paused.set(store, &paused)?;
        Ok((true, RecordsEvent::PausedSet { paused }))
    }

    pub fn set_retention_period(&self, store: &mut impl StoreWrite, ctx: &Context, blocks: u128) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, RecordsError::Unauthorized)?;
        ensure((MIN_RETENTION_PERIOD..=MAX_RETENTION_PERIOD).contains(&blocks), RecordsError::InvalidInput)?;
        self.retention_period.set(store, &blocks)?;
        Ok((true, RecordsEvent::RetentionPeriodSet { blocks }))
    }

    pub fn transfer_ownership(&self, store: &mut impl StoreWrite, ctx: &Context, new_owner: &Principal) -> Printed<bool> {
        ensure(self.is_owner(store, ctx)?, RecordsError::Unauthorized)?;
        self.contract_owner.set(store, new_owner)?;
        Ok((true, RecordsEvent::OwnershipTransferred { new_owner: new_owner.clone() }))
    }

    // Read-only functions.

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
        self.record_access_level(store, consent, ctx, record_id, accessor, action)
    }

    pub fn get_record_info(&self, store: &impl StoreRead, record_id: u128) -> Result<Option<Record>, StateError> {
        self.records.get(store, &record_id)
    }

    pub fn get_record_version(&self, store: &impl StoreRead, record_id: u128, version: u128) -> Result<Option<RecordVersion>, StateError> {
        self.record_versions.get(store, &VersionKey { record_id, version })
    }

    pub fn get_provider_access(&self, store: &impl StoreRead, patient: &Principal, provider: &Principal) -> Result<Option<Grant>, StateError> {
        self.provider_access.get(store, &PatientProvider { patient: patient.clone(), provider: provider.clone() })
    }

    pub fn get_access_log_entry(&self, store: &impl StoreRead, log_id: u128) -> Result<Option<LogEntry>, StateError> {
        self.access_log.get(store, &log_id)
    }

    pub fn get_record_access_count(&self, store: &impl StoreRead, record_id: u128) -> Result<u128, StateError> {
        Ok(self.record_access_count.get(store, &record_id)?.unwrap_or(0))
    }

    pub fn get_record_count(&self, store: &impl StoreRead, patient: &Principal) -> Result<u128, StateError> {
        Ok(self.patient_record_count.get(store, patient)?.unwrap_or(0))
    }

    pub fn get_patient_record_id(&self, store: &impl StoreRead, patient: &Principal, index: u128) -> Result<Option<u128>, StateError> {
        self.patient_records.get(store, &PatientIndex { index, patient: patient.clone() })
    }

    pub fn verify_checksum(&self, store: &impl StoreRead, record_id: u128, checksum: &[u8]) -> Result<bool, StateError> {
        Ok(self.records.get(store, &record_id)?.is_some_and(|record| record.checksum.0 == checksum))
    }

    pub fn get_retention_period(&self, store: &impl StoreRead) -> Result<u128, StateError> {
        self.retention_period.get(store)
    }

    pub fn is_paused(&self, store: &impl StoreRead) -> Result<bool, StateError> {
        self.paused.get(store)
    }

    pub fn get_contract_owner(&self, store: &impl StoreRead) -> Result<Principal, StateError> {
        self.contract_owner.get(store)
    }

    pub fn get_stats(&self, store: &impl StoreRead) -> Result<Stats, StateError> {
        Ok(Stats {
            total_access_log_entries: self.next_log_id.get(store)? - 1,
            total_provider_grants: self.total_provider_grants.get(store)?,
            total_records: self.next_record_id.get(store)? - 1,
        })
    }
}

/// The `record-versions` entry for a record's current content, written by `ctx`.
fn current_version(record: &Record, ctx: &Context) -> RecordVersion {
    RecordVersion {
        checksum: record.checksum.clone(),
        data_hash: record.data_hash.clone(),
        title: record.title.clone(),
        updated_at: ctx.block_height,
        updated_by: ctx.sender.clone(),
    }
}

/// `record-data-type`: the consent data type a stored record's type needs.
fn record_data_type(record_type: u128) -> u128 {
    RecordType::from_code(record_type).map_or(0, |kind| kind.data_type().code())
}
