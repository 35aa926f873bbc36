//! Random operations on both contracts: every public function and mined blocks, with
//! arguments biased toward the edges where implementations disagree.
//!
//! An [`Op`] names its choices (which actor, which expiry relative to the current
//! block, which signature fault); [`Op::resolve`] turns it into a concrete Clarity
//! call against the current state, so a sequence still means something after
//! proptest has removed some of its steps while shrinking.

use clarimed_engine::to_literal;
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, buff, list, none, principal, some, tuple, uint};
use clarimed_reference::{PrincipalData, Value, CONSENT_CONTRACT, RECORDS_CONTRACT};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// The principals of a run: the owner, three patients, three providers, two
/// emergency responders and a stranger, each with a secp256k1 key.
pub struct Pool {
    keys: Vec<Key>,
}

pub const OWNER: u8 = 0;
const ROLES: [&str; 10] = ["owner", "patient-1", "patient-2", "patient-3", "provider-1", "provider-2", "provider-3", "responder-1", "responder-2", "stranger"];

impl Pool {
    pub fn new() -> Pool {
        Pool { keys: ROLES.iter().map(|role| Key::from_seed(format!("clarimed conformance {role}").as_bytes())).collect() }
    }

    pub fn key(&self, actor: u8) -> &Key {
        &self.keys[actor as usize % self.keys.len()]
    }

    pub fn principal(&self, actor: u8) -> PrincipalData {
        self.key(actor).principal().into()
    }

    pub fn name(&self, actor: u8) -> &'static str {
        ROLES[actor as usize % ROLES.len()]
    }

    pub fn owner(&self) -> &Key {
        self.key(OWNER)
    }
}

impl Default for Pool {
    fn default() -> Pool {
        Pool::new()
    }
}

/// What an op needs to know of the current state to become a call.
pub trait StateView {
    fn block_height(&self) -> u128;
    /// The id the next record will get.
    fn next_record_id(&self) -> u128;
    /// A record's current version, if it exists.
    fn record_version(&self, record_id: u128) -> Option<u128>;
}

/// An expiry, relative to the block the call runs in where it matters.
#[derive(Debug, Clone, PartialEq)]
pub enum Expiry {
    Never,
    /// `block-height + offset`, floored at 0.
    Relative(i64),
    Absolute(u128),
}

/// A 64-character data hash: one of a few valid ones (so duplicates happen), or a
/// malformed one.
#[derive(Debug, Clone, PartialEq)]
pub enum Hash {
    Valid(u8),
    Uppercase(u8),
    Short,
    NotHex,
}

/// How a record signature is made.
#[derive(Debug, Clone, PartialEq)]
pub enum Signing {
    /// By the caller's own key, over the right message.
    Valid,
    /// By another actor's key (whose public key is given).
    OtherKey(u8),
    /// By the caller, but one byte of the signature flipped.
    Tampered,
    /// With a public key one byte short.
    ShortKey,
    /// With a 65th byte that is no recovery id.
    BadRecoveryByte,
    /// With no signature bytes at all.
    Empty,
}

/// A record id: one that exists or just did not, or a far one.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordPick {
    /// The `n`th id counted back from the next one (0 is the next, unused id).
    Recent(u8),
    Absolute(u128),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Mine(u32),
    RegisterPatient {
        sender: u8,
        patient_id: String,
        date_of_birth: u128,
        emergency_contact: Option<u8>,
        primary_physician: Option<u8>,
    },
    UpdatePatientProfile {
        sender: u8,
        emergency_contact: Option<u8>,
        primary_physician: Option<u8>,
    },
    UpdatePatientPreferences {
        sender: u8,
        allow_emergency: bool,
        notify: bool,
        research: bool,
    },
    GrantConsent {
        sender: u8,
        provider: u8,
        data_type: u128,
        expires_at: Expiry,
        purpose: String,
    },
    GrantConsentBatch {
        sender: u8,
        provider: u8,
        data_types: Vec<u128>,
        expires_at: Expiry,
        purpose: String,
    },
    RevokeConsent {
        sender: u8,
        provider: u8,
        data_type: u128,
    },
    EmergencyOverride {
        sender: u8,
        patient: u8,
        reason: String,
    },
    RevokeEmergencyAccess {
        sender: u8,
        patient: u8,
        provider: u8,
    },
    MarkDeceased {
        sender: u8,
        patient: u8,
    },
    SetPaused {
        sender: u8,
        records: bool,
        paused: bool,
    },
    SetEmergencyTimeout {
        sender: u8,
        blocks: u128,
    },
    SetEmergencyResponder {
        sender: u8,
        responder: u8,
        enabled: bool,
    },
    TransferOwnership {
        sender: u8,
        records: bool,
        new_owner: u8,
    },
    GrantProviderAccess {
        sender: u8,
        patient: u8,
        provider: u8,
        access_level: u128,
        expires_at: Expiry,
        audit_required: bool,
    },
    RevokeProviderAccess {
        sender: u8,
        patient: u8,
        provider: u8,
    },
    CreateRecord {
        sender: u8,
        patient: u8,
        record_type: u128,
        title: String,
        hash: Hash,
        checksum: u8,
        encryption_key_id: Option<String>,
        confidentiality: u128,
        signing: Signing,
    },
    GetRecord {
        sender: u8,
        record: RecordPick,
    },
    UpdateRecord {
        sender: u8,
        record: RecordPick,
        title: String,
        hash: Hash,
        checksum: u8,
        signing: Signing,
        version_offset: i8,
    },
    RollbackRecord {
        sender: u8,
        record: RecordPick,
        version: u128,
    },
    ArchiveRecord {
        sender: u8,
        record: RecordPick,
    },
    ArchiveRecords {
        sender: u8,
        records: Vec<RecordPick>,
    },
    PurgeRecord {
        sender: u8,
        record: RecordPick,
    },
    SetRetentionPeriod {
        sender: u8,
        blocks: u128,
    },
}

/// One concrete contract call, or mined blocks.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Mine(u32),
    Contract { sender: u8, contract: &'static str, function: &'static str, args: Vec<Value> },
}

impl Call {
    /// The call as a line of a Clarity script.
    pub fn script_line(&self, pool: &Pool) -> String {
        match self {
            Call::Mine(blocks) => format!("::advance_chain_tip {blocks}"),
            Call::Contract { sender, contract, function, args } => {
                let args: String = args.iter().map(|a| format!(" {}", to_literal(a))).collect();
                format!("::set_tx_sender {} ;; {}\n(contract-call? .{contract} {function}{args})", pool.principal(*sender), pool.name(*sender))
            }
        }
    }
}

fn resolve_expiry(expiry: &Expiry, height: u128) -> Value {
    match expiry {
        Expiry::Never => none(),
        Expiry::Relative(offset) => {
            let at = if *offset >= 0 { height + *offset as u128 } else { height.saturating_sub(offset.unsigned_abs() as u128) };
            some(uint(at))
        }
        Expiry::Absolute(at) => some(uint(*at)),
    }
}

fn hash_text(hash: &Hash) -> String {
    let valid = |n: u8| -> String { clarimed_engine::hex(&Sha256::digest([n])) };
    match hash {
        Hash::Valid(n) => valid(*n),
        Hash::Uppercase(n) => valid(*n).to_uppercase(),
        Hash::Short => valid(0)[..63].to_string(),
        Hash::NotHex => format!("{}z", &valid(0)[..63]),
    }
}

fn resolve_record(pick: &RecordPick, view: &impl StateView) -> u128 {
    match pick {
        RecordPick::Recent(back) => view.next_record_id().saturating_sub(u128::from(*back)),
        RecordPick::Absolute(id) => *id,
    }
}

/// `(signature, public-key)` for `message` as `signing` says.
fn sign(pool: &Pool, sender: u8, message: &Value, signing: &Signing) -> (Value, Value) {
    let own = pool.key(sender);
    let signer = match signing {
        Signing::OtherKey(other) => pool.key(*other),
        _ => own,
    };
    let mut signature = signer.sign_value(message).expect("a serializable message");
    let mut public_key = signer.public_key();
    match signing {
        Signing::Tampered => signature[10] ^= 0x55,
        Signing::ShortKey => {
            public_key.pop();
        }
        Signing::BadRecoveryByte => signature[64] = 4,
        Signing::Empty => signature.clear(),
        Signing::Valid | Signing::OtherKey(_) => {}
    }
    (buff(&signature), buff(&public_key))
}

fn checksum(byte: u8) -> [u8; 32] {
    [byte; 32]
}

impl Op {
    /// The op as a concrete call against the state `view` shows.
    pub fn resolve(&self, pool: &Pool, view: &impl StateView) -> Call {
        let p = |actor: &u8| principal(pool.principal(*actor));
        let opt = |actor: &Option<u8>| actor.as_ref().map_or_else(none, |a| some(p(a)));
        let height = view.block_height();
        let consent = |sender: &u8, function: &'static str, args: Vec<Value>| Call::Contract { sender: *sender, contract: CONSENT_CONTRACT, function, args };
        let records = |sender: &u8, function: &'static str, args: Vec<Value>| Call::Contract { sender: *sender, contract: RECORDS_CONTRACT, function, args };
        let contract_of = |is_records: &bool| if *is_records { RECORDS_CONTRACT } else { CONSENT_CONTRACT };
        match self {
            Op::Mine(blocks) => Call::Mine(*blocks),
            Op::RegisterPatient { sender, patient_id, date_of_birth, emergency_contact, primary_physician } => {
                consent(sender, "register-patient", vec![ascii(patient_id), uint(*date_of_birth), opt(emergency_contact), opt(primary_physician)])
            }
            Op::UpdatePatientProfile { sender, emergency_contact, primary_physician } => {
                consent(sender, "update-patient-profile", vec![opt(emergency_contact), opt(primary_physician)])
            }
            Op::UpdatePatientPreferences { sender, allow_emergency, notify, research } => {
                consent(sender, "update-patient-preferences", vec![Value::Bool(*allow_emergency), Value::Bool(*notify), Value::Bool(*research)])
            }
            Op::GrantConsent { sender, provider, data_type, expires_at, purpose } => {
                consent(sender, "grant-consent", vec![p(provider), uint(*data_type), resolve_expiry(expires_at, height), ascii(purpose)])
            }
            Op::GrantConsentBatch { sender, provider, data_types, expires_at, purpose } => consent(
                sender,
                "grant-consent-batch",
                vec![p(provider), list(data_types.iter().map(|t| uint(*t)).collect()), resolve_expiry(expires_at, height), ascii(purpose)],
            ),
            Op::RevokeConsent { sender, provider, data_type } => consent(sender, "revoke-consent", vec![p(provider), uint(*data_type)]),
            Op::EmergencyOverride { sender, patient, reason } => consent(sender, "emergency-override", vec![p(patient), ascii(reason)]),
            Op::RevokeEmergencyAccess { sender, patient, provider } => consent(sender, "revoke-emergency-access", vec![p(patient), p(provider)]),
            Op::MarkDeceased { sender, patient } => consent(sender, "mark-deceased", vec![p(patient)]),
            Op::SetPaused { sender, records: is_records, paused } => {
                Call::Contract { sender: *sender, contract: contract_of(is_records), function: "set-paused", args: vec![Value::Bool(*paused)] }
            }
            Op::SetEmergencyTimeout { sender, blocks } => consent(sender, "set-emergency-timeout", vec![uint(*blocks)]),
            Op::SetEmergencyResponder { sender, responder, enabled } => consent(sender, "set-emergency-responder", vec![p(responder), Value::Bool(*enabled)]),
            Op::TransferOwnership { sender, records: is_records, new_owner } => {
                Call::Contract { sender: *sender, contract: contract_of(is_records), function: "transfer-ownership", args: vec![p(new_owner)] }
            }
            Op::GrantProviderAccess { sender, patient, provider, access_level, expires_at, audit_required } => records(
                sender,
                "grant-provider-access",
                vec![p(patient), p(provider), uint(*access_level), resolve_expiry(expires_at, height), Value::Bool(*audit_required)],
            ),
            Op::RevokeProviderAccess { sender, patient, provider } => records(sender, "revoke-provider-access", vec![p(patient), p(provider)]),
            Op::CreateRecord { sender, patient, record_type, title, hash, checksum: sum, encryption_key_id, confidentiality, signing } => {
                let data_hash = hash_text(hash);
                let message = tuple(&[
                    ("patient", p(patient)),
                    ("record-type", uint(*record_type)),
                    ("data-hash", ascii(&data_hash)),
                    ("checksum", buff(&checksum(*sum))),
                ]);
                let (signature, public_key) = sign(pool, *sender, &message, signing);
                records(
                    sender,
                    "create-record",
                    vec![
                        p(patient),
                        uint(*record_type),
                        ascii(title),
                        ascii(&data_hash),
                        buff(&checksum(*sum)),
                        encryption_key_id.as_deref().map_or_else(none, |id| some(ascii(id))),
                        uint(*confidentiality),
                        signature,
                        public_key,
                    ],
                )
            }
            Op::GetRecord { sender, record } => records(sender, "get-record", vec![uint(resolve_record(record, view))]),
            Op::UpdateRecord { sender, record, title, hash, checksum: sum, signing, version_offset } => {
                let record_id = resolve_record(record, view);
                let next = view.record_version(record_id).unwrap_or(0) + 1;
                let version = (next as i128 + i128::from(*version_offset)).max(0) as u128;
                let data_hash = hash_text(hash);
                let message =
                    tuple(&[("record-id", uint(record_id)), ("version", uint(version)), ("data-hash", ascii(&data_hash)), ("checksum", buff(&checksum(*sum)))]);
                let (signature, public_key) = sign(pool, *sender, &message, signing);
                records(sender, "update-record", vec![uint(record_id), ascii(title), ascii(&data_hash), buff(&checksum(*sum)), signature, public_key])
            }
            Op::RollbackRecord { sender, record, version } => records(sender, "rollback-record", vec![uint(resolve_record(record, view)), uint(*version)]),
            Op::ArchiveRecord { sender, record } => records(sender, "archive-record", vec![uint(resolve_record(record, view))]),
            Op::ArchiveRecords { sender, records: picks } => {
                records(sender, "archive-records", vec![list(picks.iter().map(|pick| uint(resolve_record(pick, view))).collect())])
            }
            Op::PurgeRecord { sender, record } => records(sender, "purge-record", vec![uint(resolve_record(record, view))]),
            Op::SetRetentionPeriod { sender, blocks } => records(sender, "set-retention-period", vec![uint(*blocks)]),
        }
    }
}

// Strategies: each biased toward the values where the contracts decide something.

fn actor() -> impl Strategy<Value = u8> {
    0u8..10
}

/// Mostly the first two patients, so that their records and grants build up.
fn patient() -> impl Strategy<Value = u8> {
    prop_oneof![8 => 1u8..3, 1 => Just(3u8), 1 => actor()]
}

fn provider() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 4u8..7, 1 => actor()]
}

fn responder() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 7u8..9, 1 => actor()]
}

/// `None` for "the patient calls", or another caller: mostly a provider.
fn by_patient() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![5 => Just(None), 4 => provider().prop_map(Some), 1 => actor().prop_map(Some)]
}

/// Senders are mostly the role that may call, sometimes anyone.
fn owner_or_anyone() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(OWNER), 1 => actor()]
}

/// Empty, exactly `max` long, or ordinary.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just("x".repeat(max)),
        8 => "[a-z ]{1,12}",
    ]
}

/// All eight types, leaning to MEDICAL-HISTORY and LAB-RESULTS so that consents meet
/// the records created (see `record_type`), and out-of-range codes.
fn data_type() -> impl Strategy<Value = u128> {
    prop_oneof![6 => Just(1u128), 3 => Just(2u128), 8 => 0u128..8, 1 => Just(8u128), 1 => Just(u128::MAX)]
}

/// All thirteen types, leaning to DIAGNOSIS (MEDICAL-HISTORY) and LAB-RESULTS, and
/// out-of-range codes.
fn record_type() -> impl Strategy<Value = u128> {
    prop_oneof![6 => Just(2u128), 3 => Just(4u128), 12 => 0u128..13, 1 => Just(13u128), 1 => Just(u128::MAX)]
}

fn expiry() -> impl Strategy<Value = Expiry> {
    prop_oneof![
        3 => Just(Expiry::Never),
        6 => prop::sample::select(vec![-1i64, 0, 1, 2, 5, 50, 432, 52_559, 52_560, 52_561]).prop_map(Expiry::Relative),
        1 => prop_oneof![Just(0u128), Just(u128::MAX)].prop_map(Expiry::Absolute),
    ]
}

fn date_of_birth() -> impl Strategy<Value = u128> {
    prop_oneof![
        12 => (1900u128..3000, 1u128..13, 1u128..32).prop_map(|(y, m, d)| y * 10_000 + m * 100 + d),
        3 => prop::sample::select(vec![19_000_101u128, 29_991_231, 18_991_231, 30_000_101, 19_800_001, 19_801_301, 19_800_100, 19_800_132, 0]),
    ]
}

fn hash() -> impl Strategy<Value = Hash> {
    prop_oneof![
        24 => (0u8..24).prop_map(Hash::Valid),
        1 => (0u8..6).prop_map(Hash::Uppercase),
        1 => Just(Hash::Short),
        1 => Just(Hash::NotHex),
    ]
}

fn signing() -> impl Strategy<Value = Signing> {
    prop_oneof![
        24 => Just(Signing::Valid),
        1 => actor().prop_map(Signing::OtherKey),
        1 => Just(Signing::Tampered),
        1 => Just(Signing::ShortKey),
        1 => Just(Signing::BadRecoveryByte),
        1 => Just(Signing::Empty),
    ]
}

fn record_pick() -> impl Strategy<Value = RecordPick> {
    prop_oneof![
        8 => Just(RecordPick::Recent(1)),
        4 => (2u8..5).prop_map(RecordPick::Recent),
        1 => Just(RecordPick::Recent(0)),
        1 => prop_oneof![Just(0u128), Just(u128::MAX)].prop_map(RecordPick::Absolute),
    ]
}

fn mine() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (1u32..20).prop_map(Op::Mine),
        2 => prop::sample::select(vec![0u32, 49, 431, 432, 52_560]).prop_map(Op::Mine),
        1 => Just(Op::Mine(1_576_800)),
    ]
}

fn consent_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (patient(), text(64), date_of_birth(), prop::option::of(actor()), prop::option::of(provider())).prop_map(
            |(sender, patient_id, date_of_birth, emergency_contact, primary_physician)| Op::RegisterPatient { sender, patient_id, date_of_birth, emergency_contact, primary_physician }
        ),
        1 => (patient(), prop::option::of(actor()), prop::option::of(provider()))
            .prop_map(|(sender, emergency_contact, primary_physician)| Op::UpdatePatientProfile { sender, emergency_contact, primary_physician }),
        2 => (patient(), prop::bool::weighted(0.6), any::<bool>(), any::<bool>())
            .prop_map(|(sender, allow_emergency, notify, research)| Op::UpdatePatientPreferences { sender, allow_emergency, notify, research }),
        8 => (patient(), provider(), data_type(), expiry(), text(64))
            .prop_map(|(sender, provider, data_type, expires_at, purpose)| Op::GrantConsent { sender, provider, data_type, expires_at, purpose }),
        2 => (patient(), provider(), prop::collection::vec(data_type(), 0..9), expiry(), text(64))
            .prop_map(|(sender, provider, data_types, expires_at, purpose)| Op::GrantConsentBatch { sender, provider, data_types, expires_at, purpose }),
        3 => (patient(), provider(), data_type()).prop_map(|(sender, provider, data_type)| Op::RevokeConsent { sender, provider, data_type }),
        3 => (responder(), patient(), text(128)).prop_map(|(sender, patient, reason)| Op::EmergencyOverride { sender, patient, reason }),
        1 => (prop_oneof![patient(), Just(OWNER)], patient(), responder())
            .prop_map(|(sender, patient, provider)| Op::RevokeEmergencyAccess { sender, patient, provider }),
        1 => (prop_oneof![provider(), Just(OWNER)], patient()).prop_map(|(sender, patient)| Op::MarkDeceased { sender, patient }),
        1 => (owner_or_anyone(), any::<bool>(), prop::bool::weighted(0.3)).prop_map(|(sender, records, paused)| Op::SetPaused { sender, records, paused }),
        1 => (owner_or_anyone(), prop::sample::select(vec![0u128, 5, 6, 432, 4_320, 4_321]))
            .prop_map(|(sender, blocks)| Op::SetEmergencyTimeout { sender, blocks }),
        3 => (owner_or_anyone(), responder(), prop::bool::weighted(0.8))
            .prop_map(|(sender, responder, enabled)| Op::SetEmergencyResponder { sender, responder, enabled }),
    ]
}

fn records_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (by_patient(), patient(), provider(), prop_oneof![2 => Just(1u128), 6 => 0u128..3, 1 => Just(3u128), 1 => Just(u128::MAX)], expiry(), any::<bool>()).prop_map(
            |(by_patient, patient, provider, access_level, expires_at, audit_required)| {
                let sender = by_patient.unwrap_or(patient);
                Op::GrantProviderAccess { sender, patient, provider, access_level, expires_at, audit_required }
            }
        ),
        2 => (prop_oneof![patient(), provider()], patient(), provider()).prop_map(|(sender, patient, provider)| Op::RevokeProviderAccess { sender, patient, provider }),
        14 => (by_patient(), patient(), record_type(), text(100), hash(), any::<u8>(), prop::option::of(text(64)), prop_oneof![6 => 0u128..2, 3 => 2u128..4, 1 => Just(4u128)], signing()).prop_map(
            |(by_patient, patient, record_type, title, hash, checksum, encryption_key_id, confidentiality, signing)| {
                let sender = by_patient.unwrap_or(patient);
                Op::CreateRecord { sender, patient, record_type, title, hash, checksum, encryption_key_id, confidentiality, signing }
            }
        ),
        8 => (prop_oneof![patient(), provider(), responder(), actor()], record_pick()).prop_map(|(sender, record)| Op::GetRecord { sender, record }),
        4 => (prop_oneof![patient(), provider()], record_pick(), text(100), hash(), any::<u8>(), signing(), prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)]).prop_map(
            |(sender, record, title, hash, checksum, signing, version_offset)| Op::UpdateRecord { sender, record, title, hash, checksum, signing, version_offset }
        ),
        2 => (prop_oneof![patient(), provider()], record_pick(), 0u128..5).prop_map(|(sender, record, version)| Op::RollbackRecord { sender, record, version }),
        2 => (prop_oneof![patient(), provider()], record_pick()).prop_map(|(sender, record)| Op::ArchiveRecord { sender, record }),
        1 => (prop_oneof![patient(), provider()], prop::collection::vec(record_pick(), 0..4)).prop_map(|(sender, records)| Op::ArchiveRecords { sender, records }),
        2 => (prop_oneof![patient(), Just(OWNER), actor()], record_pick()).prop_map(|(sender, record)| Op::PurgeRecord { sender, record }),
        1 => (owner_or_anyone(), prop::sample::select(vec![0u128, 315_359, 315_360, 1_576_800, 5_256_000, 5_256_001]))
            .prop_map(|(sender, blocks)| Op::SetRetentionPeriod { sender, blocks }),
        1 => (owner_or_anyone(), any::<bool>(), prop_oneof![3 => Just(OWNER), 1 => actor()])
            .prop_map(|(sender, records, new_owner)| Op::TransferOwnership { sender, records, new_owner }),
    ]
}

/// One operation: a call on either contract, or mined blocks.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![10 => consent_op(), 12 => records_op(), 2 => mine()]
}

/// The opening of every sequence: two patients register and the owner enables a
/// responder, so that the random operations after it meet records, grants and
/// overrides rather than only "patient not found".
pub fn opening() -> Vec<Op> {
    let register = |sender: u8, physician: u8| Op::RegisterPatient {
        sender,
        patient_id: format!("PAT-{sender}"),
        date_of_birth: 19_800_101 + u128::from(sender),
        emergency_contact: None,
        primary_physician: Some(physician),
    };
    vec![register(1, 4), register(2, 5), Op::SetEmergencyResponder { sender: OWNER, responder: 7, enabled: true }]
}

/// The opening, then `min..=max` random operations.
pub fn sequence(min: usize, max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), min..=max).prop_map(|ops| opening().into_iter().chain(ops).collect())
}

/// Bytes a fuzzer gives: each 8-byte chunk seeds the choice of one operation, so
/// that the fuzzer's mutations change, insert and remove operations one at a time.
/// At most `max` operations.
///
/// (proptest's pass-through source, the bytes as the random stream itself, does not
/// serve: its streams are split between derived generators and give zeros once
/// exhausted, on which range sampling never ends.)
pub fn from_bytes(data: &[u8], max: usize) -> Vec<Op> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let strategy = op();
    data.chunks(8)
        .take(max)
        .map(|chunk| {
            let mut key = [0u8; 32];
            key[..chunk.len()].copy_from_slice(chunk);
            let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key));
            strategy.new_tree(&mut runner).expect("an op strategy always generates").current()
        })
        .collect()
}

/// `cases` sequences of exactly `steps` operations, the same ones for the same seed.
pub fn seeded_sequences(seed: u64, cases: usize, steps: usize) -> impl Iterator<Item = Vec<Op>> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let strategy = sequence(steps, steps);
    (0..cases).map(move |_| strategy.new_tree(&mut runner).expect("a sequence strategy always generates").current())
}
