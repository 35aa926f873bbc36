//! Resource ids: stable, and enough to find the resource again.
//!
//! An id names the patient and the entry it comes from, so `GET /fhir/Consent/{id}`
//! reads one resource without an index: `c{seq}-{patient}` for the consent the
//! grant or override at audit entry `seq` opened, `t{seq}-{patient}` for that
//! audit entry as an `AuditEvent`, `a{log}-{patient}` for access-log entry `log` of
//! one of the patient's records. The patient is written as its address, followed,
//! for a contract principal, by `.` and the contract's name with each `_` as `.`
//! (FHIR ids allow letters, digits, `-` and `.`; contract names never hold `.`).
//! A contract principal whose id would pass FHIR's 64 characters gets an id made
//! from a hash of it instead, which reads back as nothing.

use clarimed_engine::{parse_principal, principal_to_string, Principal};

/// FHIR's bound on an id's length.
const MAX_ID: usize = 64;

/// Where a resource comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A `Consent`: the one opened at this audit entry.
    Consent(u128),
    /// An `AuditEvent` of this audit entry.
    Trail(u128),
    /// An `AuditEvent` of this access-log entry.
    Access(u128),
}

impl Source {
    fn letter(self) -> char {
        match self {
            Source::Consent(_) => 'c',
            Source::Trail(_) => 't',
            Source::Access(_) => 'a',
        }
    }

    fn number(self) -> u128 {
        match self {
            Source::Consent(n) | Source::Trail(n) | Source::Access(n) => n,
        }
    }
}

/// The id of the resource from `source` about `patient`.
pub fn id(source: Source, patient: &Principal) -> String {
    let text = principal_to_string(patient).replace('_', ".");
    let id = format!("{}{}-{text}", source.letter(), source.number());
    if id.len() <= MAX_ID {
        return id;
    }
    let hash = <sha2::Sha256 as sha2::Digest>::digest(principal_to_string(patient).as_bytes());
    format!("{}{}-x{}", source.letter(), source.number(), clarimed_engine::hex(&hash[..16]))
}

/// The source and patient an id names, if it is one [`id`] makes (and not a
/// hashed one).
pub fn parse(id: &str) -> Option<(Source, Principal)> {
    let (head, patient) = id.split_once('-')?;
    let mut chars = head.chars();
    let letter = chars.next()?;
    let digits = chars.as_str();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    let number: u128 = digits.parse().ok()?;
    let source = match letter {
        'c' => Source::Consent(number),
        't' => Source::Trail(number),
        'a' => Source::Access(number),
        _ => return None,
    };
    let principal = match patient.split_once('.') {
        Some((address, name)) => parse_principal(&format!("{address}.{}", name.replace('.', "_"))).ok()?,
        None => parse_principal(patient).ok()?,
    };
    // One spelling only: the id must be the one `id` makes.
    (self::id(source, &principal) == id).then_some((source, principal))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";

    #[test]
    fn an_id_reads_back_as_its_source_and_patient() {
        let patient = parse_principal(PATIENT).unwrap();
        for source in [Source::Consent(0), Source::Trail(17), Source::Access(340_282)] {
            let made = id(source, &patient);
            assert!(made.len() <= MAX_ID && made.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'), "{made}");
            assert_eq!(parse(&made), Some((source, patient.clone())));
        }
        assert_eq!(id(Source::Consent(3), &patient), format!("c3-{PATIENT}"));
    }

    #[test]
    fn a_contract_patient_keeps_its_name_with_underscores_as_dots() {
        let patient = parse_principal(&format!("{PATIENT}.my_app")).unwrap();
        let made = id(Source::Trail(2), &patient);
        assert_eq!(made, format!("t2-{PATIENT}.my.app"));
        assert_eq!(parse(&made), Some((Source::Trail(2), patient)));
    }

    #[test]
    fn an_id_too_long_for_fhir_is_hashed_and_reads_back_as_nothing() {
        let patient = parse_principal(&format!("{PATIENT}.a-contract-name-long-enough-to-overflow")).unwrap();
        let made = id(Source::Access(1), &patient);
        assert!(made.len() <= MAX_ID && made.starts_with("a1-x"), "{made}");
        assert_eq!(parse(&made), None);
    }

    #[test]
    fn anything_else_is_no_id() {
        for text in ["", "c-ST1", "x1-", "c01-ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5", "c1-nobody", "c1", "t1-ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5.a_b"]
        {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
