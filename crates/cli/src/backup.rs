//! `clarimed backup`: a copy of a live state at one committed block, taken while
//! `serve` or `follow` goes on committing to it ([`clarimed_storage::backup()`]).
//!
//! The copy is written to a temporary file beside the target and renamed into
//! place once it is whole and opens as a state: an interrupted backup leaves no
//! half file under the target's name.

use std::io::ErrorKind;
use std::path::Path;
use std::process::ExitCode;

use clarimed_engine::{hex, Engine};
use serde_json::json;

use crate::state::{failure, Failure};

/// Copies the state at `live` to `to`, which must not exist unless `force`, and
/// prints the copy's block height and state digest (as `clarimed status` prints
/// them).
pub fn run(live: &Path, to: &Path, force: bool, json: bool) -> Result<ExitCode, Failure> {
    if !live.exists() {
        return Err(format!("no state at {}", live.display()).into());
    }
    if to.exists() {
        if !force {
            return Err(exists(to));
        }
        if same_file(live, to) {
            return Err(format!("{} is the live state itself; back it up to another file", to.display()).into());
        }
    }
    let folder = match to.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = to.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    // Removed when dropped, on every early return below.
    let partial =
        tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".partial").tempfile_in(folder).map_err(|e| unwritable(to, &e))?.into_temp_path();
    clarimed_storage::backup(live, &partial).map_err(|error| {
        if error.is_io_fault() {
            Failure::io_fault(format!("{} could not be read, or the copy written ({error}); nothing was written to {}", live.display(), to.display()))
        } else {
            failure(live, &error.into())
        }
    })?;
    // The copy opens as a state: its height and digest, read before it takes the name.
    let (height, digest) = {
        let copy = Engine::open_with_index_budget(&partial, 0).map_err(|error| failure(to, &error))?;
        let digest = copy.state_digest().map_err(|error| failure(to, &error))?;
        (copy.block_height(), hex(&digest))
    };
    // Without --force, refused rather than replaced if the file appeared meanwhile.
    let persisted = if force { partial.persist(to) } else { partial.persist_noclobber(to) };
    persisted.map_err(|e| if e.error.kind() == ErrorKind::AlreadyExists { exists(to) } else { unwritable(to, &e.error) })?;
    sync_folder(folder).map_err(|e| unwritable(to, &e))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "backup": to.display().to_string(), "block-height": height, "state-digest": digest }))
                .expect("JSON values print")
        );
    } else {
        println!("backup       {}", to.display());
        println!("block height {height}");
        println!("state digest {digest}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `a` and `b` name the same file (both exist).
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

fn exists(to: &Path) -> Failure {
    format!("{} exists; nothing was written (--force replaces it)", to.display()).into()
}

/// The copy could not be written: bad input for a folder that is missing or not
/// ours to write, the disk's fault (exit 3) otherwise.
fn unwritable(to: &Path, error: &std::io::Error) -> Failure {
    let message = format!("the backup {} could not be written ({error}); the live state is untouched", to.display());
    match error.kind() {
        ErrorKind::NotFound | ErrorKind::PermissionDenied => message.into(),
        _ => Failure::io_fault(message),
    }
}

/// Makes the rename durable: the folder's entry is synced, not only the file.
fn sync_folder(folder: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(folder)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}
