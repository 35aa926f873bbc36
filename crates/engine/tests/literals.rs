//! Values printed as Clarity literals (`clarimed`'s output, divergence scripts) parse
//! back to the same values. Cases found by the `values` fuzz target.

use clarimed_engine::clarity::Value;
use clarimed_engine::parse_literal;
use clarimed_engine::to_literal;

fn round_trip(text: &str) {
    let value = parse_literal(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let printed = to_literal(&value);
    let again = parse_literal(&printed).unwrap_or_else(|e| panic!("`{printed}`, printed from `{text}`: {e}"));
    assert_eq!(again.serialize_to_vec().unwrap(), value.serialize_to_vec().unwrap(), "`{text}` printed as `{printed}`");
}

#[test]
fn a_utf8_string_with_nul_characters_prints_as_a_literal_that_parses_back() {
    round_trip("u\",\0\0 \"");
}

#[test]
fn a_utf8_string_with_characters_beyond_ascii_prints_their_code_points() {
    round_trip("u\"caf\\u{e9} \\u{1F600}\"");
    let value = parse_literal("u\"\\u{e9}\"").unwrap();
    assert_eq!(to_literal(&value), "u\"\\u{e9}\"");
}

#[test]
fn an_ascii_string_with_escapes_prints_as_a_literal_that_parses_back() {
    round_trip("\"a \\\"quoted\\\" \\\\ line\\n\\ttab\"");
}

#[test]
fn nested_values_print_as_literals_that_parse_back() {
    round_trip("{ a: (some (list u1 u2)), b: (ok -3), c: 0x00ff, d: u\"\\u{e9}\" }");
    assert!(matches!(parse_literal("(err u1)"), Ok(Value::Response(_))));
}

#[test]
fn literals_print_in_clarity_syntax() {
    use clarimed_reference::values::{ascii, buff, list, none, principal, some, tuple, uint};
    use clarity::vm::types::{PrincipalData, StandardPrincipalData};
    use clarity::vm::Value;
    let who = PrincipalData::from(StandardPrincipalData::transient());
    let value = tuple(&[
        ("a", uint(5)),
        ("b", some(list(vec![uint(1), uint(2)]))),
        ("c", ascii("say \"hi\"")),
        ("d", buff(&[0, 255])),
        ("e", principal(who.clone())),
        ("f", none()),
    ]);
    assert_eq!(to_literal(&value), format!("{{ a: u5, b: (some (list u1 u2)), c: \"say \\\"hi\\\"\", d: 0x00ff, e: '{who}, f: none }}"));
    assert_eq!(to_literal(&Value::okay(uint(1)).unwrap()), "(ok u1)");
    assert_eq!(to_literal(&Value::error(uint(212)).unwrap()), "(err u212)");
}
