//! Building Clarity values (`clarimed_engine::to_literal` prints them back).

use clarity::vm::types::{PrincipalData, TupleData};
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
