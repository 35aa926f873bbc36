//! `code_enum!`: a Rust enum for a table of Clarity `uint` codes.

/// Declares a fieldless enum whose variants stand for Clarity `uint` codes, with
/// `ALL` (every variant, in code order), `code()`, `from_code()` and `name()` (the
/// spec's upper-case name).
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn code(self) -> u128 {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            pub const fn from_code(code: u128) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl From<$name> for u128 {
            fn from(value: $name) -> u128 {
                value.code()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "u{} {}", self.code(), self.name())
            }
        }
    };
}
