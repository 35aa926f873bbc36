//! The seed's patient journey as data: each step a contract call (or mined blocks)
//! with the result it must give. `clarimed demo` prints it; the scenario tests assert
//! it; any [`Chain`], the reference VM or the native engine, can run it.

use clarimed_reference::{ExecutionCost, PrincipalData, Value};
use sha2::{Digest, Sha256};

use clarimed_engine::to_literal;
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, buff, none, principal, some, tuple, uint};
use clarimed_reference::{CONSENT_CONTRACT, RECORDS_CONTRACT};

use crate::chain::{serialized, Chain};

/// The people in the journey, each with a secp256k1 key.
pub struct Cast {
    /// Deploys both contracts, so owns them.
    pub owner: Key,
    pub patient: Key,
    pub provider: Key,
    pub responder: Key,
}

impl Cast {
    /// Fixed keys, so every run of the journey gives the same principals and results.
    pub fn fixed() -> Cast {
        Cast {
            owner: Key::from_seed(b"clarimed journey owner"),
            patient: Key::from_seed(b"clarimed journey patient"),
            provider: Key::from_seed(b"clarimed journey provider"),
            responder: Key::from_seed(b"clarimed journey responder"),
        }
    }

    fn name_of(&self, who: &PrincipalData) -> &'static str {
        let named = [(&self.owner, "owner"), (&self.patient, "patient"), (&self.provider, "provider"), (&self.responder, "responder")];
        named.into_iter().find(|(key, _)| PrincipalData::from(key.principal()) == *who).map_or("someone", |(_, name)| name)
    }
}

/// What a step must give.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Exactly this value.
    Value(Value),
    /// `(ok …)`, whatever it holds.
    Ok,
    /// `(err code)`.
    Err(u128),
}

impl Expect {
    pub fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Expect::Value(expected), actual) => serialized(expected) == serialized(actual),
            (Expect::Ok, Value::Response(response)) => response.committed,
            (Expect::Err(code), Value::Response(response)) => !response.committed && *response.data == Value::UInt(*code),
            _ => false,
        }
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Value(value) => f.write_str(&to_literal(value)),
            Expect::Ok => f.write_str("(ok …)"),
            Expect::Err(code) => write!(f, "(err u{code})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // a journey is a few dozen steps
pub enum Step {
    /// A public function call, or a read-only one.
    Call {
        note: &'static str,
        sender: PrincipalData,
        contract: &'static str,
        function: &'static str,
        args: Vec<Value>,
        read_only: bool,
        expect: Expect,
    },
    Mine {
        note: &'static str,
        blocks: u32,
    },
}

/// What running one step gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Called { value: Value, events: Vec<Value>, cost: ExecutionCost, matched: bool },
    Mined { height: u32 },
}

impl Step {
    /// The step as a line of Clarity, e.g.
    /// `patient: (contract-call? .patient-consent grant-consent 'ST… u1 none "care")`.
    pub fn describe(&self, cast: &Cast) -> String {
        match self {
            Step::Call { sender, contract, function, args, .. } => {
                let args: String = args.iter().map(|a| format!(" {}", to_literal(a))).collect();
                format!("{}: (contract-call? .{contract} {function}{args})", cast.name_of(sender))
            }
            Step::Mine { blocks, .. } => format!("mine {blocks} blocks"),
        }
    }

    pub fn note(&self) -> &'static str {
        match self {
            Step::Call { note, .. } | Step::Mine { note, .. } => note,
        }
    }

    pub fn run<C: Chain>(&self, chain: &mut C) -> Result<Outcome, C::Error> {
        match self {
            Step::Call { sender, contract, function, args, read_only, expect, .. } => {
                let result =
                    if *read_only { chain.call_read_only(sender, contract, function, args)? } else { chain.call_public(sender, contract, function, args)? };
                let matched = expect.matches(&result.value);
                Ok(Outcome::Called { value: result.value, events: result.events, cost: result.cost, matched })
            }
            Step::Mine { blocks, .. } => {
                chain.mine(*blocks)?;
                Ok(Outcome::Mined { height: chain.block_height() })
            }
        }
    }
}

/// A record's content as the journey stores it: the hash is the hex of the
/// sha256 of the (notionally encrypted) body, the checksum its raw bytes.
pub struct Content {
    pub data_hash: String,
    pub checksum: [u8; 32],
}

impl Content {
    pub fn of(body: &str) -> Content {
        let checksum: [u8; 32] = Sha256::digest(body.as_bytes()).into();
        let data_hash = clarimed_engine::hex(&checksum);
        Content { data_hash, checksum }
    }
}

/// `create-record`'s arguments, signed by `signer` as the contract requires.
#[allow(clippy::too_many_arguments)]
pub fn create_record_args(
    signer: &Key,
    patient: &PrincipalData,
    record_type: u128,
    title: &str,
    content: &Content,
    encryption_key_id: Option<&str>,
    confidentiality: u128,
) -> Vec<Value> {
    let message = tuple(&[
        ("patient", principal(patient.clone())),
        ("record-type", uint(record_type)),
        ("data-hash", ascii(&content.data_hash)),
        ("checksum", buff(&content.checksum)),
    ]);
    let signature = signer.sign_value(&message).expect("a serializable message");
    vec![
        principal(patient.clone()),
        uint(record_type),
        ascii(title),
        ascii(&content.data_hash),
        buff(&content.checksum),
        encryption_key_id.map_or_else(none, |id| some(ascii(id))),
        uint(confidentiality),
        buff(&signature),
        buff(&signer.public_key()),
    ]
}

/// `update-record`'s arguments for the record's `new_version`, signed by `signer`.
pub fn update_record_args(signer: &Key, record_id: u128, new_version: u128, title: &str, content: &Content) -> Vec<Value> {
    let message = tuple(&[
        ("record-id", uint(record_id)),
        ("version", uint(new_version)),
        ("data-hash", ascii(&content.data_hash)),
        ("checksum", buff(&content.checksum)),
    ]);
    let signature = signer.sign_value(&message).expect("a serializable message");
    vec![uint(record_id), ascii(title), ascii(&content.data_hash), buff(&content.checksum), buff(&signature), buff(&signer.public_key())]
}

fn ok(value: Value) -> Expect {
    Expect::Value(Value::okay(value).expect("a response within Clarity's size limit"))
}

fn call(note: &'static str, sender: &Key, contract: &'static str, function: &'static str, args: Vec<Value>, expect: Expect) -> Step {
    contract_call(note, sender, contract, function, args, expect, false)
}

fn read(note: &'static str, sender: &Key, contract: &'static str, function: &'static str, args: Vec<Value>, expect: Expect) -> Step {
    contract_call(note, sender, contract, function, args, expect, true)
}

fn contract_call(note: &'static str, sender: &Key, contract: &'static str, function: &'static str, args: Vec<Value>, expect: Expect, read_only: bool) -> Step {
    Step::Call { note, sender: sender.principal().into(), contract, function, args, read_only, expect }
}

/// Block height when the journey starts (the chain's first block).
pub const START_HEIGHT: u32 = 1;
/// The lab-results consent lasts until this height.
const LAB_CONSENT_EXPIRY: u128 = 50;
const EMERGENCY_TIMEOUT: u32 = 432;
const RETENTION_PERIOD: u32 = 1_576_800;

/// The seed's patient journey, from registration to purge.
pub fn patient_journey(cast: &Cast) -> Vec<Step> {
    let patient: PrincipalData = cast.patient.principal().into();
    let provider: PrincipalData = cast.provider.principal().into();
    let responder: PrincipalData = cast.responder.principal().into();
    let me = || principal(patient.clone());
    let dr = || principal(provider.clone());
    let diagnosis = Content::of("ciphertext: initial diagnosis");
    let revised = Content::of("ciphertext: revised diagnosis");
    let labs = Content::of("ciphertext: blood panel");
    let genome = Content::of("ciphertext: genome sequence");
    // Heights: every call runs at START_HEIGHT until the first `mine`.
    let override_expiry = START_HEIGHT + EMERGENCY_TIMEOUT;
    let lab_wait = LAB_CONSENT_EXPIRY as u32 - START_HEIGHT;
    let override_wait = override_expiry - START_HEIGHT - lab_wait;
    // Record 1 was created at START_HEIGHT; purge opens at created-at + retention.
    let retention_wait = START_HEIGHT + RETENTION_PERIOD - override_expiry;

    vec![
        call(
            "The patient registers.",
            &cast.patient,
            CONSENT_CONTRACT,
            "register-patient",
            vec![ascii("PAT-0001"), uint(19_800_412), none(), some(dr())],
            ok(Value::Bool(true)),
        ),
        call(
            "The patient consents to the provider seeing their medical history.",
            &cast.patient,
            CONSENT_CONTRACT,
            "grant-consent",
            vec![dr(), uint(1), none(), ascii("ongoing care")],
            ok(Value::Bool(true)),
        ),
        call(
            "...and their lab results, until block 50.",
            &cast.patient,
            CONSENT_CONTRACT,
            "grant-consent",
            vec![dr(), uint(2), some(uint(LAB_CONSENT_EXPIRY)), ascii("lab follow-up")],
            ok(Value::Bool(true)),
        ),
        call(
            "The patient grants the provider WRITE access to their records.",
            &cast.patient,
            RECORDS_CONTRACT,
            "grant-provider-access",
            vec![me(), dr(), uint(1), none(), Value::Bool(true)],
            ok(Value::Bool(true)),
        ),
        call(
            "The provider creates a signed DIAGNOSIS record (record u1).",
            &cast.provider,
            RECORDS_CONTRACT,
            "create-record",
            create_record_args(&cast.provider, &patient, 2, "Initial diagnosis", &diagnosis, Some("kms-key-7"), 1),
            ok(uint(1)),
        ),
        read(
            "The provider's read is allowed at WRITE level (u1).",
            &cast.provider,
            RECORDS_CONTRACT,
            "check-access",
            vec![uint(1), dr(), uint(0)],
            ok(uint(1)),
        ),
        call("The provider reads the record (logged).", &cast.provider, RECORDS_CONTRACT, "get-record", vec![uint(1)], Expect::Ok),
        call(
            "The provider updates it: version 2.",
            &cast.provider,
            RECORDS_CONTRACT,
            "update-record",
            update_record_args(&cast.provider, 1, 2, "Revised diagnosis", &revised),
            ok(uint(2)),
        ),
        call(
            "The patient rolls it back to version 1, as a new version 3.",
            &cast.patient,
            RECORDS_CONTRACT,
            "rollback-record",
            vec![uint(1), uint(1)],
            ok(uint(3)),
        ),
        read(
            "Version 3 carries version 1's checksum.",
            &cast.patient,
            RECORDS_CONTRACT,
            "verify-checksum",
            vec![uint(1), buff(&diagnosis.checksum)],
            Expect::Value(Value::Bool(true)),
        ),
        call(
            "The provider adds a LAB-RESULTS record (record u2).",
            &cast.provider,
            RECORDS_CONTRACT,
            "create-record",
            create_record_args(&cast.provider, &patient, 4, "Blood panel", &labs, None, 0),
            ok(uint(2)),
        ),
        call(
            "The patient files their own GENETIC-DATA record (record u3).",
            &cast.patient,
            RECORDS_CONTRACT,
            "create-record",
            create_record_args(&cast.patient, &patient, 10, "Genome", &genome, None, 1),
            ok(uint(3)),
        ),
        call("The patient revokes medical-history consent.", &cast.patient, CONSENT_CONTRACT, "revoke-consent", vec![dr(), uint(1)], ok(Value::Bool(true))),
        call(
            "The provider is refused: grant but no consent (u212 NO-CONSENT).",
            &cast.provider,
            RECORDS_CONTRACT,
            "get-record",
            vec![uint(1)],
            Expect::Err(212),
        ),
        call(
            "The owner enables an emergency responder.",
            &cast.owner,
            CONSENT_CONTRACT,
            "set-emergency-responder",
            vec![principal(responder.clone()), Value::Bool(true)],
            ok(Value::Bool(true)),
        ),
        call(
            "The responder overrides: access until block 433.",
            &cast.responder,
            CONSENT_CONTRACT,
            "emergency-override",
            vec![me(), ascii("cardiac arrest, ER bay 3")],
            ok(uint(u128::from(override_expiry))),
        ),
        call("The override opens the diagnosis (a covered type)...", &cast.responder, RECORDS_CONTRACT, "get-record", vec![uint(1)], Expect::Ok),
        call("...but never GENETIC data (u214 EMERGENCY-VIOLATION).", &cast.responder, RECORDS_CONTRACT, "get-record", vec![uint(3)], Expect::Err(214)),
        read(
            "The lab consent is live at block 1.",
            &cast.provider,
            CONSENT_CONTRACT,
            "has-consent",
            vec![me(), dr(), uint(2)],
            Expect::Value(Value::Bool(true)),
        ),
        Step::Mine { note: "Time passes to block 50.", blocks: lab_wait },
        call("The lab consent has expired: the provider is refused (u212).", &cast.provider, RECORDS_CONTRACT, "get-record", vec![uint(2)], Expect::Err(212)),
        read(
            "The override is still live at block 50.",
            &cast.responder,
            CONSENT_CONTRACT,
            "has-emergency-access",
            vec![me(), principal(responder.clone())],
            Expect::Value(Value::Bool(true)),
        ),
        Step::Mine { note: "Time passes to block 433.", blocks: override_wait },
        call("The override has expired: the responder is refused (u200).", &cast.responder, RECORDS_CONTRACT, "get-record", vec![uint(1)], Expect::Err(200)),
        call("The patient archives record u1.", &cast.patient, RECORDS_CONTRACT, "archive-record", vec![uint(1)], ok(Value::Bool(true))),
        call("Purging before the retention period is refused (u209).", &cast.patient, RECORDS_CONTRACT, "purge-record", vec![uint(1)], Expect::Err(209)),
        Step::Mine { note: "Thirty years pass.", blocks: retention_wait },
        call("Now the patient may purge record u1.", &cast.patient, RECORDS_CONTRACT, "purge-record", vec![uint(1)], ok(Value::Bool(true))),
        read("The record is gone.", &cast.patient, RECORDS_CONTRACT, "get-record-info", vec![uint(1)], Expect::Value(none())),
        read(
            "Its access log stays: create, read, update, rollback, read, archive, purge.",
            &cast.patient,
            RECORDS_CONTRACT,
            "get-record-access-count",
            vec![uint(1)],
            Expect::Value(uint(7)),
        ),
    ]
}
