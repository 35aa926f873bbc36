//! `clarimed backup` while a follower commits to the live state: the copy is the
//! live state at one of its blocks, opens, and a follower on it goes on from its
//! tip to where the live one ended; and the files it refuses to write or read.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{mpsc, Arc};

use clarimed_conformance::feed::{Feed, Layout};
use clarimed_conformance::ops::{seeded_sequences, Pool};
use clarimed_engine::{hex, principal_to_native, state_digest, Engine, Epoch};
use clarimed_follower::{followed_tip, Epochs, Follower, OnMismatch};
use clarimed_storage::IndexStatus;
use serde_json::Value as Json;

fn clarimed(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clarimed")).arg("--db").arg(db).args(args).output().expect("clarimed runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The value after `label` on the line of `out` that starts with it.
fn printed(out: &str, label: &str) -> String {
    let line = out.lines().find(|line| line.starts_with(label)).unwrap_or_else(|| panic!("no `{label}` line in {out}"));
    line[label.len()..].trim().to_string()
}

fn follower_on(engine: Engine<clarimed_engine::SqliteStore>) -> Follower<clarimed_engine::SqliteStore> {
    Follower::new(Arc::new(engine), 16, OnMismatch::Stop).unwrap().with_epochs(Epochs::Fixed(Epoch::Epoch25))
}

/// What the live state was after each block the follower applied, by the block's
/// height: the digest and every row.
type Recorded = HashMap<u64, (String, Vec<(String, String)>)>;

#[test]
fn a_backup_taken_while_a_follower_commits_is_the_state_at_one_block_and_a_follower_goes_on_from_its_tip() {
    let mut feed = Feed::new(Layout::default());
    feed.run(&seeded_sequences(43, 1, 300).next().unwrap());
    let blocks: Vec<Vec<u8>> = feed.blocks().iter().map(|block| serde_json::to_vec(block).unwrap()).collect();
    let height_of = |block: &[u8]| serde_json::from_slice::<Json>(block).unwrap()["block_height"].as_u64().unwrap();
    let vm_digest = hex(&state_digest(&feed.vm_state()));
    let owner = principal_to_native(&Pool::new().owner().principal().into());

    let dir = tempfile::tempdir().unwrap();
    let (live, copy) = (dir.path().join("live.db"), dir.path().join("copy.db"));
    let engine = Engine::open_or_create(&live, &owner, Epoch::Epoch25).unwrap();
    let (started, backing_up) = mpsc::channel();
    let writer = {
        let blocks = blocks.clone();
        std::thread::spawn(move || {
            let mut follower = follower_on(engine);
            let mut recorded = Recorded::new();
            for (n, block) in blocks.iter().enumerate() {
                let report = follower.apply(block).unwrap();
                let engine = follower.engine();
                recorded.insert(report.height, (hex(&engine.state_digest().unwrap()), engine.dump_state().unwrap()));
                // The backup starts once a third of the feed is in, the rest
                // committing while it copies (or after: either way the copy must be
                // one block's state).
                if n == blocks.len() / 3 {
                    started.send(()).unwrap();
                }
            }
            let in_memory = matches!(follower.engine().backend().index_status(), IndexStatus::Complete { .. });
            (recorded, in_memory)
        })
    };
    backing_up.recv().unwrap();
    let backup = clarimed(&live, &["backup", "--to", copy.to_str().unwrap()]);
    let (recorded, in_memory) = writer.join().unwrap();
    assert!(backup.status.success(), "{}{}", text(&backup.stdout), text(&backup.stderr));
    let out = text(&backup.stdout);
    let (height, digest) = (printed(&out, "block height"), printed(&out, "state digest"));

    // The copy opens, at the tip of a block the live follower applied, holding
    // exactly what the live state held after that block.
    let engine = Engine::open(&copy).unwrap();
    let (tip, _) = followed_tip(&engine).unwrap().expect("the copy is a follower's state, with its tip");
    let (live_digest, live_rows) = recorded.get(&tip).unwrap_or_else(|| panic!("block {tip} was applied on the live state"));
    assert_eq!(&digest, live_digest, "the printed digest is the live state's at block {tip}");
    assert_eq!(&hex(&engine.state_digest().unwrap()), live_digest);
    assert_eq!(&engine.dump_state().unwrap(), live_rows, "every row as the live state held it after block {tip}");
    assert_eq!(height, engine.block_height().to_string(), "the height printed is the copy's");
    let status = clarimed(&copy, &["status"]);
    assert_eq!(printed(&text(&status.stdout), "state digest"), digest, "the digest `clarimed status` prints");
    assert!(in_memory, "the backup only read the live file: the follower kept its rows in memory");

    // A follower on the copy goes on from its tip, and ends where the live one did.
    let mut follower = follower_on(engine);
    let after: Vec<&Vec<u8>> = blocks.iter().filter(|block| height_of(block) > tip).collect();
    for block in &after {
        let report = follower.apply(block).unwrap();
        assert!(!report.already_applied && report.mismatches.is_empty(), "block {}: {report:?}", report.height);
    }
    let last = height_of(blocks.last().unwrap());
    assert_eq!(followed_tip(follower.engine()).unwrap().map(|(height, _)| height), Some(last));
    assert_eq!(hex(&follower.engine().state_digest().unwrap()), vm_digest, "the node's state, as the live follower ended");
    assert_eq!(recorded[&last].0, vm_digest);
}

#[test]
fn a_backup_onto_an_existing_file_is_refused_and_leaves_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (live, copy) = (dir.path().join("live.db"), dir.path().join("copy.db"));
    assert!(clarimed(&live, &["init"]).status.success());
    std::fs::write(&copy, "an earlier backup the operator keeps").unwrap();

    let refused = clarimed(&live, &["backup", "--to", copy.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert_eq!(text(&refused.stderr).trim(), format!("clarimed: {} exists; nothing was written (--force replaces it)", copy.display()));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "an earlier backup the operator keeps");
    assert_eq!(files_in(dir.path()), ["copy.db", "live.db"], "no partial copy left beside it");

    let replaced = clarimed(&live, &["backup", "--to", copy.to_str().unwrap(), "--force"]);
    assert!(replaced.status.success(), "{}", text(&replaced.stderr));
    let status = clarimed(&live, &["status"]);
    assert_eq!(printed(&text(&replaced.stdout), "state digest"), printed(&text(&status.stdout), "state digest"));
    assert_eq!(Engine::open(&copy).unwrap().state_digest().unwrap(), Engine::open(&live).unwrap().state_digest().unwrap());

    let itself = clarimed(&live, &["backup", "--to", live.to_str().unwrap(), "--force"]);
    assert_eq!(itself.status.code(), Some(2), "the live state is never its own backup");
}

#[test]
fn a_file_that_is_no_state_or_whose_load_did_not_finish_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "not a database, though long enough to look like one at first glance ".repeat(20)).unwrap();
    let unfinished = dir.path().join("unfinished.db");
    rusqlite::Connection::open(&unfinished).unwrap().execute_batch("CREATE TABLE entries (key BLOB); PRAGMA user_version = 1819238756;").unwrap();

    for (live, says) in [(&text_file, "is not a clarimed state"), (&unfinished, "did not finish"), (&dir.path().join("absent.db"), "no state at")] {
        let refused = clarimed(live, &["backup", "--to", copy.to_str().unwrap()]);
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
        let stderr = text(&refused.stderr);
        assert!(stderr.contains(says) && stderr.lines().count() == 1, "one line: {stderr}");
    }
    assert_eq!(files_in(dir.path()), ["notes.txt", "unfinished.db"], "nothing written");
}

/// The names of the files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}
