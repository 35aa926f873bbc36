//! Clarity literals as text (the command line's arguments), parsed with clarity-vm's
//! own parser:
//! `u5`, `-3`, `'ST1…`, `"text"`, `0x00ff`, `none`, `true`, `(some u10)`,
//! `(list u1 u2)`, `{ a: u1, b: true }`. Only literals: nothing is evaluated.

use clarity::types::StacksEpochId;
use clarity::vm::ast::{build_ast_with_rules, ASTRules};
use clarity::vm::representations::SymbolicExpressionType;
use clarity::vm::types::{ASCIIData, CharType, OptionalData, QualifiedContractIdentifier, ResponseData, SequenceData, TupleData, UTF8Data};
use clarity::vm::{ClarityName, ClarityVersion, SymbolicExpression, Value};

use crate::error::EngineError;

/// Parses one literal; [`EngineError::InvalidLiteral`] says what is wrong with it.
pub fn parse_literal(text: &str) -> Result<Value, EngineError> {
    parse(text).map_err(EngineError::InvalidLiteral)
}

/// The value of one already-parsed literal expression, for callers that parse a
/// larger form around it (a script's `(contract-call? .contract function ARG …)`).
pub fn literal_value(expression: &SymbolicExpression) -> Result<Value, EngineError> {
    value(expression).map_err(EngineError::InvalidLiteral)
}

/// `text` as Clarity 2 expressions at epoch 2.5, as the contracts are parsed; `.name`
/// reads as a contract of the transient issuer. Nothing is evaluated.
pub fn parse_expressions(text: &str) -> Result<Vec<SymbolicExpression>, EngineError> {
    build_ast_with_rules(&QualifiedContractIdentifier::transient(), text, &mut (), ClarityVersion::Clarity2, StacksEpochId::Epoch25, ASTRules::PrecheckSize)
        .map(|ast| ast.expressions)
        .map_err(|e| EngineError::InvalidLiteral(format!("does not parse: {e}")))
}

fn parse(text: &str) -> Result<Value, String> {
    let expressions = parse_expressions(text).map_err(|e| format!("`{text}` {e}"))?;
    match expressions.as_slice() {
        [expression] => value(expression).map_err(|e| format!("`{text}` is not a Clarity literal: {e}")),
        [] => Err("an empty argument is not a Clarity literal".to_string()),
        _ => Err(format!("`{text}` is more than one value (quote it as one argument)")),
    }
}

fn value(expression: &SymbolicExpression) -> Result<Value, String> {
    match &expression.expr {
        SymbolicExpressionType::LiteralValue(value) | SymbolicExpressionType::AtomValue(value) => Ok(value.clone()),
        SymbolicExpressionType::Atom(name) => match name.as_str() {
            "none" => Ok(Value::none()),
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            other => Err(format!("`{other}` is a name, not a value")),
        },
        SymbolicExpressionType::List(items) => {
            let (head, rest) = items.split_first().ok_or("`()` is not a value")?;
            let form = head.match_atom().map(|name| name.as_str()).ok_or("a list must start with some, ok, err, list or tuple")?;
            match (form, rest) {
                ("some", [inner]) => Value::some(value(inner)?).map_err(|e| e.to_string()),
                ("ok", [inner]) => Value::okay(value(inner)?).map_err(|e| e.to_string()),
                ("err", [inner]) => Value::error(value(inner)?).map_err(|e| e.to_string()),
                ("list", items) => {
                    let items = items.iter().map(value).collect::<Result<Vec<_>, _>>()?;
                    Value::cons_list_unsanitized(items).map_err(|e| format!("list items of different types: {e}"))
                }
                ("tuple", fields) => tuple(fields),
                (other, _) => Err(format!("`({other} …)` is not a literal form")),
            }
        }
        _ => Err("not a literal".to_string()),
    }
}

fn tuple(fields: &[SymbolicExpression]) -> Result<Value, String> {
    let fields = fields
        .iter()
        .map(|field| match field.match_list() {
            Some([name, inner]) => {
                let name = name.match_atom().ok_or("a tuple field needs a name")?;
                Ok((ClarityName::from(name.as_str()), value(inner)?))
            }
            _ => Err("a tuple field is `name: value`".to_string()),
        })
        .collect::<Result<Vec<_>, String>>()?;
    TupleData::from_data(fields).map(Value::Tuple).map_err(|e| format!("a bad tuple: {e}"))
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
            let fields: Vec<String> = tuple.data_map.iter().map(|(name, value)| format!("{}: {}", name.as_str(), to_literal(value))).collect();
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
                    _ => std::str::from_utf8(encoded).ok().and_then(|c| c.chars().next()).map_or_else(String::new, |c| format!("\\u{{{:x}}}", u32::from(c))),
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
    use super::parse_literal as parse;
    use clarity::vm::Value;

    #[test]
    fn every_literal_form_parses() {
        for text in [
            "u5",
            "-3",
            "'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM",
            "\"text\"",
            "0x00ff",
            "none",
            "true",
            "(some u10)",
            "(list u1 u2)",
            "{ a: u1, b: (some \"x\") }",
            "(tuple (a u1))",
        ] {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text));
        }
        assert_eq!(parse("(some u10)").unwrap(), Value::some(Value::UInt(10)).unwrap());
    }

    #[test]
    fn what_is_not_a_literal_is_refused_with_a_reason() {
        for text in ["(+ u1 u2)", "u1 u2", "", "(some", "x", "(list u1 true)", "'ST1NOTAPRINCIPAL"] {
            assert!(parse(text).is_err(), "{text} should be refused");
        }
    }
}
