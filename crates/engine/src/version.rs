//! Which version of its source each contract runs, and what loading it costs.
//!
//! v1 authorized by `tx-sender`, v2 by `contract-caller` (`contracts/v1/README.md`).
//! A deployed contract never changes, so a chain that deployed v1 runs v1 for
//! ever. The engine runs either: for a direct call (the only kind a transaction
//! makes to these contracts) the caller is the signer in both, so the two differ
//! only in their size, which is what a contract load costs. The state records the
//! version of each contract, and every load reads it there, as a node reads a
//! contract's recorded size when it loads it.

use clarimed_costs::Meter;
use clarimed_storage::clarity::{DecodeError, StateError};
use clarimed_storage::{StoreRead, StoreWrite};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::table::Contract;

/// Where the state records each contract's version: one byte per contract, in
/// [`Contract::ALL`]'s order. A state without it was made before v2 existed, so
/// from v1's sources.
pub(crate) const VERSIONS_KEY: &[u8] = b"clarimed::versions";

/// A version of the contracts' sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `contracts/v1/`: authorizes by `tx-sender`.
    V1,
    /// `contracts/`: authorizes by `contract-caller`.
    V2,
}

impl Version {
    /// What `clarimed init` and a new engine deploy.
    pub const LATEST: Version = Version::V2;
    /// Both, oldest first.
    pub const ALL: [Version; 2] = [Version::V1, Version::V2];

    /// The version whose source `source` is, byte for byte (so, whose SHA-256 it
    /// has), if any.
    pub fn of(contract: Contract, source: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|version| contract.source(*version) == source)
    }

    /// `1` or `2`.
    pub fn number(self) -> u8 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
        }
    }

    fn from_number(number: u8) -> Option<Version> {
        Version::ALL.into_iter().find(|version| version.number() == number)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.number())
    }
}

impl<S> Engine<S> {
    /// The version `contract` runs in the committed state.
    pub fn version(&self, contract: Contract) -> Result<Version, EngineError> {
        Ok(version(self.core().committed(), contract)?)
    }

    /// A deployment of `contract` from `version`'s source, seen on a chain the
    /// engine follows, in the open block: from here on its loads cost that
    /// source's size. Refused with no block open ([`EngineError::NoBlockOpen`]).
    pub fn record_deployment(&self, contract: Contract, version: Version) -> Result<(), EngineError> {
        let core = self.core();
        let mut writer = core.writer();
        core.ready(&mut writer)?;
        if writer.layers.is_empty() {
            return Err(EngineError::NoBlockOpen);
        }
        core.in_open_block(&mut writer, |block| {
            let mut now = versions(&*block)?;
            now[contract as usize] = version;
            block.put(VERSIONS_KEY, &encode(now))?;
            Ok(())
        })
    }
}

impl Contract {
    /// What loading the contract charges for, as a node records a deployed
    /// contract's size: its source and its constants.
    pub fn size(self, version: Version) -> u64 {
        let constants = match self {
            Contract::PatientConsent => clarimed_consent::CONSTANTS_SIZE,
            Contract::RecordManagement => clarimed_records::CONSTANTS_SIZE,
        };
        self.source(version).len() as u64 + constants
    }

    /// The contract's Clarity source in `version`, as `contracts/` (v2) or
    /// `contracts/v1/` holds it and a node deploys it.
    pub fn source(self, version: Version) -> &'static str {
        match (self, version) {
            (Contract::PatientConsent, Version::V1) => include_str!("../../../contracts/v1/patient-consent.clar"),
            (Contract::RecordManagement, Version::V1) => include_str!("../../../contracts/v1/record-management.clar"),
            (Contract::PatientConsent, Version::V2) => include_str!("../../../contracts/patient-consent.clar"),
            (Contract::RecordManagement, Version::V2) => include_str!("../../../contracts/record-management.clar"),
        }
    }
}

/// The version each contract runs in `store`'s state.
pub(crate) fn versions<S: StoreRead + ?Sized>(store: &S) -> Result<[Version; 2], StateError> {
    let Some(bytes) = store.get(VERSIONS_KEY)? else {
        return Ok([Version::V1; 2]);
    };
    match bytes[..] {
        [consent, records] => match (Version::from_number(consent), Version::from_number(records)) {
            (Some(consent), Some(records)) => Ok([consent, records]),
            _ => Err(corrupt()),
        },
        _ => Err(corrupt()),
    }
}

/// The row recording `versions`.
pub(crate) fn encode(versions: [Version; 2]) -> [u8; 2] {
    versions.map(Version::number)
}

/// The version `contract` runs in `store`'s state.
pub(crate) fn version<S: StoreRead + ?Sized>(store: &S, contract: Contract) -> Result<Version, StateError> {
    Ok(versions(store)?[contract as usize])
}

/// Charges `meter` for loading `contract` as deployed in `store`'s state.
pub(crate) fn load_contract<S: StoreRead + ?Sized>(store: &S, meter: &Meter, contract: Contract) -> Result<(), StateError> {
    meter.load_contract(contract.size(version(store, contract)?));
    Ok(())
}

fn corrupt() -> StateError {
    StateError::Corrupt { key: String::from_utf8_lossy(VERSIONS_KEY).into_owned(), error: DecodeError::UnexpectedEnd }
}
