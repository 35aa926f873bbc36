//! The two sizes clarity-vm feeds the cost formulas.
//!
//! [`Shape`] is a value's `size()`: the size of its *type*, so every principal is
//! 148 and a string counts its own length. A tuple read from a data map carries the
//! map's declared tuple type, so its size is that of the declared type, whatever its
//! strings hold; a tuple built by the contract carries its values' types.
//! [`ser`] is the length of a value's consensus serialization, which `is-eq`,
//! `index-of?`, `merge`, the hashes and `to-consensus-buff?` are charged by.

/// A value's `size()` and its type's `type_size()`, the two numbers clarity-vm
/// derives a tuple's or list's size from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// `Value::size()`: what `LookupVariableSize`, `print` and type checks charge.
    pub size: u64,
    /// The size of the type signature itself.
    pub type_size: u64,
}

impl Shape {
    /// A `uint` or `int`.
    pub const UINT: Shape = Shape { size: 16, type_size: 1 };
    /// A `bool`.
    pub const BOOL: Shape = Shape { size: 1, type_size: 1 };
    /// Any principal, standard or contract.
    pub const PRINCIPAL: Shape = Shape { size: 148, type_size: 1 };
    /// `none`: an optional of no type.
    pub const NONE: Shape = Shape { size: 2, type_size: 2 };

    /// A `(string-ascii len)`: a string value of `len` characters, or the declared type.
    pub const fn ascii(len: u64) -> Shape {
        Shape { size: 4 + len, type_size: 5 }
    }

    /// A `(buff len)`.
    pub const fn buff(len: u64) -> Shape {
        Shape { size: 4 + len, type_size: 5 }
    }

    /// `(some inner)`, or the type `(optional inner)`.
    pub const fn some(inner: Shape) -> Shape {
        Shape { size: inner.size + 1, type_size: inner.type_size + 1 }
    }

    /// An optional value: `(some inner)` or `none`.
    pub fn optional(inner: Option<Shape>) -> Shape {
        inner.map_or(Shape::NONE, Shape::some)
    }

    /// `(ok inner)` or `(err inner)`: the other side has no type (size 1).
    pub const fn response(inner: Shape) -> Shape {
        let size = if inner.size > 1 { inner.size } else { 1 };
        Shape { size: size + 1, type_size: inner.type_size + 2 }
    }

    /// A response type with both sides known, as a function's declared type.
    pub const fn response_type(ok: Shape, err: Shape) -> Shape {
        let size = if ok.size > err.size { ok.size } else { err.size };
        Shape { size: size + 1, type_size: ok.type_size + err.type_size + 1 }
    }

    /// A tuple of named fields (in any order).
    pub const fn tuple(fields: &[(&str, Shape)]) -> Shape {
        let (mut names, mut types, mut values, mut i) = (0, 0, 0, 0);
        while i < fields.len() {
            names += fields[i].0.len() as u64;
            types += fields[i].1.type_size;
            values += fields[i].1.size;
            i += 1;
        }
        let count = 2 * fields.len() as u64;
        let type_size = count + names + types;
        Shape { size: count + type_size + names + values, type_size }
    }

    /// A list of `len` items (its type's maximum length) of `item`'s type.
    pub const fn list(item: Shape, len: u64) -> Shape {
        let type_size = item.type_size + 5;
        Shape { size: item.size * len + type_size, type_size }
    }
}

/// The `size()` of the values both contracts name most: a `uint`, a `bool`, a
/// principal, and an error constant `(err uN)`.
pub mod size {
    use super::Shape;

    /// A `uint` constant, argument or binding.
    pub const UINT: u64 = Shape::UINT.size;
    /// A `bool`.
    pub const BOOL: u64 = Shape::BOOL.size;
    /// A principal.
    pub const PRINCIPAL: u64 = Shape::PRINCIPAL.size;
    /// An error constant, `(err uN)`.
    pub const ERR: u64 = Shape::response(Shape::UINT).size;
}

/// Lengths of consensus-serialized values.
pub mod ser {
    /// A `uint` or `int`.
    pub const UINT: u64 = 17;
    /// A `bool`.
    pub const BOOL: u64 = 1;
    /// `none`.
    pub const NONE: u64 = 1;
    /// A standard principal.
    pub const STANDARD_PRINCIPAL: u64 = 22;

    /// A contract principal with a name of `name_len` bytes.
    pub const fn contract_principal(name_len: u64) -> u64 {
        STANDARD_PRINCIPAL + 1 + name_len
    }

    /// A `(string-ascii)` or `(buff)` of `len` bytes.
    pub const fn bytes(len: u64) -> u64 {
        5 + len
    }

    /// `(some inner)`, `(ok inner)` or `(err inner)`.
    pub const fn wrapped(inner: u64) -> u64 {
        1 + inner
    }

    /// An optional: `(some inner)` or `none`.
    pub fn optional(inner: Option<u64>) -> u64 {
        inner.map_or(NONE, wrapped)
    }

    /// A tuple of named fields.
    pub fn tuple(fields: &[(&str, u64)]) -> u64 {
        5 + fields.iter().map(|(name, len)| 1 + name.len() as u64 + len).sum::<u64>()
    }

    /// A list of items of these lengths.
    pub fn list(items: impl IntoIterator<Item = u64>) -> u64 {
        5 + items.into_iter().sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_clarity_vm() {
        // `(err u100)`: a response of no ok type and a uint error.
        assert_eq!(Shape::response(Shape::UINT).size, 17);
        // `(list u0 … u12)`: 13 uints.
        assert_eq!(Shape::list(Shape::UINT, 13).size, 16 * 13 + 6);
        // `{ a: u1 }`: 2 for the field, its type (2 + 1 + 1), its value and name.
        assert_eq!(Shape::tuple(&[("a", Shape::UINT)]), Shape { size: 2 + 4 + 16 + 1, type_size: 4 });
        assert_eq!(Shape::some(Shape::PRINCIPAL).size, 149);
    }

    #[test]
    fn serialized_lengths_follow_the_consensus_format() {
        assert_eq!(ser::tuple(&[("a", ser::UINT)]), 5 + 1 + 1 + 17);
        assert_eq!(ser::optional(None), 1);
        assert_eq!(ser::bytes(32), 37);
    }
}
