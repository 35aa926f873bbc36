//! `/new_block` bodies as a Nakamoto node (3.x, 4.0) posts them, made from an
//! [`crate::oracle`] fixture: the chain stacks-core's Clarity ran, as a follower of
//! that chain would be fed it.
//!
//! Each body has every field stacks-core 4.0.2's
//! `stacks-node/src/event_dispatcher/payloads.rs` writes for a Nakamoto block:
//! `tenure_height` (what a Clarity 2 `block-height` answers), `block_time`,
//! `consensus_hash`, the signer fields (`signer_bitvec`, `signer_signature_hash`,
//! `signer_signature`, `miner_signature`), `reward_set` and `cycle_number`, each
//! transaction's `contract_interface`, `vm_error` and `burnchain_op`, and contract
//! events with `raw_value` only (as from 3.4.0.0.2). A block that starts a tenure
//! opens with its tenure change and Nakamoto coinbase. The fixture's public calls
//! become transactions carrying the oracle's status, result, print events and cost;
//! its read-only calls are not transactions and are left out, as are calls it
//! refused. One transaction marked `problematic_skipped` (a 4.0 node's
//! `problematic_txs`) is added to the first block of calls.

use clarimed_engine::table::Contract;
use clarimed_engine::{hex, parse_literal, parse_principal, Principal, Version};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha512_256};

use crate::payload_kinds::{self, Kind};

/// The blocks of `fixture`, the Bitcoin block of tenure `t` being `burn_start + t`.
pub fn blocks(fixture: &str, burn_start: u64) -> Result<Vec<Json>, String> {
    let mut lines = fixture.lines().filter(|line| !line.trim().is_empty());
    let header: Json = serde_json::from_str(lines.next().ok_or("an empty fixture")?).map_err(|e| e.to_string())?;
    let deployer = parse_principal(header["deployer"].as_str().ok_or("no deployer")?).map_err(|e| e.to_string())?;
    let mut chain = Chain { burn_start, blocks: Vec::new(), nonces: Vec::new(), parent: [0; 32] };
    let mut block = Block::at(1, 1, true);
    for contract in Contract::ALL {
        let cost = &header["deploy_costs"][contract.name()];
        let nonce = chain.nonce(&deployer);
        block.transactions.push(Tx {
            raw: payload_kinds::deploy(&deployer, nonce, contract.name(), contract.source(Version::LATEST), 2),
            status: "success",
            result: "0703".into(),
            cost: cost.clone(),
            events: Vec::new(),
            problematic: false,
        });
    }
    let mut skipped_one = false;
    for line in lines {
        let step: Json = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let (stacks, tenure) = (step["stacks_height"].as_u64().unwrap_or_default(), step["tenure_height"].as_u64().unwrap_or_default());
        if step["advance"].is_string() {
            if (stacks, tenure) == (block.stacks, block.tenure) {
                continue;
            }
            let previous = std::mem::replace(&mut block, Block::at(stacks, tenure, false));
            block.new_tenure = tenure != previous.tenure;
            chain.close(previous);
            continue;
        }
        let status = match (step["status"].as_str(), step["read_only"].as_bool()) {
            (Some("success"), Some(false)) => "success",
            (Some("abort_by_response"), Some(false)) => "abort_by_response",
            _ => continue,
        };
        let sender = parse_principal(step["sender"].as_str().ok_or("a call without its sender")?).map_err(|e| e.to_string())?;
        let args = step["args"].as_array().ok_or("a call without args")?;
        let args = args.iter().map(|arg| parse_literal(arg.as_str().unwrap_or_default()).map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>()?;
        let (contract, function) = (step["contract"].as_str().unwrap_or_default(), step["function"].as_str().unwrap_or_default());
        if !skipped_one {
            // What a 4.0 node skips: its nonce is spent, its payload never runs.
            skipped_one = true;
            let nonce = chain.nonce(&sender);
            let raw = payload_kinds::call(&sender, nonce, &deployer, contract, function, args.clone());
            block.transactions.push(Tx { raw, status: "problematic_skipped", result: "0703".into(), cost: cost_zero(), events: Vec::new(), problematic: true });
        }
        let nonce = chain.nonce(&sender);
        let raw = payload_kinds::call(&sender, nonce, &deployer, contract, function, args);
        let events = step["events"].as_array().cloned().unwrap_or_default();
        let result = step["result_hex"].as_str().unwrap_or_default().to_string();
        block.transactions.push(Tx { raw, status, result, cost: step["cost"].clone(), events, problematic: false });
    }
    chain.close(block);
    Ok(chain.blocks)
}

struct Chain {
    burn_start: u64,
    blocks: Vec<Json>,
    nonces: Vec<(Principal, u64)>,
    parent: [u8; 32],
}

struct Block {
    stacks: u64,
    tenure: u64,
    new_tenure: bool,
    transactions: Vec<Tx>,
}

struct Tx {
    raw: Vec<u8>,
    status: &'static str,
    result: String,
    cost: Json,
    events: Vec<Json>,
    problematic: bool,
}

impl Block {
    fn at(stacks: u64, tenure: u64, new_tenure: bool) -> Block {
        Block { stacks, tenure, new_tenure, transactions: Vec::new() }
    }
}

impl Chain {
    fn nonce(&mut self, who: &Principal) -> u64 {
        match self.nonces.iter_mut().find(|(principal, _)| principal == who) {
            Some((_, nonce)) => {
                *nonce += 1;
                *nonce - 1
            }
            None => {
                self.nonces.push((who.clone(), 1));
                0
            }
        }
    }

    /// Posts `block` if it holds a transaction: a node posts no empty Nakamoto block
    /// a follower needs, and the follower places a block by its parent alone.
    fn close(&mut self, block: Block) {
        if block.transactions.is_empty() && !self.blocks.is_empty() {
            return;
        }
        let miner = Principal::standard(26, [0x4d; 20]);
        let mut transactions: Vec<Tx> = Vec::new();
        if block.new_tenure {
            for kind in [Kind::TenureChange, Kind::NakamotoCoinbase] {
                let raw = payload_kinds::transaction(kind, &miner, &block.tenure.to_be_bytes());
                transactions.push(Tx { raw, status: "success", result: "0703".into(), cost: cost_zero(), events: Vec::new(), problematic: false });
            }
        }
        transactions.extend(block.transactions);
        let mut id = Sha512_256::new();
        id.update(self.parent);
        id.update(block.stacks.to_be_bytes());
        let mut events = Vec::new();
        let mut written = Vec::new();
        for (index, tx) in transactions.iter().enumerate() {
            let txid = format!("0x{}", hex(&Sha512_256::digest(&tx.raw)));
            id.update(&tx.raw);
            for event in &tx.events {
                events.push(json!({
                    "txid": txid,
                    "event_index": events.len(),
                    "committed": true,
                    "type": "contract_event",
                    "contract_event": {
                        "contract_identifier": event["contract_identifier"],
                        "topic": "print",
                        "raw_value": format!("0x{}", event["hex"].as_str().unwrap_or_default()),
                    },
                }));
            }
            let mut written_tx = json!({
                "txid": txid,
                "tx_index": index,
                "status": tx.status,
                "raw_result": format!("0x{}", tx.result),
                "raw_tx": format!("0x{}", hex(&tx.raw)),
                "contract_interface": null,
                "burnchain_op": null,
                "execution_cost": tx.cost,
                "microblock_sequence": null,
                "microblock_hash": null,
                "microblock_parent_hash": null,
                "vm_error": null,
            });
            if tx.problematic {
                written_tx["problematic_skipped"] = json!(1);
            }
            written.push(written_tx);
        }
        let hash: [u8; 32] = id.finalize().into();
        let burn_height = self.burn_start + block.tenure;
        let hex32 = |bytes: [u8; 32]| format!("0x{}", hex(&bytes));
        self.blocks.push(json!({
            "block_hash": hex32(Sha512_256::digest(hash).into()),
            "block_height": block.stacks,
            "block_time": 1_780_000_000 + block.stacks * 5,
            "burn_block_hash": hex32(Sha512_256::digest(burn_height.to_be_bytes()).into()),
            "burn_block_height": burn_height,
            "miner_txid": hex32(Sha512_256::digest(block.tenure.to_be_bytes()).into()),
            "burn_block_time": 1_780_000_000 + block.tenure * 600,
            "index_block_hash": hex32(hash),
            "parent_block_hash": hex32(Sha512_256::digest(self.parent).into()),
            "parent_index_block_hash": hex32(self.parent),
            "parent_microblock": hex32([0; 32]),
            "parent_microblock_sequence": 0,
            "matured_miner_rewards": [],
            "events": events,
            "transactions": written,
            "parent_burn_block_hash": hex32(Sha512_256::digest((burn_height - 1).to_be_bytes()).into()),
            "parent_burn_block_height": burn_height - 1,
            "parent_burn_block_timestamp": 1_780_000_000 + (block.tenure - 1) * 600,
            "anchored_cost": cost_zero(),
            "confirmed_microblocks_cost": cost_zero(),
            "pox_v1_unlock_height": 1,
            "pox_v2_unlock_height": 2,
            "pox_v3_unlock_height": 3,
            "pox_v4_unlock_height": 4,
            "signer_bitvec": "000800000001ff",
            "reward_set": null,
            "cycle_number": null,
            "tenure_height": block.tenure,
            "consensus_hash": format!("0x{}", hex(&Sha512_256::digest(block.tenure.to_be_bytes())[..20])),
            "signer_signature_hash": hex32(Sha512_256::digest(hash).into()),
            "miner_signature": format!("0x{}", "00".repeat(65)),
            "signer_signature": [format!("0x{}", "01".repeat(65))],
        }));
        self.parent = hash;
    }
}

fn cost_zero() -> Json {
    json!({ "runtime": 0, "read_count": 0, "read_length": 0, "write_count": 0, "write_length": 0 })
}
