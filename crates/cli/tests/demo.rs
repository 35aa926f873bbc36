//! `clarimed demo`, run as a user runs it: the journey on the native engine.

use std::process::Command;

fn demo(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_clarimed")).arg("demo").args(args).output().expect("clarimed runs");
    (output.status.code().expect("an exit status"), String::from_utf8(output.stdout).expect("UTF-8"), String::from_utf8(output.stderr).expect("UTF-8"))
}

#[test]
fn demo_walks_the_whole_journey_on_the_native_engine_and_exits_zero() {
    let (code, stdout, _) = demo(&[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("on the native engine"), "{stdout}");
    assert!(stdout.contains("journey complete: 30 steps"), "{stdout}");
    assert!(!stdout.contains("!! expected"), "{stdout}");
}

#[test]
fn demo_prints_each_step_as_a_clarity_call_with_its_result() {
    let (_, stdout, _) = demo(&[]);
    assert!(stdout.contains("patient: (contract-call? .patient-consent register-patient \"PAT-0001\" u19800412 none (some 'ST"), "{stdout}");
    assert!(stdout.contains("    => (ok u1)"), "{stdout}");
    assert!(stdout.contains("print { event: \"patient-registered\""), "{stdout}");
    assert!(stdout.contains("    => (err u214)"), "{stdout}");
    assert!(stdout.contains("    => block 1576801"), "{stdout}");
}

#[test]
fn demo_keeps_its_state_where_asked_and_refuses_an_existing_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journey.db");
    let db_arg = db.to_str().unwrap();
    let (code, _, _) = demo(&["--db", db_arg]);
    assert_eq!(code, 0);
    assert!(db.exists());
    let before = std::fs::read(&db).unwrap();
    let (code, _, stderr) = demo(&["--db", db_arg]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
