//! `clarimed demo`: the patient journey, step by step.

use std::io::Write;
use std::process::ExitCode;

use clarimed_conformance::journey::{patient_journey, Cast, Outcome, Step};
use clarimed_reference::values::to_literal;
use clarimed_reference::ReferenceVm;

/// Runs the journey, writing it to `out`. Fails if any step gives other than the
/// result the journey expects, or the VM reports an error.
pub fn run(out: &mut impl Write) -> ExitCode {
    match walk(out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("clarimed demo: {message}");
            ExitCode::FAILURE
        }
    }
}

fn walk(out: &mut impl Write) -> Result<bool, String> {
    let cast = Cast::fixed();
    let mut vm = ReferenceVm::new(cast.owner.principal()).map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| e.to_string();
    writeln!(out, "clarimed demo: the patient journey on the Clarity VM (clarity-vm 2.3.0, Clarity 2, epoch 2.5, testnet)").map_err(io)?;
    for (role, key) in [("owner", &cast.owner), ("patient", &cast.patient), ("provider", &cast.provider), ("responder", &cast.responder)] {
        writeln!(out, "  {role:<9} {}", key.principal()).map_err(io)?;
    }
    writeln!(out, "  contracts deployed by the owner at block {}", vm.block_height()).map_err(io)?;

    let steps = patient_journey(&cast);
    let mut unexpected = 0;
    for (number, step) in steps.iter().enumerate() {
        writeln!(out, "\n{:>2}. [block {}] {}", number + 1, vm.block_height(), step.note()).map_err(io)?;
        writeln!(out, "    {}", step.describe(&cast)).map_err(io)?;
        match step.run(&mut vm).map_err(|e| e.to_string())? {
            Outcome::Called { value, events, matched } => {
                writeln!(out, "    => {}", to_literal(&value)).map_err(io)?;
                for event in &events {
                    writeln!(out, "       print {}", to_literal(event)).map_err(io)?;
                }
                if !matched {
                    unexpected += 1;
                    if let Step::Call { expect, .. } = step {
                        writeln!(out, "    !! expected {expect}").map_err(io)?;
                    }
                }
            }
            Outcome::Mined { height } => writeln!(out, "    => block {height}").map_err(io)?,
        }
    }
    if unexpected == 0 {
        writeln!(out, "\njourney complete: {} steps, every result as the contracts promise", steps.len()).map_err(io)?;
    } else {
        writeln!(out, "\njourney FAILED: {unexpected} of {} steps gave an unexpected result", steps.len()).map_err(io)?;
    }
    Ok(unexpected == 0)
}
