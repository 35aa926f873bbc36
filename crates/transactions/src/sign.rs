//! Building and signing a contract call, as a wallet does: what tests and the load
//! run send, signed by the decoder's own signer.

use clarimed_engine::clarity::Value;
use clarimed_engine::keys::SigningKey;
use clarimed_engine::{principal_to_clarity, Principal};
use clarity::types::chainstate::StacksAddress;
use clarity::util::secp256k1::Secp256k1PrivateKey;
use clarity::vm::{ClarityName, ContractName};
use std::str::FromStr;

use stacks_codec::codec::{
    StacksMessageCodec, StacksString, StacksTransaction, StacksTransactionSigner, TransactionAnchorMode, TransactionAuth, TransactionContractCall,
    TransactionPayload, TransactionPostCondition, TransactionPostConditionMode, TransactionSmartContract, TransactionVersion,
};

use crate::Network;

/// A contract call to sign.
#[derive(Debug, Clone)]
pub struct Unsigned<'a> {
    /// The network it is for.
    pub network: Network,
    /// The origin's nonce.
    pub nonce: u64,
    /// The fee, in micro-STX.
    pub fee: u64,
    /// Who deployed the contract.
    pub deployer: &'a Principal,
    /// The contract's name.
    pub contract: &'a str,
    /// The public function.
    pub function: &'a str,
    /// Its arguments.
    pub args: Vec<Value>,
    /// Post-conditions, checked in deny mode.
    pub post_conditions: Vec<TransactionPostCondition>,
}

/// Signs `call` with `key` (single-sig, compressed key); the serialized transaction.
pub fn sign(key: &SigningKey, call: Unsigned<'_>) -> Result<Vec<u8>, String> {
    let private = private_key(key)?;
    let auth = TransactionAuth::from_p2pkh(&private).ok_or("the key does not make a spending condition")?;
    signed(auth, &[private], call)
}

/// Signs `call` with every one of `keys` as a multi-sig origin that needs them all
/// (pay-to-script-hash, compressed keys); the serialized transaction.
pub fn sign_multisig(keys: &[SigningKey], call: Unsigned<'_>) -> Result<Vec<u8>, String> {
    let privates = keys.iter().map(private_key).collect::<Result<Vec<_>, _>>()?;
    let required = u16::try_from(privates.len()).map_err(|_| "too many keys")?;
    let auth = TransactionAuth::from_p2sh(&privates, required).ok_or("the keys do not make a spending condition")?;
    signed(auth, &privates, call)
}

fn private_key(key: &SigningKey) -> Result<Secp256k1PrivateKey, String> {
    Secp256k1PrivateKey::from_hex(&key.to_hex()).map_err(|e| e.to_string())
}

/// A contract to deploy, as a wallet or Clarinet's deployment plan sends it.
#[derive(Debug, Clone)]
pub struct Deploy<'a> {
    /// The network it is for.
    pub network: Network,
    /// The deployer's nonce.
    pub nonce: u64,
    /// The fee, in micro-STX.
    pub fee: u64,
    /// The contract's name.
    pub name: &'a str,
    /// Its Clarity source.
    pub source: &'a str,
}

/// Signs the deployment with `key` (single-sig, compressed key), asking for no
/// Clarity version (the epoch's); the serialized transaction.
pub fn sign_deploy(key: &SigningKey, deploy: Deploy<'_>) -> Result<Vec<u8>, String> {
    let private = private_key(key)?;
    let auth = TransactionAuth::from_p2pkh(&private).ok_or("the key does not make a spending condition")?;
    let payload = TransactionPayload::SmartContract(
        TransactionSmartContract {
            name: ContractName::try_from(deploy.name.to_string()).map_err(|e| e.to_string())?,
            code_body: StacksString::from_str(deploy.source)?,
        },
        None,
    );
    let header = Header { network: deploy.network, nonce: deploy.nonce, fee: deploy.fee, post_conditions: Vec::new() };
    signed_payload(auth, &[private], header, payload)
}

/// `call` as a transaction with `auth`, signed by `signers` in order.
fn signed(auth: TransactionAuth, signers: &[Secp256k1PrivateKey], call: Unsigned<'_>) -> Result<Vec<u8>, String> {
    let address = match principal_to_clarity(call.deployer).map_err(|e| e.to_string())? {
        clarity::vm::types::PrincipalData::Standard(standard) => StacksAddress::from(standard),
        clarity::vm::types::PrincipalData::Contract(_) => return Err("a contract principal deploys no contract".to_string()),
    };
    let payload = TransactionPayload::ContractCall(TransactionContractCall {
        address,
        contract_name: ContractName::try_from(call.contract.to_string()).map_err(|e| e.to_string())?,
        function_name: ClarityName::try_from(call.function.to_string()).map_err(|e| e.to_string())?,
        function_args: call.args,
    });
    let header = Header { network: call.network, nonce: call.nonce, fee: call.fee, post_conditions: call.post_conditions };
    signed_payload(auth, signers, header, payload)
}

/// What every transaction carries beside its payload.
struct Header {
    network: Network,
    nonce: u64,
    fee: u64,
    post_conditions: Vec<TransactionPostCondition>,
}

/// `payload` as a transaction with `auth` and `header`, signed by `signers` in order.
fn signed_payload(auth: TransactionAuth, signers: &[Secp256k1PrivateKey], header: Header, payload: TransactionPayload) -> Result<Vec<u8>, String> {
    let version = if header.network.mainnet { TransactionVersion::Mainnet } else { TransactionVersion::Testnet };
    let mut tx = StacksTransaction::new(version, auth, payload);
    tx.chain_id = header.network.chain_id;
    tx.anchor_mode = TransactionAnchorMode::Any;
    tx.post_condition_mode = TransactionPostConditionMode::Deny;
    tx.post_conditions = header.post_conditions;
    tx.set_tx_fee(header.fee);
    tx.set_origin_nonce(header.nonce);
    let mut signer = StacksTransactionSigner::new(&tx);
    for private in signers {
        signer.sign_origin(private).map_err(|e| e.to_string())?;
    }
    let signed = signer.get_tx().ok_or("the signer gave no transaction")?;
    let mut bytes = Vec::new();
    signed.consensus_serialize(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}
