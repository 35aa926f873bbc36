//! Where the engine's chain is: its Stacks height, its tenure height and its epoch,
//! kept in the state beside the contracts' data and shared with readers as one word.
//!
//! Before epoch 3.0 every Stacks block is mined in a sortition of its own, and a
//! Clarity 2 `block-height` is the Stacks height. From 3.0 (Nakamoto) a tenure
//! holds any number of Stacks blocks, `block-height` is the tenure height (every
//! block of a tenure sees the same value, and it goes on from the 2.x height), and a
//! block's cost limit is its tenure's budget.

use std::sync::atomic::{AtomicU64, Ordering};

use clarimed_costs::Epoch;
use clarimed_storage::{StoreRead, StoreWrite};

use crate::error::EngineError;

/// The Stacks height, 4 bytes (also what states made before tenures hold).
pub(crate) const BLOCK_HEIGHT_KEY: &[u8] = b"clarimed::block-height";
/// The tenure height, 4 bytes, then the epoch's code. A state without it was made
/// before epochs: 2.5, each block its own tenure.
pub(crate) const CHAIN_KEY: &[u8] = b"clarimed::chain";

/// The chain's first block, where both contracts are deployed (as in the reference):
/// the first Stacks block of the first tenure.
pub const GENESIS_HEIGHT: u32 = 1;

/// The last tenure height a [`Tip`] holds: it shares a word with the Stacks height.
const MAX_TENURE_HEIGHT: u32 = (1 << 29) - 1;

/// Where the chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// The Stacks block height.
    pub stacks_height: u32,
    /// The tenure height: how many tenures (sortitions that produced one) so far.
    pub tenure_height: u32,
    /// The epoch its blocks run in.
    pub epoch: Epoch,
}

impl Tip {
    /// A new chain's first block, in `epoch`.
    pub fn genesis(epoch: Epoch) -> Tip {
        Tip { stacks_height: GENESIS_HEIGHT, tenure_height: GENESIS_HEIGHT, epoch }
    }

    /// What a Clarity 2 `block-height` answers here.
    pub fn block_height(&self) -> u32 {
        if self.epoch.rules().tenures {
            self.tenure_height
        } else {
            self.stacks_height
        }
    }

    /// `tenures` new tenures of one Stacks block each.
    pub(crate) fn new_tenures(self, tenures: u32) -> Result<Tip, EngineError> {
        let tenure_height = add(self.tenure_height, tenures)?;
        if tenure_height > MAX_TENURE_HEIGHT {
            return Err(EngineError::BlockHeightOutOfRange(MAX_TENURE_HEIGHT));
        }
        Ok(Tip { stacks_height: add(self.stacks_height, tenures)?, tenure_height, ..self })
    }

    /// `blocks` more Stacks blocks in the current tenure.
    pub(crate) fn more_blocks(self, blocks: u32) -> Result<Tip, EngineError> {
        Ok(Tip { stacks_height: add(self.stacks_height, blocks)?, ..self })
    }

    /// Whether a tip can follow this one: neither height goes back, a tenure
    /// never holds fewer blocks than the tenures before it, and the epoch never
    /// goes back.
    pub(crate) fn can_advance_to(&self, next: &Tip) -> bool {
        next.stacks_height >= self.stacks_height
            && next.tenure_height >= self.tenure_height
            && next.stacks_height - self.stacks_height >= next.tenure_height - self.tenure_height
            && next.epoch >= self.epoch
            && next.tenure_height <= MAX_TENURE_HEIGHT
    }

    /// The state's rows that hold it.
    pub(crate) fn rows(&self) -> [(&'static [u8], Vec<u8>); 2] {
        let mut chain = self.tenure_height.to_be_bytes().to_vec();
        chain.push(self.epoch.code());
        [(BLOCK_HEIGHT_KEY, self.stacks_height.to_be_bytes().to_vec()), (CHAIN_KEY, chain)]
    }

    /// Writes it to the state.
    pub(crate) fn write(&self, store: &mut impl StoreWrite) -> clarimed_storage::Result<()> {
        for (key, value) in self.rows() {
            store.put(key, &value)?;
        }
        Ok(())
    }

    /// Reads it from the state.
    pub(crate) fn read(store: &impl StoreRead) -> Result<Tip, EngineError> {
        let corrupt =
            |key: &[u8]| EngineError::Corrupt { key: String::from_utf8_lossy(key).into_owned(), error: clarimed_storage::clarity::DecodeError::UnexpectedEnd };
        let bytes = store.get(BLOCK_HEIGHT_KEY)?.ok_or(EngineError::NotDeployed)?;
        let stacks_height = u32::from_be_bytes(bytes.as_ref().try_into().map_err(|_| corrupt(BLOCK_HEIGHT_KEY))?);
        let Some(chain) = store.get(CHAIN_KEY)? else {
            return Ok(Tip { stacks_height, tenure_height: stacks_height, epoch: Epoch::Epoch25 });
        };
        let (tenure, epoch) = match chain.as_ref() {
            [a, b, c, d, epoch] => (u32::from_be_bytes([*a, *b, *c, *d]), Epoch::from_code(*epoch)),
            _ => return Err(corrupt(CHAIN_KEY)),
        };
        let epoch = epoch.ok_or(EngineError::Corrupt { key: "clarimed::chain".into(), error: clarimed_storage::clarity::DecodeError::UnexpectedEnd })?;
        Ok(Tip { stacks_height, tenure_height: tenure, epoch })
    }

    fn pack(self) -> u64 {
        u64::from(self.stacks_height) << 32 | u64::from(self.tenure_height) << 3 | u64::from(self.epoch.code())
    }

    fn unpack(word: u64) -> Tip {
        let epoch = Epoch::from_code((word & 0b111) as u8).expect("only a tip is packed");
        Tip { stacks_height: (word >> 32) as u32, tenure_height: ((word >> 3) & u64::from(MAX_TENURE_HEIGHT)) as u32, epoch }
    }
}

impl std::fmt::Display for Tip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stacks height {}, tenure height {}, epoch {}", self.stacks_height, self.tenure_height, self.epoch)
    }
}

fn add(height: u32, more: u32) -> Result<u32, EngineError> {
    height.checked_add(more).ok_or(EngineError::BlockHeightOutOfRange(u32::MAX))
}

/// The committed tip, which readers load without a lock, whole.
pub(crate) struct SharedTip(AtomicU64);

impl SharedTip {
    pub(crate) fn new(tip: Tip) -> SharedTip {
        SharedTip(AtomicU64::new(tip.pack()))
    }

    pub(crate) fn load(&self) -> Tip {
        Tip::unpack(self.0.load(Ordering::SeqCst))
    }

    pub(crate) fn store(&self, tip: Tip) {
        self.0.store(tip.pack(), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_height_is_the_stacks_height_before_3_0_and_the_tenure_height_after() {
        let tip = Tip { stacks_height: 40, tenure_height: 12, epoch: Epoch::Epoch25 };
        assert_eq!(tip.block_height(), 40);
        assert_eq!(Tip { epoch: Epoch::Epoch30, ..tip }.block_height(), 12);
        assert_eq!(Tip { epoch: Epoch::Epoch40, ..tip }.block_height(), 12);
    }

    #[test]
    fn a_tip_packs_into_one_word() {
        for epoch in Epoch::ALL {
            let tip = Tip { stacks_height: u32::MAX, tenure_height: MAX_TENURE_HEIGHT, epoch };
            assert_eq!(Tip::unpack(tip.pack()), tip);
            let tip = Tip { stacks_height: 7, tenure_height: 3, epoch };
            assert_eq!(Tip::unpack(tip.pack()), tip);
        }
    }

    #[test]
    fn tenures_and_blocks_advance_their_heights() {
        let tip = Tip::genesis(Epoch::Epoch30);
        assert_eq!(tip.new_tenures(3).unwrap(), Tip { stacks_height: 4, tenure_height: 4, epoch: Epoch::Epoch30 });
        assert_eq!(tip.more_blocks(3).unwrap(), Tip { stacks_height: 4, tenure_height: 1, epoch: Epoch::Epoch30 });
        assert!(tip.can_advance_to(&tip.more_blocks(2).unwrap()));
        assert!(!tip.more_blocks(2).unwrap().can_advance_to(&tip));
        let too_many_tenures = Tip { stacks_height: 2, tenure_height: 3, ..tip };
        assert!(!tip.can_advance_to(&too_many_tenures));
        assert!(!Tip { epoch: Epoch::Epoch40, ..tip }.can_advance_to(&tip), "an epoch never goes back");
    }
}
