//! `clarity_tuple!`: a Rust struct encoded as a Clarity tuple.

/// Whether `names` are in strictly ascending byte order: Clarity serializes a tuple's
/// fields sorted by name, so the macro below refuses, at compile time, a struct whose
/// fields are not listed that way.
pub const fn names_are_sorted(names: &[&str]) -> bool {
    let mut i = 1;
    while i < names.len() {
        let (a, b) = (names[i - 1].as_bytes(), names[i].as_bytes());
        let mut j = 0;
        loop {
            if j == a.len() && j == b.len() {
                return false; // equal names
            }
            if j == a.len() {
                break; // a is a proper prefix of b: a < b
            }
            if j == b.len() || a[j] > b[j] {
                return false;
            }
            if a[j] < b[j] {
                break;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

/// Declares a struct that encodes as a Clarity tuple. List the fields in the byte
/// order of their Clarity names (`"a"` before `"a-b"` before `"b"`); a wrong order
/// does not compile.
///
/// ```
/// clarimed_storage::clarity_tuple! {
///     pub struct Grant {
///         "access-level" => access_level: u128,
///         "expires-at" => expires_at: Option<u128>,
///     }
/// }
/// ```
#[macro_export]
macro_rules! clarity_tuple {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* $clarity:literal => $field:ident : $ty:ty,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)+
        }

        impl $name {
            /// The Clarity field names, in serialization order.
            pub const FIELD_NAMES: &'static [&'static str] = &[$($clarity),+];
        }

        const _: () = assert!(
            $crate::clarity::names_are_sorted($name::FIELD_NAMES),
            concat!("the fields of ", stringify!($name), " must be listed sorted by Clarity name")
        );

        impl $crate::clarity::ClarityType for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.push($crate::clarity::prefix::TUPLE);
                out.extend_from_slice(&(Self::FIELD_NAMES.len() as u32).to_be_bytes());
                $(
                    out.push($clarity.len() as u8);
                    out.extend_from_slice($clarity.as_bytes());
                    $crate::clarity::ClarityType::encode(&self.$field, out);
                )+
            }

            fn decode(input: &mut $crate::clarity::Reader<'_>) -> Result<Self, $crate::clarity::DecodeError> {
                input.expect_prefix($crate::clarity::prefix::TUPLE)?;
                let found = input.u32()?;
                let expected = Self::FIELD_NAMES.len() as u32;
                if found != expected {
                    return Err($crate::clarity::DecodeError::FieldCount { expected, found });
                }
                $(
                    let length = input.byte()? as usize;
                    let name = input.take(length)?;
                    if name != $clarity.as_bytes() {
                        return Err($crate::clarity::DecodeError::UnexpectedField {
                            expected: $clarity,
                            found: String::from_utf8_lossy(name).into_owned(),
                        });
                    }
                    let $field = <$ty as $crate::clarity::ClarityType>::decode(input)?;
                )+
                Ok($name { $($field),+ })
            }
        }
    };
}

/// Declares a view of a tuple: a struct of some of its fields that decodes from the
/// whole tuple's bytes, skipping the other fields without decoding them and stopping
/// after the last field it wants. List the
/// fields sorted by Clarity name, as in `clarity_tuple!`. A view only decodes.
#[macro_export]
macro_rules! clarity_view {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* $clarity:literal => $field:ident : $ty:ty,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)+
        }

        impl $name {
            pub const FIELD_NAMES: &'static [&'static str] = &[$($clarity),+];
        }

        const _: () = assert!(
            $crate::clarity::names_are_sorted($name::FIELD_NAMES),
            concat!("the fields of ", stringify!($name), " must be listed sorted by Clarity name")
        );

        impl $crate::clarity::ClarityView for $name {
            fn decode_view(input: &mut $crate::clarity::Reader<'_>) -> Result<Self, $crate::clarity::DecodeError> {
                input.expect_prefix($crate::clarity::prefix::TUPLE)?;
                let mut remaining = input.u32()?;
                $(
                    let $field = loop {
                        if remaining == 0 {
                            return Err($crate::clarity::DecodeError::UnexpectedField {
                                expected: $clarity,
                                found: String::new(),
                            });
                        }
                        remaining -= 1;
                        let length = input.byte()? as usize;
                        if input.take(length)? == $clarity.as_bytes() {
                            break <$ty as $crate::clarity::ClarityType>::decode(input)?;
                        }
                        input.skip_value()?;
                    };
                )+
                let _ = remaining; // fields past the last wanted one are left unread
                Ok($name { $($field),+ })
            }
        }
    };
}

/// A tuple assembled field by field, for values whose shape is only known at run
/// time (print events); fields are sorted by name when encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TupleBuilder {
    fields: Vec<(&'static str, Vec<u8>)>,
}

impl TupleBuilder {
    /// A tuple with no fields yet.
    pub fn new() -> TupleBuilder {
        TupleBuilder::default()
    }

    /// Adds the field `name`.
    pub fn field(mut self, name: &'static str, value: &impl super::ClarityType) -> TupleBuilder {
        self.fields.push((name, value.to_bytes()));
        self
    }

    /// The tuple's serialization, fields sorted by name.
    pub fn encode(mut self) -> Vec<u8> {
        self.fields.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = vec![super::prefix::TUPLE];
        out.extend_from_slice(&(self.fields.len() as u32).to_be_bytes());
        for (name, value) in self.fields {
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::names_are_sorted;

    #[test]
    fn names_sort_bytewise_and_must_be_distinct() {
        assert!(names_are_sorted(&["a", "a-b", "b"]));
        assert!(names_are_sorted(&["data-hash", "data-type"]));
        assert!(!names_are_sorted(&["b", "a"]));
        assert!(!names_are_sorted(&["a-b", "a"]));
        assert!(!names_are_sorted(&["a", "a"]));
    }
}
