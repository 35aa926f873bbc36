//! Clarity's consensus serialization of the value types the contracts use.
//!
//! Each value starts with a type prefix byte; lengths are big-endian u32, integers
//! big-endian u128, tuple fields sorted by name.

/// A Rust type with a Clarity counterpart, encoded as Clarity encodes it.
pub trait ClarityType: Sized {
    /// Appends the value's serialization to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value from `input`.
    fn decode(input: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The value's serialization.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes exactly one value from `bytes`, with nothing left over.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode(&mut reader)?;
        reader.finish()?;
        Ok(value)
    }
}

/// Some fields of a stored tuple, decoded from the whole tuple's bytes (see
/// `clarity_view!`).
pub trait ClarityView: Sized {
    /// Reads the view's fields from a whole tuple, stopping after the last.
    fn decode_view(input: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// The type prefix bytes.
#[allow(missing_docs)] // each constant is named for its type
pub mod prefix {
    pub const UINT: u8 = 0x01;
    pub const BUFFER: u8 = 0x02;
    pub const TRUE: u8 = 0x03;
    pub const FALSE: u8 = 0x04;
    pub const STANDARD_PRINCIPAL: u8 = 0x05;
    pub const CONTRACT_PRINCIPAL: u8 = 0x06;
    pub const OK: u8 = 0x07;
    pub const ERR: u8 = 0x08;
    pub const NONE: u8 = 0x09;
    pub const SOME: u8 = 0x0a;
    pub const LIST: u8 = 0x0b;
    pub const TUPLE: u8 = 0x0c;
    pub const STRING_ASCII: u8 = 0x0d;
}

/// Why bytes are not the serialization of the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // each variant's message says what it is
pub enum DecodeError {
    #[error("value ends early")]
    UnexpectedEnd,
    #[error("expected type prefix {expected:#04x}, found {found:#04x}")]
    UnexpectedPrefix { expected: u8, found: u8 },
    #[error("expected tuple field `{expected}`, found `{found}`")]
    UnexpectedField { expected: &'static str, found: String },
    #[error("expected {expected} tuple fields, found {found}")]
    FieldCount { expected: u32, found: u32 },
    /// A `string-ascii` byte Clarity refuses: only letters, digits, punctuation and
    /// whitespace are allowed.
    #[error("string-ascii holds a byte Clarity refuses (not a printable ASCII character or whitespace)")]
    NotAscii,
    #[error("a {0}-byte string or buffer is over Clarity's 1,048,576-byte limit")]
    TooLong(u32),
    #[error("`{0}` is not a contract name Clarity allows")]
    BadContractName(String),
    #[error("{0} bytes left over after the value")]
    TrailingBytes(usize),
}

/// Reads a value's bytes front to back.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError::UnexpectedEnd);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// The next byte.
    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// The next byte, left unread.
    pub fn peek(&self) -> Result<u8, DecodeError> {
        self.bytes.first().copied().ok_or(DecodeError::UnexpectedEnd)
    }

    /// Reads a type prefix, which must be `expected`.
    pub fn expect_prefix(&mut self, expected: u8) -> Result<(), DecodeError> {
        match self.byte()? {
            found if found == expected => Ok(()),
            found => Err(DecodeError::UnexpectedPrefix { expected, found }),
        }
    }

    /// A big-endian length.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes(bytes.try_into().expect("4 bytes")))
    }

    /// Skips one value of any type.
    pub fn skip_value(&mut self) -> Result<(), DecodeError> {
        match self.byte()? {
            0x00 | prefix::UINT => {
                self.take(16)?;
            }
            prefix::BUFFER | prefix::STRING_ASCII | 0x0e => {
                let length = self.u32()? as usize;
                self.take(length)?;
            }
            prefix::TRUE | prefix::FALSE | prefix::NONE => {}
            prefix::STANDARD_PRINCIPAL => {
                self.take(21)?;
            }
            prefix::CONTRACT_PRINCIPAL => {
                self.take(21)?;
                let length = self.byte()? as usize;
                self.take(length)?;
            }
            prefix::OK | prefix::ERR | prefix::SOME => self.skip_value()?,
            prefix::LIST => {
                for _ in 0..self.u32()? {
                    self.skip_value()?;
                }
            }
            prefix::TUPLE => {
                for _ in 0..self.u32()? {
                    let length = self.byte()? as usize;
                    self.take(length)?;
                    self.skip_value()?;
                }
            }
            found => return Err(DecodeError::UnexpectedPrefix { expected: prefix::TUPLE, found }),
        }
        Ok(())
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.bytes.len() {
            0 => Ok(()),
            left => Err(DecodeError::TrailingBytes(left)),
        }
    }
}

fn encode_length(length: usize, out: &mut Vec<u8>) {
    let length = u32::try_from(length).expect("Clarity values are far below 4 GiB");
    out.extend_from_slice(&length.to_be_bytes());
}

/// `uint`.
impl ClarityType for u128 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(prefix::UINT);
        out.extend_from_slice(&self.to_be_bytes());
    }

    fn decode(input: &mut Reader<'_>) -> Result<u128, DecodeError> {
        input.expect_prefix(prefix::UINT)?;
        Ok(u128::from_be_bytes(input.take(16)?.try_into().expect("16 bytes")))
    }
}

impl ClarityType for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(if *self { prefix::TRUE } else { prefix::FALSE });
    }

    fn decode(input: &mut Reader<'_>) -> Result<bool, DecodeError> {
        match input.byte()? {
            prefix::TRUE => Ok(true),
            prefix::FALSE => Ok(false),
            found => Err(DecodeError::UnexpectedPrefix { expected: prefix::TRUE, found }),
        }
    }
}

/// Whether a `string-ascii` may hold `bytes`: letters, digits, punctuation and
/// whitespace only, as clarity-vm's deserializer checks.
pub fn is_clarity_ascii(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.is_ascii_alphanumeric() || b.is_ascii_punctuation() || b.is_ascii_whitespace())
}

/// Clarity's bound on a string's or a buffer's length (`MAX_VALUE_SIZE`).
const MAX_SEQUENCE_BYTES: u32 = 1_048_576;

fn sequence_length(input: &mut Reader<'_>) -> Result<usize, DecodeError> {
    match input.u32()? {
        length if length > MAX_SEQUENCE_BYTES => Err(DecodeError::TooLong(length)),
        length => Ok(length as usize),
    }
}

/// `string-ascii`; the maximum length belongs to the contract's type, checked where
/// values enter the engine.
impl ClarityType for String {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(prefix::STRING_ASCII);
        encode_length(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }

    fn decode(input: &mut Reader<'_>) -> Result<String, DecodeError> {
        input.expect_prefix(prefix::STRING_ASCII)?;
        let length = sequence_length(input)?;
        let bytes = input.take(length)?;
        if !is_clarity_ascii(bytes) {
            return Err(DecodeError::NotAscii);
        }
        Ok(String::from_utf8(bytes.to_vec()).expect("ASCII is UTF-8"))
    }
}

/// `buff`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Buff(pub Vec<u8>);

impl ClarityType for Buff {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(prefix::BUFFER);
        encode_length(self.0.len(), out);
        out.extend_from_slice(&self.0);
    }

    fn decode(input: &mut Reader<'_>) -> Result<Buff, DecodeError> {
        input.expect_prefix(prefix::BUFFER)?;
        let length = sequence_length(input)?;
        Ok(Buff(input.take(length)?.to_vec()))
    }
}

/// `optional`.
impl<T: ClarityType> ClarityType for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(prefix::NONE),
            Some(value) => {
                out.push(prefix::SOME);
                value.encode(out);
            }
        }
    }

    fn decode(input: &mut Reader<'_>) -> Result<Option<T>, DecodeError> {
        match input.byte()? {
            prefix::NONE => Ok(None),
            prefix::SOME => Ok(Some(T::decode(input)?)),
            found => Err(DecodeError::UnexpectedPrefix { expected: prefix::SOME, found }),
        }
    }
}

/// `list`.
impl<T: ClarityType> ClarityType for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(prefix::LIST);
        encode_length(self.len(), out);
        for item in self {
            item.encode(out);
        }
    }

    fn decode(input: &mut Reader<'_>) -> Result<Vec<T>, DecodeError> {
        input.expect_prefix(prefix::LIST)?;
        let length = input.u32()?;
        (0..length).map(|_| T::decode(input)).collect()
    }
}

/// `response`: `Ok` is `(ok …)`, `Err` is `(err …)`.
impl<T: ClarityType, E: ClarityType> ClarityType for Result<T, E> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Ok(value) => {
                out.push(prefix::OK);
                value.encode(out);
            }
            Err(error) => {
                out.push(prefix::ERR);
                error.encode(out);
            }
        }
    }

    fn decode(input: &mut Reader<'_>) -> Result<Result<T, E>, DecodeError> {
        match input.byte()? {
            prefix::OK => Ok(Ok(T::decode(input)?)),
            prefix::ERR => Ok(Err(E::decode(input)?)),
            found => Err(DecodeError::UnexpectedPrefix { expected: prefix::OK, found }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clarity::Principal;

    #[test]
    fn uint_is_prefix_one_and_sixteen_big_endian_bytes() {
        let mut expected = vec![0x01];
        expected.extend_from_slice(&[0; 15]);
        expected.push(5);
        assert_eq!(5u128.to_bytes(), expected);
        assert_eq!(u128::from_bytes(&expected), Ok(5));
    }

    #[test]
    fn optional_values_round_trip() {
        for value in [None, Some(true), Some(false)] {
            assert_eq!(Option::<bool>::from_bytes(&value.to_bytes()), Ok(value));
        }
        assert_eq!(None::<bool>.to_bytes(), [0x09]);
    }

    #[test]
    fn a_truncated_value_is_an_error_not_a_panic() {
        let bytes = String::from("hello").to_bytes();
        for cut in 0..bytes.len() {
            assert!(String::from_bytes(&bytes[..cut]).is_err());
        }
        assert_eq!(u128::from_bytes(&[0x01; 18]), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn skipping_a_value_consumes_exactly_its_bytes() {
        let mut bytes = vec![Some(String::from("abc"))].to_bytes();
        bytes.extend(Ok::<u128, bool>(7).to_bytes());
        bytes.extend(Principal::standard(26, [1; 20]).to_bytes());
        let mut reader = Reader::new(&bytes);
        reader.skip_value().unwrap();
        reader.skip_value().unwrap();
        reader.skip_value().unwrap();
        assert_eq!(reader.finish(), Ok(()));
    }

    #[test]
    fn a_non_ascii_string_is_refused() {
        assert_eq!(String::from_bytes(&[0x0d, 0, 0, 0, 1, 0xc3]), Err(DecodeError::NotAscii));
    }
}
