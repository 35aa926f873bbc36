//! `clarimed run SCRIPT`: a Clarity script of calls and mined blocks against the
//! state, as the conformance runner prints a divergence.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clarimed_conformance::differential::apply;
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_conformance::Deploy;
use clarimed_engine::{Engine, MemoryStore};

const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
const PATIENT: &str = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";
const PROVIDER: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn clarimed(db: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clarimed runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().expect("an exit status"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8"),
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Fixture {
    fn new(deployer: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("clarimed.db");
        assert_eq!(clarimed(&db, &["init", "--deployer", deployer], "").code, 0);
        Fixture { dir, db }
    }

    /// `clarimed run` of `script`, from a file.
    fn run(&self, script: &str, extra: &[&str]) -> Run {
        let path = self.dir.path().join("script.clar");
        std::fs::write(&path, script).unwrap();
        let mut args = vec!["run", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        clarimed(&self.db, &args, "")
    }

    fn export(&self) -> String {
        let run = clarimed(&self.db, &["export"], "");
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    }
}

/// The step lines of a run's report; each call's line has its cost on the next.
fn lines(run: &Run) -> Vec<&str> {
    assert_eq!(run.code, 0, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    let all: Vec<&str> = run.stdout.lines().collect();
    for pair in all.windows(2) {
        if pair[0].starts_with("step ") && !pair[0].contains(" mined ") {
            assert!(pair[1].starts_with("  cost runtime "), "no cost under {:?}", pair[0]);
        }
    }
    all.into_iter().filter(|line| !line.starts_with("  cost ")).collect()
}

fn register(patient: &str) -> String {
    format!("::set_tx_sender {patient}\n(contract-call? .patient-consent register-patient \"PAT-1\" u19800412 none none)\n")
}

#[test]
fn each_step_is_run_and_reported_on_its_own_line() {
    let f = Fixture::new(DEPLOYER);
    let script = format!("{}::advance_chain_tip 5\n(contract-call? .patient-consent grant-consent '{PROVIDER} u1 none \"care\")\n", register(PATIENT));
    assert_eq!(
        lines(&f.run(&script, &[])),
        [
            "step 1: [block 1, tenure 1] (ok true)",
            "step 2: mined 5 tenure(s) of one block, block height 6, tenure height 6",
            "step 3: [block 6, tenure 6] (ok true)"
        ]
    );
    assert!(f.export().contains("consents"), "the grant is in the state");
}

#[test]
fn an_err_step_does_not_stop_the_run() {
    let f = Fixture::new(DEPLOYER);
    let script = format!("{}{}::advance_chain_tip 1\n", register(PATIENT), register(PATIENT));
    assert_eq!(
        lines(&f.run(&script, &[])),
        [
            "step 1: [block 1, tenure 1] (ok true)",
            "step 2: [block 1, tenure 1] (err u102)",
            "step 3: mined 1 tenure(s) of one block, block height 2, tenure height 2"
        ]
    );
}

#[test]
fn a_bad_line_is_refused_with_its_number_and_changes_nothing() {
    let f = Fixture::new(DEPLOYER);
    let before = std::fs::read(&f.db).unwrap();
    let script = format!("{}::advance_chain_tip 5\n(contract-call? .patient-consent set-paused u1)\n", register(PATIENT));
    let run = f.run(&script, &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.trim(), "clarimed: line 4: set-paused: argument `new-paused` must be bool, not uint");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(std::fs::read(&f.db).unwrap(), before, "no step ran");
}

#[test]
fn from_starts_at_that_step_with_the_sender_set_before_it() {
    let f = Fixture::new(DEPLOYER);
    let script = format!("{}::advance_chain_tip 5\n(contract-call? .patient-consent grant-consent '{PROVIDER} u1 none \"care\")\n", register(PATIENT));
    assert_eq!(lines(&f.run(&script, &["--from", "1"]))[0], "step 1: [block 1, tenure 1] (ok true)");
    // Step 3 runs as the patient, set on line 1 (the deployer is no patient: u101),
    // at the height the first run left.
    assert_eq!(lines(&f.run(&script, &["--from", "3"])), ["step 3: [block 6, tenure 6] (ok true)"]);
    assert!(lines(&f.run(&script, &["--from", "4"])).is_empty(), "one past the last step: nothing left to run");
    let past = f.run(&script, &["--from", "5"]);
    assert_eq!((past.code, past.stderr.trim()), (2, "clarimed: --from 5: the script has 3 steps"));
}

#[test]
fn comment_and_blank_lines_are_not_steps() {
    let f = Fixture::new(DEPLOYER);
    let script = format!(";; a divergence\n\n  ;; indented\n::set_tx_sender {PATIENT} ;; patient-1\n(contract-call? .patient-consent register-patient \"PAT-1\" u19800412 none none) ;; registers\n\n::advance_chain_tip 2 ;; two blocks\n");
    let run = f.run(&script, &["--json"]);
    let steps: Vec<serde_json::Value> = lines(&run).iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(steps.len(), 2);
    assert_eq!((&steps[0]["step"], &steps[0]["line"], &steps[0]["result"]), (&1.into(), &5.into(), &"(ok true)".into()));
    assert_eq!(steps[0]["events"].as_array().map(Vec::len), Some(1));
    assert_eq!((&steps[1]["step"], &steps[1]["line"], &steps[1]["block-height"]), (&2.into(), &7.into(), &3.into()));
}

#[test]
fn a_script_can_come_from_stdin() {
    let f = Fixture::new(DEPLOYER);
    let run = clarimed(&f.db, &["run", "-"], &register(PATIENT));
    assert_eq!(lines(&run), ["step 1: [block 1, tenure 1] (ok true)"]);
}

#[test]
fn a_missing_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    let run = clarimed(&db, &["run", "-"], &register(PATIENT));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no state"), "{}", run.stderr);
    assert!(!db.exists());
}

/// The conformance runner's script of a random sequence, replayed on a state file,
/// leaves the state the in-memory engine reached running the same sequence.
#[test]
fn a_divergence_script_replays_to_the_state_it_describes() {
    let pool = Pool::new();
    let mut engine = Engine::<MemoryStore>::deploy(pool.owner());
    let mut script = String::new();
    let ops = seeded_sequences(7, 1, 120).next().unwrap();
    for op in &ops {
        let call = op.resolve(&pool, &engine);
        script.push_str(&call.script_line(&pool));
        script.push('\n');
        apply(&mut engine, &pool, &call);
    }
    let f = Fixture::new(&pool.owner().principal().to_string());
    let run = f.run(&script, &[]);
    assert_eq!(lines(&run).len(), ops.len());
    let expected: String = engine.dump_state().unwrap().iter().map(|(key, value)| format!("{key} {value}\n")).collect();
    assert_eq!(f.export(), expected);
    let status = clarimed(&f.db, &["--json", "status"], "");
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["block-height"], engine.block_height());
}

#[test]
fn from_epoch_3_0_blocks_in_a_tenure_leave_block_height_where_it_is() {
    // `init` makes a 4.0 chain: block-height is the tenure height.
    let f = Fixture::new(DEPLOYER);
    let script = format!(
        "::advance_stacks_chain_tip 3\n::set_tx_sender {PATIENT}\n(contract-call? .patient-consent register-patient \"PAT-1\" u19800412 none none)\n::advance_burn_chain_tip 2\n(contract-call? .patient-consent get-patient '{PATIENT})\n"
    );
    let run = f.run(&script, &["--json"]);
    let steps: Vec<serde_json::Value> = lines(&run).iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    let heights: Vec<(u64, u64)> = steps.iter().map(|s| (s["block-height"].as_u64().unwrap(), s["tenure-height"].as_u64().unwrap())).collect();
    assert_eq!(heights, [(4, 1), (4, 1), (6, 3), (6, 3)]);
    assert_eq!(steps[0]["as"], "stacks-blocks");
    let profile = steps[3]["result"].as_str().unwrap();
    assert!(profile.contains("registration-date: u1"), "registered at tenure height 1, not Stacks height 4: {profile}");

    let on_2_5 = tempfile::tempdir().unwrap();
    let db = on_2_5.path().join("clarimed.db");
    assert_eq!(clarimed(&db, &["init", "--deployer", DEPLOYER, "--epoch", "2.5"], "").code, 0);
    let path = on_2_5.path().join("script.clar");
    std::fs::write(&path, &script).unwrap();
    let run = clarimed(&db, &["--json", "run", path.to_str().unwrap()], "");
    let last: serde_json::Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert!(last["result"].as_str().unwrap().contains("registration-date: u4"), "before 3.0 block-height is the Stacks height: {last}");
}

#[test]
fn an_unknown_epoch_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clarimed.db");
    let refused = clarimed(&db, &["init", "--epoch", "2.4"], "");
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("`2.4` is not an epoch clarimed runs: 2.5, 3.0, 3.1, 3.2, 3.3, 3.4, 4.0"), "{}", refused.stderr);
    assert!(!db.exists(), "nothing was created");
}
