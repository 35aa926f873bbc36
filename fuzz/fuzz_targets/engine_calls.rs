//! Arbitrary bytes as a sequence of raw calls on the native engine, through the
//! Clarity-valued API: any function of either contract, by any of a few principals,
//! with arguments of the right types (or, sometimes, of the wrong ones), and mined
//! blocks. No input may panic, and a call that returns `err`, or is refused as a bad
//! call, must leave the state exactly as it was.
#![no_main]

use arbitrary::{Result, Unstructured};
use clarimed_engine::clarity::{TypeSignature, Value};
use clarimed_engine::table::{functions, Access, Contract};
use clarimed_engine::{principal_to_clarity, Engine, MemoryStore, Principal};
use clarity::vm::types::SequenceSubtype;
use libfuzzer_sys::fuzz_target;

const ACTORS: u8 = 4;

fn actor(u: &mut Unstructured<'_>) -> Result<Principal> {
    Ok(Principal::standard(26, [u.int_in_range(0..=ACTORS - 1)?; 20]))
}

/// A small uint most of the time (ids, codes, heights), any uint sometimes.
fn uint(u: &mut Unstructured<'_>) -> Result<u128> {
    Ok(if u.ratio(7, 8)? { u128::from(u.int_in_range(0u16..=600)?) } else { u.arbitrary()? })
}

fn value_of(ty: &TypeSignature, u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match ty {
        TypeSignature::UIntType => Value::UInt(uint(u)?),
        TypeSignature::BoolType => Value::Bool(u.arbitrary()?),
        TypeSignature::PrincipalType => Value::Principal(principal_to_clarity(&actor(u)?).expect("a standard principal converts")),
        TypeSignature::OptionalType(inner) => {
            if u.arbitrary()? {
                Value::some(value_of(inner, u)?).expect("a small optional")
            } else {
                Value::none()
            }
        }
        TypeSignature::SequenceType(SequenceSubtype::BufferType(_)) => {
            let bytes: Vec<u8> = u.arbitrary()?;
            Value::buff_from(bytes).expect("a buffer under Clarity's limit")
        }
        TypeSignature::SequenceType(SequenceSubtype::StringType(_)) => {
            let text: String = u.arbitrary()?;
            let ascii: Vec<u8> = text.bytes().filter(|b| b.is_ascii_graphic() || *b == b' ').collect();
            Value::string_ascii_from_bytes(ascii).expect("printable ASCII")
        }
        TypeSignature::SequenceType(SequenceSubtype::ListType(_)) => {
            let count = u.int_in_range(0..=24)?;
            let items = (0..count).map(|_| uint(u).map(Value::UInt)).collect::<Result<Vec<_>>>()?;
            Value::cons_list_unsanitized(items).expect("a list of uints")
        }
        _ => Value::none(),
    })
}

fn step(engine: &Engine<MemoryStore>, u: &mut Unstructured<'_>) -> Result<()> {
    if u.ratio(1, 10)? {
        engine.mine(u.int_in_range(0..=500)?).expect("mining in memory");
        return Ok(());
    }
    let contract = if u.arbitrary()? { Contract::PatientConsent } else { Contract::RecordManagement };
    let table: Vec<_> = functions(contract).collect();
    let function = u.choose(&table)?;
    let mut args = function.signatures().iter().map(|ty| value_of(ty, u)).collect::<Result<Vec<_>>>()?;
    if u.ratio(1, 16)? {
        args.pop();
    }
    let sender = actor(u)?;
    let before = engine.dump_state().expect("a dump");
    let kept = match engine.call(&sender, contract.name(), function.name, &args) {
        Ok(output) => output.committed && function.access == Access::Public,
        Err(_) => false,
    };
    if !kept {
        assert_eq!(engine.dump_state().expect("a dump"), before, "{}.{} left a trace", contract.name(), function.name);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let engine = Engine::in_memory(&Principal::standard(26, [0; 20]), clarimed_engine::Epoch::Epoch25).expect("deploys");
    while !u.is_empty() {
        if step(&engine, &mut u).is_err() {
            break;
        }
    }
});
