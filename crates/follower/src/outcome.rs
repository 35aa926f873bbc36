//! What a transaction did, as the node reports it and as the engine re-executes it,
//! and how the two are compared.

use clarimed_engine::ExecutionCost;
use serde::Serialize;

/// A call's outcome, in the node's terms: everything a follower compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `success`, `abort_by_response` or `abort_by_post_condition`.
    pub status: String,
    /// The result, hex of its consensus serialization.
    pub result: String,
    /// The print events the node posts for it (none for an aborted transaction),
    /// each the hex of its consensus serialization.
    pub events: Vec<String>,
    /// What it cost.
    pub cost: ExecutionCost,
}

/// One transaction on which the follower and the node disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The block's height.
    pub block_height: u64,
    /// The transaction, as the node names it (`0x…`).
    pub txid: String,
    /// What it did: `{contract}.{function}` for a call, `deploy {contract}` for a
    /// deployment, or `indirect` for another transaction that touched the contracts.
    pub what: String,
    /// What differs: any of `status`, `result`, `events`, `cost`, or why the follower
    /// could not compare (`refused`, `source`, `clarity-version`, `indirect`).
    pub differs: Vec<&'static str>,
    /// The node's outcome (for a call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<Outcome>,
    /// The engine's outcome (for a call it ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ours: Option<Outcome>,
    /// More about it: the engine's refusal, a source's hash, the events' contracts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Outcome {
    /// The fields of `self` that differ from `other`'s, by name.
    pub fn differences(&self, other: &Outcome) -> Vec<&'static str> {
        let mut differs = Vec::new();
        if self.status != other.status {
            differs.push("status");
        }
        if self.result != other.result {
            differs.push("result");
        }
        if self.events != other.events {
            differs.push("events");
        }
        if self.cost != other.cost {
            differs.push("cost");
        }
        differs
    }
}
