//! The five dimensions of a cost, and the limits a node holds calls and blocks to.

use std::fmt;
use std::ops::{Add, AddAssign};

/// A cost in clarity-vm's five dimensions, under the node's field names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExecutionCost {
    /// Abstract runtime units.
    pub runtime: u64,
    /// Reads from the state.
    pub read_count: u64,
    /// Bytes read from the state.
    pub read_length: u64,
    /// Writes to the state.
    pub write_count: u64,
    /// Bytes written to the state.
    pub write_length: u64,
}

/// The node's default limit for one `call-read` RPC (its `read_only_call_limit`,
/// with the writes set to zero as the endpoint sets them), as stacks-node 4.0
/// sets it in every epoch. Nodes before 4.0 (2.5 to 3.4) allowed 30 reads of
/// 100,000 bytes: [`READ_ONLY_CALL_LIMIT_BEFORE_4_0`].
pub const READ_ONLY_CALL_LIMIT: ExecutionCost =
    ExecutionCost { runtime: 1_000_000_000, read_count: 100, read_length: 200_000, write_count: 0, write_length: 0 };

/// The `read_only_call_limit` of stacks-node releases 2.5 to 3.4.
pub const READ_ONLY_CALL_LIMIT_BEFORE_4_0: ExecutionCost =
    ExecutionCost { runtime: 1_000_000_000, read_count: 30, read_length: 100_000, write_count: 0, write_length: 0 };

impl ExecutionCost {
    /// No cost.
    pub const ZERO: ExecutionCost = ExecutionCost { runtime: 0, read_count: 0, read_length: 0, write_count: 0, write_length: 0 };

    /// No limit: the most of every dimension.
    pub const MAX: ExecutionCost =
        ExecutionCost { runtime: u64::MAX, read_count: u64::MAX, read_length: u64::MAX, write_count: u64::MAX, write_length: u64::MAX };

    /// Whether any dimension is above `limit`'s, which is how clarity-vm decides
    /// that a charge breaks its limit.
    pub fn exceeds(&self, limit: &ExecutionCost) -> bool {
        self.runtime > limit.runtime
            || self.read_count > limit.read_count
            || self.read_length > limit.read_length
            || self.write_count > limit.write_count
            || self.write_length > limit.write_length
    }

    /// The dimensions as `(name, value)`, in the node's order.
    pub fn dimensions(&self) -> [(&'static str, u64); 5] {
        [
            ("runtime", self.runtime),
            ("read_count", self.read_count),
            ("read_length", self.read_length),
            ("write_count", self.write_count),
            ("write_length", self.write_length),
        ]
    }

    /// The largest share of `limit` this cost takes in any dimension, from 0.0 to
    /// above 1.0 (a zero limit counts as fully used by any cost above zero).
    pub fn share_of(&self, limit: &ExecutionCost) -> f64 {
        self.dimensions()
            .iter()
            .zip(limit.dimensions())
            .map(|((_, used), (_, allowed))| match (*used, allowed) {
                (0, _) => 0.0,
                (_, 0) => f64::INFINITY,
                (used, allowed) => used as f64 / allowed as f64,
            })
            .fold(0.0, f64::max)
    }
}

impl Add for ExecutionCost {
    type Output = ExecutionCost;
    #[inline]
    fn add(self, other: ExecutionCost) -> ExecutionCost {
        ExecutionCost {
            runtime: self.runtime.saturating_add(other.runtime),
            read_count: self.read_count.saturating_add(other.read_count),
            read_length: self.read_length.saturating_add(other.read_length),
            write_count: self.write_count.saturating_add(other.write_count),
            write_length: self.write_length.saturating_add(other.write_length),
        }
    }
}

impl AddAssign for ExecutionCost {
    #[inline]
    fn add_assign(&mut self, other: ExecutionCost) {
        *self = *self + other;
    }
}

impl fmt::Display for ExecutionCost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "runtime {}, read_count {}, read_length {}, write_count {}, write_length {}",
            self.runtime, self.read_count, self.read_length, self.write_count, self.write_length
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dimension_over_the_limit_exceeds_it() {
        let limit = READ_ONLY_CALL_LIMIT;
        assert!(!limit.exceeds(&limit));
        assert!(ExecutionCost { read_count: 101, ..ExecutionCost::ZERO }.exceeds(&limit));
        assert!(ExecutionCost { write_count: 1, ..ExecutionCost::ZERO }.exceeds(&limit));
    }

    #[test]
    fn the_share_is_the_fullest_dimension() {
        let cost = ExecutionCost { runtime: 500_000_000, read_count: 3, ..ExecutionCost::ZERO };
        assert_eq!(cost.share_of(&READ_ONLY_CALL_LIMIT), 0.5);
        assert_eq!(ExecutionCost { write_count: 1, ..ExecutionCost::ZERO }.share_of(&READ_ONLY_CALL_LIMIT), f64::INFINITY);
    }
}
