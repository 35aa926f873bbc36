//! `clarimed demo`: the patient journey, step by step, on the native engine.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clarimed_conformance::journey::{patient_journey, Cast, Outcome, Step};
use clarimed_conformance::Chain;
use clarimed_engine::to_literal;
use clarimed_engine::{principal_to_native, Engine, SqliteStore};

/// Runs the journey on a fresh state at `db` (a temporary one when `None`), writing
/// it to `out`; exit 1 if any step gives other than what the journey expects.
pub fn run(db: Option<&Path>, out: &mut impl Write) -> Result<ExitCode, String> {
    let temporary = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let path = match db {
        Some(path) if path.exists() => return Err(format!("{} already holds a state; the demo needs a fresh one", path.display())),
        Some(path) => path.to_path_buf(),
        None => temporary.path().join("demo.db"),
    };
    let cast = Cast::fixed();
    let owner = principal_to_native(&cast.owner.principal().into());
    let mut engine: Engine<SqliteStore> = Engine::open_or_create(&path, &owner, clarimed_engine::Epoch::NEWEST).map_err(|e| e.to_string())?;
    walk(&mut engine, &cast, &path, out).map_err(|e| e.to_string())
}

fn walk(engine: &mut Engine<SqliteStore>, cast: &Cast, path: &Path, out: &mut impl Write) -> Result<ExitCode, Box<dyn std::error::Error>> {
    writeln!(out, "clarimed demo: the patient journey on the native engine (state: {})", path.display())?;
    for (role, key) in [("owner", &cast.owner), ("patient", &cast.patient), ("provider", &cast.provider), ("responder", &cast.responder)] {
        writeln!(out, "  {role:<9} {}", key.principal())?;
    }
    writeln!(out, "  contracts deployed by the owner at block {}", Chain::block_height(engine))?;
    let steps = patient_journey(cast);
    let mut unexpected = 0;
    for (number, step) in steps.iter().enumerate() {
        writeln!(out, "\n{:>2}. [block {}] {}", number + 1, Chain::block_height(engine), step.note())?;
        writeln!(out, "    {}", step.describe(cast))?;
        match step.run(engine)? {
            Outcome::Called { value, events, cost, matched } => {
                writeln!(out, "    => {}", to_literal(&value))?;
                writeln!(out, "       cost {cost}")?;
                for event in &events {
                    writeln!(out, "       print {}", to_literal(event))?;
                }
                if !matched {
                    unexpected += 1;
                    if let Step::Call { expect, .. } = step {
                        writeln!(out, "    !! expected {expect}")?;
                    }
                }
            }
            Outcome::Mined { height } => writeln!(out, "    => block {height}")?,
        }
    }
    if unexpected == 0 {
        writeln!(out, "\njourney complete: {} steps, every result as the contracts promise", steps.len())?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(out, "\njourney FAILED: {unexpected} of {} steps gave an unexpected result", steps.len())?;
        Ok(ExitCode::FAILURE)
    }
}
