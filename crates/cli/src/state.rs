//! Opening the state file, with one-line reasons when it cannot be used, and the
//! exit status each reason gets.

use std::path::Path;
use std::process::ExitCode;

use clarimed_engine::{Engine, EngineError, SqliteStore};

/// Exit status of bad input: the command changed nothing.
const BAD_INPUT: u8 = 2;

/// Exit status of a state the disk failed to write (full, a write error) or read:
/// not bad input, and worth running again once the fault is fixed, since nothing
/// of what failed was applied.
pub const IO_FAULT: u8 = 3;

/// Why a command failed, in a line, and the exit status that says which kind of
/// failure it was.
#[derive(Debug)]
pub struct Failure {
    message: String,
    status: u8,
}

impl Failure {
    /// Prints the line on stderr and gives the exit status.
    pub fn report(&self) -> ExitCode {
        eprintln!("clarimed: {}", self.message);
        ExitCode::from(self.status)
    }

    /// A failure of the disk, not of the input (exit 3).
    pub fn io_fault(message: String) -> Failure {
        Failure { message, status: IO_FAULT }
    }

    /// The same failure, its line prefixed with where it happened.
    pub fn at(self, place: impl std::fmt::Display) -> Failure {
        Failure { message: format!("{place}: {}", self.message), ..self }
    }
}

/// Any other reason is bad input.
impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, status: BAD_INPUT }
    }
}

/// The line, for a command that reports every failure as bad input.
impl From<Failure> for String {
    fn from(failure: Failure) -> String {
        failure.message
    }
}

/// The engine over the existing state at `path`, for a command that reads a few
/// rows and exits: its rows are not read into memory (at a million patients that
/// takes longer than the command), and reads go to SQLite.
pub fn open(path: &Path) -> Result<Engine<SqliteStore>, Failure> {
    existing(path)?;
    Engine::open_with_index_budget(path, 0).map_err(|error| failure(path, &error))
}

/// The engine over the existing state at `path`, for a long-running command: its
/// rows are held in memory within the default budget ([`Engine::open`]), and read
/// there.
pub fn open_to_serve(path: &Path) -> Result<Engine<SqliteStore>, Failure> {
    existing(path)?;
    Engine::open(path).map_err(|error| failure(path, &error))
}

fn existing(path: &Path) -> Result<(), Failure> {
    if path.exists() {
        Ok(())
    } else {
        Err(format!("no state at {} (create one with `clarimed init`)", path.display()).into())
    }
}

/// Holds the state at `path` in memory before a long-running command serves
/// from it: its first reads then cost what later ones do.
pub fn hold_in_memory(engine: &Engine<SqliteStore>, path: &Path) -> Result<(), String> {
    engine.backend().warm_up().map_err(|error| explain(path, &error.into()))
}

/// Why the state at `path` could not be used, with its exit status.
pub fn failure(path: &Path, error: &EngineError) -> Failure {
    let io_fault = matches!(error, EngineError::Store(store) if store.is_io_fault());
    Failure { message: explain(path, error), status: if io_fault { IO_FAULT } else { BAD_INPUT } }
}

/// Why the state at `path` could not be used, in a line.
pub fn explain(path: &Path, error: &EngineError) -> String {
    match error {
        EngineError::Busy => format!("the state {} is locked by another process", path.display()),
        EngineError::NotAState(_) => format!("{} is not a clarimed state (corrupt, or another kind of file)", path.display()),
        EngineError::NotDeployed => format!("{} holds no deployed contracts (run `clarimed init --force`)", path.display()),
        EngineError::BlockFull(_) => format!("{error}; mine a block first (`clarimed mine`, `::advance_chain_tip 1` in a script, or `run --block-per-call`)"),
        EngineError::Store(store) if store.is_unfinished_load() => format!(
            "the state {} is marked as being written by a bulk load or `clarimed replay --bulk` that did not finish (or still runs): it may hold half a \
             write, so it is not read; load or replay it again into a new file, or onto a copy taken before",
            path.display()
        ),
        EngineError::Store(store) if store.is_io_fault() => {
            format!("the state {} could not be written or read ({store}); nothing of this was applied: run it again once the disk is fixed", path.display())
        }
        other => other.to_string(),
    }
}
