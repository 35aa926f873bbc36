//! A denser form of Clarity's consensus serialization, for storing values: the same
//! type prefixes in the same order, with integers and lengths as LEB128 varints
//! (a `uint` below 128 takes one byte instead of sixteen), tuple field names and
//! standard principals as numbers from a [`Dictionary`], and an ASCII string of
//! lowercase hex digits (a data hash, say) as the bytes it spells, under a prefix
//! of its own. Each form converts to the other exactly, so a store can keep the
//! dense form and still give back the consensus bytes it was given.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use rustc_hash::FxBuildHasher;

use super::codec::prefix;

const INT: u8 = 0x00;
const STRING_UTF8: u8 = 0x0e;
/// The dense form's own prefix: a `string-ascii` of an even number of lowercase hex
/// digits, stored as the bytes they spell.
const HEX_ASCII: u8 = 0x8d;
/// The dense form's own prefix: a standard principal, as its number.
const NUMBERED_PRINCIPAL: u8 = 0x8e;

/// A standard principal's version byte and hash160.
pub type Address = [u8; 21];

/// Items numbered from 1 in the order they were first met.
#[derive(Debug, Clone)]
pub struct Numbering<K> {
    ids: HashMap<K, u64, FxBuildHasher>,
    items: Vec<K>,
}

impl<K> Default for Numbering<K> {
    fn default() -> Numbering<K> {
        Numbering { ids: HashMap::default(), items: Vec::new() }
    }
}

impl<K: Hash + Eq + Clone> Numbering<K> {
    /// The item's number, numbering it next if it is new.
    pub fn intern<Q: Hash + Eq + ToOwned<Owned = K> + ?Sized>(&mut self, item: &Q) -> u64
    where
        K: Borrow<Q>,
    {
        if let Some(id) = self.ids.get(item) {
            return *id;
        }
        self.items.push(item.to_owned());
        let id = self.items.len() as u64;
        self.ids.insert(item.to_owned(), id);
        id
    }

    /// The item's number, if it has one.
    pub fn id<Q: Hash + Eq + ?Sized>(&self, item: &Q) -> Option<u64>
    where
        K: Borrow<Q>,
    {
        self.ids.get(item).copied()
    }

    /// The item numbered `id`.
    pub fn item(&self, id: u64) -> Option<&K> {
        usize::try_from(id).ok()?.checked_sub(1).and_then(|index| self.items.get(index))
    }

    /// How many items it numbers.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it numbers none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items numbered after the first `known`, in order: what was added since.
    pub fn items_after(&self, known: usize) -> &[K] {
        &self.items[known.min(self.items.len())..]
    }

    /// Forgets every item numbered after the first `known`.
    pub fn truncate(&mut self, known: usize) {
        for item in self.items.drain(known.min(self.items.len())..) {
            self.ids.remove(&item);
        }
    }
}

/// What the dense form numbers: tuple field names and standard principals.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    /// Tuple field names.
    pub names: Numbering<Vec<u8>>,
    /// Standard principals.
    pub principals: Numbering<Address>,
}

/// Why dense bytes do not convert back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DenseError {
    /// A tuple field name or principal the dictionary does not number (one added
    /// by another writer, say, that this dictionary has not read yet): its number,
    /// or 0 when a name or principal was looked up.
    #[error("number {0} is not in the dictionary")]
    Unknown(u64),
    /// The bytes are not a dense value.
    #[error("not a dense Clarity value")]
    Malformed,
}

/// How a conversion to the dense form numbers what it meets: numbering what is
/// new, or only looking up.
enum Numbers<'a> {
    Intern(&'a mut Dictionary),
    Lookup(&'a Dictionary),
}

impl Numbers<'_> {
    fn name(&mut self, name: &[u8]) -> Result<u64, DenseError> {
        match self {
            Numbers::Intern(dictionary) => Ok(dictionary.names.intern(name)),
            Numbers::Lookup(dictionary) => dictionary.names.id(name).ok_or(DenseError::Unknown(0)),
        }
    }

    fn principal(&mut self, address: &Address) -> Result<u64, DenseError> {
        match self {
            Numbers::Intern(dictionary) => Ok(dictionary.principals.intern(address)),
            Numbers::Lookup(dictionary) => dictionary.principals.id(address).ok_or(DenseError::Unknown(0)),
        }
    }
}

/// The dense form of exactly one consensus-serialized value, numbering its tuple
/// field names and standard principals in `dictionary`; `None` when `consensus` is
/// not one well-formed value.
pub fn to_dense(consensus: &[u8], dictionary: &mut Dictionary) -> Option<Vec<u8>> {
    dense(consensus, &mut Numbers::Intern(dictionary)).ok()
}

/// The dense form of exactly one consensus-serialized value whose names and
/// principals `dictionary` numbers already: [`DenseError::Unknown`] when one is
/// new, [`DenseError::Malformed`] when `consensus` is not one well-formed value.
pub fn to_dense_with(consensus: &[u8], dictionary: &Dictionary) -> Result<Vec<u8>, DenseError> {
    dense(consensus, &mut Numbers::Lookup(dictionary))
}

fn dense(consensus: &[u8], numbers: &mut Numbers) -> Result<Vec<u8>, DenseError> {
    let mut input = consensus;
    let mut out = Vec::with_capacity(consensus.len());
    densify(&mut input, numbers, &mut out, 0)?;
    if input.is_empty() {
        Ok(out)
    } else {
        Err(DenseError::Malformed)
    }
}

/// The consensus serialization of exactly one dense value.
pub fn from_dense(dense: &[u8], dictionary: &Dictionary) -> Result<Vec<u8>, DenseError> {
    let mut input = dense;
    let mut out = Vec::with_capacity(dense.len() * 2);
    expand(&mut input, dictionary, &mut out, 0)?;
    if input.is_empty() {
        Ok(out)
    } else {
        Err(DenseError::Malformed)
    }
}

/// Clarity nests values at most 32 deep; more is not a value.
const MAX_DEPTH: usize = 64;

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

fn byte(input: &mut &[u8]) -> Option<u8> {
    take(input, 1).map(|b| b[0])
}

fn take_u32(input: &mut &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(take(input, 4)?.try_into().ok()?))
}

/// Appends `value` as an LEB128 varint: seven bits a byte, low first.
pub(crate) fn put_varint(mut value: u128, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A varint as `put_varint` writes it, refusing any other spelling of the number
/// (so that one value has one dense form).
pub(crate) fn take_varint(input: &mut &[u8]) -> Option<u128> {
    let mut value: u128 = 0;
    for shift in (0..128).step_by(7) {
        let next = byte(input)?;
        let bits = u128::from(next & 0x7f);
        if shift > 0 && next == 0 {
            return None;
        }
        if shift == 126 && bits > 0b11 {
            return None;
        }
        value |= bits << shift;
        if next & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The bytes a string of an even, non-zero number of lowercase hex digits spells.
fn spelled(text: &[u8]) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) || !text.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)) {
        return None;
    }
    super::unhex(std::str::from_utf8(text).ok()?)
}

fn densify(input: &mut &[u8], numbers: &mut Numbers, out: &mut Vec<u8>, depth: usize) -> Result<(), DenseError> {
    let malformed = DenseError::Malformed;
    if depth > MAX_DEPTH {
        return Err(malformed);
    }
    let tag = byte(input).ok_or(malformed)?;
    out.push(tag);
    match tag {
        INT => {
            let value = i128::from_be_bytes(take(input, 16).ok_or(malformed)?.try_into().expect("16 bytes"));
            put_varint(((value << 1) ^ (value >> 127)) as u128, out);
        }
        prefix::UINT => put_varint(u128::from_be_bytes(take(input, 16).ok_or(malformed)?.try_into().expect("16 bytes")), out),
        prefix::BUFFER | prefix::STRING_ASCII | STRING_UTF8 => {
            let length = take_u32(input).ok_or(malformed)?;
            let bytes = take(input, length as usize).ok_or(malformed)?;
            match (tag, spelled(bytes)) {
                (prefix::STRING_ASCII, Some(spelled)) => {
                    *out.last_mut().expect("the prefix just pushed") = HEX_ASCII;
                    put_varint(spelled.len() as u128, out);
                    out.extend_from_slice(&spelled);
                }
                _ => {
                    put_varint(u128::from(length), out);
                    out.extend_from_slice(bytes);
                }
            }
        }
        prefix::TRUE | prefix::FALSE | prefix::NONE => {}
        prefix::STANDARD_PRINCIPAL => {
            let address: &Address = take(input, 21).ok_or(malformed)?.try_into().expect("21 bytes");
            *out.last_mut().expect("the prefix just pushed") = NUMBERED_PRINCIPAL;
            put_varint(u128::from(numbers.principal(address)?), out);
        }
        prefix::CONTRACT_PRINCIPAL => {
            out.extend_from_slice(take(input, 21).ok_or(malformed)?);
            let length = byte(input).ok_or(malformed)?;
            out.push(length);
            out.extend_from_slice(take(input, usize::from(length)).ok_or(malformed)?);
        }
        prefix::OK | prefix::ERR | prefix::SOME => densify(input, numbers, out, depth + 1)?,
        prefix::LIST => {
            let count = take_u32(input).ok_or(malformed)?;
            put_varint(u128::from(count), out);
            for _ in 0..count {
                densify(input, numbers, out, depth + 1)?;
            }
        }
        prefix::TUPLE => {
            let count = take_u32(input).ok_or(malformed)?;
            put_varint(u128::from(count), out);
            for _ in 0..count {
                let length = byte(input).ok_or(malformed)?;
                let name = take(input, usize::from(length)).ok_or(malformed)?;
                put_varint(u128::from(numbers.name(name)?), out);
                densify(input, numbers, out, depth + 1)?;
            }
        }
        _ => return Err(malformed),
    }
    Ok(())
}

fn expand(input: &mut &[u8], dictionary: &Dictionary, out: &mut Vec<u8>, depth: usize) -> Result<(), DenseError> {
    let malformed = DenseError::Malformed;
    if depth > MAX_DEPTH {
        return Err(malformed);
    }
    let tag = byte(input).ok_or(malformed)?;
    out.push(tag);
    let length = |input: &mut &[u8]| -> Result<u32, DenseError> { take_varint(input).and_then(|n| u32::try_from(n).ok()).ok_or(malformed) };
    match tag {
        INT => {
            let zigzag = take_varint(input).ok_or(malformed)?;
            let value = ((zigzag >> 1) as i128) ^ -((zigzag & 1) as i128);
            out.extend_from_slice(&value.to_be_bytes());
        }
        prefix::UINT => out.extend_from_slice(&take_varint(input).ok_or(malformed)?.to_be_bytes()),
        prefix::BUFFER | prefix::STRING_ASCII | STRING_UTF8 => {
            let n = length(input)?;
            out.extend_from_slice(&n.to_be_bytes());
            out.extend_from_slice(take(input, n as usize).ok_or(malformed)?);
        }
        HEX_ASCII => {
            *out.last_mut().expect("the prefix just pushed") = prefix::STRING_ASCII;
            let n = length(input)?;
            let bytes = take(input, n as usize).ok_or(malformed)?;
            out.extend_from_slice(&(n * 2).to_be_bytes());
            out.extend_from_slice(super::hex(bytes).as_bytes());
        }
        prefix::TRUE | prefix::FALSE | prefix::NONE => {}
        // As the dense form was written before principals were numbered: read only
        // to move such a state into the current form.
        prefix::STANDARD_PRINCIPAL => out.extend_from_slice(take(input, 21).ok_or(malformed)?),
        NUMBERED_PRINCIPAL => {
            *out.last_mut().expect("the prefix just pushed") = prefix::STANDARD_PRINCIPAL;
            let id = u64::try_from(take_varint(input).ok_or(malformed)?).map_err(|_| malformed)?;
            out.extend_from_slice(dictionary.principals.item(id).ok_or(DenseError::Unknown(id))?);
        }
        prefix::CONTRACT_PRINCIPAL => {
            out.extend_from_slice(take(input, 21).ok_or(malformed)?);
            let n = byte(input).ok_or(malformed)?;
            out.push(n);
            out.extend_from_slice(take(input, usize::from(n)).ok_or(malformed)?);
        }
        prefix::OK | prefix::ERR | prefix::SOME => expand(input, dictionary, out, depth + 1)?,
        prefix::LIST => {
            let count = length(input)?;
            out.extend_from_slice(&count.to_be_bytes());
            for _ in 0..count {
                expand(input, dictionary, out, depth + 1)?;
            }
        }
        prefix::TUPLE => {
            let count = length(input)?;
            out.extend_from_slice(&count.to_be_bytes());
            for _ in 0..count {
                let id = u64::try_from(take_varint(input).ok_or(malformed)?).map_err(|_| DenseError::Malformed)?;
                let name = dictionary.names.item(id).ok_or(DenseError::Unknown(id))?;
                out.push(u8::try_from(name.len()).map_err(|_| DenseError::Malformed)?);
                out.extend_from_slice(name);
                expand(input, dictionary, out, depth + 1)?;
            }
        }
        _ => return Err(DenseError::Malformed),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Consensus bytes of an arbitrary value of every kind the serialization has.
    fn value() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            any::<i128>().prop_map(|n| [vec![INT], n.to_be_bytes().to_vec()].concat()),
            prop_oneof![any::<u128>(), 0u128..300].prop_map(|n| [vec![prefix::UINT], n.to_be_bytes().to_vec()].concat()),
            (prop::sample::select(vec![prefix::BUFFER, prefix::STRING_ASCII, STRING_UTF8]), prop::collection::vec(any::<u8>(), 0..200))
                .prop_map(|(tag, bytes)| [vec![tag], (bytes.len() as u32).to_be_bytes().to_vec(), bytes].concat()),
            "[0-9a-fA-F]{0,70}".prop_map(|text| [vec![prefix::STRING_ASCII], (text.len() as u32).to_be_bytes().to_vec(), text.into_bytes()].concat()),
            prop::sample::select(vec![prefix::TRUE, prefix::FALSE, prefix::NONE]).prop_map(|tag| vec![tag]),
            prop::collection::vec(any::<u8>(), 21).prop_map(|bytes| [vec![prefix::STANDARD_PRINCIPAL], bytes].concat()),
            (prop::collection::vec(any::<u8>(), 21), "[a-z-]{1,40}").prop_map(|(bytes, name)| [
                vec![prefix::CONTRACT_PRINCIPAL],
                bytes,
                vec![name.len() as u8],
                name.into_bytes()
            ]
            .concat()),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                (prop::sample::select(vec![prefix::OK, prefix::ERR, prefix::SOME]), inner.clone()).prop_map(|(tag, v)| [vec![tag], v].concat()),
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|items| [vec![prefix::LIST], (items.len() as u32).to_be_bytes().to_vec(), items.concat()].concat()),
                prop::collection::vec(("[a-z][a-z-]{0,20}", inner), 0..6).prop_map(|fields| {
                    let mut out = vec![prefix::TUPLE];
                    out.extend_from_slice(&(fields.len() as u32).to_be_bytes());
                    for (name, v) in fields {
                        out.push(name.len() as u8);
                        out.extend_from_slice(name.as_bytes());
                        out.extend_from_slice(&v);
                    }
                    out
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn every_value_converts_back_to_its_exact_consensus_bytes(consensus in value()) {
            let mut names = Dictionary::default();
            let dense = to_dense(&consensus, &mut names).expect("a well-formed value");
            prop_assert_eq!(from_dense(&dense, &names), Ok(consensus));
        }

        #[test]
        fn bytes_that_are_not_one_value_have_no_dense_form(consensus in value(), extra in any::<u8>(), cut in any::<prop::sample::Index>()) {
            let mut names = Dictionary::default();
            let longer = [consensus.clone(), vec![extra]].concat();
            prop_assert_eq!(to_dense(&longer, &mut names), None);
            let shorter = &consensus[..cut.index(consensus.len())];
            prop_assert_eq!(to_dense(shorter, &mut names), None);
        }
    }

    #[test]
    fn a_uint_below_128_takes_two_bytes_and_names_take_one() {
        let mut names = Dictionary::default();
        let uint = [vec![prefix::UINT], 5u128.to_be_bytes().to_vec()].concat();
        assert_eq!(to_dense(&uint, &mut names), Some(vec![prefix::UINT, 5]));
        let tuple = [vec![prefix::TUPLE, 0, 0, 0, 1, 9], b"data-type".to_vec(), uint].concat();
        assert_eq!(to_dense(&tuple, &mut names), Some(vec![prefix::TUPLE, 1, 1, prefix::UINT, 5]));
        assert_eq!(names.names.item(1).map(Vec::as_slice), Some(&b"data-type"[..]));
    }

    #[test]
    fn a_lowercase_hex_string_is_stored_as_the_bytes_it_spells() {
        let mut names = Dictionary::default();
        let text = "ab".repeat(32);
        let ascii = [vec![prefix::STRING_ASCII], 64u32.to_be_bytes().to_vec(), text.clone().into_bytes()].concat();
        let dense = to_dense(&ascii, &mut names).unwrap();
        assert_eq!(dense, [vec![HEX_ASCII, 32], vec![0xab; 32]].concat());
        assert_eq!(from_dense(&dense, &names), Ok(ascii));
        let upper = [vec![prefix::STRING_ASCII], 2u32.to_be_bytes().to_vec(), b"AB".to_vec()].concat();
        assert_eq!(to_dense(&upper, &mut names), Some(vec![prefix::STRING_ASCII, 2, b'A', b'B']));
    }

    #[test]
    fn a_standard_principal_is_stored_as_its_number_and_a_contract_principal_as_given() {
        let mut dictionary = Dictionary::default();
        let alice = [vec![prefix::STANDARD_PRINCIPAL, 26], vec![7; 20]].concat();
        let bob = [vec![prefix::STANDARD_PRINCIPAL, 26], vec![9; 20]].concat();
        assert_eq!(to_dense(&alice, &mut dictionary), Some(vec![NUMBERED_PRINCIPAL, 1]));
        assert_eq!(to_dense(&bob, &mut dictionary), Some(vec![NUMBERED_PRINCIPAL, 2]));
        assert_eq!(to_dense_with(&alice, &dictionary), Ok(vec![NUMBERED_PRINCIPAL, 1]));
        assert_eq!(from_dense(&[NUMBERED_PRINCIPAL, 2], &dictionary), Ok(bob));
        assert_eq!(from_dense(&[NUMBERED_PRINCIPAL, 3], &dictionary), Err(DenseError::Unknown(3)));
        let carol = [vec![prefix::STANDARD_PRINCIPAL, 26], vec![1; 20]].concat();
        assert_eq!(to_dense_with(&carol, &dictionary), Err(DenseError::Unknown(0)));
        let contract = [vec![prefix::CONTRACT_PRINCIPAL, 26], vec![7; 20], vec![1, b'c']].concat();
        assert_eq!(to_dense(&contract, &mut dictionary), Some(contract.clone()));
    }

    #[test]
    fn a_numbering_forgets_what_was_numbered_after_a_truncation() {
        let mut numbering: Numbering<Vec<u8>> = Numbering::default();
        assert_eq!((numbering.intern(&b"a"[..]), numbering.intern(&b"b"[..]), numbering.intern(&b"a"[..])), (1, 2, 1));
        numbering.truncate(1);
        assert_eq!((numbering.len(), numbering.id(&b"b"[..]), numbering.item(2)), (1, None, None));
        assert_eq!(numbering.intern(&b"c"[..]), 2);
        assert_eq!(numbering.items_after(1), &[b"c".to_vec()]);
    }

    #[test]
    fn an_unknown_name_number_or_another_spelling_of_a_varint_is_refused() {
        let names = Dictionary::default();
        assert_eq!(from_dense(&[prefix::TUPLE, 1, 7, prefix::TRUE], &names), Err(DenseError::Unknown(7)));
        assert_eq!(from_dense(&[prefix::UINT, 0x85, 0x00], &names), Err(DenseError::Malformed));
    }
}
