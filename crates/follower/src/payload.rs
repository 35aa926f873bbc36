//! What a node posts to an event observer's `/new_block`, as stacks-core's
//! `docs/event-dispatcher.md` documents it and `stacks-node/src/event_dispatcher/payloads.rs`
//! writes it: only the fields a follower reads. Unknown fields are ignored, so a
//! node that adds fields is still followed; a missing or mistyped field the
//! follower needs is an error naming it, and nothing of the block is applied.

use clarimed_costs::ExecutionCost;
use serde::Deserialize;

/// A block, with its transactions and the events the observer subscribed to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NewBlock {
    /// The block's (Stacks) height.
    pub block_height: u64,
    /// The tenure height (the coinbase height): what a Clarity 2 `block-height`
    /// answers from epoch 3.0. Absent from nodes before 3.0.
    #[serde(default)]
    pub tenure_height: Option<u64>,
    /// The Bitcoin block the block's sortition is in, whose height tells the epoch.
    #[serde(default)]
    pub burn_block_height: Option<u64>,
    /// When it was mined, in Unix seconds (absent before Nakamoto).
    #[serde(default)]
    pub block_time: Option<u64>,
    /// The block's index hash (its id across forks), `0x`-prefixed hex.
    pub index_block_hash: String,
    /// Its parent's index hash: a block whose parent is not the follower's tip is
    /// on another fork.
    pub parent_index_block_hash: String,
    /// Every transaction of the block, in order.
    pub transactions: Vec<BlockTransaction>,
    /// The events, in order, of every transaction.
    pub events: Vec<BlockEvent>,
}

/// A transaction as the node reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BlockTransaction {
    /// Its txid, `0x`-prefixed hex.
    pub txid: String,
    /// Its place in the block.
    pub tx_index: u32,
    /// `success`, `abort_by_response`, `abort_by_post_condition` (or
    /// `problematic_skipped`).
    pub status: String,
    /// The result, `0x`-prefixed hex of its consensus serialization.
    pub raw_result: String,
    /// The signed transaction, `0x`-prefixed hex of its serialization (`0x00` for a
    /// burnchain operation).
    pub raw_tx: String,
    /// What it cost.
    pub execution_cost: ExecutionCost,
}

/// An event as the node reports it; only contract events (`print`) are read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BlockEvent {
    /// The transaction that emitted it.
    pub txid: String,
    /// Its place among the block's events.
    pub event_index: u32,
    /// Whether its transaction's writes were kept.
    pub committed: bool,
    /// `contract_event`, `stx_transfer_event`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// For a `contract_event`: the contract, the topic and the value.
    #[serde(default)]
    pub contract_event: Option<ContractEvent>,
}

/// A contract's event: for these contracts, a `print`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ContractEvent {
    /// `{address}.{name}`.
    pub contract_identifier: String,
    /// `print`.
    pub topic: String,
    /// The value, `0x`-prefixed hex of its consensus serialization.
    pub raw_value: String,
}

/// Why a payload was refused.
#[derive(Debug, thiserror::Error)]
#[error("not a /new_block payload: {0}")]
pub struct PayloadError(#[from] serde_json::Error);

impl NewBlock {
    /// Parses a `/new_block` body.
    pub fn parse(body: &[u8]) -> Result<NewBlock, PayloadError> {
        Ok(serde_json::from_slice(body)?)
    }
}
