//! The purpose each consent was granted for, kept after the consent closes.
//!
//! `patient-consent` holds a consent's purpose only while the consent stands: a
//! revocation deletes it and a new grant of the same pair overwrites it, and the
//! audit trail records no purpose. The purpose was public all along (it is a
//! transaction's argument), and a FHIR `Consent` that has closed must still say what
//! it was for, so the engine keeps it beside the contracts' data, keyed by the
//! audit entry the grant appended: written in the grant's own transaction, so it
//! commits, aborts and is undone with it. It is not contract state: the state
//! digest, `export` and the VM's layout never include it, and a state loaded from
//! an export or the bulk loader has none for the grants before it.

use clarimed_consent::PatientConsent;
use clarimed_costs::{Epoch, Meter};
use clarimed_storage::clarity::{Principal, StateError};
use clarimed_storage::{StoreRead, StoreWrite};

use crate::convert::principal_to_string;
use crate::engine::Engine;
use crate::error::EngineError;

fn key(patient: &Principal, seq: u128) -> String {
    format!("clarimed::purpose::{}::{seq}", principal_to_string(patient))
}

/// After a grant by `patient` that appended `appended` audit entries (one per data
/// type granted), each ending at the trail's end: records `purpose` for each.
pub(crate) fn remember<S: StoreRead + StoreWrite>(
    store: &mut S,
    consent: &PatientConsent,
    patient: &Principal,
    appended: u128,
    purpose: &str,
) -> Result<(), StateError> {
    // Read uncharged: this is the engine's bookkeeping, not the call's.
    let count = consent.get_audit_count(&*store, &Meter::new(Epoch::Epoch25), patient)?;
    for seq in count.saturating_sub(appended)..count {
        store.put(key(patient, seq).as_bytes(), purpose.as_bytes())?;
    }
    Ok(())
}

impl<S> Engine<S> {
    /// The purpose of the grant that appended audit entry `seq` of `patient`'s
    /// trail, if the engine saw that grant.
    pub fn granted_purpose(&self, patient: &Principal, seq: u128) -> Result<Option<String>, EngineError> {
        let bytes = self.core().committed().get(key(patient, seq).as_bytes())?;
        Ok(bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }
}
