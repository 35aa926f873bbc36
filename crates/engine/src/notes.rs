//! An embedder's own bookkeeping, kept in the state beside the contracts' data:
//! written in the open block, so that it commits with the block and an undone
//! block takes it back ([`Engine::undo_blocks`]). A follower keeps its chain tip
//! here. Notes live under `clarimed::note::{name}`, never under `vm::`.

use clarimed_storage::{StoreRead, StoreWrite};

use crate::engine::Engine;
use crate::error::EngineError;

impl<S> Engine<S> {
    /// The committed note `name`, if any.
    pub fn note(&self, name: &str) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.core().committed().get(note_key(name).as_bytes())?.map(|bytes| bytes.into_owned()))
    }

    /// Writes the note `name` in the open block (`None` deletes it); refused with no
    /// block open ([`EngineError::NoBlockOpen`]).
    pub fn write_note(&self, name: &str, value: Option<&[u8]>) -> Result<(), EngineError> {
        let core = self.core();
        let mut writer = core.writer();
        core.ready(&mut writer)?;
        if writer.layers.is_empty() {
            return Err(EngineError::NoBlockOpen);
        }
        let key = note_key(name);
        core.in_open_block(&mut writer, |block| match value {
            Some(value) => block.put(key.as_bytes(), value),
            None => block.delete(key.as_bytes()),
        })?;
        Ok(())
    }
}

fn note_key(name: &str) -> String {
    format!("clarimed::note::{name}")
}
