//! Signed Stacks transactions to both clarimed contracts, taken as a node's mempool
//! takes them.
//!
//! The wire format is decoded by `stacks-codec` (Hiro's decoder, the one Clarinet
//! uses): [`Transaction::decode`] gives the transaction, its txid (the SHA-512/256 of
//! its bytes as given, as the node computes it) and its length. What a follower reads
//! of every transaction in a block, including the kinds stacks-codec 2.4.1 does not
//! know, is the [`envelope`]'s.
//! Then, in the node's order (`StacksChainState::will_admit_mempool_tx`):
//!
//! 1. [`Transaction::authenticate`]: the version (mainnet or testnet), every
//!    signature of the spending conditions (single-sig or multi-sig, each low-S, as
//!    the node's mempool has required since stacks-core PR #7163), the chain id, and
//!    the fee's floor of one micro-STX per byte;
//! 2. the nonce, which only the caller's account state can judge ([`Rejection::BadNonce`]);
//! 3. [`Transaction::contract_call`]: the payload must call a public function of one
//!    of the two contracts with arguments of its parameters' types.
//!
//! A refusal is a [`Rejection`], named and shaped as the node's `MemPoolRejection`.
//! What the call does then is the engine's: see [`Call`] and
//! [`Transaction::post_conditions_hold`].

#![deny(missing_docs)]

mod call;
mod deployment;
pub mod envelope;
mod rejection;
pub mod sign;

use clarimed_engine::{principal_to_native, Principal};
use stacks_codec::codec::StacksMessageCodec;
use stacks_codec::codec::{StacksTransaction, TransactionAuth, TransactionAuthField, TransactionPostCondition, TransactionSpendingCondition, Txid};

pub use call::Call;
pub use deployment::Deployment;
pub use rejection::{NonceMismatch, Rejection};
pub use stacks_codec::codec as wire;

/// The chain a node serves: its chain id, and whether it is mainnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// The chain id every transaction must carry.
    pub chain_id: u32,
    /// Mainnet (`true`) or testnet.
    pub mainnet: bool,
}

/// The Stacks testnet (and devnet): chain id `0x80000000`.
pub const TESTNET: Network = Network { chain_id: 0x8000_0000, mainnet: false };

/// The fewest micro-STX a transaction may pay per byte of its serialization
/// (the node's `MINIMUM_TX_FEE_RATE_PER_BYTE`).
pub const MINIMUM_FEE_RATE_PER_BYTE: u64 = 1;

/// A decoded transaction with its txid and serialization.
#[derive(Debug, Clone)]
pub struct Transaction {
    tx: StacksTransaction,
    txid: [u8; 32],
    bytes: Vec<u8>,
}

impl Transaction {
    /// Decodes a serialized transaction; its txid is the hash of the bytes it was
    /// read from, so bytes after the transaction change nothing. Nothing is
    /// serialized again: stacks-codec cannot serialize every payload it reads.
    pub fn decode(bytes: &[u8]) -> Result<Transaction, Rejection> {
        let mut rest = bytes;
        let tx = StacksTransaction::consensus_deserialize(&mut rest).map_err(|error| Rejection::Deserialization(error.to_string()))?;
        let read = &bytes[..bytes.len() - rest.len()];
        Ok(Transaction { tx, txid: Txid::from_stacks_tx(read).0, bytes: read.to_vec() })
    }

    /// The txid: what a node answers `POST /v2/transactions` with.
    pub fn txid(&self) -> [u8; 32] {
        self.txid
    }

    /// The txid as the node writes it: 64 lowercase hex digits.
    pub fn txid_hex(&self) -> String {
        clarimed_engine::hex(&self.txid)
    }

    /// The transaction's consensus serialization.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded transaction, for what this crate does not interpret (its post
    /// conditions, say, to show them).
    pub fn wire(&self) -> &StacksTransaction {
        &self.tx
    }

    /// The origin: the account that signed first, the call's `tx-sender`, whose
    /// nonce the transaction spends.
    pub fn origin(&self) -> Principal {
        principal_to_native(&self.tx.origin_address().into())
    }

    /// The origin's nonce.
    pub fn nonce(&self) -> u64 {
        self.tx.get_origin_nonce()
    }

    /// The fee offered, in micro-STX.
    pub fn fee(&self) -> u64 {
        self.tx.get_tx_fee()
    }

    /// Whether a sponsor pays the fee.
    pub fn is_sponsored(&self) -> bool {
        self.tx.auth.is_sponsored()
    }

    /// Checks what a node checks of a transaction before its account and payload:
    /// the network's version, every signature, the chain id and the fee's floor.
    pub fn authenticate(&self, network: &Network) -> Result<(), Rejection> {
        if self.tx.is_mainnet() != network.mainnet {
            return Err(Rejection::BadTransactionVersion);
        }
        for signature in signatures(&self.tx.auth) {
            low_s(signature)?;
        }
        self.tx.verify().map_err(|error| Rejection::SignatureValidation(error.to_string()))?;
        if self.tx.chain_id != network.chain_id {
            return Err(Rejection::SignatureValidation(format!(
                "Invalid tx {}: invalid chain ID {} (expected {})",
                self.txid_hex(),
                self.tx.chain_id,
                network.chain_id
            )));
        }
        let len = self.bytes.len() as u64;
        if self.fee() < 1 || self.fee() / len < MINIMUM_FEE_RATE_PER_BYTE {
            let expected = std::cmp::max(1, len * MINIMUM_FEE_RATE_PER_BYTE);
            return Err(Rejection::FeeTooLow { actual: self.fee(), expected });
        }
        Ok(())
    }

    /// Whether the post-conditions hold for a call that moved no asset, as every call
    /// of these contracts is: they define no token and transfer no STX. A condition
    /// that something was sent fails, one that nothing (or at most some amount) was
    /// sent holds, and deny mode has nothing unlisted to deny. Checked with the
    /// decoder's own condition codes.
    pub fn post_conditions_hold(&self) -> bool {
        self.tx.post_conditions.iter().all(|condition| match condition {
            TransactionPostCondition::STX(_, code, amount) => code.check(u128::from(*amount), 0),
            TransactionPostCondition::Fungible(_, _, code, amount) => code.check(u128::from(*amount), 0),
            TransactionPostCondition::Nonfungible(_, _, asset, code) => code.check(asset, &[]),
        })
    }
}

/// Every signature the transaction's spending conditions carry.
fn signatures(auth: &TransactionAuth) -> Vec<&clarity::util::secp256k1::MessageSignature> {
    let conditions: Vec<&TransactionSpendingCondition> = match auth {
        TransactionAuth::Standard(origin) => vec![origin],
        TransactionAuth::Sponsored(origin, sponsor) => vec![origin, sponsor],
    };
    let mut found = Vec::new();
    for condition in conditions {
        match condition {
            TransactionSpendingCondition::Singlesig(single) => found.push(&single.signature),
            TransactionSpendingCondition::Multisig(multi) => found.extend(multi.fields.iter().filter_map(|field| match field {
                TransactionAuthField::Signature(_, signature) => Some(signature),
                TransactionAuthField::PublicKey(_) => None,
            })),
        }
    }
    found
}

/// A signature whose S is in the curve order's upper half has a twin (same signer,
/// other txid); the node's mempool refuses it with this message.
fn low_s(signature: &clarity::util::secp256k1::MessageSignature) -> Result<(), Rejection> {
    // One that does not even parse is left to the verification, which says so.
    let Some(recoverable) = signature.to_secp256k1_recoverable() else {
        return Ok(());
    };
    let standard = recoverable.to_standard();
    let mut normalized = standard;
    normalized.normalize_s();
    if normalized != standard {
        return Err(Rejection::SignatureValidation("Invalid signature: high-S".to_string()));
    }
    Ok(())
}
