//! What a call charges, step by step, as clarity-vm's interpreter charges it.
//!
//! A native contract module holds a [`Meter`] for the length of one call and charges
//! it where the interpreter would: each step below is one thing `eval` does and
//! names the charges it makes. The meter is made for an epoch and owns its
//! [`Rules`]: its cost contract's table, and where the interpreter's charges moved
//! from one epoch to the next. The contract modules describe each step the same way
//! in every epoch and never ask which one it is. The order of charges does not matter (a limit is
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

use crate::{CostFunction, Epoch, ExecutionCost, Rules, Table};

/// The running cost of one call, in one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    rules: &'static Rules,
    /// The rules' table, kept by value: every charge reads it.
    table: Table,
    total: Cell<ExecutionCost>,
}

impl Meter {
    /// A meter at zero, charging as `epoch` does.
    pub fn new(epoch: Epoch) -> Meter {
        let rules = epoch.rules();
        Meter { rules, table: rules.table, total: Cell::new(ExecutionCost::ZERO) }
    }

    /// The rules it charges by.
    pub fn rules(&self) -> &'static Rules {
        self.rules
    }

    /// What has been charged so far.
    #[inline]
    pub fn total(&self) -> ExecutionCost {
        self.total.get()
    }

    /// One charge of `f` at input size `n`.
    #[inline]
    pub fn charge(&self, f: CostFunction, n: u64) {
        self.total.set(self.total.get() + self.table.at(f, n));
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

    /// A variable the interpreter only inspects, never copies: an `if` condition, an
    /// `asserts!` condition that fails, an `and` or `or` operand, an operand of `<`,
    /// `<=`, `>` or `>=`, a `map-get?` or `map-delete` key, an argument of
    /// `secp256k1-verify`. Until 3.4 it costs its depth and size as any variable;
    /// from 3.4 its depth only (`uses_pre_sanitized_variables`: the size is charged
    /// where a value is copied).
    #[inline]
    pub fn inspect(&self, depth: u64, size: u64) {
        self.charge(CostFunction::LookupVariableDepth, depth);
        if !self.rules.sizes_on_copy {
            self.charge(CostFunction::LookupVariableSize, size);
        }
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

    /// Entering a defined function with `args`: the application, then one type
    /// check per argument, by its parameter's declared size until 3.3 and by the
    /// argument's own size from 3.3.
    #[inline]
    pub fn enter(&self, args: &[Arg]) {
        self.charge(CostFunction::UserFunctionApplication, args.len() as u64);
        for arg in args {
            let size = if self.rules.argument_sizes { arg.actual } else { arg.declared };
            self.charge(CostFunction::InnerTypeCheckCost, size);
        }
    }

    /// The size a tuple argument has inside the function it entered, whose
    /// parameter declares `declared` and whose value has `own`: Clarity 2 casts it
    /// to the declared type; from 4.0 it is sanitized back to its values' types.
    #[inline]
    pub fn entered(&self, declared: u64, own: u64) -> u64 {
        if self.rules.sanitized_arguments {
            own
        } else {
            declared
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

/// A defined function's argument, as its type check is charged: its parameter's
/// declared size, and the size of the value passed (`Value::size()` before the
/// Clarity 2 cast to the parameter's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    declared: u64,
    actual: u64,
}

/// An argument of a type all of whose values have its size: `uint`, `int`, `bool`,
/// `principal`.
pub const fn arg(size: u64) -> Arg {
    Arg { declared: size, actual: size }
}

/// An argument of a type whose values differ in size (a string, a buffer, an
/// optional, a response, a list, a tuple): its parameter's declared size, and the
/// value's own.
pub const fn sized(declared: u64, actual: u64) -> Arg {
    Arg { declared, actual }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_costs_its_depth_and_size() {
        let meter = Meter::new(Epoch::Epoch25);
        meter.var(1, 17);
        assert_eq!(meter.total().runtime, (1 + 1) + (2 * 17 + 1));
    }

    #[test]
    fn a_private_call_checks_each_parameter() {
        let meter = Meter::new(Epoch::Epoch25);
        meter.lookup();
        meter.enter(&[arg(16), arg(148)]);
        assert_eq!(meter.total().runtime, 16 + (26 * 2 + 5) + (2 * 16 + 5) + (2 * 148 + 5));
    }

    #[test]
    fn from_3_3_a_type_check_is_charged_by_the_arguments_own_size() {
        let charged = |epoch| {
            let meter = Meter::new(epoch);
            meter.enter(&[sized(68, 12)]);
            meter.total().runtime
        };
        assert_eq!(charged(Epoch::Epoch32), 31 + (2 * 68 + 5));
        assert_eq!(charged(Epoch::Epoch33), 31 + (2 * 12 + 5));
    }
}
