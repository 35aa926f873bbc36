//! `clarimed demo`, run as a user runs it.

use std::process::Command;

fn demo() -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .arg("demo")
        .output()
        .expect("clarimed runs");
    (output.status.success(), String::from_utf8(output.stdout).expect("UTF-8 output"))
}

#[test]
fn demo_walks_the_whole_journey_and_exits_zero() {
    let (success, stdout) = demo();
    assert!(success, "{stdout}");
    assert!(stdout.contains("journey complete: 30 steps"), "{stdout}");
    assert!(!stdout.contains("!! expected"), "{stdout}");
}

#[test]
fn demo_prints_each_step_as_a_clarity_call_with_its_result() {
    let (_, stdout) = demo();
    assert!(stdout.contains("patient: (contract-call? .patient-consent register-patient \"PAT-0001\" u19800412 none (some 'ST"), "{stdout}");
    assert!(stdout.contains("    => (ok u1)"), "{stdout}");
    assert!(stdout.contains("print { event: \"patient-registered\""), "{stdout}");
    assert!(stdout.contains("    => (err u214)"), "{stdout}");
    assert!(stdout.contains("    => block 1576801"), "{stdout}");
}
