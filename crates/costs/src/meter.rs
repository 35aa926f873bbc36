//! What a call charges, step by step, as clarity-vm's interpreter charges it.
//!
//! A native contract module holds a [`Meter`] for the length of one call and charges
//! it where the interpreter would: each step below is one thing `eval` does and
//! names the charges it makes. The order of charges does not matter (a limit is
//! broken by the total either way), only that each is made exactly when the
//! interpreter makes it.
//!
//! # What was hard to match, and how it was found
//!
//! The differential run compares every call's cost with clarity-vm's; each rule
//! below was found from a divergence whose size named the charge.
//!
//! - **A native is charged after its arguments.** `eval` looks a list's head up
//!   (`LookupFunction`) before evaluating anything, but a native function
//!   (`begin`, `is-eq`, `ok`, `try!` …) charges its own cost only once all its
//!   arguments are evaluated. So when a failed `asserts!`, `unwrap!` or `try!`
//!   returns early from inside a `begin`, the `begin` costs its lookup and not its
//!   own charge: error paths of `record-management` were 151 too dear (the cost of
//!   `begin`) per enclosing `begin`, then 16 too cheap (the lookup) once the whole
//!   charge was dropped. Special forms (`let`, `if`, `asserts!`, `and`, `or`,
//!   `contract-call?` …) charge before evaluating, except `match`, which charges
//!   after its input. Hence [`Meter::lookup`] and [`Meter::charge`] apart from
//!   [`Meter::apply`].
//! - **Clarity 2 casts a tuple argument to its parameter's declared type** when a
//!   defined function is entered, so a tuple passed to `grant-batch-step` has the
//!   declared size whatever its strings hold: each lookup of the accumulator was
//!   charged for a shorter purpose natively (520 runtime over five lookups in a
//!   one-type batch).
//! - **A tuple read from a map has the map's declared type**, so its `size()` counts
//!   every string at its maximum length, while a tuple built by the contract counts
//!   its values' own lengths ([`crate::Shape`]).
//! - **`secp256k1-verify` answers `false` for a signature shorter than 64 bytes (or
//!   with a recovery id above 3) before it evaluates the public key**, so that
//!   argument's lookup is not charged then.
//! - **A contract's load is charged by its source and its constants.** A node stores
//!   a contract's size as its source's length plus the sizes of its constants'
//!   values; Clarinet's simnet stores 0 for the constants, which the simnet check
//!   allows for.
use std::cell::Cell;

use crate::{CostFunction, ExecutionCost};

/// The running cost of one call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Meter {
    total: Cell<ExecutionCost>,
}

impl Meter {
    /// A meter at zero.
    pub fn new() -> Meter {
        Meter::default()
    }

    /// What has been charged so far.
    #[inline]
    pub fn total(&self) -> ExecutionCost {
        self.total.get()
    }

    /// One charge of `f` at input size `n`.
    #[inline]
    pub fn charge(&self, f: CostFunction, n: u64) {
        self.total.set(self.total.get() + f.at(n));
    }

    /// A list whose head names a native or special function that runs to its
    /// end: the lookup of the name, then the function's own charge at `n`. The
    /// arguments charge for themselves.
    #[inline]
    pub fn apply(&self, f: CostFunction, n: u64) {
        self.charge(CostFunction::LookupFunction, 0);
        self.charge(f, n);
    }

    /// A variable, argument or constant named at local-context `depth` (0 in a
    /// function's body, one more inside each `let` and `match` branch), whose value
    /// has `size()` `size`.
    #[inline]
    pub fn var(&self, depth: u64, size: u64) {
        self.charge(CostFunction::LookupVariableDepth, depth);
        self.charge(CostFunction::LookupVariableSize, size);
    }

    /// A one-argument native that runs to its end (`not`, `ok`, `some`, `try!`,
    /// `len`, `is-some` …): charged by its argument count, 1.
    #[inline]
    pub fn unary(&self, f: CostFunction) {
        self.apply(f, 1);
    }

    /// A comparison of two uints (`<`, `<=`, `>`, `>=`): charged by the smaller
    /// operand's size, a uint's.
    #[inline]
    pub fn compare_uints(&self, f: CostFunction) {
        self.apply(f, crate::Shape::UINT.size);
    }

    /// `(is-eq a b)` on two uints: charged by their serialized lengths.
    #[inline]
    pub fn is_eq_uints(&self) {
        self.apply(CostFunction::Eq, 2 * crate::ser::UINT);
    }

    /// `block-height`: a variable that reads the chain.
    #[inline]
    pub fn block_height(&self) {
        self.charge(CostFunction::FetchVar, 1);
    }

    /// Entering a defined function whose parameters have declared sizes `params`:
    /// the application, then one type check per parameter.
    #[inline]
    pub fn enter(&self, params: &[u64]) {
        self.charge(CostFunction::UserFunctionApplication, params.len() as u64);
        for size in params {
            self.charge(CostFunction::InnerTypeCheckCost, *size);
        }
    }

    /// The lookup of the name at a list's head, before its arguments are evaluated.
    /// A defined function then charges its entry ([`Meter::enter`]); a native one
    /// its own charge once every argument is evaluated ([`Meter::charge`]), so never
    /// when an argument returns early (a failed `asserts!`, `unwrap!` or `try!`
    /// inside a `begin`, say). The arguments charge for themselves.
    #[inline]
    pub fn lookup(&self) {
        self.charge(CostFunction::LookupFunction, 0);
    }

    /// Loading a contract of `size` bytes (its source and its constants), as a
    /// transaction or `contract-call?` does before entering its function.
    #[inline]
    pub fn load_contract(&self, size: u64) {
        self.charge(CostFunction::LoadContract, size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_costs_its_depth_and_size() {
        let meter = Meter::new();
        meter.var(1, 17);
        assert_eq!(meter.total().runtime, (1 + 1) + (2 * 17 + 1));
    }

    #[test]
    fn a_private_call_checks_each_parameter() {
        let meter = Meter::new();
        meter.lookup();
        meter.enter(&[16, 148]);
        assert_eq!(meter.total().runtime, 16 + (26 * 2 + 5) + (2 * 16 + 5) + (2 * 148 + 5));
    }
}
