//! The access-control invariants (see `clarimed_conformance::invariants`) hold on
//! the native engine over random operation sequences, checked after every step
//! against a model written from the spec alone.
//!
//! Long run: `CLARIMED_INVARIANT_CASES=5000 cargo test --release -p
//! clarimed-conformance --test invariants -- --ignored --nocapture`.

use clarimed_conformance::invariants::{seeded_sequences, sequence, setup, InvariantStats, Invariants};
use clarimed_conformance::ops::{from_bytes, opening, Expiry, Hash, Op, RecordPick, Signing};
use proptest::prelude::*;

const PATIENT: u8 = 1;
const PROVIDER: u8 = 4;
const RESPONDER: u8 = 7;

/// The patient's record of `record_type` at `confidentiality`, created by the patient.
fn create_record(record_type: u128, confidentiality: u128, hash: u8) -> Op {
    Op::CreateRecord {
        sender: PATIENT,
        patient: PATIENT,
        record_type,
        title: "note".to_string(),
        hash: Hash::Valid(hash),
        checksum: 1,
        encryption_key_id: None,
        confidentiality,
        signing: Signing::Valid,
    }
}

fn grant_consent(data_type: u128, expires_at: Expiry) -> Op {
    Op::GrantConsent { sender: PATIENT, provider: PROVIDER, data_type, expires_at, purpose: "care".to_string() }
}

fn grant_access(level: u128, expires_at: Expiry) -> Op {
    Op::GrantProviderAccess { sender: PATIENT, patient: PATIENT, provider: PROVIDER, access_level: level, expires_at, audit_required: true }
}

fn read_latest(sender: u8) -> Op {
    Op::GetRecord { sender, record: RecordPick::Recent(1) }
}

/// Runs the opening then `ops`, failing the test on any broken invariant.
fn run(ops: Vec<Op>) -> InvariantStats {
    let mut invariants = Invariants::new();
    let ops: Vec<Op> = opening().into_iter().chain(ops).collect();
    if let Err(violation) = invariants.run(&ops) {
        panic!("{violation}");
    }
    invariants.stats
}

#[test]
fn a_consent_revoked_closes_the_record_in_the_same_block() {
    let stats = run(vec![
        grant_consent(1, Expiry::Never),
        grant_access(0, Expiry::Never),
        create_record(2, 0, 1),
        read_latest(PROVIDER),
        Op::RevokeConsent { sender: PATIENT, provider: PROVIDER, data_type: 1 },
        read_latest(PROVIDER),
    ]);
    assert_eq!(stats.reads_logged, 1, "only the read before the revocation succeeds");
    assert!(stats.revocations_closing_access > 0);
}

#[test]
fn an_expired_grant_never_opens_a_record() {
    let stats = run(vec![
        grant_consent(2, Expiry::Never),
        grant_access(1, Expiry::Relative(3)),
        create_record(4, 0, 2),
        read_latest(PROVIDER),
        Op::Mine(3),
        read_latest(PROVIDER),
    ]);
    assert_eq!(stats.reads_logged, 1);
    assert!(stats.expired_refusals > 0);
}

#[test]
fn an_emergency_never_opens_genetic_data() {
    let stats = run(vec![
        create_record(10, 0, 3),
        create_record(2, 0, 4),
        Op::EmergencyOverride { sender: RESPONDER, patient: PATIENT, reason: "unconscious".to_string() },
        read_latest(RESPONDER),
        Op::GetRecord { sender: RESPONDER, record: RecordPick::Recent(2) },
    ]);
    assert_eq!((stats.reads_logged, stats.emergency_reads), (1, 1), "the diagnosis opens, the genetic data does not");
    assert!(stats.uncovered_emergency_refusals > 0);
}

#[test]
fn a_paused_contract_only_takes_revocations_and_owner_actions() {
    let stats = run(vec![
        grant_consent(1, Expiry::Never),
        grant_access(2, Expiry::Never),
        Op::SetPaused { sender: 0, records: true, paused: true },
        Op::SetPaused { sender: 0, records: false, paused: true },
        create_record(2, 0, 5),
        grant_consent(2, Expiry::Never),
        Op::RevokeConsent { sender: PATIENT, provider: PROVIDER, data_type: 1 },
        Op::RevokeProviderAccess { sender: PATIENT, patient: PATIENT, provider: PROVIDER },
        Op::SetRetentionPeriod { sender: 0, blocks: 315_360 },
    ]);
    assert_eq!(stats.calls_while_paused, 5);
}

#[test]
fn the_checker_reports_an_access_its_model_forbids() {
    let mut invariants = Invariants::new();
    let ops: Vec<Op> = opening().into_iter().chain([grant_consent(1, Expiry::Never), grant_access(0, Expiry::Never), create_record(2, 0, 6)]).collect();
    invariants.run(&ops).expect("no violation while the model is right");
    invariants.model_mut().consents.clear();
    let violation = invariants.step(&Op::Mine(0)).expect_err("the engine lets the provider in, the model does not");
    assert!(violation.what.contains("check-access"), "{violation}");
}

/// Seeded sequences exercise every invariant's situation, not only its absence of
/// failures.
#[test]
fn random_sequences_meet_every_guarded_situation() {
    let mut total = InvariantStats::default();
    for ops in seeded_sequences(7, 24, 60) {
        let mut invariants = Invariants::new();
        if let Err(violation) = invariants.run(&ops) {
            panic!("{violation}");
        }
        total.absorb(&invariants.stats);
    }
    let counters = [
        ("access allowed", total.access_allowed),
        ("reads logged", total.reads_logged),
        ("emergency reads", total.emergency_reads),
        ("expired refusals", total.expired_refusals),
        ("uncovered emergency refusals", total.uncovered_emergency_refusals),
        ("revocations closing access", total.revocations_closing_access),
        ("calls while paused", total.calls_while_paused),
    ];
    let unmet: Vec<&str> = counters.iter().filter(|(_, n)| *n == 0).map(|(name, _)| *name).collect();
    assert!(unmet.is_empty(), "never met: {unmet:?} in {total:?}");
}

/// The fuzz targets' way in: any input, empty or all zeros included, gives a
/// sequence (a first version, with the input as proptest's random stream, never
/// ended on some inputs: found by the `engine_ops` fuzz target).
#[test]
fn fuzzer_inputs_of_any_content_generate_a_sequence() {
    for data in [vec![], vec![0u8; 100], vec![255u8; 5000], (0..=255u8).collect()] {
        let ops = from_bytes(&data, 60);
        assert_eq!(ops.len(), data.len().div_ceil(8).min(60));
        let ops: Vec<Op> = setup().into_iter().chain(ops).collect();
        if let Err(violation) = Invariants::new().run(&ops) {
            panic!("{violation}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn access_control_invariants_hold_over_random_sequences(ops in sequence(1, 60)) {
        let mut invariants = Invariants::new();
        if let Err(violation) = invariants.run(&ops) {
            prop_assert!(false, "{}", violation);
        }
    }
}

#[test]
#[ignore = "long run: set CLARIMED_INVARIANT_CASES"]
fn access_control_invariants_hold_over_many_sequences() {
    let cases = std::env::var("CLARIMED_INVARIANT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000);
    let seed = std::env::var("CLARIMED_INVARIANT_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    let mut total = InvariantStats::default();
    for (case, ops) in seeded_sequences(seed, cases, 60).enumerate() {
        let mut invariants = Invariants::new();
        if let Err(violation) = invariants.run(&ops) {
            panic!("case {case} (seed {seed}): {violation}");
        }
        total.absorb(&invariants.stats);
        if (case + 1) % 500 == 0 {
            eprintln!("{} cases", case + 1);
        }
    }
    eprintln!("{cases} cases, seed {seed}: {total:?}");
}
