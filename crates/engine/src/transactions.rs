//! Signed transactions as a block includes them: the origin's nonce, the call, and
//! the receipt a client asks for by txid.
//!
//! Whoever decoded and authenticated the transaction hands the engine a
//! [`SignedCall`]; [`Engine::include`] runs it in the open block as a node's block
//! builder does. The nonce is spent and the receipt kept whatever the call returns
//! (`ok`, `err`, or a failed post-condition); a call the block cannot take
//! ([`EngineError::BlockFull`]) spends nothing and may wait for the next block.
//! Nonces and receipts are the engine's bookkeeping, beside the contracts' data
//! (never under `vm::`), and are committed with the block.

use clarimed_costs::ExecutionCost;
use clarimed_storage::clarity::{hex, ClarityType, DecodeError, Principal};
use clarimed_storage::{StoreRead, StoreWrite};
use clarity::vm::Value;

use crate::clarity_api::CallOutput;
use crate::codec::{put_bytes, take, take_bytes, take_u32, take_u64};
use crate::engine::{Engine, Mode};
use crate::error::EngineError;

const NONCE_PREFIX: &str = "clarimed::nonce::";
const RECEIPT_PREFIX: &str = "clarimed::tx::";

/// A contract call from a signed transaction, authenticated by whoever decoded it.
#[derive(Debug, Clone, Copy)]
pub struct SignedCall<'a> {
    /// The transaction's id.
    pub txid: [u8; 32],
    /// The transaction as it was signed (its consensus serialization), kept in the
    /// receipt.
    pub transaction: &'a [u8],
    /// The origin: the call's `tx-sender`, whose nonce it spends.
    pub sender: &'a Principal,
    /// The origin's nonce in the transaction.
    pub nonce: u64,
    /// The contract's name.
    pub contract: &'a str,
    /// The public function.
    pub function: &'a str,
    /// Its arguments.
    pub args: &'a [Value],
    /// When its block was built, in Unix seconds, as the includer tells it (the
    /// engine keeps no clock); kept in the receipt.
    pub block_time: u64,
    /// Whether the transaction's post-conditions hold for what the call moves. When
    /// they do not, the call runs, its writes are dropped and its cost is still its
    /// block's, as a node aborts it.
    pub post_conditions_hold: bool,
}

/// How an included transaction ended, by the names a node's receipts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    /// The call returned `ok`; its writes were kept.
    Success,
    /// The call returned `err`; its writes were dropped.
    AbortByResponse,
    /// A post-condition failed; its writes were dropped.
    AbortByPostCondition,
}

impl TxStatus {
    /// The node's name for it (`success`, `abort_by_response`, `abort_by_post_condition`).
    pub fn as_str(self) -> &'static str {
        match self {
            TxStatus::Success => "success",
            TxStatus::AbortByResponse => "abort_by_response",
            TxStatus::AbortByPostCondition => "abort_by_post_condition",
        }
    }

    fn code(self) -> u8 {
        match self {
            TxStatus::Success => 0,
            TxStatus::AbortByResponse => 1,
            TxStatus::AbortByPostCondition => 2,
        }
    }

    fn from_code(code: u8) -> Option<TxStatus> {
        [TxStatus::Success, TxStatus::AbortByResponse, TxStatus::AbortByPostCondition].into_iter().find(|status| status.code() == code)
    }
}

/// What an included transaction did, kept by txid.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The transaction's id.
    pub txid: [u8; 32],
    /// The transaction as it was signed.
    pub transaction: Vec<u8>,
    /// How it ended.
    pub status: TxStatus,
    /// The call's result, in Clarity's consensus serialization (for a failed
    /// post-condition, what it would have returned).
    pub result: Vec<u8>,
    /// The contract that printed the events (`{deployer}.{name}`).
    pub contract: String,
    /// Its print events, each in Clarity's consensus serialization.
    pub events: Vec<Vec<u8>>,
    /// What it cost.
    pub cost: ExecutionCost,
    /// The block it was included in.
    pub block_height: u32,
    /// When that block was built, in Unix seconds.
    pub block_time: u64,
    /// Its place in that block, from 0.
    pub tx_index: u32,
}

impl<S> Engine<S> {
    /// The next nonce `account` may spend, as committed.
    pub fn nonce(&self, account: &Principal) -> Result<u64, EngineError> {
        let key = nonce_key(account);
        decode_nonce(&key, self.core().committed().get(key.as_bytes())?.as_deref())
    }

    /// The committed receipt of the transaction `txid`, if a block included it.
    pub fn receipt(&self, txid: &[u8; 32]) -> Result<Option<Receipt>, EngineError> {
        let key = receipt_key(txid);
        match self.core().committed().get(key.as_bytes())? {
            Some(bytes) => Ok(Some(decode_receipt(&bytes).ok_or(EngineError::Corrupt { key, error: DecodeError::UnexpectedEnd })?)),
            None => Ok(None),
        }
    }

    /// Runs `call` in the open block: its nonce must be the sender's next (counting
    /// the block's earlier transactions), and then it is spent and the receipt kept
    /// whatever the call returns. Refused, changing nothing, when no block is open
    /// ([`EngineError::NoBlockOpen`]), for another nonce ([`EngineError::BadNonce`]),
    /// for bad arguments, or when the block cannot take its cost
    /// ([`EngineError::BlockFull`], [`EngineError::CostBalanceExceeded`]).
    pub fn include(&self, call: &SignedCall<'_>) -> Result<Receipt, EngineError> {
        let core = self.core();
        let _turn = core.block_turn();
        let mut writer = core.writer();
        core.ready(&mut writer)?;
        if writer.layers.is_empty() {
            return Err(EngineError::NoBlockOpen);
        }
        let key = nonce_key(call.sender);
        let stored = core.in_open_block(&mut writer, |block| block.get(key.as_bytes()).map(|bytes| bytes.map(|bytes| bytes.into_owned())))?;
        let expected = decode_nonce(&key, stored.as_deref())?;
        if call.nonce != expected {
            return Err(EngineError::BadNonce { expected, actual: call.nonce });
        }
        drop(writer);
        let (status, output) = self.execute(call.sender, call.contract, call.function, call.args, call.post_conditions_hold)?;
        let mut writer = core.writer();
        let receipt = Receipt {
            txid: call.txid,
            transaction: call.transaction.to_vec(),
            status,
            result: output.value_bytes(),
            contract: output.contract.clone(),
            events: output.event_bytes(),
            cost: output.cost,
            block_height: writer.tip.stacks_height,
            block_time: call.block_time,
            tx_index: writer.block_transactions,
        };
        core.in_open_block(&mut writer, |block| {
            block.put(key.as_bytes(), &(expected + 1).to_be_bytes())?;
            block.put(receipt_key(&call.txid).as_bytes(), &encode_receipt(&receipt))
        })?;
        writer.block_transactions += 1;
        Ok(receipt)
    }

    /// Runs a call a chain has already included, as a follower re-executes a
    /// node's block: the chain has judged the nonce and keeps the receipt, so this
    /// checks and keeps neither; only the call's writes (on `success`) are kept, in
    /// the open block, or committed at once with none open. When the
    /// post-conditions do not hold the call runs, its writes are dropped and its
    /// cost is still its block's (`abort_by_post_condition`). Refused, changing
    /// nothing, for bad arguments or a cost past a limit.
    pub fn execute(
        &self,
        sender: &Principal,
        contract: &str,
        function: &str,
        args: &[Value],
        post_conditions_hold: bool,
    ) -> Result<(TxStatus, CallOutput), EngineError> {
        let mode = if post_conditions_hold { Mode::Commit } else { Mode::Abort };
        let output = self.core().call_in(mode, sender, contract, function, args)?;
        Ok((status_of(mode, &output), output))
    }
}

fn status_of(mode: Mode, output: &CallOutput) -> TxStatus {
    if mode == Mode::Abort {
        TxStatus::AbortByPostCondition
    } else if output.committed {
        TxStatus::Success
    } else {
        TxStatus::AbortByResponse
    }
}

fn nonce_key(account: &Principal) -> String {
    format!("{NONCE_PREFIX}{}", hex(&account.to_bytes()))
}

fn receipt_key(txid: &[u8; 32]) -> String {
    format!("{RECEIPT_PREFIX}{}", hex(txid))
}

fn decode_nonce(key: &str, bytes: Option<&[u8]>) -> Result<u64, EngineError> {
    match bytes {
        None => Ok(0),
        Some(bytes) => {
            let bytes: [u8; 8] = bytes.try_into().map_err(|_| EngineError::Corrupt { key: key.to_string(), error: DecodeError::UnexpectedEnd })?;
            Ok(u64::from_be_bytes(bytes))
        }
    }
}

/// A receipt as stored: txid, status, height, index, block time, the five cost dimensions,
/// then the transaction, result, contract and each event, each after its length.
fn encode_receipt(receipt: &Receipt) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + receipt.transaction.len() + receipt.result.len());
    out.extend_from_slice(&receipt.txid);
    out.push(receipt.status.code());
    out.extend_from_slice(&receipt.block_height.to_be_bytes());
    out.extend_from_slice(&receipt.tx_index.to_be_bytes());
    out.extend_from_slice(&receipt.block_time.to_be_bytes());
    let cost = &receipt.cost;
    for dimension in [cost.write_length, cost.write_count, cost.read_length, cost.read_count, cost.runtime] {
        out.extend_from_slice(&dimension.to_be_bytes());
    }
    for part in [&receipt.transaction, &receipt.result, receipt.contract.as_bytes()] {
        put_bytes(&mut out, part);
    }
    out.extend_from_slice(&(receipt.events.len() as u32).to_be_bytes());
    for event in &receipt.events {
        put_bytes(&mut out, event);
    }
    out
}

fn decode_receipt(mut bytes: &[u8]) -> Option<Receipt> {
    let input = &mut bytes;
    let txid = take(input, 32)?.try_into().ok()?;
    let status = TxStatus::from_code(take(input, 1)?[0])?;
    let block_height = take_u32(input)?;
    let tx_index = take_u32(input)?;
    let block_time = take_u64(input)?;
    let mut dimensions = [0u64; 5];
    for dimension in &mut dimensions {
        *dimension = take_u64(input)?;
    }
    let [write_length, write_count, read_length, read_count, runtime] = dimensions;
    let transaction = take_bytes(input)?;
    let result = take_bytes(input)?;
    let contract = String::from_utf8(take_bytes(input)?).ok()?;
    let count = take_u32(input)?;
    let events = (0..count).map(|_| take_bytes(input)).collect::<Option<Vec<_>>>()?;
    input.is_empty().then_some(Receipt {
        txid,
        transaction,
        status,
        result,
        contract,
        events,
        cost: ExecutionCost { write_length, write_count, read_length, read_count, runtime },
        block_height,
        block_time,
        tx_index,
    })
}
