//! A transaction of every payload kind a Stacks 4.0 block can hold, as the bytes a
//! node posts in `raw_tx`, and `/new_block` bodies made of them: what the follower
//! must pass over (or, for its own contracts, read) without ever panicking.
//!
//! The kinds stacks-codec 2.4.1 encodes (STX transfers, contract calls, deployments
//! as Clarity 1 or 2 or the epoch's default) are built with it; the ones it cannot
//! (poisoned-microblock proofs, the three coinbases, tenure changes, Clarity 3 to 6
//! deployments) and what it does not know of the header (the `Originator`
//! post-condition mode, staking and PoX post-conditions, a non-fungible `MaybeSent`)
//! are written byte by byte from stacks-core 4.0.2's layout
//! (`stacks-codec/src/transaction.rs`). Nothing is signed: a follower takes the
//! node's word that a block's transactions are valid.

use clarimed_engine::clarity::Value;
use clarimed_engine::table::Contract;
use clarimed_engine::{hex, Principal};
use clarimed_transactions::wire::{
    SinglesigHashMode, SinglesigSpendingCondition, StacksMessageCodec, StacksString, StacksTransaction, TokenTransferMemo, TransactionAnchorMode,
    TransactionAuth, TransactionContractCall, TransactionPayload, TransactionPostConditionMode, TransactionPublicKeyEncoding, TransactionSmartContract,
    TransactionSpendingCondition, TransactionVersion,
};
use clarity::types::chainstate::StacksAddress;
use clarity::util::hash::Hash160;
use clarity::util::secp256k1::MessageSignature;
use clarity::vm::types::{PrincipalData, StandardPrincipalData};
use clarity::vm::{ClarityName, ClarityVersion, ContractName};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha512_256};

use crate::serialized;

/// A payload kind, with the header variations stacks-codec 2.4.1 cannot write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An STX transfer (stacks-codec).
    TokenTransfer,
    /// A call of a public function (stacks-codec); the contract is the origin's.
    ContractCall,
    /// A deployment in the epoch's default Clarity version (stacks-codec).
    SmartContract,
    /// A deployment as Clarity 1 or 2 (stacks-codec).
    VersionedSmartContract,
    /// A deployment as Clarity 3 to 6.
    LaterClaritySmartContract,
    /// A proof of a poisoned microblock stream.
    PoisonMicroblock,
    /// A coinbase before Nakamoto.
    Coinbase,
    /// A coinbase paid to another principal.
    CoinbaseToAltRecipient,
    /// A Nakamoto coinbase, with its VRF proof.
    NakamotoCoinbase,
    /// A Nakamoto tenure change (block found or extended).
    TenureChange,
    /// An STX transfer in the `Originator` post-condition mode, with the 4.0 staking
    /// and PoX post-conditions and a non-fungible `MaybeSent` one.
    TokenTransferWith40PostConditions,
    /// A call like [`Kind::ContractCall`] with the 4.0 post-conditions.
    ContractCallWith40PostConditions,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 12] = [
        Kind::TokenTransfer,
        Kind::ContractCall,
        Kind::SmartContract,
        Kind::VersionedSmartContract,
        Kind::LaterClaritySmartContract,
        Kind::PoisonMicroblock,
        Kind::Coinbase,
        Kind::CoinbaseToAltRecipient,
        Kind::NakamotoCoinbase,
        Kind::TenureChange,
        Kind::TokenTransferWith40PostConditions,
        Kind::ContractCallWith40PostConditions,
    ];
}

/// The transaction of `kind` from the standard principal `origin`, its contents
/// (amounts, hashes, names, arguments) drawn from `seed`.
pub fn transaction(kind: Kind, origin: &Principal, seed: &[u8]) -> Vec<u8> {
    let mut seed = Seed { bytes: seed, at: 0 };
    match kind {
        Kind::TokenTransfer => {
            let to = PrincipalData::Standard(StandardPrincipalData(origin.version, seed.array()));
            let payload = TransactionPayload::TokenTransfer(to, seed.u64(), TokenTransferMemo(seed.array()));
            encoded(origin, &mut seed, payload)
        }
        Kind::ContractCall => {
            let call = contract_call(origin, &mut seed);
            encoded(origin, &mut seed, TransactionPayload::ContractCall(call))
        }
        Kind::SmartContract | Kind::VersionedSmartContract => {
            let version =
                (kind == Kind::VersionedSmartContract).then(|| if seed.u8().is_multiple_of(2) { ClarityVersion::Clarity1 } else { ClarityVersion::Clarity2 });
            let contract = TransactionSmartContract {
                name: ContractName::try_from(contract_name(&mut seed).to_string()).expect("a contract name"),
                code_body: StacksString::from_string(&source(&mut seed)).expect("printable source"),
            };
            encoded(origin, &mut seed, TransactionPayload::SmartContract(contract, version))
        }
        Kind::LaterClaritySmartContract => {
            let mut payload = vec![0x06, 3 + seed.u8() % 4];
            name(&mut payload, contract_name(&mut seed));
            let source = source(&mut seed);
            payload.extend_from_slice(&(source.len() as u32).to_be_bytes());
            payload.extend_from_slice(source.as_bytes());
            raw(origin, &mut seed, 0x02, &[], &payload)
        }
        Kind::PoisonMicroblock => {
            let mut payload = vec![0x03];
            let sequence = seed.array::<2>();
            for header in 0..2u8 {
                payload.push(0); // version
                payload.extend_from_slice(&sequence);
                payload.extend_from_slice(&seed.array::<32>()); // parent block
                payload.extend_from_slice(&[header; 32]); // transactions' Merkle root: the two differ
                payload.extend_from_slice(&seed.array::<65>()); // signature
            }
            raw(origin, &mut seed, 0x01, &[], &payload)
        }
        Kind::Coinbase | Kind::CoinbaseToAltRecipient | Kind::NakamotoCoinbase => {
            let mut payload = vec![match kind {
                Kind::Coinbase => 0x04,
                Kind::CoinbaseToAltRecipient => 0x05,
                _ => 0x08,
            }];
            payload.extend_from_slice(&seed.array::<32>());
            let recipient = Value::Principal(PrincipalData::Standard(StandardPrincipalData(origin.version, seed.array())));
            match kind {
                Kind::CoinbaseToAltRecipient => payload.extend(serialized(&recipient)),
                Kind::NakamotoCoinbase => {
                    let recipient = if seed.u8().is_multiple_of(2) { Value::none() } else { Value::some(recipient).expect("an optional principal") };
                    payload.extend(serialized(&recipient));
                    payload.extend_from_slice(&seed.array::<80>()); // VRF proof
                }
                _ => {}
            }
            raw(origin, &mut seed, 0x01, &[], &payload)
        }
        Kind::TenureChange => {
            let mut payload = vec![0x07];
            payload.extend_from_slice(&seed.array::<92>()); // three consensus hashes, the previous tenure's end
            payload.extend_from_slice(&seed.array::<4>()); // its block count
            payload.push(seed.u8() % 2); // block found, or extended
            payload.extend_from_slice(&seed.array::<20>()); // the miner's key hash
            raw(origin, &mut seed, 0x01, &[], &payload)
        }
        Kind::TokenTransferWith40PostConditions | Kind::ContractCallWith40PostConditions => {
            let mut payload = Vec::new();
            if kind == Kind::TokenTransferWith40PostConditions {
                payload.push(0x00);
                payload.extend(serialized(&Value::Principal(PrincipalData::Standard(StandardPrincipalData(origin.version, seed.array())))));
                payload.extend_from_slice(&seed.u64().to_be_bytes());
                payload.extend_from_slice(&seed.array::<34>());
            } else {
                payload.push(0x02);
                contract_call(origin, &mut seed).consensus_serialize(&mut payload).expect("writing to memory");
            }
            let conditions = post_conditions_of_4_0(origin, &mut seed);
            raw(origin, &mut seed, 0x03, &conditions, &payload)
        }
    }
}

/// A call of `contract`'s `function` at `deployer` with `args`, from the standard
/// principal `origin` spending `nonce`: the bytes a node posts (unsigned).
pub fn call(origin: &Principal, nonce: u64, deployer: &Principal, contract: &str, function: &str, args: Vec<Value>) -> Vec<u8> {
    let call = TransactionContractCall {
        address: StacksAddress::new(deployer.version, Hash160(deployer.hash160)),
        contract_name: ContractName::try_from(contract.to_string()).expect("a contract name"),
        function_name: ClarityName::try_from(function.to_string()).expect("a function name"),
        function_args: args,
    };
    let mut payload = vec![0x02];
    call.consensus_serialize(&mut payload).expect("writing to memory");
    with_nonce(origin, nonce, &payload)
}

/// A deployment of `source` as `name` in Clarity `version`, from `origin` spending
/// `nonce` (a versioned smart contract, as a deployment must be from epoch 3.0 to
/// stay Clarity 2).
pub fn deploy(origin: &Principal, nonce: u64, name: &str, source: &str, version: u8) -> Vec<u8> {
    let mut payload = vec![0x06, version];
    self::name(&mut payload, name);
    payload.extend_from_slice(&(source.len() as u32).to_be_bytes());
    payload.extend_from_slice(source.as_bytes());
    with_nonce(origin, nonce, &payload)
}

fn with_nonce(origin: &Principal, nonce: u64, payload: &[u8]) -> Vec<u8> {
    let mut bytes = raw(origin, &mut Seed { bytes: &[], at: 0 }, 0x02, &[], payload);
    // The nonce follows the version, chain id, authorization flag, hash mode and signer.
    bytes[27..35].copy_from_slice(&nonce.to_be_bytes());
    bytes
}

/// A `/new_block` body at `height` on `parent`, holding `transactions` (each as the
/// node reports a transaction that succeeded), with no events.
pub fn block(height: u64, parent: [u8; 32], transactions: &[Vec<u8>]) -> Json {
    let mut hash = Sha512_256::new();
    hash.update(parent);
    hash.update(height.to_be_bytes());
    let transactions: Vec<Json> = transactions
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            hash.update(raw);
            json!({
                "txid": format!("0x{}", hex(&Sha512_256::digest(raw))),
                "tx_index": index,
                "status": "success",
                "raw_result": "0x0703",
                "raw_tx": format!("0x{}", hex(raw)),
                "execution_cost": { "runtime": 0, "read_count": 0, "read_length": 0, "write_count": 0, "write_length": 0 },
            })
        })
        .collect();
    json!({
        "block_height": height,
        "index_block_hash": format!("0x{}", hex(&hash.finalize())),
        "parent_index_block_hash": format!("0x{}", hex(&parent)),
        "transactions": transactions,
        "events": [],
    })
}

/// Bytes drawn in turn from a seed, from its start again when it runs out (zeros
/// from an empty one).
struct Seed<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Seed<'_> {
    fn u8(&mut self) -> u8 {
        let byte = if self.bytes.is_empty() { 0 } else { self.bytes[self.at % self.bytes.len()] };
        self.at += 1;
        byte
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.u8())
    }

    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.array())
    }
}

/// One of the two contracts' names, or another's.
fn contract_name(seed: &mut Seed<'_>) -> &'static str {
    match seed.u8() % 3 {
        0 => Contract::PatientConsent.name(),
        1 => Contract::RecordManagement.name(),
        _ => "another-contract",
    }
}

fn source(seed: &mut Seed<'_>) -> String {
    format!("(define-data-var n uint u{})", seed.u64())
}

/// A call of a contract at the origin's address (the first byte drawn picks one of
/// the two contracts or another): one of the contracts' functions or another name,
/// with zero to two arguments.
fn contract_call(origin: &Principal, seed: &mut Seed<'_>) -> TransactionContractCall {
    let contract = contract_name(seed);
    let function = ["register-patient", "get-record", "check-access", "no-such-function"][usize::from(seed.u8() % 4)];
    let args = (0..seed.u8() % 3).map(|_| Value::UInt(u128::from(seed.u64()))).collect();
    TransactionContractCall {
        address: StacksAddress::new(origin.version, Hash160(origin.hash160)),
        contract_name: ContractName::try_from(contract.to_string()).expect("a contract name"),
        function_name: ClarityName::try_from(function.to_string()).expect("a function name"),
        function_args: args,
    }
}

/// Every post-condition kind of stacks-core 4.0.2, serialized with their count: STX
/// sent at most some amount (by the origin), a non-fungible token maybe sent (by a
/// standard principal), STX staked at most some amount, and a PoX operation not
/// performed (by a contract).
fn post_conditions_of_4_0(origin: &Principal, seed: &mut Seed<'_>) -> Vec<u8> {
    let mut out = 4u32.to_be_bytes().to_vec();
    out.extend_from_slice(&[0x00, 0x01, 0x05]);
    out.extend_from_slice(&seed.u64().to_be_bytes());
    out.extend_from_slice(&[0x02, 0x02, origin.version]);
    out.extend_from_slice(&origin.hash160);
    out.push(origin.version);
    out.extend_from_slice(&origin.hash160);
    name(&mut out, "a-token");
    name(&mut out, "an-asset");
    out.extend(serialized(&Value::UInt(u128::from(seed.u64()))));
    out.push(0x12);
    out.extend_from_slice(&[0x03, 0x01, 0x05]);
    out.extend_from_slice(&seed.u64().to_be_bytes());
    out.extend_from_slice(&[0x04, 0x03, origin.version]);
    out.extend_from_slice(&origin.hash160);
    name(&mut out, "pox-5");
    out.push(0x30);
    out
}

fn name(out: &mut Vec<u8>, name: &str) {
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
}

/// The origin's single-sig spending condition, unsigned.
fn spending_condition(origin: &Principal, seed: &mut Seed<'_>) -> SinglesigSpendingCondition {
    SinglesigSpendingCondition {
        hash_mode: SinglesigHashMode::P2PKH,
        signer: Hash160(origin.hash160),
        nonce: seed.u64(),
        tx_fee: seed.u64(),
        key_encoding: TransactionPublicKeyEncoding::Compressed,
        signature: MessageSignature::empty(),
    }
}

/// `payload` in a testnet transaction from `origin`, written by stacks-codec.
fn encoded(origin: &Principal, seed: &mut Seed<'_>, payload: TransactionPayload) -> Vec<u8> {
    let auth = TransactionAuth::Standard(TransactionSpendingCondition::Singlesig(spending_condition(origin, seed)));
    let mut tx = StacksTransaction::new(TransactionVersion::Testnet, auth, payload);
    tx.chain_id = 0x8000_0000;
    tx.anchor_mode = TransactionAnchorMode::Any;
    tx.post_condition_mode = TransactionPostConditionMode::Deny;
    let mut bytes = Vec::new();
    tx.consensus_serialize(&mut bytes).expect("stacks-codec writes the kinds it knows");
    bytes
}

/// `payload` (from its type byte on) in a testnet transaction from `origin`, on
/// chain only (as a coinbase must be), with the post-condition `mode` and the
/// serialized `conditions` (none when empty), written byte by byte.
fn raw(origin: &Principal, seed: &mut Seed<'_>, mode: u8, conditions: &[u8], payload: &[u8]) -> Vec<u8> {
    let condition = spending_condition(origin, seed);
    let mut out = vec![0x80];
    out.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    out.push(0x04); // standard authorization
    out.push(condition.hash_mode as u8);
    out.extend_from_slice(&condition.signer.0);
    out.extend_from_slice(&condition.nonce.to_be_bytes());
    out.extend_from_slice(&condition.tx_fee.to_be_bytes());
    out.push(condition.key_encoding as u8);
    out.extend_from_slice(condition.signature.as_bytes());
    out.push(0x01); // on chain only
    out.push(mode);
    if conditions.is_empty() {
        out.extend_from_slice(&0u32.to_be_bytes());
    } else {
        out.extend_from_slice(conditions);
    }
    out.extend_from_slice(payload);
    out
}
