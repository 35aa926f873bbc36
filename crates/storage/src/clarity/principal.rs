//! Clarity principals: a standard principal (an address: version byte and hash160),
//! or a contract principal (an address and a contract name).

use super::codec::{prefix, ClarityType, DecodeError, Reader};

/// A principal as Clarity serializes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Principal {
    /// The address version (26 for testnet single-sig `ST…`).
    pub version: u8,
    /// The address's hash160.
    pub hash160: [u8; 20],
    /// `Some` for a contract principal.
    pub contract_name: Option<Box<str>>,
}

impl Principal {
    /// The standard principal (an address) `version`, `hash160`.
    pub fn standard(version: u8, hash160: [u8; 20]) -> Principal {
        Principal { version, hash160, contract_name: None }
    }

    /// The length of its consensus serialization, without serializing it: what
    /// `is-eq` and the other serialized-size charges count.
    pub fn serialized_len(&self) -> u64 {
        let address = 1 + 1 + 20;
        address + self.contract_name.as_ref().map_or(0, |name| 1 + name.len() as u64)
    }
}

impl Principal {
    /// Whether Clarity can hold it: a contract principal's name must be one Clarity
    /// allows (the address version is not checked, as clarity-vm does not).
    pub fn is_valid(&self) -> bool {
        self.contract_name.as_deref().is_none_or(|name| is_contract_name(name.as_bytes()))
    }
}

/// What clarity-vm's deserializer takes as a contract name: a letter, then letters,
/// digits, `-` or `_`, 128 bytes at most; or `__transient`.
fn is_contract_name(name: &[u8]) -> bool {
    let well_formed = match name.split_first() {
        Some((first, rest)) => first.is_ascii_alphabetic() && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'),
        None => false,
    };
    name.len() <= 128 && (well_formed || name == b"__transient")
}

/// Hashes the address as three words rather than byte by byte: principals key the
/// permission check's caches.
impl std::hash::Hash for Principal {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let h = &self.hash160;
        state.write_u64(u64::from_le_bytes(h[0..8].try_into().expect("8 bytes")));
        state.write_u64(u64::from_le_bytes(h[8..16].try_into().expect("8 bytes")));
        let tail = u32::from_le_bytes(h[16..20].try_into().expect("4 bytes"));
        state.write_u64(u64::from(tail) << 8 | u64::from(self.version));
        if let Some(name) = &self.contract_name {
            state.write(name.as_bytes());
        }
    }
}

impl ClarityType for Principal {
    fn encode(&self, out: &mut Vec<u8>) {
        match &self.contract_name {
            None => out.push(prefix::STANDARD_PRINCIPAL),
            Some(_) => out.push(prefix::CONTRACT_PRINCIPAL),
        }
        out.push(self.version);
        out.extend_from_slice(&self.hash160);
        if let Some(name) = &self.contract_name {
            out.push(u8::try_from(name.len()).expect("contract names are at most 128 bytes"));
            out.extend_from_slice(name.as_bytes());
        }
    }

    fn decode(input: &mut Reader<'_>) -> Result<Principal, DecodeError> {
        let kind = input.byte()?;
        let version = input.byte()?;
        let hash160 = input.take(20)?.try_into().expect("20 bytes");
        let contract_name = match kind {
            prefix::STANDARD_PRINCIPAL => None,
            prefix::CONTRACT_PRINCIPAL => {
                let length = input.byte()? as usize;
                let name = input.take(length)?;
                if !is_contract_name(name) {
                    return Err(DecodeError::BadContractName(String::from_utf8_lossy(name).into_owned()));
                }
                Some(String::from_utf8(name.to_vec()).expect("ASCII").into_boxed_str())
            }
            found => return Err(DecodeError::UnexpectedPrefix { expected: prefix::STANDARD_PRINCIPAL, found }),
        };
        Ok(Principal { version, hash160, contract_name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_len_is_the_encodings_length() {
        for principal in [Principal::standard(26, [7; 20]), Principal { version: 22, hash160: [1; 20], contract_name: Some("a-contract".into()) }] {
            assert_eq!(principal.serialized_len(), principal.to_bytes().len() as u64);
        }
    }
}
