//! Building Clarity values, and printing them back as Clarity literals.

use clarity::vm::types::{
    ASCIIData, CharType, OptionalData, PrincipalData, ResponseData, SequenceData, TupleData, UTF8Data,
};
use clarity::vm::{ClarityName, Value};

pub fn uint(n: u128) -> Value {
    Value::UInt(n)
}

/// A `string-ascii`; panics on a non-ASCII string, which is a bug in the caller.
pub fn ascii(text: &str) -> Value {
    Value::string_ascii_from_bytes(text.as_bytes().to_vec()).expect("an ASCII string")
}

pub fn buff(bytes: &[u8]) -> Value {
    Value::buff_from(bytes.to_vec()).expect("a buffer within Clarity's size limit")
}

pub fn principal(principal: impl Into<PrincipalData>) -> Value {
    Value::Principal(principal.into())
}

pub fn some(value: Value) -> Value {
    Value::some(value).expect("an optional within Clarity's size limit")
}

pub fn none() -> Value {
    Value::none()
}

pub fn list(items: Vec<Value>) -> Value {
    Value::cons_list_unsanitized(items).expect("a list of one type")
}

/// A tuple; panics on a repeated or malformed field name, a bug in the caller.
pub fn tuple(fields: &[(&str, Value)]) -> Value {
    let data = fields
        .iter()
        .map(|(name, value)| {
            let name = ClarityName::try_from(name.to_string()).expect("a Clarity field name");
            (name, value.clone())
        })
        .collect();
    Value::Tuple(TupleData::from_data(data).expect("distinct field names"))
}

/// `value` in Clarity's literal syntax, as one would type it in a contract call:
/// `u5`, `'ST1…`, `"text"`, `(some u1)`, `(list u1 u2)`, `{ a: u1, b: true }`.
pub fn to_literal(value: &Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => format!("u{n}"),
        Value::Bool(b) => b.to_string(),
        Value::Principal(p) => format!("'{p}"),
        Value::Optional(OptionalData { data: None }) => "none".to_string(),
        Value::Optional(OptionalData { data: Some(inner) }) => format!("(some {})", to_literal(inner)),
        Value::Response(ResponseData { committed, data }) => {
            format!("({} {})", if *committed { "ok" } else { "err" }, to_literal(data))
        }
        Value::Tuple(tuple) => {
            let fields: Vec<String> = tuple
                .data_map
                .iter()
                .map(|(name, value)| format!("{}: {}", name.as_str(), to_literal(value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Value::Sequence(SequenceData::List(list)) => {
            let items: Vec<String> = list.data.iter().map(to_literal).collect();
            if items.is_empty() {
                "(list)".to_string()
            } else {
                format!("(list {})", items.join(" "))
            }
        }
        Value::Sequence(SequenceData::String(CharType::ASCII(ASCIIData { data }))) => {
            format!("\"{}\"", escape(data))
        }
        // clarity-vm's own printing writes a UTF-8 character's bytes, not its code
        // point, in `\u{…}`, and `\x..` escapes its lexer refuses.
        Value::Sequence(SequenceData::String(CharType::UTF8(UTF8Data { data }))) => {
            let text: String = data
                .iter()
                .map(|encoded| match encoded.as_slice() {
                    [byte] if byte.is_ascii_graphic() || *byte == b' ' => escape(&[*byte]),
                    _ => std::str::from_utf8(encoded)
                        .ok()
                        .and_then(|c| c.chars().next())
                        .map_or_else(String::new, |c| format!("\\u{{{:x}}}", u32::from(c))),
                })
                .collect();
            format!("u\"{text}\"")
        }
        // Buffers and callable contracts print the same either way.
        other => other.to_string(),
    }
}

fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'"' => "\\\"".to_string(),
            b'\\' => "\\\\".to_string(),
            b'\n' => "\\n".to_string(),
            b'\t' => "\\t".to_string(),
            b'\r' => "\\r".to_string(),
            b'\0' => "\\0".to_string(),
            _ => (b as char).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clarity::vm::types::StandardPrincipalData;

    #[test]
    fn literals_print_in_clarity_syntax() {
        let who = PrincipalData::from(StandardPrincipalData::transient());
        let value = tuple(&[
            ("a", uint(5)),
            ("b", some(list(vec![uint(1), uint(2)]))),
            ("c", ascii("say \"hi\"")),
            ("d", buff(&[0, 255])),
            ("e", principal(who.clone())),
            ("f", none()),
        ]);
        assert_eq!(
            to_literal(&value),
            format!("{{ a: u5, b: (some (list u1 u2)), c: \"say \\\"hi\\\"\", d: 0x00ff, e: '{who}, f: none }}")
        );
        assert_eq!(to_literal(&Value::okay(uint(1)).unwrap()), "(ok u1)");
        assert_eq!(to_literal(&Value::error(uint(212)).unwrap()), "(err u212)");
    }
}
