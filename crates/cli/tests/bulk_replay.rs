//! `clarimed replay --bulk`: a recorded feed applied as a bulk load is (no journal,
//! one sync at the end). It ends exactly where a replay does, with the same
//! mismatches and forks; killed partway, or stopped by the disk, it leaves a file
//! every open refuses; and it refuses to start where it cannot hold the file alone.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Op, Pool};
use clarimed_engine::{Engine, EngineError};

const REAL_NODE_FEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../follower/tests/fixtures/real-node-epoch-2.5/new_block.ndjson");
const REAL_NODE_CONTRACTS: &str = "ST1Q7NFPZB1935BAPF7YT2BHJY4G34DG1WMJV8SAX";
/// `PRAGMA user_version` of a file being loaded.
const LOADING_MARK: u32 = 0x6c6f_6164;

fn clarimed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clarimed")).args(args).output().expect("clarimed runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ops(seed: u64, steps: usize) -> Vec<Op> {
    seeded_sequences(seed, 1, steps).next().unwrap()
}

/// A feed with a fork (a branch of blocks, then another from the same parent) and,
/// past its middle, one call whose cost the node reports one read more than the
/// contracts charge:
/// its lines, the line of that call's block (from 0), and the address that
/// deployed the contracts.
fn forked_feed_with_a_mismatch() -> (Vec<String>, usize, String) {
    let (prefix, losing, winning) = (ops(31, 60), ops(32, 40), ops(33, 50));
    let mut lost = Feed::new(Layout::default());
    lost.run(&prefix);
    let common = lost.blocks().len();
    lost.branch(1);
    lost.run(&losing[3..]);
    let mut won = Feed::new(Layout::default());
    won.run(&prefix);
    won.branch(2);
    won.run(&winning[3..]);
    let mut blocks: Vec<serde_json::Value> = lost.blocks().iter().chain(&won.blocks()[common..]).cloned().collect();
    let succeeded = |block: &serde_json::Value| block["transactions"].as_array().unwrap().iter().any(|tx| tx["status"] == "success");
    let middle = blocks.len() / 2;
    let planted = middle + blocks[middle..].iter().position(succeeded).expect("a successful call");
    let tx = blocks[planted]["transactions"].as_array_mut().unwrap().iter_mut().find(|tx| tx["status"] == "success").unwrap();
    tx["execution_cost"]["read_count"] = serde_json::json!(tx["execution_cost"]["read_count"].as_u64().unwrap() + 1);
    (blocks.iter().map(|block| block.to_string()).collect(), planted, Pool::new().owner().principal().to_string())
}

/// The file header's `user_version` (bytes 60..64, big-endian).
fn user_version(path: &Path) -> u32 {
    let header = std::fs::read(path).unwrap();
    u32::from_be_bytes(header[60..64].try_into().unwrap())
}

fn replay_args<'a>(db: &'a Path, feed: &'a str, contracts: &'a str) -> Vec<&'a str> {
    vec!["--db", db.to_str().unwrap(), "replay", feed, "--contracts", contracts, "--epoch", "2.5"]
}

#[test]
fn a_bulk_replay_ends_in_the_state_tip_and_mismatches_of_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, _, address) = forked_feed_with_a_mismatch();
    let forked = dir.path().join("forked.ndjson");
    std::fs::write(&forked, lines.join("\n") + "\n").unwrap();

    for (feed, contracts) in [(forked.to_str().unwrap(), address.as_str()), (REAL_NODE_FEED, REAL_NODE_CONTRACTS)] {
        let (durable, bulk) = (dir.path().join("durable.db"), dir.path().join("bulk.db"));
        let _ = (std::fs::remove_file(&durable), std::fs::remove_file(&bulk));
        let replayed = clarimed(&replay_args(&durable, feed, contracts));
        let bulk_replayed = clarimed(&[replay_args(&bulk, feed, contracts), vec!["--bulk"]].concat());
        assert_eq!(bulk_replayed.status.code(), replayed.status.code(), "{}", text(&bulk_replayed.stderr));
        // Mismatch lines, counts, tip and digest: all of stdout (timing is on stderr).
        assert_eq!(text(&bulk_replayed.stdout), text(&replayed.stdout));
        assert_eq!(user_version(&bulk), 0, "the load is finished");
        let status = |db: &Path| text(&clarimed(&["--db", db.to_str().unwrap(), "status"]).stdout).replace(db.to_str().unwrap(), "");
        assert_eq!(status(&bulk), status(&durable), "the file opens as any state, equal to the replay's");
    }
    // The forked feed did fork, and its planted mismatch was reported by both.
    let replayed = clarimed(&[replay_args(&dir.path().join("again.db"), forked.to_str().unwrap(), &address), vec!["--bulk", "--json"]].concat());
    assert_eq!(replayed.status.code(), Some(1), "a mismatch: {}", text(&replayed.stderr));
    let mismatches = text(&replayed.stdout).lines().filter(|line| line.starts_with("{\"mismatch\"")).count();
    let summary: serde_json::Value = serde_json::from_str(&text(&replayed.stdout).lines().skip(mismatches).collect::<String>()).unwrap();
    assert_eq!((mismatches, summary["counts"]["mismatched"].as_u64()), (1, Some(1)));
    assert!(summary["counts"]["rewound"].as_u64().unwrap() > 0, "{summary}");
}

#[test]
fn a_bulk_replay_killed_partway_leaves_a_file_every_open_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, planted, address) = forked_feed_with_a_mismatch();
    // A state that was fine before: the feed's first blocks, replayed durably.
    let (db, start) = (dir.path().join("follower.db"), dir.path().join("start.ndjson"));
    std::fs::write(&start, lines[..planted / 2].join("\n") + "\n").unwrap();
    assert!(clarimed(&replay_args(&db, start.to_str().unwrap(), &address)).status.success());
    let before = clarimed(&["--db", db.to_str().unwrap(), "status"]);
    assert!(before.status.success() && text(&before.stdout).contains("followed tip "), "{}", text(&before.stderr));

    // The whole feed comes through a pipe the test writes: the replay cannot end
    // before it is killed. The mismatch line says the blocks up to it were applied.
    let fifo = dir.path().join("feed.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_clarimed"))
        .args([replay_args(&db, fifo.to_str().unwrap(), &address), vec!["--bulk"]].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut feed = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    for line in &lines[..=planted] {
        writeln!(feed, "{line}").unwrap();
    }
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"mismatch\""), "{first}");
    assert_eq!(user_version(&db), LOADING_MARK, "marked while the replay runs");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(feed);

    assert_eq!(user_version(&db), LOADING_MARK, "the mark stays");
    assert!(matches!(Engine::open(&db), Err(EngineError::Store(error)) if error.is_unfinished_load()));
    let status = clarimed(&["--db", db.to_str().unwrap(), "status"]);
    assert_eq!(status.status.code(), Some(2));
    assert!(
        text(&status.stderr).contains("is marked as being written by a bulk load or `clarimed replay --bulk` that did not finish"),
        "{}",
        text(&status.stderr)
    );
    for bulk in [false, true] {
        let again = clarimed(&[replay_args(&db, start.to_str().unwrap(), &address), if bulk { vec!["--bulk"] } else { vec![] }].concat());
        assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
        assert!(text(&again.stderr).contains("did not finish"), "{}", text(&again.stderr));
    }
}

/// The fault is real: the binary runs with a file-size limit (RLIMIT_FSIZE, SIGXFSZ
/// ignored), so SQLite's first write past it fails, as on a full disk
/// (`tests/io_faults.rs`).
#[test]
fn a_bulk_replay_the_disk_stops_exits_3_and_leaves_a_file_every_open_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("follower.db");
    assert!(clarimed(&["--db", db.to_str().unwrap(), "init", "--deployer", REAL_NODE_CONTRACTS, "--epoch", "2.5"]).status.success());
    // Room for a few pages more than the deployed contracts: the real node's feed
    // needs many more.
    let limit = std::fs::metadata(&db).unwrap().len() + 8192;
    let mut command = Command::new(env!("CARGO_BIN_EXE_clarimed"));
    command.args([replay_args(&db, REAL_NODE_FEED, REAL_NODE_CONTRACTS), vec!["--bulk"]].concat());
    // SAFETY: between fork and exec the closure only makes two system calls, both
    // async-signal-safe, and touches no memory the parent shares.
    unsafe {
        command.pre_exec(move || {
            if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                return Err(std::io::Error::last_os_error());
            }
            let limit = libc::rlimit { rlim_cur: limit as libc::rlim_t, rlim_max: limit as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let stopped = command.output().unwrap();
    assert_eq!(stopped.status.code(), Some(3), "{}", text(&stopped.stderr));
    assert!(text(&stopped.stderr).contains("disk I/O error"), "{}", text(&stopped.stderr));
    assert!(text(&stopped.stderr).contains(&format!("the bulk replay of {} did not finish", db.display())), "{}", text(&stopped.stderr));

    assert_eq!(user_version(&db), LOADING_MARK);
    assert!(matches!(Engine::open(&db), Err(EngineError::Store(error)) if error.is_unfinished_load()));
    let status = clarimed(&["--db", db.to_str().unwrap(), "status"]);
    assert_eq!(status.status.code(), Some(2));
    assert!(text(&status.stderr).contains("did not finish"), "{}", text(&status.stderr));
}

#[test]
fn a_bulk_replay_is_refused_without_a_file_or_on_a_file_another_connection_reads() {
    let dir = tempfile::tempdir().unwrap();
    let in_memory = clarimed(&["replay", REAL_NODE_FEED, "--contracts", REAL_NODE_CONTRACTS, "--epoch", "2.5", "--bulk"]);
    assert_eq!(in_memory.status.code(), Some(2));
    assert!(text(&in_memory.stderr).contains("--bulk writes a state file: give it with --db"), "{}", text(&in_memory.stderr));

    let db = dir.path().join("shared.db");
    assert!(clarimed(&["--db", db.to_str().unwrap(), "init", "--deployer", REAL_NODE_CONTRACTS, "--epoch", "2.5"]).status.success());
    let before = text(&clarimed(&["--db", db.to_str().unwrap(), "status"]).stdout);
    let reader = rusqlite::Connection::open(&db).unwrap();
    reader.execute_batch("BEGIN; SELECT count(*) FROM entries;").unwrap();
    let refused = clarimed(&[replay_args(&db, REAL_NODE_FEED, REAL_NODE_CONTRACTS), vec!["--bulk"]].concat());
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("is locked by another process"), "{}", text(&refused.stderr));
    drop(reader);
    assert_eq!(user_version(&db), 0, "not marked");
    assert_eq!(text(&clarimed(&["--db", db.to_str().unwrap(), "status"]).stdout), before, "nothing applied");
}
