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
//! Tuple field names are numbered in the `names` table, standard principals in the
//! `principals` table: a patient's principal, in dozens of rows, takes a few bytes
//! in each instead of 22, and the rows of the patients registered together sort
//! together.
//!
//! Numbers are only ever added, each table's ids counting up from 1. A layout knows
//! how many of its numbers are saved (committed to the database); numbers given to
//! a write that was then rolled back stay in memory, unsaved, and are saved by the
//! next write.

use rusqlite::types::Type;
use rusqlite::{params, Connection};

use crate::clarity::dense::{put_varint, take_varint, Address, Numbering};
use crate::clarity::{from_dense, to_dense, to_dense_with, DenseError, Dictionary};

/// Why a row does not read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowError {
    /// It names a prefix, a field name or a principal this layout has not
    /// numbered: another connection wrote it since the layout was loaded.
    Unknown,
    /// It is not a row this layout writes.
    Malformed,
}

impl From<DenseError> for RowError {
    fn from(error: DenseError) -> RowError {
        match error {
            DenseError::Unknown(_) => RowError::Unknown,
            DenseError::Malformed => RowError::Malformed,
        }
    }
}

/// The tables of the layout. Principals, a million of them in a large state, have
/// no index on their bytes: the layout in memory keeps them unique, and their ids
/// are appended in order.
pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS prefixes (id INTEGER PRIMARY KEY, prefix BLOB NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, name BLOB NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS principals (id INTEGER PRIMARY KEY, principal BLOB NOT NULL);";

const RAW: u8 = 0x00;
const DENSE: u8 = 0x01;

/// How many prefixes, names and principals are numbered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    prefixes: usize,
    names: usize,
    principals: usize,
}

/// The prefixes, field names and principals numbered so far.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    prefixes: Numbering<Vec<u8>>,
    dictionary: Dictionary,
    /// How many of each are committed to the database.
    saved: Counts,
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

/// The largest id of each numbering table: how many it numbers.
pub(crate) fn stored_counts(connection: &Connection) -> rusqlite::Result<Counts> {
    let max = |table: &str| -> rusqlite::Result<usize> {
        let id: Option<i64> = connection.prepare_cached(&format!("SELECT max(id) FROM {table}"))?.query_row([], |row| row.get(0))?;
        Ok(id.unwrap_or(0) as usize)
    };
    Ok(Counts { prefixes: max("prefixes")?, names: max("names")?, principals: max("principals")? })
}

/// The rows of `table` numbered after `known`, in order.
fn rows_after(connection: &Connection, table: &str, column: &str, known: usize) -> rusqlite::Result<Vec<Vec<u8>>> {
    let mut statement = connection.prepare_cached(&format!("SELECT id, {column} FROM {table} WHERE id > ?1 ORDER BY id"))?;
    let rows = statement.query_map([known as i64], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
    let mut items = Vec::new();
    for (expected, row) in (known as i64 + 1..).zip(rows) {
        let (id, item) = row?;
        if id != expected {
            // Ids count up from 1 with no gap unless the table was changed outside
            // clarimed: reported as the id out of range.
            return Err(rusqlite::Error::IntegralValueOutOfRange(0, id));
        }
        items.push(item);
    }
    Ok(items)
}

/// Numbers read from the database, not yet added to a layout.
pub(crate) struct Additions {
    after: Counts,
    prefixes: Vec<Vec<u8>>,
    names: Vec<Vec<u8>>,
    principals: Vec<Address>,
}

impl Additions {
    /// The numbers `connection` holds past `after`.
    pub(crate) fn read(connection: &Connection, after: Counts) -> rusqlite::Result<Additions> {
        let principals = rows_after(connection, "principals", "principal", after.principals)?
            .into_iter()
            .map(|bytes| Address::try_from(bytes.as_slice()).map_err(|_| rusqlite::Error::InvalidColumnType(1, "principal".into(), Type::Blob)))
            .collect::<rusqlite::Result<_>>()?;
        Ok(Additions {
            after,
            prefixes: rows_after(connection, "prefixes", "prefix", after.prefixes)?,
            names: rows_after(connection, "names", "name", after.names)?,
            principals,
        })
    }
}

impl Layout {
    /// The layout as the database numbers it.
    pub(crate) fn load(connection: &Connection) -> rusqlite::Result<Layout> {
        let mut layout = Layout::default();
        layout.add(Additions::read(connection, Counts::default())?);
        Ok(layout)
    }

    /// How many numbers are committed to the database, as far as this layout knows.
    pub(crate) fn saved(&self) -> Counts {
        self.saved
    }

    fn counts(&self) -> Counts {
        Counts { prefixes: self.prefixes.len(), names: self.dictionary.names.len(), principals: self.dictionary.principals.len() }
    }

    /// Takes in numbers another connection committed: drops the numbers not saved
    /// (no committed row holds them) and adds `additions`. Ignored when the layout
    /// has saved more since they were read.
    pub(crate) fn add(&mut self, additions: Additions) {
        if additions.after != self.saved {
            return;
        }
        self.prefixes.truncate(self.saved.prefixes);
        self.dictionary.names.truncate(self.saved.names);
        self.dictionary.principals.truncate(self.saved.principals);
        for prefix in &additions.prefixes {
            self.prefixes.intern(prefix.as_slice());
        }
        for name in &additions.names {
            self.dictionary.names.intern(name.as_slice());
        }
        for principal in &additions.principals {
            self.dictionary.principals.intern(principal);
        }
        self.saved = self.counts();
    }

    /// Writes the numbers not saved yet, in the writer's transaction; returns the
    /// counts to pass to [`Layout::mark_saved`] once it commits.
    pub(crate) fn save(&self, connection: &Connection) -> rusqlite::Result<Counts> {
        let insert = |table: &str, column: &str, known: usize, items: &[&[u8]]| -> rusqlite::Result<()> {
            let mut insert = connection.prepare_cached(&format!("INSERT INTO {table} (id, {column}) VALUES (?1, ?2)"))?;
            for (offset, item) in items.iter().enumerate() {
                insert.execute(params![(known + offset) as i64 + 1, item])?;
            }
            Ok(())
        };
        let saved = self.saved;
        let prefixes: Vec<&[u8]> = self.prefixes.items_after(saved.prefixes).iter().map(Vec::as_slice).collect();
        insert("prefixes", "prefix", saved.prefixes, &prefixes)?;
        let names: Vec<&[u8]> = self.dictionary.names.items_after(saved.names).iter().map(Vec::as_slice).collect();
        insert("names", "name", saved.names, &names)?;
        let principals: Vec<&[u8]> = self.dictionary.principals.items_after(saved.principals).iter().map(|p| p.as_slice()).collect();
        insert("principals", "principal", saved.principals, &principals)?;
        Ok(self.counts())
    }

    /// Records that the numbers [`Layout::save`] wrote are committed.
    pub(crate) fn mark_saved(&mut self, counts: Counts) {
        self.saved = counts;
    }

    /// The row key of `key`, numbering its prefix, names and principals if they are
    /// new.
    pub(crate) fn write_key(&mut self, key: &[u8]) -> Vec<u8> {
        if let Split::Map { prefix, map_key } = split(key) {
            if let Some(dense) = to_dense(map_key, &mut self.dictionary) {
                let mut row = Vec::with_capacity(dense.len() + 2);
                put_varint(self.prefixes.intern(prefix).into(), &mut row);
                row.extend_from_slice(&dense);
                return row;
            }
        }
        raw_row(key)
    }

    /// The row key of `key` if every prefix, name and principal in it is numbered (a key that
    /// is not cannot have been written, as far as this layout knows).
    pub(crate) fn read_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        if let Split::Map { prefix, map_key } = split(key) {
            match to_dense_with(map_key, &self.dictionary) {
                Ok(dense) => {
                    let mut row = Vec::with_capacity(dense.len() + 2);
                    put_varint(self.prefixes.id(prefix)?.into(), &mut row);
                    row.extend_from_slice(&dense);
                    return Some(row);
                }
                Err(DenseError::Unknown(_)) => return None,
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
                let prefix = u64::try_from(id).ok().and_then(|id| self.prefixes.item(id)).ok_or(RowError::Unknown)?;
                Ok([prefix.as_slice(), &from_dense(rest, &self.dictionary)?].concat())
            }
        }
    }

    /// The row value of `value` under `key`, numbering new names and principals.
    pub(crate) fn write_value(&mut self, key: &[u8], value: &[u8]) -> Vec<u8> {
        if key.starts_with(b"vm::") {
            if let Some(dense) = to_dense(value, &mut self.dictionary) {
                let mut row = Vec::with_capacity(dense.len() + 1);
                row.push(DENSE);
                row.extend_from_slice(&dense);
                return row;
            }
        }
        raw_row(value)
    }

    /// The row value of `value` under `key` if every name and principal in it is
    /// numbered.
    pub(crate) fn read_value(&self, key: &[u8], value: &[u8]) -> Option<Vec<u8>> {
        if key.starts_with(b"vm::") {
            match to_dense_with(value, &self.dictionary) {
                Ok(dense) => return Some([&[DENSE][..], &dense].concat()),
                Err(DenseError::Unknown(_)) => return None,
                Err(DenseError::Malformed) => {}
            }
        }
        Some(raw_row(value))
    }

    /// The value a row value stands for.
    pub(crate) fn value_of(&self, row: &[u8]) -> Result<Vec<u8>, RowError> {
        match row.split_first() {
            Some((&RAW, value)) => Ok(value.to_vec()),
            Some((&DENSE, dense)) => Ok(from_dense(dense, &self.dictionary)?),
            _ => Err(RowError::Malformed),
        }
    }

    /// The row-key ranges `[start, end)` (`end` `None`: to the last key) that hold
    /// every key starting with `prefix`, and maybe others (filter by [`Layout::key_of`]).
    pub(crate) fn ranges(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let raw = raw_row(prefix);
        let mut ranges = vec![(raw.clone(), super::prefix_end(&raw))];
        for (index, numbered) in self.prefixes.items_after(0).iter().enumerate() {
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
    fn a_principal_in_a_key_or_a_value_takes_its_number() {
        let mut layout = Layout::default();
        let patient = [vec![0x05, 26], vec![3; 20]].concat();
        let key = [b"vm::ST1.patient-consent::0::patients::".to_vec(), patient.clone()].concat();
        assert_eq!(layout.write_key(&key), vec![1, 0x8e, 1]);
        let value = [vec![0x0a], patient].concat();
        assert_eq!(layout.write_value(&key, &value), vec![DENSE, 0x0a, 0x8e, 1]);
        assert_eq!(layout.read_value(&key, &value), Some(vec![DENSE, 0x0a, 0x8e, 1]));
    }

    #[test]
    fn numbers_are_saved_once_committed_and_unsaved_ones_give_way_to_the_database() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(SCHEMA).unwrap();
        let principal_key = |byte: u8| [b"vm::ST1.c::0::m::".to_vec(), vec![0x05, 26], vec![byte; 20]].concat();
        let mut first = Layout::default();
        first.write_key(&principal_key(1));
        let counts = first.save(&connection).unwrap();
        first.mark_saved(counts);
        assert_eq!(stored_counts(&connection).unwrap(), counts);
        // A second layout numbers a principal the first has not saved…
        let mut second = Layout::load(&connection).unwrap();
        second.write_key(&principal_key(2));
        // …while the first commits another principal under the same number.
        first.write_key(&principal_key(3));
        let counts = first.save(&connection).unwrap();
        first.mark_saved(counts);
        second.add(Additions::read(&connection, second.saved()).unwrap());
        assert_eq!(second.read_key(&principal_key(3)), first.read_key(&principal_key(3)));
        assert_eq!(second.read_key(&principal_key(2)), None, "an unsaved number is dropped");
        // Additions read before the layout saved more are ignored.
        let stale = Additions::read(&connection, Counts::default()).unwrap();
        second.add(stale);
        assert_eq!(second.saved(), counts);
    }

    #[test]
    fn a_key_with_an_unnumbered_prefix_or_name_is_not_there_for_a_reader() {
        let layout = Layout::default();
        let key = [b"vm::ST1.c::0::m::".to_vec(), consensus_uint(1)].concat();
        assert_eq!(layout.read_key(&key), None);
    }
}
