//! `clarimed conform`: the differential run from the command line.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use clarimed_conformance::differential::{Differential, Stats};
use clarimed_conformance::ops::seeded_sequences;
use clarimed_engine::consent_codes::ConsentError;
use clarimed_engine::records_codes::RecordsError;
use indicatif::{ProgressBar, ProgressStyle};

/// The defaults are the run the test suite asserts full coverage of.
#[derive(Args, Debug)]
pub struct Options {
    #[command(flatten)]
    sequences: Sequences,
    /// Compare the full state and the read-only answers every N steps (and after
    /// each sequence's last step); results and events are compared at every step.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    check_every: u64,
}

/// Which random sequences a run takes: `conform`'s, and `costs`'.
#[derive(Args, Debug)]
pub struct Sequences {
    /// How many random sequences to run.
    #[arg(long, default_value_t = 40)]
    pub cases: usize,
    /// Random operations per sequence (after a fixed opening of 3).
    #[arg(long, default_value_t = 80)]
    pub steps: usize,
    /// The same seed runs the same sequences.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Sequences {
    /// The sequences, each its opening then its random steps.
    pub fn each(&self) -> impl Iterator<Item = Vec<clarimed_conformance::ops::Op>> {
        seeded_sequences(self.seed, self.cases, self.steps)
    }

    /// Every step of every sequence, for a progress bar.
    pub fn total_steps(&self) -> u64 {
        (self.cases * (self.steps + clarimed_conformance::ops::opening().len())) as u64
    }
}

pub fn run(options: &Options) -> ExitCode {
    let sequences = &options.sequences;
    let total = sequences.total_steps();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} steps, {per_sec}, eta {eta} {msg}")
            .expect("a valid progress template"),
    );
    let started = Instant::now();
    let mut stats = Stats::default();
    let mut divergences = 0;
    for (case, ops) in sequences.each().enumerate() {
        let mut run = Differential::new(options.check_every as usize);
        for (i, op) in ops.iter().enumerate() {
            if let Err(divergence) = run.step(op, &mut stats, i + 1 == ops.len()) {
                divergences += 1;
                bar.suspend(|| println!("case {} (seed {}):\n{divergence}", case + 1, sequences.seed));
                bar.inc((ops.len() - i) as u64);
                break;
            }
            bar.inc(1);
        }
        bar.set_message(format!("{divergences} divergences"));
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    print_summary(options, &stats, seconds);
    println!("divergences: {divergences}");
    if divergences == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_summary(options: &Options, stats: &Stats, seconds: f64) {
    println!("clarimed conform: the native engine against the Clarity VM (seed {})", options.sequences.seed);
    println!("  {:<34} {:>12}", "cases", options.sequences.cases);
    println!("  {:<34} {:>12}", "operations", stats.steps);
    println!("  {:<34} {:>12.1}", "seconds", seconds);
    println!("  {:<34} {:>12.0}", "operations per second", stats.steps as f64 / seconds.max(f64::EPSILON));
    println!("  {:<34} {:>12}", "full state comparisons", stats.state_checks);
    println!("  {:<34} {:>12}", "read-only answers compared", stats.read_only_checks);
    println!("  {:<34} {:>12}", "read-only costs compared", stats.read_only_costs.values().sum::<u64>());
    println!("\npublic calls per function (result, events and cost compared)");
    for (function, calls) in &stats.calls {
        println!("  {function:<54} {calls:>8}");
    }
    println!("\nread-only calls whose cost was compared");
    for (function, calls) in &stats.read_only_costs {
        println!("  {function:<54} {calls:>8}");
    }
    println!("\nerror codes returned");
    let names: BTreeMap<u128, String> = ConsentError::ALL
        .iter()
        .map(|e| (e.code(), format!("patient-consent {}", e.name())))
        .chain(RecordsError::ALL.iter().map(|e| (e.code(), format!("record-management {}", e.name()))))
        .collect();
    for (code, name) in &names {
        let count = stats.errors.get(code).copied().unwrap_or(0);
        println!("  u{code:<4} {name:<48} {count:>8}");
    }
    let missing = stats.functions_not_called();
    let unreturned = names.keys().filter(|code| !stats.errors.contains_key(code)).count();
    println!(
        "\npublic functions never called: {}, error codes never returned: {unreturned}, read-only functions whose cost was never compared: {}",
        missing.len(),
        stats.read_only_costs_not_compared().len()
    );
}
