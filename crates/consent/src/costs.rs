//! What `patient-consent`'s code charges beyond its map and var operations: the
//! sizes of its constants and parameters, and its private functions' calls, as
//! clarity-vm charges them.

use clarimed_costs::{CostFunction, Meter, Shape};
use clarimed_storage::clarity::Principal;

use crate::events::ConsentEvent;

pub(crate) use clarimed_costs::size::{BOOL, ERR, PRINCIPAL, UINT};

/// `(optional principal)` and `(optional uint)` as declared.
pub(crate) const OPTIONAL_PRINCIPAL: u64 = Shape::some(Shape::PRINCIPAL).size;
pub(crate) const OPTIONAL_UINT: u64 = Shape::some(Shape::UINT).size;
/// `(string-ascii 64)` and `(string-ascii 128)` as declared.
pub(crate) const ASCII_64: u64 = Shape::ascii(64).size;
pub(crate) const ASCII_128: u64 = Shape::ascii(128).size;
/// `(list 8 uint)` as declared.
pub(crate) const DATA_TYPES: u64 = Shape::list(Shape::UINT, 8).size;

/// The size of an optional argument as passed: `(some x)` or `none`.
pub(crate) fn optional(inner: Option<u64>) -> u64 {
    Shape::optional(inner.map(|size| Shape { size, type_size: 1 })).size
}

/// A string argument's size.
pub(crate) fn ascii(text: &str) -> u64 {
    Shape::ascii(text.len() as u64).size
}

/// `DEFAULT-PREFERENCES`, a tuple of three bools, the same size as a
/// `preferences` entry.
pub(crate) const DEFAULT_PREFERENCES: u64 =
    Shape::tuple(&[("allow-emergency-access", Shape::BOOL), ("notify-on-access", Shape::BOOL), ("research-opt-in", Shape::BOOL)]).size;

/// A patient's profile as `map-get?` returns it: the map's declared tuple type.
pub(crate) const PROFILE: u64 = Shape::tuple(&[
    ("patient-id", Shape::ascii(64)),
    ("date-of-birth", Shape::UINT),
    ("emergency-contact", Shape::some(Shape::PRINCIPAL)),
    ("primary-physician", Shape::some(Shape::PRINCIPAL)),
    ("deceased", Shape::BOOL),
    ("registration-date", Shape::UINT),
    ("last-updated", Shape::UINT),
])
.size;

/// A `consents` key, `{ patient, provider, data-type }`.
pub(crate) const CONSENT_KEY: u64 = Shape::tuple(&[("patient", Shape::PRINCIPAL), ("provider", Shape::PRINCIPAL), ("data-type", Shape::UINT)]).size;
/// An `emergency-access` key, `{ patient, provider }`.
pub(crate) const PATIENT_PROVIDER: u64 = Shape::tuple(&[("patient", Shape::PRINCIPAL), ("provider", Shape::PRINCIPAL)]).size;
/// A `consents` value as read.
pub(crate) const CONSENT: u64 = Shape::tuple(&[("granted-at", Shape::UINT), ("expires-at", Shape::some(Shape::UINT)), ("purpose", Shape::ascii(64))]).size;
/// An `emergency-access` value as read.
pub(crate) const EMERGENCY_ACCESS: u64 = Shape::tuple(&[("granted-at", Shape::UINT), ("expires-at", Shape::UINT), ("reason", Shape::ascii(128))]).size;

/// The size of a printed event: a tuple built from the values it names.
pub(crate) fn event_size(event: &ConsentEvent) -> u64 {
    let name = ("event", Shape::ascii(event.name().len() as u64));
    let text = |s: &str| Shape::ascii(s.len() as u64);
    let expiry = |e: &Option<u128>| Shape::optional(e.map(|_| Shape::UINT));
    let p = Shape::PRINCIPAL;
    match event {
        ConsentEvent::PatientRegistered { patient_id, .. } => Shape::tuple(&[name, ("patient", p), ("patient-id", text(patient_id))]),
        ConsentEvent::ProfileUpdated { .. } | ConsentEvent::PreferencesUpdated { .. } | ConsentEvent::PatientDeceased { .. } => {
            Shape::tuple(&[name, ("patient", p)])
        }
        ConsentEvent::ConsentGranted { expires_at, .. } => {
            Shape::tuple(&[name, ("patient", p), ("provider", p), ("data-type", Shape::UINT), ("expires-at", expiry(expires_at))])
        }
        ConsentEvent::ConsentBatchGranted { data_types, expires_at, .. } => Shape::tuple(&[
            name,
            ("patient", p),
            ("provider", p),
            ("data-types", Shape::list(Shape::UINT, data_types.len() as u64)),
            ("expires-at", expiry(expires_at)),
        ]),
        ConsentEvent::ConsentRevoked { .. } => Shape::tuple(&[name, ("patient", p), ("provider", p), ("data-type", Shape::UINT)]),
        ConsentEvent::EmergencyOverride { reason, .. } => {
            Shape::tuple(&[name, ("patient", p), ("provider", p), ("expires-at", Shape::UINT), ("reason", text(reason))])
        }
        ConsentEvent::EmergencyAccessRevoked { .. } => Shape::tuple(&[name, ("patient", p), ("provider", p)]),
        ConsentEvent::PausedSet { .. } => Shape::tuple(&[name, ("paused", Shape::BOOL)]),
        ConsentEvent::EmergencyTimeoutSet { .. } => Shape::tuple(&[name, ("blocks", Shape::UINT)]),
        ConsentEvent::EmergencyResponderSet { .. } => Shape::tuple(&[name, ("responder", p), ("enabled", Shape::BOOL)]),
        ConsentEvent::OwnershipTransferred { .. } => Shape::tuple(&[name, ("new-owner", p)]),
    }
    .size
}

/// The accumulator `grant-batch-step` folds over, as declared.
pub(crate) const BATCH_ACCUMULATOR: u64 = Shape::tuple(&[
    ("provider", Shape::PRINCIPAL),
    ("expires-at", Shape::some(Shape::UINT)),
    ("purpose", Shape::ascii(64)),
    ("result", Shape::response_type(Shape::UINT, Shape::UINT)),
])
.size;

/// The accumulator `grant-consent-batch` builds for its fold, of its values' types.
pub(crate) fn batch_accumulator(expires_at: Option<u128>, purpose: &str) -> u64 {
    Shape::tuple(&[
        ("provider", Shape::PRINCIPAL),
        ("expires-at", Shape::optional(expires_at.map(|_| Shape::UINT))),
        ("purpose", Shape::ascii(purpose.len() as u64)),
        ("result", Shape::response(Shape::UINT)),
    ])
    .size
}

/// The size of everything the contract's constants hold, which a load charges
/// for beside the source's length (the engine's `Contract::size`): 12 errors, 15 uints and
/// the default preferences.
pub const CONSTANTS_SIZE: u64 = 12 * ERR + 15 * UINT + DEFAULT_PREFERENCES;

/// `(is-eq a b)` on two principals: charged by their serialized lengths.
pub(crate) fn is_eq_principals(m: &Meter, a: &Principal, b: &Principal) {
    m.apply(CostFunction::Eq, a.serialized_len() + b.serialized_len());
}
