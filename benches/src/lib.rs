//! Shared set-up for the benchmarks: the same state on every engine, and the
//! native / clarity-vm ratios read back from criterion's estimates.

pub mod population;

use std::path::{Path, PathBuf};

use clarimed_conformance::journey::{create_record_args, Content};
use clarimed_conformance::{Chain, Deploy};
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, none, principal, some, uint};
use clarimed_reference::{PrincipalData, Value, CONSENT_CONTRACT, RECORDS_CONTRACT};

/// The people of the benchmark state.
pub struct Cast {
    pub owner: Key,
    pub patient: Key,
    pub provider: Key,
    pub responder: Key,
    pub stranger: Key,
}

impl Cast {
    pub fn new() -> Cast {
        Cast {
            owner: Key::from_seed(b"bench owner"),
            patient: Key::from_seed(b"bench patient"),
            provider: Key::from_seed(b"bench provider"),
            responder: Key::from_seed(b"bench responder"),
            stranger: Key::from_seed(b"bench stranger"),
        }
    }
}

impl Default for Cast {
    fn default() -> Cast {
        Cast::new()
    }
}

fn who(key: &Key) -> PrincipalData {
    key.principal().into()
}

#[track_caller]
fn ok<C: Chain>(chain: &mut C, sender: &Key, contract: &str, function: &str, args: Vec<Value>) {
    let result = chain.call_public(&who(sender), contract, function, &args).expect("no runtime error");
    assert!(result.committed, "{function} failed in the benchmark set-up: {}", result.value);
}

/// A registered patient whose provider holds a live WRITE grant and MEDICAL-HISTORY
/// consent, record u1 (a DIAGNOSIS the provider created, at confidentiality u1), and
/// an emergency responder with a live override for the patient.
pub fn set_up<C: Chain>(chain: &mut C, cast: &Cast) {
    let dr = principal(cast.provider.principal());
    let patient = principal(cast.patient.principal());
    ok(chain, &cast.patient, CONSENT_CONTRACT, "register-patient", vec![ascii("PAT-1"), uint(19_800_412), none(), some(dr.clone())]);
    ok(chain, &cast.patient, CONSENT_CONTRACT, "grant-consent", vec![dr.clone(), uint(1), none(), ascii("care")]);
    ok(chain, &cast.patient, RECORDS_CONTRACT, "grant-provider-access", vec![patient, dr, uint(1), none(), Value::Bool(true)]);
    let args = create_record_args(&cast.provider, &who(&cast.patient), 2, "Diagnosis", &Content::of("bench record"), None, 1);
    ok(chain, &cast.provider, RECORDS_CONTRACT, "create-record", args);
    let responder = principal(cast.responder.principal());
    ok(chain, &cast.owner, CONSENT_CONTRACT, "set-emergency-responder", vec![responder, Value::Bool(true)]);
    let patient = principal(cast.patient.principal());
    ok(chain, &cast.responder, CONSENT_CONTRACT, "emergency-override", vec![patient, ascii("bench")]);
}

/// A chain of kind `C` in the benchmark state.
pub fn deployed<C: Deploy>(cast: &Cast) -> C {
    let mut chain = C::deploy(&cast.owner);
    set_up(&mut chain, cast);
    chain
}

/// criterion's output folder.
pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")).join("criterion")
}

/// A benchmark's median, in nanoseconds, from criterion's last run.
pub fn median_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir().join(group).join(function).join("new/estimates.json");
    let estimates: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Prints each native function's median and its speed-up over `clarity-vm`.
pub fn print_ratios(group: &str, natives: &[&str]) {
    let Some(vm) = median_ns(group, "clarity-vm") else {
        return;
    };
    println!("\n{group}: median clarity-vm {vm:.0} ns");
    for native in natives {
        if let Some(ns) = median_ns(group, native) {
            println!("{group}: median {native} {ns:.1} ns, {:.0}x faster than clarity-vm", vm / ns);
        }
    }
}

/// Lifts the block limit of `engine`: a benchmark runs many thousands of calls at
/// one block height, which a node would spread over blocks. Each call's cost is
/// still computed and still checked against the (now unreachable) limit.
pub fn without_block_limit<S>(engine: &clarimed_engine::Engine<S>) {
    engine.set_block_limit(clarimed_engine::ExecutionCost::MAX);
}
