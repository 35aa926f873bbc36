//! `clarimed fhir`: a patient's consents and the accesses to their records as FHIR
//! R4 Bundles, printed as JSON.

use std::path::Path;
use std::process::ExitCode;

use clarimed_fhir::{audit_bundle, consent_bundle, Clock, FhirError};

use crate::commands::principal;
use crate::state::{explain, open};

/// The Bundles `clarimed fhir` prints.
#[derive(clap::Subcommand)]
pub enum FhirCommand {
    /// One Consent per grant of a data type to a provider and per emergency
    /// override: active, or inactive once revoked or expired.
    Consent {
        /// The patient's principal (ST…).
        patient: String,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// One AuditEvent per entry of the patient's consent audit trail and per
    /// access to their records, in block order.
    Audit {
        /// The patient's principal (ST…).
        patient: String,
        /// The first block to include.
        #[arg(long, value_name = "BLOCK")]
        from: Option<u128>,
        /// The last block to include.
        #[arg(long, value_name = "BLOCK")]
        to: Option<u128>,
        #[command(flatten)]
        clock: ClockArgs,
    },
}

/// How block heights become times.
#[derive(clap::Args)]
pub struct ClockArgs {
    /// The time of block 0, as YYYY-MM-DDThh:mm:ssZ.
    #[arg(long, value_name = "INSTANT", default_value = "2021-01-14T00:00:00Z", value_parser = genesis)]
    genesis: i64,
    /// Seconds a block lasts.
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(i64).range(1..))]
    block_seconds: i64,
}

impl ClockArgs {
    /// The clock the arguments set.
    pub fn clock(&self) -> Clock {
        Clock { genesis: self.genesis, seconds_per_block: self.block_seconds }
    }
}

fn genesis(text: &str) -> Result<i64, String> {
    clarimed_fhir::clock::parse_instant(text).ok_or_else(|| format!("`{text}` is not an instant (expected YYYY-MM-DDThh:mm:ssZ)"))
}

/// Prints the Bundle `command` asks for.
pub fn run(db: &Path, command: &FhirCommand) -> Result<ExitCode, String> {
    let (patient, clock) = match command {
        FhirCommand::Consent { patient, clock } | FhirCommand::Audit { patient, clock, .. } => (patient, clock),
    };
    let patient = principal(patient)?;
    let clock = clock.clock();
    let engine = open(db)?;
    let bundle = match command {
        FhirCommand::Consent { .. } => consent_bundle(&engine, &patient, &clock),
        FhirCommand::Audit { from, to, .. } => audit_bundle(&engine, &patient, from.unwrap_or(0)..=to.unwrap_or(u128::MAX), &clock),
    };
    let bundle = bundle.map_err(|error| match error {
        FhirError::Engine(error) => explain(db, &error),
        unknown => unknown.to_string(),
    })?;
    println!("{}", serde_json::to_string_pretty(&bundle).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}
