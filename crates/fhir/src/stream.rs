//! A patient's audit events as one stream in block order, read a page at a time.
//!
//! Two logs feed it: the patient's consent audit trail (entries `0..count`) and the
//! records contract's access log (ids `1..=total`, every patient's), both in block
//! order. Within a block the trail comes first. A page reads forward from where the
//! last one stopped (a [`Cursor`]), so paging never reads the logs from the start
//! again; a date range is found by binary search over each log, so a page reads
//! only entries inside it. The access log has no index by patient: a page reads
//! past other patients' entries until it has its count.

use std::ops::RangeInclusive;

use crate::audit::AccessRecord;
use crate::bundle::FhirError;
use crate::consent::AuditRecord;
use crate::reader::PatientReader;

/// Which way the stream runs: oldest first (`_sort=date`) or newest first
/// (`_sort=-date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Ascending,
    /// Newest first.
    Descending,
}

/// Which of the patient's events a search keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Only accesses of this record (and so no trail entry).
    pub record: Option<u128>,
    /// Only events this principal acted in.
    pub agent: Option<String>,
    /// Only events at these blocks.
    pub blocks: RangeInclusive<u128>,
}

impl Filter {
    /// Every event.
    pub fn all() -> Filter {
        Filter { record: None, agent: None, blocks: 0..=u128::MAX }
    }

    fn agent_matches(&self, actor: &str) -> bool {
        self.agent.as_deref().is_none_or(|agent| agent == actor)
    }
}

/// Where the next page starts: in each log, the next position to read (oldest
/// first) or one past it (newest first); and the total of the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    trail: u128,
    log: u128,
    total: u64,
}

impl Cursor {
    /// As a search parameter's value.
    pub fn encode(&self) -> String {
        format!("{}-{}-{}", self.trail, self.log, self.total)
    }

    /// A value [`Cursor::encode`] made.
    pub fn parse(text: &str) -> Option<Cursor> {
        let mut parts = text.split('-').map(|part| part.parse::<u128>().ok());
        let (Some(Some(trail)), Some(Some(log)), Some(Some(total)), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        Some(Cursor { trail, log, total: u64::try_from(total).ok()? })
    }
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A consent audit entry.
    Trail(AuditRecord),
    /// An access to one of the patient's records.
    Access(AccessRecord),
}

impl Event {
    fn block(&self) -> u128 {
        match self {
            Event::Trail(entry) => entry.block,
            Event::Access(access) => access.block,
        }
    }
}

/// A page: its events, how many the whole search holds, and where the next page
/// starts (none when this is the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The events, in the stream's order.
    pub events: Vec<Event>,
    /// How many events the search holds, over every page.
    pub total: u64,
    /// The next page's start.
    pub next: Option<Cursor>,
}

/// Up to `count` events matching `filter`, in `order`, from `cursor` (or the
/// start).
pub fn page<S>(reader: &PatientReader<'_, S>, filter: &Filter, order: Order, count: usize, cursor: Option<Cursor>) -> Result<Page, FhirError> {
    let records = match filter.record {
        Some(record) => reader.record_ids()?.into_iter().filter(|id| *id == record).collect(),
        None => reader.record_ids()?,
    };
    let trail = if filter.record.is_some() {
        0..0
    } else {
        let len = reader.trail_len()?;
        let block = |seq| Ok(reader.trail_entry(seq)?.map_or(u128::MAX, |entry| entry.block));
        within(0..len, &filter.blocks, block)?
    };
    let log = within(1..reader.log_len()? + 1, &filter.blocks, |id| Ok(reader.access(id)?.map_or(u128::MAX, |access| access.block)))?;

    let total = match cursor {
        Some(cursor) => cursor.total,
        None => total(reader, filter, &records, trail.clone(), log.clone())?,
    };
    // Positions: oldest first, the next to read; newest first, one past it.
    let (mut t, mut l) = match (cursor, order) {
        (Some(cursor), _) => (cursor.trail.clamp(trail.start, trail.end), cursor.log.clamp(log.start, log.end)),
        (None, Order::Ascending) => (trail.start, log.start),
        (None, Order::Descending) => (trail.end, log.end),
    };
    let next_trail = |t: &mut u128| -> Result<Option<AuditRecord>, FhirError> {
        while let Some(seq) = step(t, &trail, order) {
            if let Some(entry) = reader.trail_entry(seq)?.filter(|entry| filter.agent_matches(&entry.actor)) {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    };
    let next_access = |l: &mut u128| -> Result<Option<AccessRecord>, FhirError> {
        while let Some(id) = step(l, &log, order) {
            if let Some(access) = reader.access(id)?.filter(|access| records.contains(&access.record_id) && filter.agent_matches(&access.accessor)) {
                return Ok(Some(access));
            }
        }
        Ok(None)
    };

    let (mut pending_trail, mut pending_access) = (None, None);
    let mut events = Vec::new();
    loop {
        if pending_trail.is_none() {
            pending_trail = next_trail(&mut t)?;
        }
        if pending_access.is_none() {
            pending_access = next_access(&mut l)?;
        }
        if events.len() == count {
            break;
        }
        let trail_first = match (&pending_trail, &pending_access) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(entry), Some(access)) => match order {
                Order::Ascending => entry.block <= access.block,
                Order::Descending => entry.block > access.block,
            },
        };
        let event = if trail_first { pending_trail.take().map(Event::Trail) } else { pending_access.take().map(Event::Access) };
        events.extend(event);
    }
    // What was read but not kept is where the next page starts.
    let unread = |position: u128, pending: Option<u128>| match (pending, order) {
        (Some(at), Order::Ascending) => at,
        (Some(at), Order::Descending) => at + 1,
        (None, _) => position,
    };
    let more = pending_trail.is_some() || pending_access.is_some();
    let next = more.then(|| Cursor {
        trail: unread(t, pending_trail.as_ref().map(|entry| entry.seq)),
        log: unread(l, pending_access.as_ref().map(|access| access.log_id)),
        total,
    });
    debug_assert!(events.windows(2).all(|pair| match order {
        Order::Ascending => pair[0].block() <= pair[1].block(),
        Order::Descending => pair[0].block() >= pair[1].block(),
    }));
    Ok(Page { events, total, next })
}

/// The next position of `range` to read from `position` in `order`, moving past it.
fn step(position: &mut u128, range: &std::ops::Range<u128>, order: Order) -> Option<u128> {
    match order {
        Order::Ascending if *position < range.end => {
            *position += 1;
            Some(*position - 1)
        }
        Order::Descending if *position > range.start => {
            *position -= 1;
            Some(*position)
        }
        _ => None,
    }
}

/// The part of `positions` (a log in block order) whose blocks lie in `blocks`,
/// found by binary search.
fn within(
    positions: std::ops::Range<u128>,
    blocks: &RangeInclusive<u128>,
    block: impl Fn(u128) -> Result<u128, FhirError>,
) -> Result<std::ops::Range<u128>, FhirError> {
    let start = first(positions.clone(), |at| Ok(block(at)? >= *blocks.start()))?;
    let end = first(start..positions.end, |at| Ok(block(at)? > *blocks.end()))?;
    Ok(start..end)
}

/// The first position of `range` where `past` holds (it holds from there on), or
/// the range's end.
fn first(range: std::ops::Range<u128>, past: impl Fn(u128) -> Result<bool, FhirError>) -> Result<u128, FhirError> {
    let (mut low, mut high) = (range.start, range.end);
    while low < high {
        let middle = low + (high - low) / 2;
        if past(middle)? {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    Ok(low)
}

/// How many events match: from the counts the contracts keep when only the
/// patient (or one record) is asked for, or else by reading the ranges once.
fn total<S>(
    reader: &PatientReader<'_, S>,
    filter: &Filter,
    records: &std::collections::BTreeSet<u128>,
    trail: std::ops::Range<u128>,
    log: std::ops::Range<u128>,
) -> Result<u64, FhirError> {
    let whole = filter.blocks == (0..=u128::MAX) && filter.agent.is_none();
    let mut total = 0u128;
    if whole {
        total += trail.end - trail.start;
        for record in records {
            total += reader.access_count(*record)?;
        }
    } else {
        for seq in trail {
            total += u128::from(reader.trail_entry(seq)?.is_some_and(|entry| filter.agent_matches(&entry.actor)));
        }
        for id in log {
            total += u128::from(reader.access(id)?.is_some_and(|access| records.contains(&access.record_id) && filter.agent_matches(&access.accessor)));
        }
    }
    Ok(u64::try_from(total).unwrap_or(u64::MAX))
}
