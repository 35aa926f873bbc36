//! Opening the state file, with one-line reasons when it cannot be used.

use std::path::Path;

use clarimed_engine::{Engine, EngineError, SqliteStore};

/// The engine over the existing state at `path`.
pub fn open(path: &Path) -> Result<Engine<SqliteStore>, String> {
    if !path.exists() {
        return Err(format!("no state at {} (create one with `clarimed init`)", path.display()));
    }
    Engine::open(path).map_err(|error| explain(path, &error))
}

/// Holds the state at `path` in memory before a long-running command serves
/// from it: its first reads then cost what later ones do.
pub fn hold_in_memory(engine: &Engine<SqliteStore>, path: &Path) -> Result<(), String> {
    engine.backend().warm_up().map_err(|error| explain(path, &error.into()))
}

/// Why the state at `path` could not be used, in a line.
pub fn explain(path: &Path, error: &EngineError) -> String {
    match error {
        EngineError::Busy => format!("the state {} is locked by another process", path.display()),
        EngineError::NotAState(_) => format!("{} is not a clarimed state (corrupt, or another kind of file)", path.display()),
        EngineError::NotDeployed => format!("{} holds no deployed contracts (run `clarimed init --force`)", path.display()),
        EngineError::BlockFull(_) => format!("{error}; mine a block first (`clarimed mine`, `::advance_chain_tip 1` in a script, or `run --block-per-call`)"),
        other => other.to_string(),
    }
}
