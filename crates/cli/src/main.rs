//! `clarimed`: the project's command line.
//!
//! `clarimed demo` walks the seed's patient journey on the reference Clarity VM,
//! printing each step's Clarity call, its result and the events it printed.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => demo::run(&mut std::io::stdout()),
    }
}
