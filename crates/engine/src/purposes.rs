//! The purpose a consent was granted for, kept once the consent closes.
//!
//! `patient-consent` holds a consent's purpose only while the consent stands: a
//! revocation deletes it, a new grant of the same pair overwrites it, and the audit
//! trail records no purpose. The purpose was public all along (it is a
//! transaction's argument), and a FHIR `Consent` that has closed must still say
//! what it was for. So, just before a call that may close a consent (a revocation,
//! or a grant of the same provider and data type), the engine copies the standing
//! consent's purpose beside the contracts' data, keyed by the consent's patient,
//! provider, data type and the block it was granted at. Written in the call's own
//! transaction, it goes with it when the call fails, aborts or is undone. Only
//! closed consents cost a row. It is not contract state: the state digest, `export`
//! and the VM's layout never include it, and a state loaded from an export or the
//! bulk loader has none for the consents closed before it.

use clarimed_consent::PatientConsent;
use clarimed_costs::{Epoch, Meter};
use clarimed_storage::clarity::{Principal, StateError};
use clarimed_storage::{StoreRead, StoreWrite};

use crate::convert::principal_to_string;
use crate::engine::Engine;
use crate::error::EngineError;

fn key(patient: &Principal, provider: &Principal, data_type: u128, granted_at: u128) -> String {
    format!("clarimed::purpose::{}::{}::{data_type}::{granted_at}", principal_to_string(patient), principal_to_string(provider))
}

/// Before a call by `patient` that may close their consent to `provider` for
/// `data_type`: keeps the standing consent's purpose, if there is one.
pub(crate) fn keep_before_closing<S: StoreRead + StoreWrite>(
    store: &mut S,
    consent: &PatientConsent,
    patient: &Principal,
    provider: &Principal,
    data_type: u128,
) -> Result<(), StateError> {
    // Read uncharged: this is the engine's bookkeeping, not the call's.
    if let Some(standing) = consent.get_consent(&*store, &Meter::new(Epoch::Epoch25), patient, provider, data_type)? {
        store.put(key(patient, provider, data_type, standing.granted_at).as_bytes(), standing.purpose.as_bytes())?;
    }
    Ok(())
}

impl<S> Engine<S> {
    /// The purpose of `patient`'s consent to `provider` for `data_type` granted at
    /// block `granted_at`, if the engine saw it close.
    pub fn closed_consent_purpose(&self, patient: &Principal, provider: &Principal, data_type: u128, granted_at: u128) -> Result<Option<String>, EngineError> {
        let bytes = self.core().committed().get(key(patient, provider, data_type, granted_at).as_bytes())?;
        Ok(bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }
}
