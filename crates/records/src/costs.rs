//! What `record-management`'s code charges beyond its map and var operations: the
//! sizes of its constants, parameters and map values, as clarity-vm charges them.

use clarimed_costs::{CostFunction, Meter, Shape};
use clarimed_storage::clarity::{ClarityType, Principal};

use crate::events::RecordsEvent;

pub(crate) use clarimed_costs::size::{BOOL, ERR, PRINCIPAL, UINT};

/// `(optional uint)` as declared.
pub(crate) const OPTIONAL_UINT: u64 = Shape::some(Shape::UINT).size;
/// `(string-ascii 100)`, `(string-ascii 64)` and `(string-ascii 1)` as declared.
pub(crate) const TITLE: u64 = Shape::ascii(100).size;
pub(crate) const DATA_HASH: u64 = Shape::ascii(64).size;
pub(crate) const CHARACTER: u64 = Shape::ascii(1).size;
/// `(optional (string-ascii 64))` as declared.
pub(crate) const KEY_ID: u64 = Shape::some(Shape::ascii(64)).size;
/// `(buff 32)`, `(buff 65)` and `(buff 33)` as declared.
pub(crate) const BUFF_32: u64 = Shape::buff(32).size;
pub(crate) const BUFF_65: u64 = Shape::buff(65).size;
pub(crate) const BUFF_33: u64 = Shape::buff(33).size;
/// `(response uint uint)`, `archive-step`'s accumulator as declared.
pub(crate) const RESPONSE: u64 = Shape::response_type(Shape::UINT, Shape::UINT).size;
/// `(list 20 uint)` as declared.
pub(crate) const RECORD_IDS: u64 = Shape::list(Shape::UINT, 20).size;
/// `RECORD-DATA-TYPES`, 13 uints; `VERSION-NUMBERS`, 100 uints.
pub(crate) const RECORD_DATA_TYPES: u64 = Shape::list(Shape::UINT, 13).size;
pub(crate) const VERSION_NUMBERS: u64 = Shape::list(Shape::UINT, 100).size;
/// `HEX-DIGITS`, a 16-character string.
pub(crate) const HEX_DIGITS: u64 = Shape::ascii(16).size;

/// A `records` value as read: the map's declared type.
pub(crate) const RECORD: u64 = Shape::tuple(&[
    ("patient", Shape::PRINCIPAL),
    ("record-type", Shape::UINT),
    ("created-by", Shape::PRINCIPAL),
    ("created-at", Shape::UINT),
    ("updated-at", Shape::UINT),
    ("status", Shape::UINT),
    ("title", Shape::ascii(100)),
    ("data-hash", Shape::ascii(64)),
    ("checksum", Shape::buff(32)),
    ("encryption-key-id", Shape::some(Shape::ascii(64))),
    ("confidentiality-level", Shape::UINT),
    ("version", Shape::UINT),
    ("retention-until", Shape::UINT),
])
.size;

/// A `record-versions` value as read.
pub(crate) const VERSION: u64 = Shape::tuple(&[
    ("title", Shape::ascii(100)),
    ("data-hash", Shape::ascii(64)),
    ("checksum", Shape::buff(32)),
    ("updated-by", Shape::PRINCIPAL),
    ("updated-at", Shape::UINT),
])
.size;

/// A `provider-access` value as read.
pub(crate) const GRANT: u64 = Shape::tuple(&[
    ("access-level", Shape::UINT),
    ("granted-by", Shape::PRINCIPAL),
    ("granted-at", Shape::UINT),
    ("expires-at", Shape::some(Shape::UINT)),
    ("audit-required", Shape::BOOL),
])
.size;

/// A `provider-access` key, `{ patient, provider }`.
pub(crate) const PATIENT_PROVIDER: u64 = Shape::tuple(&[("patient", Shape::PRINCIPAL), ("provider", Shape::PRINCIPAL)]).size;

/// The size of everything the contract's constants hold, which a load charges
/// for beside the source's length (the engine's `Contract::size`): 16 errors, 19 uints, the
/// two lists and the hex digits.
pub const CONSTANTS_SIZE: u64 = 16 * ERR + 19 * UINT + RECORD_DATA_TYPES + VERSION_NUMBERS + HEX_DIGITS;

/// A value's consensus length.
pub(crate) fn len_of(value: &impl ClarityType) -> u64 {
    value.to_bytes().len() as u64
}

/// `(is-eq a b)` on two principals.
pub(crate) fn is_eq_principals(m: &Meter, a: &Principal, b: &Principal) {
    m.apply(CostFunction::Eq, a.serialized_len() + b.serialized_len());
}

/// A string argument's size.
pub(crate) fn ascii(text: &str) -> u64 {
    Shape::ascii(text.len() as u64).size
}

/// A buffer argument's size.
pub(crate) fn buff(bytes: &[u8]) -> u64 {
    Shape::buff(bytes.len() as u64).size
}

/// The size of a printed event: a tuple built from the values it names.
pub(crate) fn event_size(event: &RecordsEvent) -> u64 {
    let name = ("event", Shape::ascii(event.name().len() as u64));
    let (p, u) = (Shape::PRINCIPAL, Shape::UINT);
    match event {
        RecordsEvent::ProviderAccessGranted { expires_at, .. } => {
            Shape::tuple(&[name, ("patient", p), ("provider", p), ("access-level", u), ("expires-at", Shape::optional(expires_at.map(|_| u)))])
        }
        RecordsEvent::ProviderAccessRevoked { .. } => Shape::tuple(&[name, ("patient", p), ("provider", p)]),
        RecordsEvent::RecordCreated { .. } => Shape::tuple(&[name, ("record-id", u), ("patient", p), ("created-by", p), ("record-type", u)]),
        RecordsEvent::RecordRead { .. } => Shape::tuple(&[name, ("record-id", u), ("accessor", p), ("access-level", u)]),
        RecordsEvent::RecordUpdated { .. } => Shape::tuple(&[name, ("record-id", u), ("version", u), ("updated-by", p)]),
        RecordsEvent::RecordRolledBack { .. } => Shape::tuple(&[name, ("record-id", u), ("version", u), ("restored-version", u)]),
        RecordsEvent::RecordArchived { .. } => Shape::tuple(&[name, ("record-id", u), ("archived-by", p)]),
        RecordsEvent::RecordsArchived { record_ids, .. } => Shape::tuple(&[name, ("record-ids", Shape::list(u, record_ids.len() as u64)), ("archived-by", p)]),
        RecordsEvent::RecordPurged { .. } => Shape::tuple(&[name, ("record-id", u), ("purged-by", p)]),
        RecordsEvent::PausedSet { .. } => Shape::tuple(&[name, ("paused", Shape::BOOL)]),
        RecordsEvent::RetentionPeriodSet { .. } => Shape::tuple(&[name, ("blocks", u)]),
        RecordsEvent::OwnershipTransferred { .. } => Shape::tuple(&[name, ("new-owner", p)]),
    }
    .size
}
