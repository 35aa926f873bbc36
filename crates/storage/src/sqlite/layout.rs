//! How the store's keys and values are laid out in SQLite rows: densely, while
//! every read gives back exactly the bytes written.
//!
//! A map entry's key, `vm::{contract}::0::{map}::` then the map key's consensus
//! bytes, is the row key `varint(prefix id)` then the map key in the dense form
//! ([`crate::clarity::to_dense`]): the ~80-byte prefix, repeated in every row of a
//! map, is stored once, in the `prefixes` table. Every other key (data vars, the
//! engine's bookkeeping, a map key that is not one value) is the row key `0x00`
//! then the key itself. A value under a `vm::` key that is one Clarity value is
//! stored as `0x01` then its dense form; any other value as `0x00` then its bytes.
//! Tuple field names are numbered in the `names` table.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use crate::clarity::dense::{put_varint, take_varint};
use crate::clarity::{from_dense, to_dense, to_dense_with, DenseError, Dictionary};

/// Why a row does not read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowError {
    /// It names a prefix or a field name this layout has not numbered: another
    /// connection wrote it since the layout was loaded.
    Unknown,
    /// It is not a row this layout writes.
    Malformed,
}

impl From<DenseError> for RowError {
    fn from(error: DenseError) -> RowError {
        match error {
            DenseError::UnknownName(_) => RowError::Unknown,
            DenseError::Malformed => RowError::Malformed,
        }
    }
}

const RAW: u8 = 0x00;
const DENSE: u8 = 0x01;

/// The prefixes and field names numbered so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    prefixes: Vec<Vec<u8>>,
    prefix_ids: HashMap<Vec<u8>, u64>,
    names: Dictionary,
}

/// Where a key's bytes are laid out: under a numbered map prefix, or raw.
enum Split<'a> {
    Map { prefix: &'a [u8], map_key: &'a [u8] },
    Raw,
}

/// A map entry's key split after `vm::{contract}::0::{map}::`. Neither a contract
/// identifier nor a map name holds a `:`, so each ends at the first one.
fn split(key: &[u8]) -> Split<'_> {
    let Some(rest) = key.strip_prefix(b"vm::") else {
        return Split::Raw;
    };
    let Some(contract_end) = rest.iter().position(|&b| b == b':') else {
        return Split::Raw;
    };
    if !rest[contract_end..].starts_with(b"::0::") {
        return Split::Raw;
    }
    let map_start = 4 + contract_end + 5;
    match key[map_start..].iter().position(|&b| b == b':') {
        Some(map_end) if key[map_start + map_end..].starts_with(b"::") => {
            let end = map_start + map_end + 2;
            Split::Map { prefix: &key[..end], map_key: &key[end..] }
        }
        _ => Split::Raw,
    }
}

fn raw_row(bytes: &[u8]) -> Vec<u8> {
    let mut row = Vec::with_capacity(bytes.len() + 1);
    row.push(RAW);
    row.extend_from_slice(bytes);
    row
}

impl Layout {
    /// The layout as the database numbers it.
    pub(crate) fn load(connection: &Connection) -> rusqlite::Result<Layout> {
        let mut layout = Layout::default();
        let mut statement = connection.prepare_cached("SELECT prefix FROM prefixes ORDER BY id")?;
        for prefix in statement.query_map([], |row| row.get::<_, Vec<u8>>(0))? {
            layout.intern_prefix(&prefix?);
        }
        let mut statement = connection.prepare_cached("SELECT name FROM names ORDER BY id")?;
        let names = statement.query_map([], |row| row.get::<_, Vec<u8>>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        layout.names = Dictionary::from_names(names);
        Ok(layout)
    }

    /// How many prefixes and names it numbers: what [`Layout::save_since`] takes.
    pub(crate) fn mark(&self) -> (usize, usize) {
        (self.prefixes.len(), self.names.len())
    }

    /// Writes the prefixes and names numbered since `mark`.
    pub(crate) fn save_since(&self, mark: (usize, usize), connection: &Connection) -> rusqlite::Result<()> {
        let mut insert = connection.prepare_cached("INSERT INTO prefixes (id, prefix) VALUES (?1, ?2)")?;
        for (index, prefix) in self.prefixes.iter().enumerate().skip(mark.0) {
            insert.execute(params![index as i64 + 1, prefix])?;
        }
        let mut insert = connection.prepare_cached("INSERT INTO names (id, name) VALUES (?1, ?2)")?;
        for (offset, name) in self.names.names_after(mark.1).iter().enumerate() {
            insert.execute(params![(mark.1 + offset) as i64 + 1, name])?;
        }
        Ok(())
    }

    fn intern_prefix(&mut self, prefix: &[u8]) -> u64 {
        if let Some(id) = self.prefix_ids.get(prefix) {
            return *id;
        }
        self.prefixes.push(prefix.to_vec());
        let id = self.prefixes.len() as u64;
        self.prefix_ids.insert(prefix.to_vec(), id);
        id
    }

    /// The row key of `key`, numbering its prefix and names if they are new.
    pub(crate) fn write_key(&mut self, key: &[u8]) -> Vec<u8> {
        if let Split::Map { prefix, map_key } = split(key) {
            if let Some(dense) = to_dense(map_key, &mut self.names) {
                let mut row = Vec::with_capacity(dense.len() + 2);
                put_varint(self.intern_prefix(prefix).into(), &mut row);
                row.extend_from_slice(&dense);
                return row;
            }
        }
        raw_row(key)
    }

    /// The row key of `key` if every prefix and name in it is numbered (a key that
    /// is not cannot have been written, as far as this layout knows).
    pub(crate) fn read_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        if let Split::Map { prefix, map_key } = split(key) {
            match to_dense_with(map_key, &self.names) {
                Ok(dense) => {
                    let mut row = Vec::with_capacity(dense.len() + 2);
                    put_varint((*self.prefix_ids.get(prefix)?).into(), &mut row);
                    row.extend_from_slice(&dense);
                    return Some(row);
                }
                Err(DenseError::UnknownName(_)) => return None,
                Err(DenseError::Malformed) => {}
            }
        }
        Some(raw_row(key))
    }

    /// The key a row key stands for.
    pub(crate) fn key_of(&self, row: &[u8]) -> Result<Vec<u8>, RowError> {
        match row.split_first() {
            Some((&RAW, key)) => Ok(key.to_vec()),
            _ => {
                let mut rest = row;
                let id = take_varint(&mut rest).ok_or(RowError::Malformed)?;
                let prefix = usize::try_from(id).ok().and_then(|id| id.checked_sub(1)).and_then(|index| self.prefixes.get(index));
                let prefix = prefix.ok_or(RowError::Unknown)?;
                Ok([prefix.as_slice(), &from_dense(rest, &self.names)?].concat())
            }
        }
    }

    /// The row value of `value` under `key`, numbering new names.
    pub(crate) fn write_value(&mut self, key: &[u8], value: &[u8]) -> Vec<u8> {
        if key.starts_with(b"vm::") {
            if let Some(dense) = to_dense(value, &mut self.names) {
                let mut row = Vec::with_capacity(dense.len() + 1);
                row.push(DENSE);
                row.extend_from_slice(&dense);
                return row;
            }
        }
        raw_row(value)
    }

    /// The value a row value stands for.
    pub(crate) fn value_of(&self, row: &[u8]) -> Result<Vec<u8>, RowError> {
        match row.split_first() {
            Some((&RAW, value)) => Ok(value.to_vec()),
            Some((&DENSE, dense)) => Ok(from_dense(dense, &self.names)?),
            _ => Err(RowError::Malformed),
        }
    }

    /// The row-key ranges `[start, end)` (`end` `None`: to the last key) that hold
    /// every key starting with `prefix`, and maybe others (filter by [`Layout::key_of`]).
    pub(crate) fn ranges(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let raw = raw_row(prefix);
        let mut ranges = vec![(raw.clone(), super::prefix_end(&raw))];
        for (index, numbered) in self.prefixes.iter().enumerate() {
            if numbered.starts_with(prefix) || prefix.starts_with(numbered) {
                let mut start = Vec::new();
                put_varint(index as u128 + 1, &mut start);
                let end = super::prefix_end(&start);
                ranges.push((start, end));
            }
        }
        ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consensus_uint(n: u128) -> Vec<u8> {
        [vec![0x01], n.to_be_bytes().to_vec()].concat()
    }

    #[test]
    fn a_map_entry_is_numbered_and_dense_and_reads_back_exactly() {
        let mut layout = Layout::default();
        let key = [b"vm::ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.record-management::0::records::".to_vec(), consensus_uint(7)].concat();
        let row = layout.write_key(&key);
        assert_eq!(row, vec![1, 0x01, 7]);
        assert_eq!(layout.key_of(&row).unwrap(), key);
        assert_eq!(layout.read_key(&key), Some(row));
        let value = [vec![0x0a], consensus_uint(300)].concat();
        let stored = layout.write_value(&key, &value);
        assert_eq!(stored, vec![DENSE, 0x0a, 0x01, 0xac, 0x02]);
        assert_eq!(layout.value_of(&stored).unwrap(), value);
    }

    #[test]
    fn other_keys_and_values_are_kept_raw() {
        let mut layout = Layout::default();
        for key in [&b"clarimed::block-height"[..], b"vm::ST1.patient-consent::1::paused", b"vm::ST1.c::0::m::not a value"] {
            let row = layout.write_key(key);
            assert_eq!(row[0], RAW);
            assert_eq!(layout.key_of(&row).unwrap(), key);
        }
        let stored = layout.write_value(b"clarimed::block-height", &[0, 0, 0, 1]);
        assert_eq!(stored, vec![RAW, 0, 0, 0, 1]);
        assert_eq!(layout.value_of(&stored).unwrap(), vec![0, 0, 0, 1]);
    }

    #[test]
    fn a_key_with_an_unnumbered_prefix_or_name_is_not_there_for_a_reader() {
        let layout = Layout::default();
        let key = [b"vm::ST1.c::0::m::".to_vec(), consensus_uint(1)].concat();
        assert_eq!(layout.read_key(&key), None);
    }
}
