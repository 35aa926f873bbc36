//! Every error of `patient-consent`, each with the exact condition that raises it.
//! A test named `u1NN_…` raises `(err u1NN)`; `error_coverage.rs` checks that every
//! code in `ConsentError::ALL` has one.

mod common;

use clarimed_consent::codes::ConsentError;
use clarimed_reference::values::{ascii, list, none, some, uint};
use common::*;

fn code(error: ConsentError) -> u128 {
    error.code()
}

scenario! {
    fn u100_unauthorized_when_a_stranger_sets_the_emergency_timeout() {
        let mut w = World::<C>::new();
        let stranger = w.stranger.clone();
        assert_err(&w.consent(&stranger, "set-emergency-timeout", vec![uint(100)]), code(ConsentError::Unauthorized));
        assert_same(&w.read_consent("get-emergency-timeout", vec![]), &uint(432));
    }
}

scenario! {
    fn u100_unauthorized_when_a_caller_who_is_not_an_enabled_responder_overrides() {
        let mut w = World::<C>::with_patient();
        let responder = w.responder.clone();
        let patient = p(&w.patient);
        let result = w.consent(&responder, "emergency-override", vec![patient, ascii("trauma")]);
        assert_err(&result, code(ConsentError::Unauthorized));
    }
}

scenario! {
    fn u100_unauthorized_when_a_stranger_revokes_someone_elses_emergency_access() {
        let mut w = World::<C>::with_patient();
        w.enable_responder();
        let (responder, stranger) = (w.responder.clone(), w.stranger.clone());
        let patient = p(&w.patient);
        assert_ok(&w.consent(&responder, "emergency-override", vec![patient.clone(), ascii("trauma")]), uint(433));
        let result = w.consent(&stranger, "revoke-emergency-access", vec![patient, p(&responder)]);
        assert_err(&result, code(ConsentError::Unauthorized));
    }
}

scenario! {
    fn u100_unauthorized_when_neither_primary_physician_nor_owner_marks_a_patient_deceased() {
        let mut w = World::<C>::with_patient();
        let stranger = w.stranger.clone();
        let patient = p(&w.patient);
        assert_err(&w.consent(&stranger, "mark-deceased", vec![patient]), code(ConsentError::Unauthorized));
    }
}

scenario! {
    fn u101_patient_not_found_when_an_unregistered_caller_grants_consent() {
        let mut w = World::<C>::new();
        let stranger = w.stranger.clone();
        let provider = p(&w.provider);
        let result = w.consent(&stranger, "grant-consent", vec![provider, uint(0), none(), ascii("care")]);
        assert_err(&result, code(ConsentError::PatientNotFound));
    }
}

scenario! {
    fn u101_patient_not_found_when_overriding_for_an_unregistered_patient() {
        let mut w = World::<C>::new();
        w.enable_responder();
        let responder = w.responder.clone();
        let nobody = p(&w.stranger);
        let result = w.consent(&responder, "emergency-override", vec![nobody, ascii("trauma")]);
        assert_err(&result, code(ConsentError::PatientNotFound));
    }
}

scenario! {
    fn u102_patient_exists_when_a_patient_registers_twice() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let result = w.consent(&patient, "register-patient", vec![ascii("PAT-2"), uint(19_900_101), none(), none()]);
        assert_err(&result, code(ConsentError::PatientExists));
    }
}

scenario! {
    fn u103_invalid_data_type_when_consent_names_type_u8() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        let result = w.consent(&patient, "grant-consent", vec![provider, uint(8), none(), ascii("care")]);
        assert_err(&result, code(ConsentError::InvalidDataType));
    }
}

scenario! {
    fn u103_invalid_data_type_anywhere_in_a_batch_grants_nothing() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        let types = list(vec![uint(0), uint(1), uint(9)]);
        let result = w.consent(&patient, "grant-consent-batch", vec![provider.clone(), types, none(), ascii("care")]);
        assert_err(&result, code(ConsentError::InvalidDataType));
        assert_same(&w.read_consent("has-consent", vec![p(&patient), provider, uint(0)]), &no());
        assert_same(&w.read_consent("get-audit-count", vec![p(&patient)]), &uint(1));
    }
}

scenario! {
    fn u104_consent_not_found_when_revoking_consent_never_granted() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        assert_err(&w.consent(&patient, "revoke-consent", vec![provider, uint(2)]), code(ConsentError::ConsentNotFound));
    }
}

scenario! {
    fn u105_invalid_expiry_when_expiry_is_not_above_block_height() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        let at_height = uint(w.block_height());
        let result = w.consent(&patient, "grant-consent", vec![provider.clone(), uint(0), some(at_height), ascii("care")]);
        assert_err(&result, code(ConsentError::InvalidExpiry));
        let next_block = uint(w.block_height() + 1);
        assert_ok(&w.consent(&patient, "grant-consent", vec![provider, uint(0), some(next_block), ascii("care")]), yes());
    }
}

scenario! {
    fn u105_invalid_expiry_when_genetic_consent_has_no_expiry() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        let result = w.consent(&patient, "grant-consent", vec![provider, uint(5), none(), ascii("study")]);
        assert_err(&result, code(ConsentError::InvalidExpiry));
    }
}

scenario! {
    fn u105_invalid_expiry_when_mental_health_consent_runs_past_a_year() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        let year_ahead = w.block_height() + 52_560;
        let too_late = w.consent(&patient, "grant-consent", vec![provider.clone(), uint(4), some(uint(year_ahead + 1)), ascii("therapy")]);
        assert_err(&too_late, code(ConsentError::InvalidExpiry));
        let just_in_time = w.consent(&patient, "grant-consent", vec![provider, uint(4), some(uint(year_ahead)), ascii("therapy")]);
        assert_ok(&just_in_time, yes());
    }
}

scenario! {
    fn u106_paused_blocks_registration_but_not_revocation() {
        let mut w = World::<C>::with_provider(READ);
        let (owner, patient, stranger) = (w.owner.clone(), w.patient.clone(), w.stranger.clone());
        assert_ok(&w.consent(&owner, "set-paused", vec![yes()]), yes());
        let register = w.consent(&stranger, "register-patient", vec![ascii("PAT-9"), uint(19_900_101), none(), none()]);
        assert_err(&register, code(ConsentError::Paused));
        let provider = p(&w.provider);
        assert_ok(&w.consent(&patient, "revoke-consent", vec![provider, uint(MEDICAL_HISTORY)]), yes());
    }
}

scenario! {
    fn u107_patient_deceased_when_a_deceased_patient_grants_consent() {
        let mut w = World::<C>::with_patient();
        let (provider, patient) = (w.provider.clone(), w.patient.clone());
        assert_ok(&w.consent(&provider, "mark-deceased", vec![p(&patient)]), yes());
        let result = w.consent(&patient, "grant-consent", vec![p(&provider), uint(0), none(), ascii("care")]);
        assert_err(&result, code(ConsentError::PatientDeceased));
    }
}

scenario! {
    fn u107_patient_deceased_when_marking_a_patient_deceased_twice() {
        let mut w = World::<C>::with_patient();
        let (owner, patient) = (w.owner.clone(), p(&w.patient));
        assert_ok(&w.consent(&owner, "mark-deceased", vec![patient.clone()]), yes());
        assert_err(&w.consent(&owner, "mark-deceased", vec![patient]), code(ConsentError::PatientDeceased));
    }
}

scenario! {
    fn u108_emergency_not_allowed_when_the_patient_refuses_emergency_access() {
        let mut w = World::<C>::with_patient();
        w.enable_responder();
        let (patient, responder) = (w.patient.clone(), w.responder.clone());
        assert_ok(&w.consent(&patient, "update-patient-preferences", vec![no(), yes(), no()]), yes());
        let result = w.consent(&responder, "emergency-override", vec![p(&patient), ascii("trauma")]);
        assert_err(&result, code(ConsentError::EmergencyNotAllowed));
    }
}

scenario! {
    fn u109_invalid_input_when_the_patient_id_is_empty() {
        let mut w = World::<C>::new();
        let patient = w.patient.clone();
        let result = w.consent(&patient, "register-patient", vec![ascii(""), uint(19_900_101), none(), none()]);
        assert_err(&result, code(ConsentError::InvalidInput));
    }
}

scenario! {
    fn u109_invalid_input_when_the_date_of_birth_is_not_a_date() {
        let mut w = World::<C>::new();
        let patient = w.patient.clone();
        for bad in [18_991_231, 30_000_101, 19_901_301, 19_900_100, 19_900_132, 0] {
            let result = w.consent(&patient, "register-patient", vec![ascii("PAT-1"), uint(bad), none(), none()]);
            assert_err(&result, code(ConsentError::InvalidInput));
        }
    }
}

scenario! {
    fn u109_invalid_input_when_a_patient_consents_to_themselves() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let result = w.consent(&patient, "grant-consent", vec![p(&patient), uint(0), none(), ascii("me")]);
        assert_err(&result, code(ConsentError::InvalidInput));
    }
}

scenario! {
    fn u109_invalid_input_when_a_batch_is_empty() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let provider = p(&w.provider);
        let result = w.consent(&patient, "grant-consent-batch", vec![provider, list(vec![]), none(), ascii("care")]);
        assert_err(&result, code(ConsentError::InvalidInput));
    }
}

scenario! {
    fn u109_invalid_input_when_an_override_gives_no_reason() {
        let mut w = World::<C>::with_patient();
        w.enable_responder();
        let responder = w.responder.clone();
        let patient = p(&w.patient);
        assert_err(&w.consent(&responder, "emergency-override", vec![patient, ascii("")]), code(ConsentError::InvalidInput));
    }
}

scenario! {
    fn u110_invalid_timeout_outside_6_to_4320_blocks() {
        let mut w = World::<C>::new();
        let owner = w.owner.clone();
        for bad in [0, 5, 4_321] {
            assert_err(&w.consent(&owner, "set-emergency-timeout", vec![uint(bad)]), code(ConsentError::InvalidTimeout));
        }
        for good in [6, 4_320] {
            assert_ok(&w.consent(&owner, "set-emergency-timeout", vec![uint(good)]), yes());
        }
    }
}

scenario! {
    fn u111_emergency_not_found_when_revoking_an_override_that_does_not_exist() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let responder = p(&w.responder);
        let result = w.consent(&patient, "revoke-emergency-access", vec![p(&patient), responder]);
        assert_err(&result, code(ConsentError::EmergencyNotFound));
    }
}
