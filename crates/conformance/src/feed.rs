//! What a Stacks node posts to an event observer's `/new_block` for a history of
//! both contracts: every call a real signed transaction, run on the Clarity VM with
//! its costs, each block in the node's payload shape (stacks-core's
//! `stacks-node/src/event_dispatcher/payloads.rs`).
//!
//! A [`Feed`] opens with a block that deploys both contracts (signed deployments of
//! the sources in `contracts/`, beside a burnchain operation the follower must
//! pass over), then turns random [`Op`]s into blocks: each call signed by its
//! actor's key with the actor's next nonce, run on the VM at the block's height,
//! its result, status, print events and cost written as the node writes them. Some
//! calls carry a post-condition that fails (the sender sends STX, which no call of
//! these contracts does), so the node's `abort_by_post_condition` is met too. An op
//! that mines advances the chain at most a year and a block, so that a long feed
//! stays within the heights a follower holds.
//! Forks: two feeds run from the same ops agree block for block, so a history and
//! another branch from any of its blocks are two feeds with a common prefix
//! ([`Feed::branch`] marks where they part).

use clarimed_engine::keys::SigningKey;
use clarimed_engine::table::Contract;
use clarimed_engine::{hex, principal_to_native, Version};
use clarimed_reference::{CallResult, ReferenceVm};
use clarimed_transactions::sign::{self, Deploy, Unsigned};
use clarimed_transactions::wire::{FungibleConditionCode, PostConditionPrincipal, TransactionPostCondition};
use clarimed_transactions::{Transaction, TESTNET};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use crate::chain::serialized;
use crate::ops::{Call, Op, Pool, OWNER};

/// When the deploy block was mined, in Unix seconds; each block adds ten minutes.
const GENESIS_TIME: u64 = 1_764_000_000;
/// What every generated transaction pays, in micro-STX.
const FEE: u64 = 100_000;
/// The most blocks one [`Op::Mine`] advances a feed's chain: a year and a block
/// (`BLOCKS-PER-YEAR` + 1), past every expiry an op sets and the longest emergency
/// timeout. The ops also mine the default retention period (1,576,800 blocks) at
/// once, and a feed runs sequence after sequence on one chain: uncapped, a
/// 100,000-call feed passed at its 3,834th block the highest tenure height the
/// engine's tip holds (2^29 - 1), a block the follower refuses. Capped, the chain
/// grows about 1.1 million blocks per 2,000 ops; retention is reached over several
/// mines. Other users of the ops (the conformance tests) mine as before.
const MAX_MINED_PER_OP: u32 = 52_561;

/// How a feed lays calls out in blocks.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The most calls a block holds.
    pub calls_per_block: usize,
    /// Every `n`th call carries a failing post-condition (0: none does).
    pub failing_post_condition_every: usize,
}

impl Default for Layout {
    fn default() -> Layout {
        Layout { calls_per_block: 8, failing_post_condition_every: 13 }
    }
}

/// A chain's `/new_block` payloads, built as the VM runs the calls.
pub struct Feed {
    vm: std::cell::RefCell<ReferenceVm>,
    pool: Pool,
    layout: Layout,
    nonces: [u64; 10],
    /// The last block's height and index block hash.
    tip: (u32, [u8; 32]),
    /// Mixed into every block hash from [`Feed::branch`] on, so that two branches'
    /// blocks differ even where their transactions do not.
    branch: u8,
    calls: usize,
    blocks: Vec<Json>,
}

/// One block as it is being filled.
struct OpenBlock {
    height: u32,
    transactions: Vec<Json>,
    events: Vec<Json>,
    txids: Vec<u8>,
}

impl Feed {
    /// A chain whose first block, at height 1, deploys both contracts from the
    /// pool's owner.
    pub fn new(layout: Layout) -> Feed {
        let pool = Pool::new();
        let vm = ReferenceVm::new(pool.owner().principal()).expect("both contracts deploy on the Clarity VM");
        let mut feed = Feed { vm: vm.into(), pool, layout, nonces: [0; 10], tip: (0, [0; 32]), branch: 0, calls: 0, blocks: Vec::new() };
        feed.deploy_block();
        feed
    }

    /// From here on this feed is the branch `tag`: its blocks' hashes differ from
    /// those of a feed that went on from the same block another way.
    pub fn branch(&mut self, tag: u8) {
        self.branch = tag;
    }

    /// Runs `ops` as signed transactions in new blocks: a block closes when it holds
    /// [`Layout::calls_per_block`] calls or an op mines blocks, and the next one is
    /// at the mined height (at most `MAX_MINED_PER_OP` blocks on).
    pub fn run(&mut self, ops: &[Op]) {
        let mut block = self.open(1);
        for op in ops {
            match op.resolve(&self.pool, &self.vm) {
                Call::Mine(blocks) => {
                    self.close(block);
                    block = self.open(blocks.clamp(1, MAX_MINED_PER_OP));
                }
                Call::Contract { sender, contract, function, args } => {
                    if block.transactions.len() == self.layout.calls_per_block {
                        self.close(block);
                        block = self.open(1);
                    }
                    self.call(&mut block, sender, contract, function, args);
                }
            }
        }
        self.close(block);
    }

    /// The payloads so far, in the order the node posts them.
    pub fn blocks(&self) -> &[Json] {
        &self.blocks
    }

    /// Takes the payloads so far, leaving none: how a long feed is written out as
    /// it is made.
    pub fn take_blocks(&mut self) -> Vec<Json> {
        std::mem::take(&mut self.blocks)
    }

    /// How many contract calls the feed holds.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// Both contracts' state on the VM after the feed, in the VM's layout.
    pub fn vm_state(&self) -> Vec<(String, String)> {
        self.vm.borrow().dump_state().expect("the VM's state reads")
    }

    /// The deploy block: a burnchain operation, then both deployments from the owner.
    fn deploy_block(&mut self) {
        let mut block = OpenBlock { height: self.vm.borrow().block_height(), transactions: Vec::new(), events: Vec::new(), txids: Vec::new() };
        block.transactions.push(transaction_json(&[0x42; 32], 0, "success", &clarimed_reference::Value::okay_true(), "00", &Default::default()));
        let key = signing_key(&self.pool, OWNER);
        for contract in Contract::ALL {
            let deploy =
                Deploy { network: TESTNET, nonce: self.nonces[OWNER as usize], fee: FEE, name: contract.name(), source: contract.source(Version::LATEST) };
            let bytes = sign::sign_deploy(&key, deploy).expect("the contracts' sources are valid Stacks strings");
            self.nonces[OWNER as usize] += 1;
            let tx = Transaction::decode(&bytes).expect("a signed deployment decodes");
            let index = block.transactions.len() as u32;
            // The VM deployed both sources when it was made: a deployment's result
            // is `(ok true)`; its cost is not generated (the follower compares none).
            block.transactions.push(transaction_json(&tx.txid(), index, "success", &clarimed_reference::Value::okay_true(), &hex(&bytes), &Default::default()));
            block.txids.extend_from_slice(&tx.txid());
        }
        self.close(block);
    }

    fn open(&mut self, blocks: u32) -> OpenBlock {
        let height = self.tip.0 + blocks;
        let mut vm = self.vm.borrow_mut();
        let at = vm.block_height();
        vm.mine(height - at);
        OpenBlock { height, transactions: Vec::new(), events: Vec::new(), txids: Vec::new() }
    }

    /// Signs the call, runs it on the VM and writes its receipt and events; a call
    /// the VM refuses outright (a mempool would too) is left out.
    fn call(&mut self, block: &mut OpenBlock, sender: u8, contract: &str, function: &str, args: Vec<clarimed_reference::Value>) {
        let fails = self.layout.failing_post_condition_every > 0 && (self.calls + 1).is_multiple_of(self.layout.failing_post_condition_every);
        let post_conditions =
            if fails { vec![TransactionPostCondition::STX(PostConditionPrincipal::Origin, FungibleConditionCode::SentGe, 1)] } else { Vec::new() };
        let deployer = principal_to_native(&self.pool.owner().principal().into());
        let unsigned = Unsigned {
            network: TESTNET,
            nonce: self.nonces[sender as usize],
            fee: FEE,
            deployer: &deployer,
            contract,
            function,
            args: args.clone(),
            post_conditions,
        };
        let bytes = sign::sign(&signing_key(&self.pool, sender), unsigned).expect("a call signs");
        let tx = Transaction::decode(&bytes).expect("a signed call decodes");
        let principal = self.pool.principal(sender);
        let run = {
            let mut vm = self.vm.borrow_mut();
            if fails {
                vm.call_public_aborted(&principal, contract, function, &args)
            } else {
                vm.call_public(&principal, contract, function, &args)
            }
        };
        let Ok(CallResult { value, events, committed, cost }) = run else {
            return;
        };
        self.nonces[sender as usize] += 1;
        self.calls += 1;
        let status = match (fails, committed) {
            (true, _) => "abort_by_post_condition",
            (false, true) => "success",
            (false, false) => "abort_by_response",
        };
        let index = block.transactions.len() as u32;
        block.transactions.push(transaction_json(&tx.txid(), index, status, &value, &hex(&bytes), &cost));
        block.txids.extend_from_slice(&tx.txid());
        // The node posts no events of an aborted transaction.
        if status == "success" {
            let contract_id = format!("{}.{contract}", self.pool.owner().principal());
            for event in events {
                block.events.push(json!({
                    "txid": format!("0x{}", hex(&tx.txid())),
                    "event_index": block.events.len(),
                    "committed": true,
                    "type": "contract_event",
                    "contract_event": {
                        "contract_identifier": contract_id,
                        "topic": "print",
                        "raw_value": format!("0x{}", hex(&serialized(&event))),
                    },
                }));
            }
        }
    }

    /// The block's payload, as the node's `make_new_block_processed_payload` lays it out.
    fn close(&mut self, block: OpenBlock) {
        let (parent_height, parent) = self.tip;
        let mut hasher = Sha256::new();
        hasher.update(parent);
        hasher.update(block.height.to_be_bytes());
        hasher.update([self.branch]);
        hasher.update(&block.txids);
        let index_block_hash: [u8; 32] = hasher.finalize().into();
        let block_hash: [u8; 32] = Sha256::digest(index_block_hash).into();
        let prefixed = |bytes: &[u8]| format!("0x{}", hex(bytes));
        let time = GENESIS_TIME + u64::from(block.height) * 600;
        self.blocks.push(json!({
            "block_hash": prefixed(&block_hash),
            "block_height": block.height,
            "block_time": time,
            "burn_block_hash": prefixed(&Sha256::digest(block_hash)),
            "burn_block_height": 100 + block.height,
            "burn_block_time": time - 5,
            "miner_txid": prefixed(&Sha256::digest(index_block_hash)),
            "index_block_hash": prefixed(&index_block_hash),
            "parent_block_hash": prefixed(&Sha256::digest(parent)),
            "parent_index_block_hash": prefixed(&parent),
            "parent_microblock": prefixed(&[0; 32]),
            "parent_microblock_sequence": 0,
            "parent_burn_block_hash": prefixed(&[0; 32]),
            "parent_burn_block_height": 99 + parent_height,
            "parent_burn_block_timestamp": time - 605,
            "transactions": block.transactions,
            "events": block.events,
            "matured_miner_rewards": [],
            "anchored_cost": {"runtime": 0, "read_count": 0, "read_length": 0, "write_count": 0, "write_length": 0},
            "confirmed_microblocks_cost": {"runtime": 0, "read_count": 0, "read_length": 0, "write_count": 0, "write_length": 0},
            "pox_v1_unlock_height": 0,
            "pox_v2_unlock_height": 0,
            "pox_v3_unlock_height": 0,
            "tenure_height": block.height,
            "consensus_hash": prefixed(&[0; 20]),
        }));
        self.tip = (block.height, index_block_hash);
    }
}

fn signing_key(pool: &Pool, actor: u8) -> SigningKey {
    SigningKey::from_hex(&pool.key(actor).private_key_hex()).expect("a pool key is a valid key")
}

/// A transaction's entry, as the node's `TransactionEventPayload` serializes it.
fn transaction_json(
    txid: &[u8; 32],
    tx_index: u32,
    status: &str,
    result: &clarimed_reference::Value,
    raw_tx_hex: &str,
    cost: &clarimed_reference::ExecutionCost,
) -> Json {
    json!({
        "txid": format!("0x{}", hex(txid)),
        "tx_index": tx_index,
        "status": status,
        "raw_result": format!("0x{}", hex(&serialized(result))),
        "raw_tx": format!("0x{raw_tx_hex}"),
        "contract_interface": null,
        "burnchain_op": null,
        "execution_cost": {
            "runtime": cost.runtime,
            "read_count": cost.read_count,
            "read_length": cost.read_length,
            "write_count": cost.write_count,
            "write_length": cost.write_length,
        },
        "microblock_sequence": null,
        "microblock_hash": null,
        "microblock_parent_hash": null,
        "vm_error": null,
    })
}
