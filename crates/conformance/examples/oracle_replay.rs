//! Replays an oracle fixture on the native engine and prints every difference:
//! `cargo run -p clarimed-conformance --example oracle_replay -- FIXTURE`.

use clarimed_conformance::oracle::replay;

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: oracle_replay FIXTURE")?;
    let fixture = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let replayed = replay(&fixture)?;
    for difference in &replayed.differences {
        println!("{difference}");
    }
    println!("{} calls compared at epoch {:?}, {} differences", replayed.calls, replayed.epoch, replayed.differences.len());
    Ok(())
}
