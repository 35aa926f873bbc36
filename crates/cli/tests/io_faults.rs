//! A disk that fails a commit loses nothing: `clarimed call` and `clarimed run`
//! exit 3 with one line, the state opens with the digest it had before the failed
//! commit, and the same command succeeds once the disk is fixed.
//!
//! The fault is real and needs no root: the binary runs with a file-size limit
//! (RLIMIT_FSIZE, SIGXFSZ ignored), so SQLite's first write past the limit fails
//! with EFBIG, which SQLite reports as "disk I/O error" (a full disk, ENOSPC, is
//! "database or disk is full", the same exit status). SQLite's shared-memory index
//! is the first 32 KiB a process writes (into `-shm`): a lower limit fails the
//! index as the state is opened, unless another connection holds the state open
//! and so the index in place, which leaves the commit's log write to fail.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clarimed_engine::keys::SigningKey;
use clarimed_engine::principal_to_string;

/// The exit status of a state the disk failed to write.
const IO_FAULT: i32 = 3;

/// What SQLite's shared-memory index takes: a limit of this much leaves a
/// process's own index room and its write-ahead log the same.
const SHM_INDEX_BYTES: u64 = 32 * 1024;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `clarimed --db DB ARGS…`; with `limit`, no file it writes may grow past that
/// many bytes.
fn clarimed(db: &Path, args: &[&str], limit: Option<u64>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clarimed"));
    command.arg("--db").arg(db).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(bytes) = limit {
        // SAFETY: between fork and exec the closure only makes two system calls,
        // both async-signal-safe, and touches no memory the parent shares.
        unsafe {
            command.pre_exec(move || {
                // Ignored, SIGXFSZ no longer kills the process: the write fails instead.
                if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
                let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let output = command.output().expect("clarimed runs");
    Run {
        code: output.status.code().expect("an exit status, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8"),
    }
}

/// A new state, deployed.
fn initialized(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    let init = clarimed(&db, &["init"], None);
    assert_eq!(init.code, 0, "{}", init.stderr);
    db
}

/// `clarimed status`'s state digest (which reads the whole state).
fn digest(db: &Path) -> String {
    let status = clarimed(db, &["status", "--json"], None);
    assert_eq!(status.code, 0, "the state opens: {}", status.stderr);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    status["state-digest"].as_str().expect("a digest").to_string()
}

/// The one line a failure prints on stderr.
fn one_line(run: &Run) -> &str {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", run.stderr);
    lines[0]
}

fn patient() -> String {
    principal_to_string(&SigningKey::random().principal())
}

#[test]
fn a_call_the_disk_fails_exits_3_changes_nothing_and_succeeds_once_the_disk_is_fixed() {
    // (what fails, whether another connection holds the state open, the limit)
    let faults = [("the commit's log write", true, 0), ("the shared index as the state opens", false, SHM_INDEX_BYTES / 2)];
    for (fault, held, limit) in faults {
        let dir = tempfile::tempdir().unwrap();
        let db = initialized(dir.path(), "state.db");
        let before = digest(&db);
        let holder = held.then(|| {
            let holder = rusqlite::Connection::open(&db).unwrap();
            holder.query_row("SELECT count(*) FROM entries", [], |_| Ok(())).unwrap();
            holder
        });
        let sender = patient();
        let register = ["call", "patient-consent", "register-patient", "\"PAT-1\"", "u19800412", "none", "none", "--sender", &sender];

        let failed = clarimed(&db, &register, Some(limit));
        assert_eq!(failed.code, IO_FAULT, "{fault}: {}", failed.stderr);
        assert_eq!(failed.stdout, "", "{fault}: no result is printed for a call not committed");
        let line = one_line(&failed);
        let expected = format!("clarimed: the state {} could not be written or read (SQLite: disk I/O error); nothing of this was applied", db.display());
        assert!(line.starts_with(&expected), "{fault}: {line}");
        assert_eq!(digest(&db), before, "{fault}: the state opens as it was");

        let fixed = clarimed(&db, &register, None);
        assert_eq!((fixed.code, fixed.stdout.lines().next()), (0, Some("(ok true)")), "{fault}: {}", fixed.stderr);
        drop(holder);
        let read = clarimed(&db, &["read", "patient-consent", "get-patient", &format!("'{sender}")], None);
        assert!(read.stdout.starts_with("(some {"), "{fault}: registered once the disk was fixed: {}", read.stdout);
    }
}

#[test]
fn a_run_stopped_by_the_disk_keeps_the_steps_it_reported_and_resumes_with_from() {
    let dir = tempfile::tempdir().unwrap();
    // Twelve steps, each a commit of at least one page to the log: together they
    // outgrow the 32 KiB the limit leaves it, so one of them fails.
    let steps: Vec<String> = (1..=12)
        .map(|n| format!("::set_tx_sender {}\n(contract-call? .patient-consent register-patient \"PAT-{n}\" u19800412 none none)\n", patient()))
        .collect();
    let script = |steps: &[String]| {
        let path = dir.path().join(format!("steps-{}.clar", steps.len()));
        std::fs::File::create(&path).unwrap().write_all(steps.concat().as_bytes()).unwrap();
        path.to_str().unwrap().to_string()
    };
    let whole = script(&steps);

    let db = initialized(dir.path(), "state.db");
    let stopped = clarimed(&db, &["run", &whole], Some(SHM_INDEX_BYTES));
    assert_eq!(stopped.code, IO_FAULT, "{}", stopped.stderr);
    let reported = stopped.stdout.lines().filter(|line| line.starts_with("step ")).count();
    let failed_step = reported + 1;
    let line = one_line(&stopped);
    assert!(line.starts_with(&format!("clarimed: step {failed_step} (line {}): the state ", 2 * failed_step)), "{line}");
    assert!(line.contains("(SQLite: disk I/O error); nothing of this was applied"), "{line}");

    // Exactly the steps reported are in the state, none of the failed one.
    let prefix = initialized(dir.path(), "prefix.db");
    let ran = clarimed(&prefix, &["run", &script(&steps[..reported])], None);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(digest(&db), digest(&prefix), "the state holds steps 1 to {reported}, and nothing of step {failed_step}");

    let resumed = clarimed(&db, &["run", &whole, "--from", &failed_step.to_string()], None);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(resumed.stdout.starts_with(&format!("step {failed_step}: ")), "{}", resumed.stdout);
    let uninterrupted = initialized(dir.path(), "uninterrupted.db");
    assert_eq!(clarimed(&uninterrupted, &["run", &whole], None).code, 0);
    assert_eq!(digest(&db), digest(&uninterrupted), "the resumed run ends where an uninterrupted one does");
}

#[test]
fn a_replay_stopped_by_the_disk_exits_3_and_goes_on_from_its_tip_once_the_disk_is_fixed() {
    // The real node's feed: 45 blocks, each a commit that outgrows what the limit
    // leaves the log long before the last.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../follower/tests/fixtures/real-node-epoch-2.5/new_block.ndjson");
    let feed = fixture.to_str().unwrap();
    let replay = ["replay", feed, "--contracts", "ST1Q7NFPZB1935BAPF7YT2BHJY4G34DG1WMJV8SAX", "--epoch", "2.5"];
    let dir = tempfile::tempdir().unwrap();
    let (db, uninterrupted) = (dir.path().join("follower.db"), dir.path().join("uninterrupted.db"));

    let stopped = clarimed(&db, &replay, Some(SHM_INDEX_BYTES * 2));
    assert_eq!(stopped.code, IO_FAULT, "{}", stopped.stderr);
    assert!(stopped.stderr.contains("could not be written or read (SQLite: disk I/O error); that block was not applied"), "{}", stopped.stderr);

    let resumed = clarimed(&db, &replay, None);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(resumed.stdout.contains(" 0 mismatch"), "{}", resumed.stdout);
    assert_eq!(clarimed(&uninterrupted, &replay, None).code, 0);
    assert_eq!(digest(&db), digest(&uninterrupted), "the resumed replay ends where an uninterrupted one does");
}
