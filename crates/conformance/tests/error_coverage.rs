//! Every error code of both contracts is raised by at least one named scenario: a
//! `fn uNNN_…` in `consent_errors.rs` or `records_errors.rs` (which assert the code on
//! every engine).

use clarimed_consent::codes::ConsentError;
use clarimed_records::codes::RecordsError;

const CONSENT_TESTS: &str = include_str!("consent_errors.rs");
const RECORDS_TESTS: &str = include_str!("records_errors.rs");

fn codes_without_a_test(source: &str, codes: impl Iterator<Item = u128>) -> Vec<u128> {
    codes.filter(|code| !source.contains(&format!("scenario! {{\n    fn u{code}_"))).collect()
}

#[test]
fn every_patient_consent_error_code_has_a_named_test() {
    let missing = codes_without_a_test(CONSENT_TESTS, ConsentError::ALL.iter().map(|e| e.code()));
    assert!(missing.is_empty(), "no test raises these codes: {missing:?}");
}

#[test]
fn every_record_management_error_code_has_a_named_test() {
    let missing = codes_without_a_test(RECORDS_TESTS, RecordsError::ALL.iter().map(|e| e.code()));
    assert!(missing.is_empty(), "no test raises these codes: {missing:?}");
}
