//! A `ClarityBackingStore` whose block height can move.
//!
//! clarity-vm's `MemoryBackingStore` always reports block height 1, and the contracts
//! are all about expiry, so the harness keeps its own store: the same SQLite side store
//! (in memory), with the current block height as a field that `mine` advances.

use clarity::vm::analysis::AnalysisDatabase;
use clarity::vm::database::sqlite::{sqlite_get_contract_hash, sqlite_get_metadata, sqlite_get_metadata_manual, sqlite_insert_metadata};
use clarity::vm::database::{ClarityBackingStore, ClarityDatabase, SpecialCaseHandler, SqliteConnection, NULL_BURN_STATE_DB, NULL_HEADER_DB};
use clarity::vm::errors::{InterpreterResult as Result, RuntimeErrorType};
use clarity::vm::types::QualifiedContractIdentifier;
use rusqlite::Connection;
use stacks_common::types::chainstate::{BlockHeaderHash, StacksBlockId};
use stacks_common::util::hash::Sha512Trunc256Sum;

/// Contract metadata is filed under the open chain tip, which stays fixed: only
/// `block-height` moves.
const CHAIN_TIP: StacksBlockId = StacksBlockId([255; 32]);

pub struct HarnessStore {
    side_store: Connection,
    block_height: u32,
}

impl HarnessStore {
    pub fn new(block_height: u32) -> Result<HarnessStore> {
        Ok(HarnessStore { side_store: SqliteConnection::memory()?, block_height })
    }

    pub fn block_height(&self) -> u32 {
        self.block_height
    }

    pub fn set_block_height(&mut self, height: u32) {
        self.block_height = height;
    }

    pub fn connection(&self) -> &Connection {
        &self.side_store
    }

    pub fn as_clarity_db(&mut self) -> ClarityDatabase<'_> {
        ClarityDatabase::new(self, &NULL_HEADER_DB, &NULL_BURN_STATE_DB)
    }

    pub fn as_analysis_db(&mut self) -> AnalysisDatabase<'_> {
        AnalysisDatabase::new(self)
    }
}

impl ClarityBackingStore for HarnessStore {
    fn put_all(&mut self, items: Vec<(String, String)>) -> Result<()> {
        for (key, value) in items {
            SqliteConnection::put(&self.side_store, &key, &value)?;
        }
        Ok(())
    }

    fn get(&mut self, key: &str) -> Result<Option<String>> {
        SqliteConnection::get(&self.side_store, key)
    }

    fn get_with_proof(&mut self, key: &str) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self.get(key)?.map(|value| (value, vec![])))
    }

    fn set_block_hash(&mut self, bhh: StacksBlockId) -> Result<StacksBlockId> {
        Err(RuntimeErrorType::UnknownBlockHeaderHash(BlockHeaderHash(bhh.0)).into())
    }

    fn get_block_at_height(&mut self, height: u32) -> Option<StacksBlockId> {
        (height == 0).then_some(CHAIN_TIP)
    }

    fn get_current_block_height(&mut self) -> u32 {
        self.block_height
    }

    fn get_open_chain_tip_height(&mut self) -> u32 {
        0
    }

    fn get_open_chain_tip(&mut self) -> StacksBlockId {
        CHAIN_TIP
    }

    fn get_side_store(&mut self) -> &Connection {
        &self.side_store
    }

    fn get_cc_special_cases_handler(&self) -> Option<SpecialCaseHandler> {
        None
    }

    fn get_contract_hash(&mut self, contract: &QualifiedContractIdentifier) -> Result<(StacksBlockId, Sha512Trunc256Sum)> {
        sqlite_get_contract_hash(self, contract)
    }

    fn insert_metadata(&mut self, contract: &QualifiedContractIdentifier, key: &str, value: &str) -> Result<()> {
        sqlite_insert_metadata(self, contract, key, value)
    }

    fn get_metadata(&mut self, contract: &QualifiedContractIdentifier, key: &str) -> Result<Option<String>> {
        sqlite_get_metadata(self, contract, key)
    }

    fn get_metadata_manual(&mut self, at_height: u32, contract: &QualifiedContractIdentifier, key: &str) -> Result<Option<String>> {
        sqlite_get_metadata_manual(self, at_height, contract, key)
    }
}
