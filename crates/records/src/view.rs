//! What `record-management` needs from outside itself.

use clarimed_costs::Meter;
use clarimed_storage::clarity::{Principal, StateError};

/// The read-only functions of `patient-consent` that `record-management` calls.
///
/// Each charges `meter` what the callee side of a `contract-call?` costs: the load
/// of `patient-consent` and the function itself. The caller has charged the
/// `contract-call?` and its arguments.
pub trait ConsentView<S> {
    /// `(is-some (contract-call? .patient-consent get-patient patient))`.
    fn is_registered(&self, store: &S, meter: &Meter, patient: &Principal) -> Result<bool, StateError>;

    /// `(contract-call? .patient-consent has-consent patient provider data-type)`.
    fn has_consent(&self, store: &S, meter: &Meter, block_height: u128, patient: &Principal, provider: &Principal, data_type: u128)
        -> Result<bool, StateError>;

    /// `(contract-call? .patient-consent has-emergency-access patient provider)`.
    fn has_emergency_access(&self, store: &S, meter: &Meter, block_height: u128, patient: &Principal, provider: &Principal) -> Result<bool, StateError>;
}

/// Clarity's signature built-ins.
pub trait Crypto {
    /// `principal-of?` on a 33-byte compressed public key: `None` where Clarity gives
    /// `(err u1)`, an invalid key.
    fn principal_of(&self, public_key: &[u8; 33]) -> Option<Principal>;

    /// `secp256k1-verify` on a signature of at most 65 bytes and a 33-byte key.
    fn secp256k1_verify(&self, digest: &[u8; 32], signature: &[u8], public_key: &[u8; 33]) -> bool;
}
