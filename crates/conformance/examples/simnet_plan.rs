//! Writes a random run for Clarinet's simnet to check against the native engine
//! (`simnet/differential.mjs` runs it): `cargo run -p clarimed-conformance --example
//! simnet_plan -- EPOCH SEED STEPS`.

use clarimed_conformance::simnet_plan::plan;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [epoch, seed, steps] = args.as_slice() else {
        return Err("usage: simnet_plan EPOCH SEED STEPS".into());
    };
    let epoch = epoch.parse().map_err(|e| format!("{e}"))?;
    let seed = seed.parse().map_err(|e| format!("seed: {e}"))?;
    let steps = steps.parse().map_err(|e| format!("steps: {e}"))?;
    print!("{}", plan(epoch, seed, steps));
    Ok(())
}
