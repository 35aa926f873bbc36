//! The Clarity-valued API: calls to what does not exist, or with the wrong number of
//! arguments, are typed errors that change nothing, and the signature table is the
//! contracts' own. Bad argument values are in `bad_input.rs`.

use clarimed_engine::clarity::{TypeSignature, Value};
use clarimed_engine::table::{functions, Access, Contract, CONSENT_CONTRACT};
use clarimed_engine::{Engine, EngineError, MemoryStore, Principal};
use clarimed_reference::keys::Key;
use clarimed_reference::ReferenceVm;

fn owner() -> Key {
    Key::from_seed(b"api owner")
}

fn engine() -> (Engine<MemoryStore>, Principal) {
    let owner = clarimed_engine::principal_to_native(&owner().principal().into());
    (Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).unwrap(), owner)
}

fn ascii(text: &str) -> Value {
    Value::string_ascii_from_bytes(text.as_bytes().to_vec()).unwrap()
}

/// The call fails with `matches` and the state is as it was.
fn assert_refused(args: &[Value], function: &str, matches: impl Fn(&EngineError) -> bool) {
    let (engine, owner) = engine();
    let before = engine.dump_state().unwrap();
    let ctx = owner.clone();
    let error = engine.call(&ctx, CONSENT_CONTRACT, function, args).expect_err("a bad call");
    assert!(matches(&error), "{error}");
    assert_eq!(engine.dump_state().unwrap(), before);
}

#[test]
fn an_unknown_contract_is_a_typed_error() {
    let (engine, owner) = engine();
    let ctx = owner.clone();
    let error = engine.call(&ctx, "no-such-contract", "get-stats", &[]).unwrap_err();
    assert!(matches!(error, EngineError::UnknownContract(ref name) if name == "no-such-contract"), "{error}");
}

#[test]
fn an_unknown_function_is_a_typed_error() {
    assert_refused(&[], "steal-records", |e| matches!(e, EngineError::UnknownFunction { .. }));
}

#[test]
fn wrong_arity_is_a_typed_error() {
    assert_refused(&[Value::UInt(1)], "register-patient", |e| matches!(e, EngineError::Arity { expected: 4, found: 1, .. }));
}

#[test]
fn a_public_function_cannot_be_called_read_only() {
    let (engine, owner) = engine();
    let ctx = owner.clone();
    let error = engine.read(&ctx, CONSENT_CONTRACT, "set-paused", &[Value::Bool(true)]).unwrap_err();
    assert!(matches!(error, EngineError::NotReadOnly { .. }), "{error}");
}

/// The smallest value of a type: enough to reach every dispatch arm.
fn sample(ty: &TypeSignature, principal: &Value) -> Value {
    match ty {
        TypeSignature::UIntType => Value::UInt(0),
        TypeSignature::BoolType => Value::Bool(false),
        TypeSignature::PrincipalType => principal.clone(),
        TypeSignature::OptionalType(_) => Value::none(),
        TypeSignature::SequenceType(clarity::vm::types::SequenceSubtype::BufferType(_)) => Value::buff_from(vec![]).unwrap(),
        TypeSignature::SequenceType(clarity::vm::types::SequenceSubtype::StringType(_)) => ascii(""),
        TypeSignature::SequenceType(clarity::vm::types::SequenceSubtype::ListType(_)) => Value::cons_list_unsanitized(vec![]).unwrap(),
        other => panic!("no sample for {other}"),
    }
}

#[test]
fn every_function_in_the_signature_table_is_dispatched() {
    let (engine, owner) = engine();
    let principal = Value::Principal(clarimed_engine::principal_to_clarity(&owner).unwrap());
    let ctx = owner.clone();
    for contract in Contract::ALL {
        for function in functions(contract) {
            let args: Vec<Value> = function.signatures().iter().map(|ty| sample(ty, &principal)).collect();
            let result = engine.call(&ctx, contract.name(), function.name, &args);
            assert!(result.is_ok(), "{}.{}: {:?}", contract.name(), function.name, result.err());
        }
    }
}

/// Each function's name, whether it is read-only, and its parameters.
type Signatures = Vec<(String, bool, Vec<(String, TypeSignature)>)>;

#[test]
fn the_signature_table_matches_the_clarity_vms_analysis_of_the_contracts() {
    let mut vm = ReferenceVm::new(owner().principal()).unwrap();
    for contract in Contract::ALL {
        let deployed: Signatures = vm.function_signatures(contract.name()).unwrap().into_iter().map(|f| (f.name, f.read_only, f.args)).collect();
        let mut table: Signatures = functions(contract)
            .map(|f| {
                let params = f.params.iter().zip(f.signatures()).map(|(p, t)| (p.name.to_string(), t.clone())).collect();
                (f.name.to_string(), f.access == Access::ReadOnly, params)
            })
            .collect();
        table.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(table, deployed, "{}", contract.name());
    }
}
