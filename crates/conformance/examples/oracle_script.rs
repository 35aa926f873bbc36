//! Writes a random `clarimed run` script for stacks-core's Clarity (the oracle of
//! every epoch) to stdout: `cargo run -p clarimed-conformance --example oracle_script
//! -- EPOCH SEED STEPS`. See `crates/conformance/tests/fixtures/stacks-core-4.0.2/`.

use clarimed_conformance::oracle::script;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [epoch, seed, steps] = args.as_slice() else {
        return Err("usage: oracle_script EPOCH SEED STEPS".into());
    };
    let epoch = epoch.parse().map_err(|e| format!("{e}"))?;
    let seed = seed.parse().map_err(|e| format!("seed: {e}"))?;
    let steps = steps.parse().map_err(|e| format!("steps: {e}"))?;
    print!("{}", script(epoch, seed, steps));
    Ok(())
}
