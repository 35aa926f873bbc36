//! A chain with both contracts and a cast of named principals, for the scenario tests,
//! and `scenario!`, which runs one test body on every engine.

#![allow(dead_code)] // each test file uses a different part of this

pub use clarimed_conformance::{Chain, Deploy};
pub use clarimed_engine::{Engine, MemoryStore, SqliteStore};
pub use clarimed_reference::ReferenceVm;

use clarimed_conformance::journey::{create_record_args, update_record_args, Content};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, none, principal, uint};
use clarimed_reference::{CallResult, PrincipalData, Value, CONSENT_CONTRACT, RECORDS_CONTRACT};

/// One test body, run on the Clarity VM and on the native engine over memory and
/// over SQLite: `fn name() { … World::<C>::new() … }` becomes the tests
/// `name::clarity_vm`, `name::native_memory` and `name::native_sqlite`.
#[macro_export]
macro_rules! scenario {
    ($(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        mod $name {
            use super::*;

            fn run<C: Deploy>() $body

            #[test]
            fn clarity_vm() {
                run::<ReferenceVm>()
            }

            #[test]
            fn native_memory() {
                run::<Engine<MemoryStore>>()
            }

            #[test]
            fn native_sqlite() {
                run::<Engine<SqliteStore>>()
            }
        }
    };
}

pub struct World<C> {
    pub chain: C,
    pub owner: Key,
    pub patient: Key,
    pub provider: Key,
    pub responder: Key,
    pub stranger: Key,
}

pub fn who(key: &Key) -> PrincipalData {
    key.principal().into()
}

pub fn p(key: &Key) -> Value {
    principal(key.principal())
}

pub fn yes() -> Value {
    Value::Bool(true)
}

pub fn no() -> Value {
    Value::Bool(false)
}

pub fn ok(value: Value) -> Value {
    Value::okay(value).unwrap()
}

/// The same Clarity value (compared by serialization, as across engines).
#[track_caller]
pub fn assert_same(actual: &Value, expected: &Value) {
    assert!(clarimed_conformance::serialized(actual) == clarimed_conformance::serialized(expected), "got {actual}, expected {expected}");
}

/// The call failed with `(err code)`, kept nothing and printed nothing.
#[track_caller]
pub fn assert_err(result: &CallResult, code: u128) {
    assert_same(&result.value, &Value::error(uint(code)).unwrap());
    assert!(!result.committed, "an err must not commit");
    assert!(result.events.is_empty(), "an err must print nothing");
}

/// The call returned `(ok value)`, committed, and printed one event.
#[track_caller]
pub fn assert_ok(result: &CallResult, value: Value) {
    assert_same(&result.value, &ok(value));
    assert!(result.committed, "an ok must commit");
    assert_eq!(result.events.len(), 1, "an ok prints one event");
}

/// A DIAGNOSIS record needs MEDICAL-HISTORY consent.
pub const DIAGNOSIS: u128 = 2;
pub const MEDICAL_HISTORY: u128 = 1;
pub const READ: u128 = 0;
pub const WRITE: u128 = 1;
pub const ADMIN: u128 = 2;

impl<C: Deploy> World<C> {
    /// Both contracts deployed by `owner`, at block height 1.
    pub fn new() -> World<C> {
        let owner = Key::from_seed(b"world owner");
        World {
            chain: C::deploy(&owner),
            owner,
            patient: Key::from_seed(b"world patient"),
            provider: Key::from_seed(b"world provider"),
            responder: Key::from_seed(b"world responder"),
            stranger: Key::from_seed(b"world stranger"),
        }
    }

    /// A registered patient whose primary physician is the provider.
    pub fn with_patient() -> World<C> {
        let mut world = World::new();
        let physician = p(&world.provider);
        let patient = world.patient.clone();
        let result = world.consent(&patient, "register-patient", vec![ascii("PAT-1"), uint(19_900_101), none(), clarimed_reference::values::some(physician)]);
        assert_ok(&result, yes());
        world
    }

    /// The provider holds MEDICAL-HISTORY consent and a grant at `level`.
    pub fn with_provider(level: u128) -> World<C> {
        let mut world = World::with_patient();
        world.give_consent(MEDICAL_HISTORY);
        world.give_grant(level);
        world
    }

    /// As `with_provider(WRITE)`, and the provider has created DIAGNOSIS record u1
    /// at confidentiality u1.
    pub fn with_record() -> World<C> {
        let mut world = World::with_provider(WRITE);
        let result = world.create_record_by(&world.provider.clone(), DIAGNOSIS, "Diagnosis", "first", 1);
        assert_ok(&result, uint(1));
        world
    }

    pub fn give_consent(&mut self, data_type: u128) {
        let patient = self.patient.clone();
        let provider = p(&self.provider);
        let result = self.consent(&patient, "grant-consent", vec![provider, uint(data_type), none(), ascii("care")]);
        assert_ok(&result, yes());
    }

    pub fn give_grant(&mut self, level: u128) {
        let patient = self.patient.clone();
        let args = vec![p(&patient), p(&self.provider), uint(level), none(), yes()];
        let result = self.records(&patient, "grant-provider-access", args);
        assert_ok(&result, yes());
    }

    pub fn enable_responder(&mut self) {
        let owner = self.owner.clone();
        let args = vec![p(&self.responder), yes()];
        assert_ok(&self.consent(&owner, "set-emergency-responder", args), yes());
    }

    /// `creator` creates a record for the patient, signing with their own key.
    pub fn create_record_by(&mut self, creator: &Key, record_type: u128, title: &str, body: &str, confidentiality: u128) -> CallResult {
        let args = create_record_args(creator, &who(&self.patient), record_type, title, &Content::of(body), None, confidentiality);
        self.records(creator, "create-record", args)
    }

    pub fn update_record_by(&mut self, editor: &Key, record_id: u128, new_version: u128, body: &str) -> CallResult {
        let args = update_record_args(editor, record_id, new_version, "Updated", &Content::of(body));
        self.records(editor, "update-record", args)
    }

    pub fn consent(&mut self, sender: &Key, function: &str, args: Vec<Value>) -> CallResult {
        self.chain.call_public(&who(sender), CONSENT_CONTRACT, function, &args).expect("no runtime error")
    }

    pub fn records(&mut self, sender: &Key, function: &str, args: Vec<Value>) -> CallResult {
        self.chain.call_public(&who(sender), RECORDS_CONTRACT, function, &args).expect("no runtime error")
    }

    pub fn read_consent(&mut self, function: &str, args: Vec<Value>) -> Value {
        let sender = who(&self.stranger);
        self.chain.call_read_only(&sender, CONSENT_CONTRACT, function, &args).expect("no runtime error").value
    }

    pub fn read_records(&mut self, function: &str, args: Vec<Value>) -> Value {
        let sender = who(&self.stranger);
        self.chain.call_read_only(&sender, RECORDS_CONTRACT, function, &args).expect("no runtime error").value
    }

    pub fn mine(&mut self, blocks: u32) {
        self.chain.mine(blocks).expect("blocks mine");
    }

    pub fn block_height(&self) -> u128 {
        u128::from(self.chain.block_height())
    }

    pub fn check_access(&mut self, record_id: u128, accessor: &Key, action: u128) -> Value {
        let args = vec![uint(record_id), p(accessor), uint(action)];
        self.read_records("check-access", args)
    }
}
