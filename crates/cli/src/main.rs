//! `clarimed`: the project's command line.
//!
//! `clarimed demo` walks the seed's patient journey on the reference Clarity VM,
//! printing each step's Clarity call, its result and the events it printed.
//! `clarimed conform` runs random operation sequences on the Clarity VM and the
//! native engine side by side and reports any divergence.

mod conform;
mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "clarimed", version, about = "Clarity-compatible engine for the patient-consent and record-management contracts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk the patient journey (register, consent, records, emergency, expiry,
    /// archive, purge) on the Clarity VM, printing each call and its result.
    Demo,
    /// Run random sequences of every public function of both contracts on the
    /// Clarity VM and on the native engine, comparing every step; exit 1 on any
    /// divergence.
    Conform(conform::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => demo::run(&mut std::io::stdout()),
        Command::Conform(options) => conform::run(&options),
    }
}
