//! The Stacks epochs clarimed runs, and what each changes for contracts deployed as
//! Clarity 2: one [`Rules`] per epoch, chosen once and read by the [`crate::Meter`]
//! and the engine, never checked charge by charge.
//!
//! From stacks-core 4.0.2: `StacksEpochId` and its feature gates
//! (`stacks-common/src/types/mod.rs`), `default_cost_contract_for_epoch`
//! (`clarity/src/vm/costs/mod.rs`), the block limits and activation heights
//! (`stackslib/src/core/mod.rs`).

use std::fmt;
use std::str::FromStr;

use crate::table::Table;
use crate::ExecutionCost;

/// A Stacks epoch from 2.5 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Epoch {
    /// 2.5: costs-3, `block-height` the Stacks height.
    Epoch25,
    /// 3.0 (Nakamoto): `block-height` the tenure height, the block limit a tenure's.
    Epoch30,
    /// 3.1: nothing these contracts see.
    Epoch31,
    /// 3.2: nothing these contracts see.
    Epoch32,
    /// 3.3: costs-4; argument type checks charged on the arguments' own sizes.
    Epoch33,
    /// 3.4: a variable's size charged only where its value is copied.
    Epoch34,
    /// 4.0: costs-5 and its doubled read budget; arguments sanitized on entry.
    Epoch40,
}

/// The cost contract an epoch charges by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostContract {
    /// `costs-3` (2.1 to 3.2).
    Costs3,
    /// `costs-4` (3.3, 3.4): `costs-3` plus five functions of Clarity 4 builtins,
    /// which Clarity 2 code cannot reach, so the same charges.
    Costs4,
    /// `costs-5` (4.0): written in Rust only, new runtime formulas.
    Costs5,
}

impl CostContract {
    /// Its name, as the boot contract (or, for `costs-5`, stacks-core) names it.
    pub fn name(self) -> &'static str {
        match self {
            CostContract::Costs3 => "costs-3",
            CostContract::Costs4 => "costs-4",
            CostContract::Costs5 => "costs-5",
        }
    }
}

/// What an epoch changes, as data.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The epoch.
    pub epoch: Epoch,
    /// The cost contract.
    pub costs: CostContract,
    /// The limit a block shares (from 3.0, a tenure).
    pub block_limit: ExecutionCost,
    /// From 3.0: a Clarity 2 `block-height` is the tenure height, and the block
    /// limit is a tenure's budget, reset by a new tenure.
    pub tenures: bool,
    /// From 3.3 (`uses_arg_size_for_cost`): a defined function's type checks are
    /// charged by its arguments' own sizes, not its parameters' declared ones.
    pub argument_sizes: bool,
    /// From 3.4 (`uses_pre_sanitized_variables`): a variable's size is charged where
    /// its value is copied, not where it is only inspected.
    pub sizes_on_copy: bool,
    /// From 4.0 (`sanitize_in_function_invocation`): a tuple or list argument takes
    /// its own values' types on entry, not its parameter's declared one.
    pub sanitized_arguments: bool,
    pub(crate) table: Table,
}

/// A block's limit from 2.1 to 3.4 (stacks-core's `BLOCK_LIMIT_MAINNET_21`).
pub const BLOCK_LIMIT_MAINNET_21: ExecutionCost =
    ExecutionCost { runtime: 5_000_000_000, read_count: 15_000, read_length: 100_000_000, write_count: 15_000, write_length: 15_000_000 };

/// A block's (a tenure's) limit from 4.0: 2.1's with the read budget doubled
/// (`BLOCK_LIMIT_MAINNET_40`).
pub const BLOCK_LIMIT_MAINNET_40: ExecutionCost =
    ExecutionCost { runtime: 5_000_000_000, read_count: 30_000, read_length: 200_000_000, write_count: 15_000, write_length: 15_000_000 };

impl PartialEq for Rules {
    fn eq(&self, other: &Rules) -> bool {
        self.epoch == other.epoch
    }
}

impl Eq for Rules {}

const fn rules(epoch: Epoch) -> Rules {
    const fn at_least_of(epoch: Epoch, other: Epoch) -> bool {
        epoch as u8 >= other as u8
    }
    let costs = if at_least_of(epoch, Epoch::Epoch40) {
        CostContract::Costs5
    } else if at_least_of(epoch, Epoch::Epoch33) {
        CostContract::Costs4
    } else {
        CostContract::Costs3
    };
    Rules {
        epoch,
        costs,
        block_limit: if at_least_of(epoch, Epoch::Epoch40) { BLOCK_LIMIT_MAINNET_40 } else { BLOCK_LIMIT_MAINNET_21 },
        tenures: at_least_of(epoch, Epoch::Epoch30),
        argument_sizes: at_least_of(epoch, Epoch::Epoch33),
        sizes_on_copy: at_least_of(epoch, Epoch::Epoch34),
        sanitized_arguments: at_least_of(epoch, Epoch::Epoch40),
        table: if at_least_of(epoch, Epoch::Epoch40) { Table::Costs5 } else { Table::Costs3 },
    }
}

static RULES: [Rules; 7] = [
    rules(Epoch::Epoch25),
    rules(Epoch::Epoch30),
    rules(Epoch::Epoch31),
    rules(Epoch::Epoch32),
    rules(Epoch::Epoch33),
    rules(Epoch::Epoch34),
    rules(Epoch::Epoch40),
];

impl Epoch {
    /// Every epoch, oldest first.
    pub const ALL: [Epoch; 7] = [Epoch::Epoch25, Epoch::Epoch30, Epoch::Epoch31, Epoch::Epoch32, Epoch::Epoch33, Epoch::Epoch34, Epoch::Epoch40];

    /// The newest: what a state is created in unless told otherwise.
    pub const NEWEST: Epoch = Epoch::Epoch40;

    /// Its rules.
    pub fn rules(self) -> &'static Rules {
        &RULES[self as usize]
    }

    /// As stacks-core writes it: `2.5`, `3.0`, … `4.0`.
    pub fn name(self) -> &'static str {
        ["2.5", "3.0", "3.1", "3.2", "3.3", "3.4", "4.0"][self as usize]
    }

    /// A one-byte code, for storing it.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The epoch of a [`Epoch::code`].
    pub fn from_code(code: u8) -> Option<Epoch> {
        Epoch::ALL.get(usize::from(code)).copied()
    }

    /// The epoch a Bitcoin block of `burn_height` is in on `network`, by
    /// stacks-core 4.0.2's `STACKS_EPOCHS_MAINNET` / `STACKS_EPOCHS_TESTNET`;
    /// `None` before 2.5, which clarimed does not run.
    pub fn at_burn_height(network: Network, burn_height: u64) -> Option<Epoch> {
        let starts = match network {
            Network::Mainnet => [840_360, 867_867, 875_000, 907_740, 923_222, 943_333, 960_230],
            Network::Testnet => [2_583_893, 30_000_000, 30_000_001, 30_000_002, 30_000_003, 30_000_004, 40_000_000],
        };
        starts.iter().rposition(|start| burn_height >= *start).map(|index| Epoch::ALL[index])
    }
}

/// A chain whose epochs start at stacks-core's published heights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// Stacks mainnet.
    Mainnet,
    /// `STACKS_EPOCHS_TESTNET`: the heights stacks-core keeps for the Bitcoin
    /// testnet3 chain (today's Stacks testnet sets its own in its node's config).
    Testnet,
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Network, String> {
        match text {
            "mainnet" => Ok(Network::Mainnet),
            "testnet" => Ok(Network::Testnet),
            _ => Err(format!("`{text}` is not a network: mainnet or testnet")),
        }
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An epoch that is not one of [`Epoch::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEpoch(pub String);

impl fmt::Display for UnknownEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Epoch::ALL.iter().map(|e| e.name()).collect();
        write!(f, "`{}` is not an epoch clarimed runs: {}", self.0, known.join(", "))
    }
}

impl std::error::Error for UnknownEpoch {}

impl FromStr for Epoch {
    type Err = UnknownEpoch;

    fn from_str(text: &str) -> Result<Epoch, UnknownEpoch> {
        Epoch::ALL.into_iter().find(|epoch| epoch.name() == text).ok_or_else(|| UnknownEpoch(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_has_the_rules_stacks_core_gates_on_it() {
        let r = |e: Epoch| *e.rules();
        assert_eq!(r(Epoch::Epoch25).costs, CostContract::Costs3);
        assert!(!r(Epoch::Epoch25).tenures);
        assert!(r(Epoch::Epoch30).tenures && !r(Epoch::Epoch30).argument_sizes);
        assert_eq!(r(Epoch::Epoch32).costs, CostContract::Costs3);
        assert_eq!(r(Epoch::Epoch33).costs, CostContract::Costs4);
        assert!(r(Epoch::Epoch33).argument_sizes && !r(Epoch::Epoch33).sizes_on_copy);
        assert!(r(Epoch::Epoch34).sizes_on_copy && !r(Epoch::Epoch34).sanitized_arguments);
        assert_eq!((r(Epoch::Epoch40).costs, r(Epoch::Epoch40).block_limit), (CostContract::Costs5, BLOCK_LIMIT_MAINNET_40));
        assert!(r(Epoch::Epoch40).sanitized_arguments);
        assert_eq!(r(Epoch::Epoch34).block_limit, BLOCK_LIMIT_MAINNET_21);
        for epoch in Epoch::ALL {
            assert_eq!(epoch.rules().epoch, epoch);
            assert_eq!(Epoch::from_code(epoch.code()), Some(epoch));
            assert_eq!(epoch.name().parse::<Epoch>(), Ok(epoch));
        }
    }

    #[test]
    fn an_unknown_epoch_is_refused_by_name() {
        assert_eq!("2.4".parse::<Epoch>().unwrap_err().to_string(), "`2.4` is not an epoch clarimed runs: 2.5, 3.0, 3.1, 3.2, 3.3, 3.4, 4.0");
        assert_eq!(Epoch::from_code(7), None);
    }

    #[test]
    fn a_burn_height_picks_the_epoch_it_is_in() {
        assert_eq!(Epoch::at_burn_height(Network::Mainnet, 840_359), None);
        assert_eq!(Epoch::at_burn_height(Network::Mainnet, 840_360), Some(Epoch::Epoch25));
        assert_eq!(Epoch::at_burn_height(Network::Mainnet, 867_866), Some(Epoch::Epoch25));
        assert_eq!(Epoch::at_burn_height(Network::Mainnet, 867_867), Some(Epoch::Epoch30));
        assert_eq!(Epoch::at_burn_height(Network::Mainnet, 923_222), Some(Epoch::Epoch33));
        assert_eq!(Epoch::at_burn_height(Network::Mainnet, 960_230), Some(Epoch::Epoch40));
        assert_eq!(Epoch::at_burn_height(Network::Testnet, 30_000_004), Some(Epoch::Epoch34));
    }
}
