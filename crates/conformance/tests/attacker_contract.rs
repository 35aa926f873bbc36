//! A contract that a patient, provider, responder or the owner is lured into calling
//! cannot act in their name (v2: the caller is `contract-caller`).
//!
//! On the Clarity VM, with both contracts deployed, an attacker deploys a contract
//! with one public function per public function of both contracts, each passing its
//! arguments straight on. Each victim calls the function that would do them harm.
//! The spec says a call made through another contract acts as that contract: so
//! every attempt must end exactly as the same call made by the attacker contract
//! itself (same result, same events, same state), whatever the victim may do. On v1
//! (`tx-sender`) the same attempts land in the victim's name, which shows the
//! attacks are real.

use clarimed_conformance::journey::{create_record_args, update_record_args, Content};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, list, none, principal, some, uint};
use clarimed_reference::{
    CallResult, PrincipalData, QualifiedContractIdentifier, ReferenceVm, Value, CONSENT_CONTRACT, CONTRACT_SOURCES, RECORDS_CONTRACT, V1_CONTRACT_SOURCES,
};

const DIAGNOSIS: u128 = 2;
const MEDICAL_HISTORY: u128 = 1;
const MENTAL_HEALTH: u128 = 4;
const GENETIC: u128 = 5;
const ADMIN: u128 = 2;
const MIN_RETENTION: u128 = 315_360;

/// The cast: the owner deploys both contracts; the attacker deploys `attacker`.
struct Cast {
    owner: Key,
    patient: Key,
    provider: Key,
    responder: Key,
    attacker: Key,
}

/// The chain every attempt starts from, and the attacker contract's id.
struct Scene {
    vm: ReferenceVm,
    cast: Cast,
    attacker_contract: QualifiedContractIdentifier,
    /// The provider's record of the patient (updated once), and the patient's own.
    providers_record: u128,
    patients_record: u128,
}

/// One attempt: who is lured, and the call the attacker's function passes on.
struct Attempt {
    victim: Key,
    contract: &'static str,
    function: &'static str,
    args: Vec<Value>,
}

fn bool_value(b: bool) -> Value {
    Value::Bool(b)
}

fn p(key: &Key) -> Value {
    principal(key.principal())
}

fn who(key: &Key) -> PrincipalData {
    key.principal().into()
}

fn ok(result: CallResult, what: &str) -> CallResult {
    assert!(result.committed, "{what}: {:?}", result.value);
    result
}

/// The attacker contract: for each public function `f` of contract `c`, a public
/// function `c--f` taking the same parameters and calling `f` with them.
fn attacker_source(vm: &mut ReferenceVm) -> String {
    let mut source = String::from(";; Lures a victim into a call that acts in their name.\n");
    for contract in [CONSENT_CONTRACT, RECORDS_CONTRACT] {
        let id = vm.contract_id(contract);
        for function in vm.function_signatures(contract).unwrap().into_iter().filter(|f| !f.read_only) {
            let params: Vec<String> = function.args.iter().map(|(name, ty)| format!("({name} {ty})")).collect();
            let names: Vec<&str> = function.args.iter().map(|(name, _)| name.as_str()).collect();
            source.push_str(&format!(
                "(define-public ({contract}--{name} {params})\n  (contract-call? '{id} {name} {names}))\n",
                name = function.name,
                params = params.join(" "),
                names = names.join(" "),
            ));
        }
    }
    source
}

/// Both contracts from `sources`, and a chain in which every victim has something
/// to lose: a registered patient whose primary physician is the provider, consent
/// and ADMIN access for the provider, an enabled responder with a live emergency
/// override, a record by the provider (at version 2) and one by the patient, both
/// past a retention period the owner shortened.
fn scene(sources: [(&str, &str); 2]) -> Scene {
    let cast = Cast {
        owner: Key::from_seed(b"owner"),
        patient: Key::from_seed(b"patient"),
        provider: Key::from_seed(b"provider"),
        responder: Key::from_seed(b"responder"),
        attacker: Key::from_seed(b"attacker"),
    };
    let mut vm = ReferenceVm::with_sources(cast.owner.principal(), sources).unwrap();
    let (owner, patient, provider, responder) = (who(&cast.owner), who(&cast.patient), who(&cast.provider), who(&cast.responder));
    let consent = |vm: &mut ReferenceVm, sender: &PrincipalData, function: &str, args: &[Value]| {
        ok(vm.call_public(sender, CONSENT_CONTRACT, function, args).unwrap(), function)
    };
    let records = |vm: &mut ReferenceVm, sender: &PrincipalData, function: &str, args: &[Value]| {
        ok(vm.call_public(sender, RECORDS_CONTRACT, function, args).unwrap(), function)
    };

    consent(&mut vm, &patient, "register-patient", &[ascii("PAT-1"), uint(19_800_412), none(), some(p(&cast.provider))]);
    consent(&mut vm, &patient, "grant-consent", &[p(&cast.provider), uint(MEDICAL_HISTORY), none(), ascii("care")]);
    records(&mut vm, &patient, "grant-provider-access", &[p(&cast.patient), p(&cast.provider), uint(ADMIN), none(), bool_value(false)]);
    consent(&mut vm, &owner, "set-emergency-responder", &[p(&cast.responder), bool_value(true)]);
    records(&mut vm, &owner, "set-retention-period", &[uint(MIN_RETENTION)]);

    let first = Content::of("the provider's diagnosis");
    let args = create_record_args(&cast.provider, &patient, DIAGNOSIS, "Diagnosis", &first, None, 0);
    let providers_record = uint_of(&ok(vm.call_public(&provider, RECORDS_CONTRACT, "create-record", &args).unwrap(), "create-record").value);
    records(&mut vm, &provider, "update-record", &update_record_args(&cast.provider, providers_record, 2, "Diagnosis", &Content::of("revised")));
    let own = Content::of("the patient's own note");
    let args = create_record_args(&cast.patient, &patient, DIAGNOSIS, "Own", &own, None, 0);
    let patients_record = uint_of(&ok(vm.call_public(&patient, RECORDS_CONTRACT, "create-record", &args).unwrap(), "create-record").value);

    vm.mine(MIN_RETENTION as u32 + 1);
    consent(&mut vm, &responder, "emergency-override", &[p(&cast.patient), ascii("unconscious")]);

    let source = attacker_source(&mut vm);
    let attacker_contract = vm.deploy_contract(&cast.attacker.principal(), "attacker", &source).unwrap();
    Scene { vm, cast, attacker_contract, providers_record, patients_record }
}

fn uint_of(value: &Value) -> u128 {
    match value {
        Value::Response(response) => match &*response.data {
            Value::UInt(n) => *n,
            other => panic!("not a uint: {other}"),
        },
        other => panic!("not a response: {other}"),
    }
}

/// Every public function of both contracts, called by the victim it would harm,
/// with arguments that act on that victim.
fn attempts(scene: &Scene) -> Vec<Attempt> {
    let Cast { owner, patient, provider, responder, attacker } = &scene.cast;
    let (record, own) = (uint(scene.providers_record), uint(scene.patients_record));
    let fresh = Content::of("planted by the attacker");
    let patient_data = who(patient);
    // Consent to sensitive data must expire.
    let expiry = || some(uint(u128::from(scene.vm.block_height()) + 144));
    let attempt = |victim: &Key, contract, function, args| Attempt { victim: victim.clone(), contract, function, args };
    vec![
        attempt(patient, CONSENT_CONTRACT, "register-patient", vec![ascii("PAT-X"), uint(19_900_101), none(), some(p(attacker))]),
        attempt(patient, CONSENT_CONTRACT, "update-patient-profile", vec![some(p(attacker)), some(p(attacker))]),
        attempt(patient, CONSENT_CONTRACT, "update-patient-preferences", vec![bool_value(true), bool_value(false), bool_value(true)]),
        attempt(patient, CONSENT_CONTRACT, "grant-consent", vec![p(attacker), uint(GENETIC), expiry(), ascii("research")]),
        attempt(
            patient,
            CONSENT_CONTRACT,
            "grant-consent-batch",
            vec![p(attacker), list(vec![uint(MENTAL_HEALTH), uint(GENETIC)]), expiry(), ascii("research")],
        ),
        attempt(patient, CONSENT_CONTRACT, "revoke-consent", vec![p(provider), uint(MEDICAL_HISTORY)]),
        attempt(responder, CONSENT_CONTRACT, "emergency-override", vec![p(patient), ascii("lured")]),
        attempt(patient, CONSENT_CONTRACT, "revoke-emergency-access", vec![p(patient), p(responder)]),
        attempt(provider, CONSENT_CONTRACT, "mark-deceased", vec![p(patient)]),
        attempt(owner, CONSENT_CONTRACT, "set-paused", vec![bool_value(true)]),
        attempt(owner, CONSENT_CONTRACT, "set-emergency-timeout", vec![uint(4_320)]),
        attempt(owner, CONSENT_CONTRACT, "set-emergency-responder", vec![p(attacker), bool_value(true)]),
        attempt(owner, CONSENT_CONTRACT, "transfer-ownership", vec![p(attacker)]),
        attempt(patient, RECORDS_CONTRACT, "grant-provider-access", vec![p(patient), p(attacker), uint(ADMIN), none(), bool_value(false)]),
        attempt(patient, RECORDS_CONTRACT, "revoke-provider-access", vec![p(patient), p(provider)]),
        // A record in the patient's file, signed by the provider for this very
        // call (the attacker relays what the provider signs).
        attempt(provider, RECORDS_CONTRACT, "create-record", create_record_args(provider, &patient_data, DIAGNOSIS, "Planted", &fresh, None, 0)),
        attempt(provider, RECORDS_CONTRACT, "get-record", vec![record.clone()]),
        attempt(provider, RECORDS_CONTRACT, "update-record", update_record_args(provider, scene.providers_record, 3, "Planted", &fresh)),
        attempt(provider, RECORDS_CONTRACT, "rollback-record", vec![record.clone(), uint(1)]),
        attempt(provider, RECORDS_CONTRACT, "archive-record", vec![record.clone()]),
        attempt(provider, RECORDS_CONTRACT, "archive-records", vec![list(vec![record.clone()])]),
        attempt(patient, RECORDS_CONTRACT, "purge-record", vec![own]),
        attempt(owner, RECORDS_CONTRACT, "set-paused", vec![bool_value(true)]),
        attempt(owner, RECORDS_CONTRACT, "set-retention-period", vec![uint(MIN_RETENTION * 2)]),
        attempt(owner, RECORDS_CONTRACT, "transfer-ownership", vec![p(attacker)]),
    ]
}

/// What a call did: its result, its print events and the state after it.
type Outcome = (CallResult, Vec<(String, String)>);

/// The victim calls the attacker's function for `attempt`.
fn through_the_attacker(scene: &mut Scene, attempt: &Attempt) -> Outcome {
    let function = format!("{}--{}", attempt.contract, attempt.function);
    let id = scene.attacker_contract.clone();
    scene.vm.rolled_back(|vm| Ok((vm.call_public_at(&who(&attempt.victim), &id, &function, &attempt.args)?, vm.dump_state()?))).unwrap()
}

/// The attacker contract itself makes the call: what the spec says the attempt is.
fn as_the_attacker_contract(scene: &mut Scene, attempt: &Attempt) -> Outcome {
    let caller = PrincipalData::Contract(scene.attacker_contract.clone());
    scene.vm.rolled_back(|vm| Ok((vm.call_public(&caller, attempt.contract, attempt.function, &attempt.args)?, vm.dump_state()?))).unwrap()
}

/// What the state holds before any attempt.
fn state(scene: &Scene) -> Vec<(String, String)> {
    scene.vm.dump_state().unwrap()
}

#[test]
fn the_attempts_cover_every_public_function_of_both_contracts() {
    let mut scene = scene(CONTRACT_SOURCES);
    let mut public: Vec<(String, String)> = Vec::new();
    for contract in [CONSENT_CONTRACT, RECORDS_CONTRACT] {
        let functions = scene.vm.function_signatures(contract).unwrap();
        public.extend(functions.into_iter().filter(|f| !f.read_only).map(|f| (contract.to_string(), f.name)));
    }
    let mut attempted: Vec<(String, String)> = attempts(&scene).iter().map(|a| (a.contract.to_string(), a.function.to_string())).collect();
    public.sort();
    attempted.sort();
    assert_eq!(attempted, public);
}

#[test]
fn on_v2_every_attempt_acts_as_the_attacker_contract_and_the_victims_state_is_unchanged() {
    let mut scene = scene(CONTRACT_SOURCES);
    let attacker = PrincipalData::Contract(scene.attacker_contract.clone()).to_string();
    let before = state(&scene);
    for attempt in attempts(&scene) {
        let what = format!("{}.{} by {}", attempt.contract, attempt.function, who(&attempt.victim));
        let (through, state_after) = through_the_attacker(&mut scene, &attempt);
        let (direct, state_direct) = as_the_attacker_contract(&mut scene, &attempt);
        assert_eq!((&through.value, &through.events, through.committed), (&direct.value, &direct.events, direct.committed), "{what}");
        assert_eq!(state_after, state_direct, "{what}: the state differs from the attacker contract's own call");
        if through.committed {
            // Allowed only where anyone may act for themselves (the attacker
            // contract registers itself, say), and then as the attacker contract.
            let events = through.events.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" ");
            assert!(events.contains(&attacker), "{what}: the events do not name the attacker contract: {events}");
            let victims_rows = before.iter().filter(|(key, _)| key.contains(&principal_hex(&attempt.victim)));
            for row in victims_rows {
                assert!(state_after.contains(row), "{what}: the victim's row {} changed", row.0);
            }
        } else {
            assert_eq!(state_after, before, "{what}: refused, and wrote nothing");
        }
    }
    assert_eq!(state(&scene), before, "every attempt was rolled back");
}

/// A principal as it appears in the keys of the state's rows: the hex of its
/// consensus serialization.
fn principal_hex(key: &Key) -> String {
    principal(key.principal()).serialize_to_hex().unwrap()
}

#[test]
fn on_v1_the_same_attempts_land_in_the_victims_name() {
    let mut scene = scene(V1_CONTRACT_SOURCES);
    let mut landed = Vec::new();
    for attempt in attempts(&scene) {
        let (through, state_after) = through_the_attacker(&mut scene, &attempt);
        let (_, state_direct) = as_the_attacker_contract(&mut scene, &attempt);
        if through.committed && state_after != state_direct {
            landed.push(format!("{}.{}", attempt.contract, attempt.function));
        }
    }
    // Every attempt but `register-patient` (the patient is registered already)
    // lands in v1: the attack the issue reports, on every public function.
    let expected: Vec<String> =
        attempts(&scene).iter().map(|a| format!("{}.{}", a.contract, a.function)).filter(|f| f != "patient-consent.register-patient").collect();
    assert_eq!(landed, expected);
}
