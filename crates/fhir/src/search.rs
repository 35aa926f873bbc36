//! The FHIR search API over a patient's resources: the parameters a search
//! takes, the `searchset` Bundle a page answers, and reading one resource by id.
//!
//! `Consent` takes `patient`; `AuditEvent` takes `patient`, `entity` (the patient,
//! or a record's id), `agent` (who acted), and `date` with `ge`, `gt`, `le` or `lt`
//! (a day `YYYY-MM-DD` or an instant `YYYY-MM-DDThh:mm:ssZ`; given twice for both
//! ends). Both take `_count` (default [`DEFAULT_COUNT`], at most [`MAX_COUNT`];
//! `0` answers the total alone), `_sort=date` (oldest first, the default) or
//! `-date`, and `_format` for JSON. `_cursor` is what a `next` link carries.
//! Anything else is refused: a parameter silently ignored would widen a search.

use std::ops::RangeInclusive;

use clarimed_engine::{parse_principal, Engine, Principal};

use crate::bundle::FhirError;
use crate::clock::{parse_instant, Clock};
use crate::ids::{self, Source};
use crate::model::{AuditEvent, Bundle, BundleEntry, BundleLink, Consent, EntrySearch, Resource};
use crate::reader::PatientReader;
use crate::stream::{page, Cursor, Event, Filter, Order};

/// Resources a page holds unless `_count` says otherwise.
pub const DEFAULT_COUNT: usize = 50;
/// The most a page holds.
pub const MAX_COUNT: usize = 1_000;

/// The two resource types served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// `Consent`.
    Consent,
    /// `AuditEvent`.
    AuditEvent,
}

impl ResourceType {
    /// Its name in URLs and `resourceType`.
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::Consent => "Consent",
            ResourceType::AuditEvent => "AuditEvent",
        }
    }

    /// The search parameters it takes, beside the result parameters.
    pub fn parameters(self) -> &'static [&'static str] {
        match self {
            ResourceType::Consent => &["patient"],
            ResourceType::AuditEvent => &["patient", "entity", "agent", "date"],
        }
    }
}

/// A search, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    resource: ResourceType,
    patient: Principal,
    filter: Filter,
    order: Order,
    count: usize,
    cursor: Option<String>,
}

fn invalid(reason: String) -> FhirError {
    FhirError::Search { code: "invalid", reason }
}

impl Search {
    /// The search `pairs` (the URL's query, decoded, in order) ask of `resource`.
    pub fn parse(resource: ResourceType, pairs: &[(String, String)], clock: &Clock) -> Result<Search, FhirError> {
        let mut patient = None;
        let (mut record, mut agent, mut dates) = (None, None, Vec::new());
        let (mut order, mut count, mut cursor) = (None, None, None);
        let once = |slot: &mut Option<String>, name: &str, value: &str| {
            if slot.replace(value.to_string()).is_some() {
                return Err(invalid(format!("`{name}` is given twice")));
            }
            Ok(())
        };
        for (name, value) in pairs {
            match name.as_str() {
                "patient" => once(&mut patient, name, value)?,
                "entity" if resource == ResourceType::AuditEvent => match value.parse::<u128>() {
                    Ok(id) if record.replace(id).is_none() => {}
                    Ok(_) => return Err(invalid("`entity` is given twice".into())),
                    // The patient, as an entity.
                    Err(_) => once(&mut patient, "patient", value)?,
                },
                "agent" if resource == ResourceType::AuditEvent => once(&mut agent, name, value)?,
                "date" if resource == ResourceType::AuditEvent => dates.push(value.clone()),
                "_count" => once(&mut count, name, value)?,
                "_sort" => once(&mut order, name, value)?,
                "_cursor" => once(&mut cursor, name, value)?,
                "_format" if is_json_format(value) => {}
                "_format" => return Err(FhirError::Search { code: "not-supported", reason: format!("`_format={value}`: only JSON is served") }),
                _ => {
                    let served = resource.parameters().join(", ");
                    return Err(FhirError::Search {
                        code: "not-supported",
                        reason: format!("`{name}` is not a search parameter of {} here (served: {served}, _count, _sort, _format)", resource.name()),
                    });
                }
            }
        }
        let Some(patient) = patient else {
            return Err(FhirError::Search { code: "required", reason: "the `patient` parameter is required (a principal, ST…)".into() });
        };
        let patient = parse_principal(&patient).map_err(|_| invalid(format!("`{patient}` is not a principal (expected ST…)")))?;
        if let Some(agent) = &agent {
            parse_principal(agent).map_err(|_| invalid(format!("`agent={agent}` is not a principal (expected ST…)")))?;
        }
        let order = match order.as_deref() {
            None | Some("date") => Order::Ascending,
            Some("-date") => Order::Descending,
            Some(other) => return Err(FhirError::Search { code: "not-supported", reason: format!("`_sort={other}`: only `date` and `-date` are served") }),
        };
        let count = match count {
            None => DEFAULT_COUNT,
            Some(text) => match text.parse::<usize>() {
                Ok(count) if count <= MAX_COUNT => count,
                _ => return Err(invalid(format!("`_count={text}` must be a number from 0 to {MAX_COUNT}"))),
            },
        };
        let blocks = block_range(&dates, clock)?;
        Ok(Search { resource, patient, filter: Filter { record, agent, blocks }, order, count, cursor })
    }

    /// The page this search asks for, as a `searchset` Bundle: `base` is the
    /// server's FHIR base URL, `query` this request's own query (for `self`).
    pub fn run<S>(&self, engine: &Engine<S>, base: &str, query: &str, clock: &Clock) -> Result<Bundle, FhirError> {
        // No match, not a failure: a search for a principal who is no patient finds
        // nothing, as FHIR answers a search with no match.
        let reader = registered(engine, &self.patient)?;
        let bad_cursor = || invalid(format!("`_cursor={}` is not a cursor this server made", self.cursor.as_deref().unwrap_or_default()));
        let (resources, total, next) = match (self.resource, reader) {
            (_, None) => (Vec::new(), 0, None),
            (ResourceType::Consent, Some(reader)) => {
                let offset = self.cursor.as_deref().map(|text| text.parse::<usize>().map_err(|_| bad_cursor())).transpose()?.unwrap_or(0);
                let mut consents = reader.consents(clock)?;
                if self.order == Order::Descending {
                    consents.reverse();
                }
                let total = consents.len();
                let end = offset.saturating_add(self.count).min(total);
                let next = (end < total).then(|| end.to_string());
                let page: Vec<Resource> = consents.into_iter().skip(offset).take(self.count).map(|consent| Resource::Consent(Box::new(consent))).collect();
                (page, total as u64, next)
            }
            (ResourceType::AuditEvent, Some(reader)) => {
                let cursor = self.cursor.as_deref().map(|text| Cursor::parse(text).ok_or_else(bad_cursor)).transpose()?;
                let page = page(&reader, &self.filter, self.order, self.count, cursor)?;
                let events = reader.audit_events(&page.events, clock)?;
                (events.into_iter().map(|event| Resource::AuditEvent(Box::new(event))).collect(), page.total, page.next.map(|cursor| cursor.encode()))
            }
        };
        let url = |query: &str| format!("{base}/{}?{query}", self.resource.name());
        let mut link = vec![BundleLink { relation: "self", url: url(query) }];
        if let Some(next) = next {
            link.push(BundleLink { relation: "next", url: url(&with_cursor(query, &next)) });
        }
        let entry = resources
            .into_iter()
            .map(|resource| BundleEntry { full_url: format!("{base}/{}", resource.reference()), resource, search: Some(EntrySearch { mode: "match" }) })
            .collect();
        let timestamp = clock.instant(engine.committed_block_height().into()).unwrap_or_default();
        Ok(Bundle { resource_type: "Bundle", kind: "searchset", timestamp, total: Some(total), link, entry })
    }
}

/// `query` with its `_cursor` set to `cursor` (and no other `_cursor`).
fn with_cursor(query: &str, cursor: &str) -> String {
    let kept = query.split('&').filter(|pair| !pair.is_empty() && !pair.starts_with("_cursor="));
    kept.chain(std::iter::once(format!("_cursor={cursor}").as_str())).collect::<Vec<_>>().join("&")
}

/// No block at all: a date bound before the genesis.
#[allow(clippy::reversed_empty_ranges)]
const NO_BLOCKS: RangeInclusive<u128> = 1..=0;

/// The blocks the `date` parameters leave, as the clock times blocks.
fn block_range(dates: &[String], clock: &Clock) -> Result<RangeInclusive<u128>, FhirError> {
    let (mut low, mut high) = (0u128, u128::MAX);
    for text in dates {
        let (prefix, value) = text.split_at(text.len().min(2));
        let Some((first, last)) = instant_range(value) else {
            return Err(invalid(format!("`date={text}` must be ge, gt, le or lt and a day (YYYY-MM-DD) or an instant (YYYY-MM-DDThh:mm:ssZ)")));
        };
        // Block b stands for the instant genesis + b × seconds per block.
        let blocks_before = |seconds: i64| -> i128 { i128::from(seconds - clock.genesis).div_euclid(i128::from(clock.seconds_per_block)) };
        let at_or_after = |seconds: i64| -> i128 {
            let offset = i128::from(seconds - clock.genesis);
            let per = i128::from(clock.seconds_per_block);
            (offset + per - 1).div_euclid(per)
        };
        let clamp = |block: i128| u128::try_from(block.max(0)).unwrap_or(0);
        match prefix {
            "ge" => low = low.max(clamp(at_or_after(first))),
            "gt" => low = low.max(clamp(blocks_before(last) + 1)),
            "le" if blocks_before(last) < 0 => return Ok(NO_BLOCKS),
            "le" => high = high.min(clamp(blocks_before(last))),
            "lt" if at_or_after(first) <= 0 => return Ok(NO_BLOCKS),
            "lt" => high = high.min(clamp(at_or_after(first) - 1)),
            _ => return Err(invalid(format!("`date={text}` needs a prefix: ge, gt, le or lt"))),
        }
    }
    Ok(low..=high)
}

/// The first and last second a day or an instant covers.
fn instant_range(value: &str) -> Option<(i64, i64)> {
    if value.len() == 10 {
        let start = parse_instant(&format!("{value}T00:00:00Z"))?;
        return Some((start, start + 86_399));
    }
    let at = parse_instant(value)?;
    Some((at, at))
}

/// The reader of `patient`, or none when they are no registered patient: what a
/// search or a read finds nothing for, rather than fails on.
fn registered<'e, S>(engine: &'e Engine<S>, patient: &Principal) -> Result<Option<PatientReader<'e, S>>, FhirError> {
    match PatientReader::new(engine, patient) {
        Ok(reader) => Ok(Some(reader)),
        Err(FhirError::UnknownPatient(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether `_format=value` asks for JSON, the one format served.
pub fn is_json_format(value: &str) -> bool {
    ["json", "application/json", "application/fhir+json"].contains(&value)
}

/// The `Consent` with id `id`, if it exists.
pub fn read_consent<S>(engine: &Engine<S>, id: &str, clock: &Clock) -> Result<Option<Consent>, FhirError> {
    let Some((Source::Consent(_), patient)) = ids::parse(id) else {
        return Ok(None);
    };
    let Some(reader) = registered(engine, &patient)? else {
        return Ok(None);
    };
    Ok(reader.consents(clock)?.into_iter().find(|consent| consent.id == id))
}

/// The `AuditEvent` with id `id`, if it exists.
pub fn read_audit_event<S>(engine: &Engine<S>, id: &str, clock: &Clock) -> Result<Option<AuditEvent>, FhirError> {
    let Some((source, patient)) = ids::parse(id) else {
        return Ok(None);
    };
    let Some(reader) = registered(engine, &patient)? else {
        return Ok(None);
    };
    let event = match source {
        Source::Consent(_) => None,
        Source::Trail(seq) => reader.trail_entry(seq)?.map(Event::Trail),
        Source::Access(log_id) => match reader.access(log_id)? {
            Some(access) if reader.record_ids()?.contains(&access.record_id) => Some(Event::Access(access)),
            _ => None,
        },
    };
    Ok(event.map(|event| reader.audit_events(&[event], clock)).transpose()?.and_then(|events| events.into_iter().next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        query.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const PATIENT: &str = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";

    #[test]
    fn dates_become_the_blocks_whose_instants_they_bound() {
        let clock = Clock::default();
        // Block 0 is 2021-01-14T00:00:00Z, block 144 the next day's midnight.
        assert_eq!(block_range(&["ge2021-01-15".into()], &clock).unwrap(), 144..=u128::MAX);
        assert_eq!(block_range(&["le2021-01-14".into()], &clock).unwrap(), 0..=143);
        assert_eq!(block_range(&["gt2021-01-14".into(), "lt2021-01-16".into()], &clock).unwrap(), 144..=287);
        assert_eq!(block_range(&["ge2021-01-14T00:10:01Z".into()], &clock).unwrap(), 2..=u128::MAX);
        assert_eq!(block_range(&["le2021-01-14T00:10:00Z".into()], &clock).unwrap(), 0..=1);
        assert!(block_range(&["le2020-01-01".into()], &clock).unwrap().is_empty());
        for bad in ["2021-01-14", "eq2021-01-14", "ge2021-13-01", "ge2021", "ge"] {
            assert!(block_range(&[bad.to_string()], &clock).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_search_refuses_what_it_does_not_serve() {
        let clock = Clock::default();
        let refused = |resource, query: &str| match Search::parse(resource, &pairs(query), &clock) {
            Err(FhirError::Search { code, .. }) => code,
            other => panic!("{query}: {other:?}"),
        };
        assert_eq!(refused(ResourceType::Consent, "_count=5"), "required");
        assert_eq!(refused(ResourceType::Consent, &format!("patient={PATIENT}&agent={PATIENT}")), "not-supported");
        assert_eq!(refused(ResourceType::AuditEvent, &format!("patient={PATIENT}&status=active")), "not-supported");
        assert_eq!(refused(ResourceType::AuditEvent, &format!("patient={PATIENT}&_count=1001")), "invalid");
        assert_eq!(refused(ResourceType::AuditEvent, &format!("patient={PATIENT}&_sort=_lastUpdated")), "not-supported");
        assert_eq!(refused(ResourceType::AuditEvent, &format!("patient={PATIENT}&patient={PATIENT}")), "invalid");
        assert_eq!(refused(ResourceType::AuditEvent, "patient=nobody"), "invalid");
        assert_eq!(refused(ResourceType::AuditEvent, &format!("patient={PATIENT}&_format=xml")), "not-supported");
        let search = Search::parse(ResourceType::AuditEvent, &pairs(&format!("entity={PATIENT}&entity=7&_sort=-date&_count=0")), &clock).unwrap();
        assert_eq!((search.filter.record, search.order, search.count), (Some(7), Order::Descending, 0));
    }

    #[test]
    fn a_next_link_is_the_query_with_its_cursor() {
        assert_eq!(with_cursor("patient=ST1&_count=2", "3-4-9"), "patient=ST1&_count=2&_cursor=3-4-9");
        assert_eq!(with_cursor("_cursor=1-1-9&patient=ST1", "3-4-9"), "patient=ST1&_cursor=3-4-9");
    }
}
