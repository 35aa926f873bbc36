//! Every row of the state in memory, compactly: what a read looks up instead of
//! descending SQLite's B-tree.
//!
//! A read of a large state used to cost one B-tree descent: at every level a binary
//! search over a 4 KB page whose cache lines were not in the CPU's caches (53% of a
//! first `check-access` at a million patients). Here a read costs two cache misses:
//! the key's slot, then its entry.
//!
//! - **One byte arena** of entries, each `varint(key length) varint(value length)
//!   key value`, the row's own dense bytes ([`super::layout`]): no heap allocation
//!   per entry, and a key of the dense layout is a few bytes. The arena is cut into
//!   chunks of [`CHUNK`] bytes, so that it grows without copying what it holds and a
//!   chunk can be freed on its own.
//! - **An open-addressing hash table** of 8-byte slots, probed linearly: each slot is
//!   the entry's offset in the arena (40 bits) and 24 other bits of its key's hash,
//!   so a probe compares keys only when those bits match. The table is at most 7/8
//!   full, and of any size (a key's first slot is its hash scaled to the table),
//!   not only a power of two; a delete shifts the entries after it back, leaving no
//!   tombstone.
//! - **A value rewritten in place** when its length does not change (a counter, an
//!   access count); otherwise appended, and the old entry becomes garbage. A chunk
//!   more than half garbage has its live entries moved to the end of the arena and
//!   is freed, so the arena holds at most about twice what is live, and freeing a
//!   chunk copies at most its 16 MiB.
//!
//! A patient of the scale bench (10 consents, 5 records: 2.9 KB of file) takes
//! about 2.9 KB of index, arena and slots together, at 100,000 and at 1,000,000
//! patients: BENCHMARKS.md, "A million patients at memory speed".

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

/// Bits of an offset within a chunk.
const CHUNK_BITS: u32 = 24;
/// Bytes of a chunk of the arena (16 MiB): an entry longer than this gets a chunk
/// of its own.
pub(crate) const CHUNK: usize = 1 << CHUNK_BITS;
/// Bits of a slot holding the entry's offset (plus one: a zero slot is empty).
const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;
/// The fewest slots a table has.
const MIN_SLOTS: usize = 1 << 10;
/// Bytes of one slot.
const SLOT: usize = std::mem::size_of::<u64>();
/// The most bytes an index may take: offsets have 40 bits.
pub(crate) const MAX_BYTES: usize = 1 << OFFSET_BITS;

/// Row keys and their row values, in memory.
#[derive(Debug)]
pub(crate) struct Index {
    slots: Vec<u64>,
    chunks: Vec<Vec<u8>>,
    /// Per chunk: bytes of entries no slot points to any more.
    garbage: Vec<usize>,
    /// The chunk new entries are appended to.
    tail: usize,
    /// Chunks freed by a compaction, to be used again.
    free: Vec<usize>,
    entries: usize,
}

fn hash(key: &[u8]) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// The part of `hash` a slot keeps beside the offset.
fn tag(hash: u64) -> u64 {
    // The low bits: the slot's place comes from the high ones.
    hash << OFFSET_BITS
}

/// The tag bits of a slot.
fn tag_of(slot: u64) -> u64 {
    slot & !OFFSET_MASK
}

/// The slot a key of `hash` is probed from, among `slots`: the high bits of the
/// hash scaled to the table (a table of any size, not only a power of two).
fn home(hash: u64, slots: usize) -> usize {
    ((u128::from(hash) * slots as u128) >> 64) as usize
}

/// The slot after `at`, wrapping around.
fn after(at: usize, slots: usize) -> usize {
    if at + 1 == slots {
        0
    } else {
        at + 1
    }
}

fn varint_len(mut value: usize) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

fn put_varint(mut value: usize, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A varint [`put_varint`] wrote at the start of `bytes`, and its length.
fn take_varint(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0;
    for (i, byte) in bytes.iter().enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    (value, bytes.len())
}

/// Bytes an entry of `key_len` and `value_len` takes in the arena.
fn entry_size(key_len: usize, value_len: usize) -> usize {
    varint_len(key_len) + varint_len(value_len) + key_len + value_len
}

/// Slots for `entries` at most 7/8 full. Any number, not a power of two: at a
/// million patients a power of two would leave the table half empty, 0.5 KB a
/// patient.
fn slots_for(entries: usize) -> usize {
    (entries.saturating_mul(8) / 7 + 1).max(MIN_SLOTS)
}

/// An entry's place in the arena, read from its header.
struct Entry {
    /// Where its key starts in its chunk.
    key_at: usize,
    key_len: usize,
    value_len: usize,
    /// Header, key and value.
    size: usize,
}

impl Index {
    /// An empty index with room for `entries` before its table grows.
    pub(crate) fn with_capacity(entries: usize) -> Index {
        Index { slots: vec![0; slots_for(entries)], chunks: vec![Vec::with_capacity(CHUNK)], garbage: vec![0], tail: 0, free: Vec::new(), entries: 0 }
    }

    /// The bytes an index of `entries` rows holding `data` bytes of keys and values
    /// takes: what is checked against the budget before one is built.
    pub(crate) fn bytes_needed(entries: usize, data: usize) -> usize {
        // The room a build leaves, headers of up to two bytes a length (keys and
        // values under 16 KB), and the tail chunk not yet full.
        slots_for(entries.saturating_add(entries / 8)).saturating_mul(SLOT).saturating_add(data).saturating_add(entries.saturating_mul(4)).saturating_add(CHUNK)
    }

    /// How many rows it holds.
    pub(crate) fn len(&self) -> usize {
        self.entries
    }

    /// The bytes it holds: its table and its arena's chunks, garbage included.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.len() * SLOT + self.chunks.iter().map(Vec::capacity).sum::<usize>() + self.garbage.len() * std::mem::size_of::<usize>()
    }

    fn header(&self, offset: u64) -> Entry {
        let chunk = &self.chunks[(offset >> CHUNK_BITS) as usize];
        let at = (offset as usize) & (CHUNK - 1);
        let (key_len, first) = take_varint(&chunk[at..]);
        let (value_len, second) = take_varint(&chunk[at + first..]);
        Entry { key_at: at + first + second, key_len, value_len, size: first + second + key_len + value_len }
    }

    fn key_at(&self, offset: u64) -> &[u8] {
        let entry = self.header(offset);
        &self.chunks[(offset >> CHUNK_BITS) as usize][entry.key_at..entry.key_at + entry.key_len]
    }

    /// The slot holding `key` (`Ok`), or the empty slot where it would go (`Err`).
    fn probe(&self, key: &[u8], hash: u64) -> Result<usize, usize> {
        let len = self.slots.len();
        let mut at = home(hash, len);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Err(at);
            }
            if tag_of(slot) == tag(hash) && self.key_at((slot & OFFSET_MASK) - 1) == key {
                return Ok(at);
            }
            at = after(at, len);
        }
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<&[u8]> {
        let at = self.probe(key, hash(key)).ok()?;
        let offset = (self.slots[at] & OFFSET_MASK) - 1;
        let entry = self.header(offset);
        let value_at = entry.key_at + entry.key_len;
        Some(&self.chunks[(offset >> CHUNK_BITS) as usize][value_at..value_at + entry.value_len])
    }

    /// Sets `key` to `value`.
    pub(crate) fn put(&mut self, key: &[u8], value: &[u8]) {
        let hash = hash(key);
        match self.probe(key, hash) {
            Ok(at) => {
                let offset = (self.slots[at] & OFFSET_MASK) - 1;
                let entry = self.header(offset);
                let chunk = (offset >> CHUNK_BITS) as usize;
                if entry.value_len == value.len() {
                    let value_at = entry.key_at + entry.key_len;
                    self.chunks[chunk][value_at..value_at + value.len()].copy_from_slice(value);
                    return;
                }
                self.garbage[chunk] += entry.size;
                let moved = self.append(key, value);
                self.slots[at] = tag(hash) | (moved + 1);
            }
            Err(at) => {
                let offset = self.append(key, value);
                self.slots[at] = tag(hash) | (offset + 1);
                self.entries += 1;
                if self.entries * 8 > self.slots.len() * 7 {
                    self.grow();
                }
            }
        }
    }

    /// Removes `key`, shifting back the entries probed past it so that no probe
    /// stops short of them.
    pub(crate) fn remove(&mut self, key: &[u8]) {
        let Ok(mut hole) = self.probe(key, hash(key)) else {
            return;
        };
        let offset = (self.slots[hole] & OFFSET_MASK) - 1;
        self.garbage[(offset >> CHUNK_BITS) as usize] += self.header(offset).size;
        self.entries -= 1;
        let len = self.slots.len();
        let distance = |from: usize, to: usize| (to + len - from) % len;
        let mut next = after(hole, len);
        loop {
            let slot = self.slots[next];
            if slot == 0 {
                break;
            }
            let start = home(hash(self.key_at((slot & OFFSET_MASK) - 1)), len);
            // The entry at `next` may move into the hole unless its home lies
            // cyclically after the hole, up to `next`.
            if distance(start, next) >= distance(hole, next) {
                self.slots[hole] = slot;
                hole = next;
            }
            next = after(next, len);
        }
        self.slots[hole] = 0;
    }

    /// Appends an entry; returns its offset.
    fn append(&mut self, key: &[u8], value: &[u8]) -> u64 {
        let size = entry_size(key.len(), value.len());
        let chunk = if size > CHUNK {
            // Alone in a chunk of its own size, which never becomes the tail.
            self.new_chunk(size)
        } else {
            if self.chunks[self.tail].len() + size > CHUNK {
                self.tail = self.new_chunk(CHUNK);
            }
            self.tail
        };
        let bytes = &mut self.chunks[chunk];
        let at = bytes.len();
        put_varint(key.len(), bytes);
        put_varint(value.len(), bytes);
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(value);
        ((chunk as u64) << CHUNK_BITS) | at as u64
    }

    fn new_chunk(&mut self, capacity: usize) -> usize {
        match self.free.pop() {
            Some(free) => {
                self.chunks[free] = Vec::with_capacity(capacity);
                free
            }
            None => {
                self.chunks.push(Vec::with_capacity(capacity));
                self.garbage.push(0);
                self.chunks.len() - 1
            }
        }
    }

    /// Adds a batch of entries whose keys are in the index nowhere (rows read from
    /// SQLite, whose keys are unique), placing them all after appending them all:
    /// the slots are read at random, and placed together their cache misses
    /// overlap instead of waiting one by one behind the reading of each row.
    fn place_new(&mut self, new: &mut Vec<(u64, u64)>) {
        // Room first: a full table would leave a probe nowhere to stop.
        while (self.entries + new.len()) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let len = self.slots.len();
        for (hash, offset) in new.drain(..) {
            let mut at = home(hash, len);
            while self.slots[at] != 0 {
                at = after(at, len);
            }
            self.slots[at] = tag(hash) | (offset + 1);
            self.entries += 1;
        }
    }

    /// Makes the table half as big again, placing every entry anew: each is read
    /// from the arena to hash its key (about a second per 100,000 patients), so
    /// an index is built with room for an eighth more rows than it holds.
    fn grow(&mut self) {
        let bigger = vec![0; self.slots.len() + self.slots.len() / 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        let len = self.slots.len();
        for slot in old.into_iter().filter(|&slot| slot != 0) {
            let mut at = home(hash(self.key_at((slot & OFFSET_MASK) - 1)), len);
            while self.slots[at] != 0 {
                at = after(at, len);
            }
            self.slots[at] = slot;
        }
    }

    /// Frees every chunk (but the tail) more than half garbage, moving its live
    /// entries to the tail.
    pub(crate) fn compact(&mut self) {
        for chunk in 0..self.chunks.len() {
            let used = self.chunks[chunk].len();
            if chunk != self.tail && used > 0 && self.garbage[chunk] * 2 > used {
                self.move_out(chunk);
            }
        }
    }

    fn move_out(&mut self, chunk: usize) {
        let old = std::mem::take(&mut self.chunks[chunk]);
        self.garbage[chunk] = 0;
        self.free.push(chunk);
        let len = self.slots.len();
        let mut at = 0;
        while at < old.len() {
            let (key_len, first) = take_varint(&old[at..]);
            let (value_len, second) = take_varint(&old[at + first..]);
            let key = &old[at + first + second..][..key_len];
            let value = &old[at + first + second + key_len..][..value_len];
            // Live if a slot still points here: found by offset, without reading
            // the chunk taken out.
            let offset = ((chunk as u64) << CHUNK_BITS) | at as u64;
            let mut probe = home(hash(key), len);
            while self.slots[probe] != 0 {
                if self.slots[probe] & OFFSET_MASK == offset + 1 {
                    let moved = self.append(key, value);
                    self.slots[probe] = tag_of(self.slots[probe]) | (moved + 1);
                    break;
                }
                probe = after(probe, len);
            }
            at += first + second + key_len + value_len;
        }
    }
}

/// Rows read in order into a new index.
pub(crate) struct Builder {
    index: Index,
    /// Entries appended and not placed yet: their key's hash and their offset.
    unplaced: Vec<(u64, u64)>,
}

/// Entries appended before they are placed.
const PLACED_TOGETHER: usize = 1 << 12;

impl Builder {
    /// A builder of an index of about `entries` rows, with room for an eighth
    /// more before its table grows.
    pub(crate) fn new(entries: usize) -> Builder {
        Builder { index: Index::with_capacity(entries.saturating_add(entries / 8)), unplaced: Vec::with_capacity(PLACED_TOGETHER) }
    }

    /// Adds a row whose key no row added before has.
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) {
        let offset = self.index.append(key, value);
        self.unplaced.push((hash(key), offset));
        if self.unplaced.len() == PLACED_TOGETHER {
            self.index.place_new(&mut self.unplaced);
        }
    }

    /// The index of every row added.
    pub(crate) fn finish(mut self) -> Index {
        self.index.place_new(&mut self.unplaced);
        self.index
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_value_of_the_same_length_is_rewritten_in_place_and_another_leaves_garbage() {
        let mut index = Index::with_capacity(0);
        index.put(b"k", b"ab");
        index.put(b"k", b"cd");
        assert_eq!(index.get(b"k"), Some(&b"cd"[..]));
        assert_eq!(index.garbage[0], 0, "rewritten in place");
        index.put(b"k", b"longer");
        assert_eq!(index.get(b"k"), Some(&b"longer"[..]));
        assert_eq!(index.garbage[0], entry_size(1, 2));
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn an_entry_longer_than_a_chunk_gets_a_chunk_of_its_own() {
        let mut index = Index::with_capacity(0);
        let long = vec![7; CHUNK + 1];
        index.put(b"long", &long);
        index.put(b"short", b"s");
        assert_eq!(index.get(b"long"), Some(&long[..]));
        assert_eq!(index.get(b"short"), Some(&b"s"[..]));
        assert_eq!(index.tail, 0, "the short entry went to the tail");
    }

    #[test]
    fn a_chunk_mostly_garbage_is_freed_and_its_live_entries_kept() {
        let mut index = Index::with_capacity(0);
        let value = vec![1; 1 << 12];
        let keys: Vec<Vec<u8>> = (0..(CHUNK >> 12) as u32 + 16).map(|i| i.to_be_bytes().to_vec()).collect();
        for key in &keys {
            index.put(key, &value);
        }
        assert_eq!(index.chunks.len(), 2, "the first chunk filled");
        let before = index.bytes();
        for key in keys.iter().skip(1).step_by(3) {
            index.remove(key);
        }
        for key in keys.iter().step_by(3) {
            index.put(key, b"short");
        }
        index.compact();
        assert!(index.chunks[0].is_empty() || index.tail == 0, "the first chunk was moved out");
        assert!(index.bytes() <= before + CHUNK);
        for (i, key) in keys.iter().enumerate() {
            let expected = match i % 3 {
                0 => Some(&b"short"[..]),
                1 => None,
                _ => Some(&value[..]),
            };
            assert_eq!(index.get(key), expected, "key {i}");
        }
    }

    #[test]
    fn a_built_index_holds_every_row_added_past_the_capacity_it_was_built_for() {
        let mut builder = Builder::new(10);
        for i in 0..10_000u32 {
            builder.add(&i.to_be_bytes(), &i.to_le_bytes());
        }
        let index = builder.finish();
        assert_eq!(index.len(), 10_000);
        for i in 0..10_000u32 {
            assert_eq!(index.get(&i.to_be_bytes()), Some(&i.to_le_bytes()[..]));
        }
        assert_eq!(index.get(&10_000u32.to_be_bytes()), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(u16, Vec<u8>),
        Remove(u16),
        Compact,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0..2000u16, prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(k, v)| Op::Put(k, v)),
            3 => (0..2000u16).prop_map(Op::Remove),
            1 => Just(Op::Compact),
        ]
    }

    proptest! {
        /// Through puts, removes (backward shifts), the table's growth and compactions, the index
        /// answers every key as a map does.
        #[test]
        fn the_index_answers_every_key_as_a_map_does(ops in prop::collection::vec(op(), 0..4000)) {
            let mut index = Index::with_capacity(0);
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for op in ops {
                match op {
                    Op::Put(k, v) => {
                        let key = k.to_le_bytes().repeat(usize::from(k % 5) + 1);
                        index.put(&key, &v);
                        model.insert(key, v);
                    }
                    Op::Remove(k) => {
                        let key = k.to_le_bytes().repeat(usize::from(k % 5) + 1);
                        index.remove(&key);
                        model.remove(&key);
                    }
                    Op::Compact => index.compact(),
                }
            }
            prop_assert_eq!(index.len(), model.len());
            for k in 0..2000u16 {
                let key = k.to_le_bytes().repeat(usize::from(k % 5) + 1);
                prop_assert_eq!(index.get(&key), model.get(&key).map(Vec::as_slice));
            }
        }
    }
}
