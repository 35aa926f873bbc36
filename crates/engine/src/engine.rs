//! The engine: both contracts deployed in one store, calls run as transactions.

use std::path::Path;

use clarimed_consent::{CallError, Context, Outcome, PatientConsent};
use clarimed_records::{ConsentView, RecordManagement};
use clarimed_storage::clarity::{hex, unhex, vm_key, ClarityType, ContractId, Principal, StateError};
use clarimed_storage::{MemoryStore, SqliteStore, Store, Transactional};

use crate::convert::principal_to_string;
use crate::error::EngineError;
use crate::signatures::{CONSENT_CONTRACT, RECORDS_CONTRACT};

/// The chain's first block, where both contracts are deployed (as in the reference).
pub const GENESIS_HEIGHT: u32 = 1;

/// The engine's own bookkeeping, beside the contracts' data (never under `vm::`).
const DEPLOYER_KEY: &[u8] = b"clarimed::deployer";
const BLOCK_HEIGHT_KEY: &[u8] = b"clarimed::block-height";

/// Default SQLite state file of the command line.
pub const DEFAULT_DB_PATH: &str = "clarimed.db";

/// Both contracts over one store.
///
/// Every public call runs in a transaction of its own: kept on `Ok`, dropped on
/// `Err`, as Clarity keeps a call's writes on `(ok …)` and drops them on `(err …)`.
/// Outside a block each kept call is written to the backend at once (for SQLite, a
/// durable commit); inside [`Engine::begin_block`] .. [`Engine::commit_block`] the
/// calls are written together at the block's commit.
pub struct Engine<S: Store> {
    pub(crate) store: Transactional<S>,
    pub(crate) consent: PatientConsent,
    pub(crate) records: RecordManagement,
    deployer: Principal,
    block_height: u32,
    block_open: bool,
}

impl Engine<MemoryStore> {
    /// A fresh in-memory chain with both contracts deployed by `deployer`.
    pub fn in_memory(deployer: &Principal) -> Result<Engine<MemoryStore>, EngineError> {
        Engine::with_store(MemoryStore::new(), Some(deployer))
    }
}

impl Engine<SqliteStore> {
    /// Opens the SQLite state at `path`; a new file gets both contracts deployed by
    /// `deployer`.
    pub fn open_or_create(path: impl AsRef<Path>, deployer: &Principal) -> Result<Engine<SqliteStore>, EngineError> {
        Engine::with_store(SqliteStore::open(path)?, Some(deployer))
    }

    /// Opens an existing SQLite state; creates nothing and changes nothing when the
    /// file is missing, is not a state, or holds no contracts
    /// ([`EngineError::NotDeployed`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Engine<SqliteStore>, EngineError> {
        Engine::with_store(SqliteStore::open_existing(path)?, None)
    }
}

impl<S: Store> Engine<S> {
    /// The engine over `store`: the state it holds, or, when it holds none and a
    /// deployer is given, both contracts freshly deployed by the deployer. A deployer
    /// (given or stored) that no chain could have is [`EngineError::InvalidDeployer`].
    pub fn with_store(store: S, deployer: Option<&Principal>) -> Result<Engine<S>, EngineError> {
        let mut store = Transactional::new(store);
        let (deployer, block_height) = match store.get(DEPLOYER_KEY)? {
            Some(bytes) => {
                let deployer = Principal::from_bytes(&bytes).map_err(|error| StateError::Corrupt {
                    key: String::from_utf8_lossy(DEPLOYER_KEY).into_owned(),
                    error,
                })?;
                check_deployer(&deployer)?;
                (deployer, read_block_height(&store)?)
            }
            None => {
                let deployer = deployer.ok_or(EngineError::NotDeployed)?;
                check_deployer(deployer)?;
                deploy(&mut store, deployer)?;
                (deployer.clone(), GENESIS_HEIGHT)
            }
        };
        let [consent_id, records_id] = contract_ids(&deployer);
        Ok(Engine {
            store,
            consent: PatientConsent::new(&consent_id),
            records: RecordManagement::new(&records_id),
            deployer,
            block_height,
            block_open: false,
        })
    }

    /// Who deployed both contracts (their first owner).
    pub fn deployer(&self) -> &Principal {
        &self.deployer
    }

    pub fn block_height(&self) -> u32 {
        self.block_height
    }

    /// A direct call by `sender` at the current block height.
    pub fn context(&self, sender: &Principal) -> Context {
        Context::new(sender.clone(), u128::from(self.block_height))
    }

    /// Advances `block-height` by `blocks`.
    pub fn mine(&mut self, blocks: u32) -> Result<(), EngineError> {
        self.block_height = self.block_height.saturating_add(blocks);
        self.store.put(BLOCK_HEIGHT_KEY, &self.block_height.to_be_bytes())?;
        Ok(())
    }

    /// From here until [`Engine::commit_block`], kept calls reach the backend
    /// together (one SQLite commit).
    pub fn begin_block(&mut self) -> Result<(), EngineError> {
        if self.block_open {
            return Err(EngineError::BlockAlreadyOpen);
        }
        self.store.begin();
        self.block_open = true;
        Ok(())
    }

    pub fn commit_block(&mut self) -> Result<(), EngineError> {
        if !self.block_open {
            return Err(EngineError::NoBlockOpen);
        }
        self.block_open = false;
        self.store.commit()?;
        Ok(())
    }

    /// Drops every call of the open block.
    pub fn abort_block(&mut self) -> Result<(), EngineError> {
        if !self.block_open {
            return Err(EngineError::NoBlockOpen);
        }
        self.block_open = false;
        self.store.roll_back()?;
        self.block_height = read_block_height(&self.store)?;
        Ok(())
    }

    /// Every data-map entry and data var of both contracts as the Clarity VM stores
    /// them (key, hex of the value), sorted by key: comparable byte for byte with
    /// the reference harness's dump.
    pub fn dump_state(&self) -> Result<Vec<(String, String)>, EngineError> {
        let mut rows = Vec::new();
        for contract in contract_ids(&self.deployer) {
            for (key, value) in self.store.scan_prefix(contract.key_prefix().as_bytes())? {
                let key = vm_key(&key).ok_or_else(|| EngineError::Conversion(format!("a key outside the VM layout: {key:?}")))?;
                rows.push((key, hex(&value)));
            }
        }
        rows.sort();
        Ok(rows)
    }

    /// Replaces both contracts' state with `rows` as [`Engine::dump_state`] (or the
    /// reference harness's dump) gives them, and sets the block height: the state of
    /// another engine, taken over. All or nothing.
    pub fn import_state(&mut self, rows: &[(String, String)], block_height: u32) -> Result<(), EngineError> {
        let prefixes: Vec<String> = contract_ids(&self.deployer).iter().map(ContractId::key_prefix).collect();
        let mut writes = Vec::with_capacity(rows.len());
        for (key, value) in rows {
            if !prefixes.iter().any(|prefix| key.starts_with(prefix.as_str())) {
                return Err(EngineError::Conversion(format!("{key} is not a key of this engine's contracts")));
            }
            let storage_key = storage_key(key).ok_or_else(|| EngineError::Conversion(format!("malformed key {key}")))?;
            let value = unhex(value).ok_or_else(|| EngineError::Conversion(format!("malformed value under {key}")))?;
            writes.push((storage_key, value));
        }
        self.store.begin();
        let result = (|| {
            for prefix in &prefixes {
                for (key, _) in self.store.scan_prefix(prefix.as_bytes())? {
                    self.store.delete(&key)?;
                }
            }
            for (key, value) in &writes {
                self.store.put(key, value)?;
            }
            self.store.put(BLOCK_HEIGHT_KEY, &block_height.to_be_bytes())
        })();
        match result {
            Ok(()) => self.store.commit()?,
            Err(error) => {
                self.store.roll_back()?;
                return Err(error.into());
            }
        }
        self.block_height = block_height;
        Ok(())
    }

    /// The store, to read it directly (e.g. to scan it).
    pub fn store(&self) -> &Transactional<S> {
        &self.store
    }

    /// Runs one public call as a transaction: its writes are kept when it returns
    /// `Ok` and dropped otherwise.
    pub(crate) fn transact<T, E>(
        &mut self,
        call: impl FnOnce(&mut Transactional<S>, &PatientConsent, &RecordManagement) -> Outcome<T, E>,
    ) -> Outcome<T, E> {
        self.store.begin();
        let result = call(&mut self.store, &self.consent, &self.records);
        let finished = match result {
            Ok(_) => self.store.commit(),
            Err(_) => self.store.roll_back(),
        };
        finished.map_err(|e| CallError::State(e.into()))?;
        result
    }
}

/// How `record-management` sees `patient-consent`: its read-only functions.
pub(crate) struct ConsentReader<'a>(pub &'a PatientConsent);

impl<S: Store> ConsentView<S> for ConsentReader<'_> {
    fn is_registered(&self, store: &S, patient: &Principal) -> Result<bool, StateError> {
        Ok(self.0.get_patient(store, patient)?.is_some())
    }

    fn has_consent(&self, store: &S, block_height: u128, patient: &Principal, provider: &Principal, data_type: u128) -> Result<bool, StateError> {
        self.0.has_consent(store, block_height, patient, provider, data_type)
    }

    fn has_emergency_access(&self, store: &S, block_height: u128, patient: &Principal, provider: &Principal) -> Result<bool, StateError> {
        self.0.has_emergency_access(store, block_height, patient, provider)
    }
}

/// The contracts' ids, and so the keys of all their data, are written with the
/// deployer's address: a transaction's sender, a standard principal whose version
/// c32 can write (one of its 32 characters).
fn check_deployer(deployer: &Principal) -> Result<(), EngineError> {
    if deployer.contract_name.is_some() || deployer.version >= 32 {
        return Err(EngineError::InvalidDeployer(principal_to_string(deployer)));
    }
    Ok(())
}

fn contract_ids(deployer: &Principal) -> [ContractId; 2] {
    let address = principal_to_string(deployer);
    [
        ContractId::new(format!("{address}.{CONSENT_CONTRACT}")),
        ContractId::new(format!("{address}.{RECORDS_CONTRACT}")),
    ]
}

/// The store key of a VM key: a map entry's hex key back to its serialized bytes.
fn storage_key(vm_key: &str) -> Option<Vec<u8>> {
    let (contract, rest) = vm_key.strip_prefix("vm::")?.split_once("::")?;
    match rest.split_once("::")? {
        ("0", map_and_key) => {
            let (map, hex_key) = map_and_key.split_once("::")?;
            let mut key = format!("vm::{contract}::0::{map}::").into_bytes();
            key.extend(unhex(hex_key)?);
            Some(key)
        }
        ("1", _) => Some(vm_key.as_bytes().to_vec()),
        _ => None,
    }
}


fn read_block_height(store: &impl Store) -> Result<u32, EngineError> {
    let bytes = store.get(BLOCK_HEIGHT_KEY)?.ok_or(EngineError::NotDeployed)?;
    let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| {
        EngineError::Conversion(format!("block height of {} bytes", bytes.len()))
    })?;
    Ok(u32::from_be_bytes(bytes))
}

/// Deploys both contracts, and the engine's bookkeeping, in one write.
fn deploy<S: Store>(store: &mut Transactional<S>, deployer: &Principal) -> Result<(), EngineError> {
    let [consent_id, records_id] = contract_ids(deployer);
    store.begin();
    PatientConsent::new(&consent_id).deploy(store, deployer)?;
    RecordManagement::new(&records_id).deploy(store, deployer)?;
    store.put(DEPLOYER_KEY, &deployer.to_bytes())?;
    store.put(BLOCK_HEIGHT_KEY, &GENESIS_HEIGHT.to_be_bytes())?;
    store.commit()?;
    Ok(())
}
