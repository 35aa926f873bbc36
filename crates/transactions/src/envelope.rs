//! What a transaction is about, read from its bytes only as far as that needs: its
//! network, its origin, whether its post-conditions hold for a call that moves no
//! asset, and its payload's kind with the contract it deploys or calls.
//!
//! A follower reads every transaction of a block this way and passes over those that
//! neither deploy nor call its contracts without reading their payloads, whatever they
//! are. The layout is stacks-core 4.0.2's (`stacks-codec/src/transaction.rs`), which
//! stacks-codec 2.4.1 predates: order-independent multisig, the `Originator`
//! post-condition mode, the 4.0 staking and PoX post-conditions, Nakamoto coinbases,
//! tenure changes and Clarity 3 to 6 deployments are all read here. A call's
//! arguments are read only when asked for ([`ContractCall::args`]).

use clarimed_engine::clarity::Value;
use clarimed_engine::Principal;
use clarity::address::{
    C32_ADDRESS_VERSION_MAINNET_MULTISIG, C32_ADDRESS_VERSION_MAINNET_SINGLESIG, C32_ADDRESS_VERSION_TESTNET_MULTISIG, C32_ADDRESS_VERSION_TESTNET_SINGLESIG,
};

/// Why a transaction's bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {at}: {reason}")]
pub struct EnvelopeError {
    /// Where the reading stopped, from the transaction's first byte.
    pub at: usize,
    /// What was wrong there.
    pub reason: String,
}

/// A payload's kind, as stacks-core's `TransactionPayloadID` numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// `0x00`: an STX transfer.
    TokenTransfer,
    /// `0x01`: a contract deployed in the epoch's default Clarity version.
    SmartContract,
    /// `0x02`: a call of a public function.
    ContractCall,
    /// `0x03`: proof of a poisoned microblock stream.
    PoisonMicroblock,
    /// `0x04`: a miner's coinbase.
    Coinbase,
    /// `0x05`: a coinbase paid to another principal.
    CoinbaseToAltRecipient,
    /// `0x06`: a contract deployed in a named Clarity version.
    VersionedSmartContract,
    /// `0x07`: a Nakamoto tenure change.
    TenureChange,
    /// `0x08`: a Nakamoto coinbase.
    NakamotoCoinbase,
}

impl PayloadKind {
    fn from_byte(byte: u8) -> Option<PayloadKind> {
        Some(match byte {
            0x00 => PayloadKind::TokenTransfer,
            0x01 => PayloadKind::SmartContract,
            0x02 => PayloadKind::ContractCall,
            0x03 => PayloadKind::PoisonMicroblock,
            0x04 => PayloadKind::Coinbase,
            0x05 => PayloadKind::CoinbaseToAltRecipient,
            0x06 => PayloadKind::VersionedSmartContract,
            0x07 => PayloadKind::TenureChange,
            0x08 => PayloadKind::NakamotoCoinbase,
            _ => return None,
        })
    }
}

/// A transaction's envelope: what it is about, its payload read no further than
/// its kind, or the contract it deploys or calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// Whether the version byte is mainnet's.
    pub mainnet: bool,
    /// The chain id.
    pub chain_id: u32,
    /// The origin: the first spending condition's address, the call's `tx-sender`.
    pub origin: Principal,
    /// Whether the post-conditions hold for a transaction that moves no asset, as no
    /// call of these contracts does: see [`crate::Transaction::post_conditions_hold`].
    pub post_conditions_hold: bool,
    /// The payload.
    pub payload: Payload<'a>,
}

/// A payload, as far as a follower reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload<'a> {
    /// A contract deployed by the origin.
    Deploy(crate::Deployment),
    /// A public function called.
    Call(ContractCall<'a>),
    /// Anything else, unread past its kind.
    Other(PayloadKind),
}

/// A contract call, its arguments left unread.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractCall<'a> {
    /// The contract's address.
    pub address: Principal,
    /// The contract's name.
    pub contract: &'a str,
    /// The function's name.
    pub function: &'a str,
    /// The serialized arguments, from their count on, to the end of the bytes given.
    args: &'a [u8],
    /// Where `args` starts in the transaction, for errors.
    args_at: usize,
}

impl<'a> Envelope<'a> {
    /// Reads `bytes` as far as the envelope needs.
    pub fn read(bytes: &'a [u8]) -> Result<Envelope<'a>, EnvelopeError> {
        let mut reader = Reader { bytes, at: 0 };
        let version = reader.u8()?;
        let mainnet = version & 0x80 == 0;
        let chain_id = reader.u32()?;
        let origin = reader.auth(mainnet)?;
        let _anchor_mode = reader.u8()?;
        let mode = reader.u8()?;
        if !(0x01..=0x03).contains(&mode) {
            return Err(reader.error(format!("post-condition mode {mode} is none of allow, deny, originator")));
        }
        let post_conditions_hold = reader.post_conditions()?;
        let payload = reader.payload()?;
        Ok(Envelope { mainnet, chain_id, origin, post_conditions_hold, payload })
    }
}

impl ContractCall<'_> {
    /// The call's arguments, in order; the bytes must end with the last.
    pub fn args(&self) -> Result<Vec<Value>, EnvelopeError> {
        let mut reader = Reader { bytes: self.args, at: 0 };
        let error = |at: usize, reason: String| EnvelopeError { at: self.args_at + at, reason };
        let count = reader.u32().map_err(|e| error(e.at, e.reason))?;
        let mut args = Vec::new();
        for index in 0..count {
            let mut rest = &self.args[reader.at..];
            let before = rest.len();
            let value = Value::deserialize_read(&mut rest, None, false).map_err(|e| error(reader.at, format!("argument {index}: {e}")))?;
            reader.at += before - rest.len();
            args.push(value);
        }
        if reader.at != self.args.len() {
            return Err(error(reader.at, format!("{} bytes after the last argument", self.args.len() - reader.at)));
        }
        Ok(args)
    }
}

/// The largest Clarity source a deployment carries (stacks-core's `MAX_TRANSACTION_LEN`).
const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, reason: String) -> EnvelopeError {
        EnvelopeError { at: self.at, reason }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], EnvelopeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.error(format!("{n} more bytes expected, the transaction ends")))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, EnvelopeError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, EnvelopeError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, EnvelopeError> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn hash160(&mut self) -> Result<[u8; 20], EnvelopeError> {
        Ok(self.take(20)?.try_into().expect("20 bytes"))
    }

    /// A name with a one-byte length (a contract, function or asset name).
    fn name(&mut self) -> Result<&'a str, EnvelopeError> {
        let len = usize::from(self.u8()?);
        let at = self.at;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).ok().filter(|name| name.is_ascii()).ok_or(EnvelopeError { at, reason: "a name that is not ASCII".into() })
    }

    /// The authorization; returns the origin's address.
    fn auth(&mut self, mainnet: bool) -> Result<Principal, EnvelopeError> {
        let flag = self.u8()?;
        let origin = match flag {
            0x04 => self.spending_condition(mainnet)?,
            0x05 => {
                let origin = self.spending_condition(mainnet)?;
                self.spending_condition(mainnet)?;
                origin
            }
            _ => return Err(self.error(format!("authorization flag {flag} is neither standard nor sponsored"))),
        };
        Ok(origin)
    }

    fn spending_condition(&mut self, mainnet: bool) -> Result<Principal, EnvelopeError> {
        let hash_mode = self.u8()?;
        let signer = self.hash160()?;
        let _nonce = self.u64()?;
        let _fee = self.u64()?;
        let multisig_version = if mainnet { C32_ADDRESS_VERSION_MAINNET_MULTISIG } else { C32_ADDRESS_VERSION_TESTNET_MULTISIG };
        let version = match hash_mode {
            // P2PKH; P2WPKH takes the multisig version, as stacks-core's `address_mainnet`.
            0x00 | 0x02 => {
                let _key_encoding = self.u8()?;
                self.take(65)?;
                if hash_mode == 0x00 {
                    if mainnet {
                        C32_ADDRESS_VERSION_MAINNET_SINGLESIG
                    } else {
                        C32_ADDRESS_VERSION_TESTNET_SINGLESIG
                    }
                } else {
                    multisig_version
                }
            }
            // P2SH and P2WSH, sequential or order-independent.
            0x01 | 0x03 | 0x05 | 0x07 => {
                let fields = self.u32()?;
                for _ in 0..fields {
                    let field = self.u8()?;
                    match field {
                        0x00 | 0x01 => self.take(33)?,
                        0x02 | 0x03 => self.take(65)?,
                        _ => return Err(self.error(format!("authorization field type {field}"))),
                    };
                }
                let _signatures_required = self.take(2)?;
                multisig_version
            }
            _ => return Err(self.error(format!("hash mode {hash_mode} is no spending condition's"))),
        };
        Ok(Principal::standard(version, signer))
    }

    /// Skips every post-condition; returns whether all hold when no asset moves.
    fn post_conditions(&mut self) -> Result<bool, EnvelopeError> {
        let count = self.u32()?;
        let mut hold = true;
        for _ in 0..count {
            let asset = self.u8()?;
            self.post_condition_principal()?;
            let holds = match asset {
                // STX, a fungible token, STX staked: amounts compared with 0 moved.
                0x00 | 0x01 | 0x03 => {
                    if asset == 0x01 {
                        self.asset_info()?;
                    }
                    let code = self.u8()?;
                    let amount = self.u64()?;
                    fungible_holds_at_zero(code, amount).ok_or_else(|| self.error(format!("fungible condition code {code}")))?
                }
                // A non-fungible token: sent, not sent, maybe sent.
                0x02 => {
                    self.asset_info()?;
                    let mut rest = &self.bytes[self.at..];
                    let before = rest.len();
                    Value::deserialize_read(&mut rest, None, false).map_err(|e| self.error(format!("a post-condition's asset: {e}")))?;
                    self.at += before - rest.len();
                    match self.u8()? {
                        0x10 => false,
                        0x11 | 0x12 => true,
                        code => return Err(self.error(format!("non-fungible condition code {code}"))),
                    }
                }
                // A PoX operation: not performed, maybe performed, performed.
                0x04 => match self.u8()? {
                    0x30 | 0x31 => true,
                    0x32 => false,
                    code => return Err(self.error(format!("PoX condition code {code}"))),
                },
                _ => return Err(self.error(format!("post-condition type {asset}"))),
            };
            hold &= holds;
        }
        Ok(hold)
    }

    fn post_condition_principal(&mut self) -> Result<(), EnvelopeError> {
        match self.u8()? {
            0x01 => {}
            0x02 => {
                self.take(21)?;
            }
            0x03 => {
                self.take(21)?;
                self.name()?;
            }
            kind => return Err(self.error(format!("post-condition principal type {kind}"))),
        }
        Ok(())
    }

    fn asset_info(&mut self) -> Result<(), EnvelopeError> {
        self.take(21)?;
        self.name()?;
        self.name()?;
        Ok(())
    }

    fn payload(&mut self) -> Result<Payload<'a>, EnvelopeError> {
        let byte = self.u8()?;
        let kind = PayloadKind::from_byte(byte).ok_or_else(|| self.error(format!("payload type {byte} is none stacks-core 4.0.2 knows")))?;
        Ok(match kind {
            PayloadKind::ContractCall => {
                let version = self.u8()?;
                let address = Principal::standard(version, self.hash160()?);
                let contract = self.name()?;
                let function = self.name()?;
                Payload::Call(ContractCall { address, contract, function, args: &self.bytes[self.at..], args_at: self.at })
            }
            PayloadKind::SmartContract | PayloadKind::VersionedSmartContract => {
                let clarity_version = if kind == PayloadKind::VersionedSmartContract { Some(self.u8()?) } else { None };
                let name = self.name()?.to_string();
                let len = self.u32()? as usize;
                if len > MAX_SOURCE_BYTES {
                    return Err(self.error(format!("a source of {len} bytes, over the {MAX_SOURCE_BYTES} a transaction may carry")));
                }
                let at = self.at;
                let source = std::str::from_utf8(self.take(len)?).map_err(|_| EnvelopeError { at, reason: "a source that is not text".into() })?.to_string();
                Payload::Deploy(crate::Deployment { name, source, clarity_version })
            }
            other => Payload::Other(other),
        })
    }
}

/// Whether a fungible condition `code` on `amount` holds when nothing was sent;
/// `None` for a code that is none of stacks-core's.
fn fungible_holds_at_zero(code: u8, amount: u64) -> Option<bool> {
    Some(match code {
        0x01 => amount == 0, // sent exactly
        0x02 => false,       // sent more than
        0x03 => amount == 0, // sent at least
        0x04 => amount > 0,  // sent less than
        0x05 => true,        // sent at most
        _ => return None,
    })
}
