//! What both engines offer, and its two implementations.

use clarimed_engine::{principal_to_native, Engine, EngineError, MemoryStore, SqliteStore};
use clarimed_reference::keys::Key;
use clarimed_reference::{CallResult, HarnessError, PrincipalData, ReferenceVm, Value};

/// Something that runs both contracts: calls as any principal, and mined blocks.
pub trait Chain {
    type Error: std::fmt::Display + std::fmt::Debug;

    fn call_public(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, Self::Error>;

    /// A read-only call as a node's `call-read` runs it: its value and its cost.
    fn call_read_only(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, Self::Error>;

    fn mine(&mut self, blocks: u32) -> Result<(), Self::Error>;

    fn block_height(&self) -> u32;

    /// Every map entry and data var of both contracts in the VM's layout, sorted.
    fn dump_state(&self) -> Result<Vec<(String, String)>, Self::Error>;
}

/// A fresh chain with both contracts deployed by `owner`.
pub trait Deploy: Chain + Sized {
    /// What the chain is, for test and report names.
    const NAME: &'static str;

    fn deploy(owner: &Key) -> Self;
}

/// A value's consensus serialization: how results are compared across engines
/// (clarity-vm's `Value` equality also compares list and tuple type annotations,
/// which differ with how a value was built, not with what it is).
pub fn serialized(value: &Value) -> Vec<u8> {
    value.serialize_to_vec().expect("a value that exists serializes")
}

impl Chain for ReferenceVm {
    type Error = HarnessError;

    fn call_public(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, HarnessError> {
        ReferenceVm::call_public(self, sender, contract, function, args)
    }

    fn call_read_only(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, HarnessError> {
        ReferenceVm::read_only(self, sender, contract, function, args)
    }

    fn mine(&mut self, blocks: u32) -> Result<(), HarnessError> {
        ReferenceVm::mine(self, blocks);
        Ok(())
    }

    fn block_height(&self) -> u32 {
        ReferenceVm::block_height(self)
    }

    fn dump_state(&self) -> Result<Vec<(String, String)>, HarnessError> {
        ReferenceVm::dump_state(self)
    }
}

impl Deploy for ReferenceVm {
    const NAME: &'static str = "clarity-vm";

    fn deploy(owner: &Key) -> ReferenceVm {
        ReferenceVm::new(owner.principal()).expect("both contracts deploy on the Clarity VM")
    }
}

impl<S> Chain for Engine<S> {
    type Error = EngineError;

    fn call_public(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, EngineError> {
        let output = self.call(&principal_to_native(sender), contract, function, args)?;
        Ok(CallResult { value: output.value, events: output.events, committed: output.committed, cost: output.cost })
    }

    fn call_read_only(&mut self, sender: &PrincipalData, contract: &str, function: &str, args: &[Value]) -> Result<CallResult, EngineError> {
        let output = self.read(&principal_to_native(sender), contract, function, args)?;
        Ok(CallResult { value: output.value, events: output.events, committed: output.committed, cost: output.cost })
    }

    fn mine(&mut self, blocks: u32) -> Result<(), EngineError> {
        Engine::mine(self, blocks)
    }

    fn block_height(&self) -> u32 {
        Engine::block_height(self)
    }

    fn dump_state(&self) -> Result<Vec<(String, String)>, EngineError> {
        Engine::dump_state(self)
    }
}

impl Deploy for Engine<MemoryStore> {
    const NAME: &'static str = "native-memory";

    fn deploy(owner: &Key) -> Engine<MemoryStore> {
        let owner = principal_to_native(&owner.principal().into());
        Engine::in_memory(&owner, clarimed_engine::Epoch::Epoch25).expect("both contracts deploy natively")
    }
}

impl Deploy for Engine<SqliteStore> {
    const NAME: &'static str = "native-sqlite";

    fn deploy(owner: &Key) -> Engine<SqliteStore> {
        let owner = principal_to_native(&owner.principal().into());
        let store = SqliteStore::in_memory().expect("an in-memory SQLite database");
        Engine::with_store(store, Some((&owner, clarimed_engine::Epoch::Epoch25))).expect("both contracts deploy natively")
    }
}
