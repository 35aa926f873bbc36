//! The engine's own records (receipts, undo records) as bytes: fixed-width
//! big-endian numbers and length-prefixed byte strings.

/// Appends `bytes` after its length.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The next `n` bytes, consumed.
pub(crate) fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

pub(crate) fn take_u32(input: &mut &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(take(input, 4)?.try_into().ok()?))
}

pub(crate) fn take_u64(input: &mut &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(take(input, 8)?.try_into().ok()?))
}

/// A byte string written by [`put_bytes`].
pub(crate) fn take_bytes(input: &mut &[u8]) -> Option<Vec<u8>> {
    let len = take_u32(input)? as usize;
    Some(take(input, len)?.to_vec())
}
