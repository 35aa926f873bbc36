//! Every error of `record-management`, each with the exact condition that raises it.
//! A test named `u2NN_…` raises `(err u2NN)`; `error_coverage.rs` checks that every
//! code in `RecordsError::ALL` has one.

mod common;

use clarimed_conformance::journey::{create_record_args, Content};
use clarimed_records::codes::RecordsError;
use clarimed_reference::keys::Key;
use clarimed_reference::values::{ascii, buff, none, some, uint};
use common::*;

fn code(error: RecordsError) -> u128 {
    error.code()
}

fn err(error: RecordsError) -> clarimed_reference::Value {
    clarimed_reference::Value::error(uint(error.code())).unwrap()
}

scenario! {
    fn u200_unauthorized_when_a_stranger_reads_a_record() {
        let mut w = World::<C>::with_record();
        let stranger = w.stranger.clone();
        assert_err(&w.records(&stranger, "get-record", vec![uint(1)]), code(RecordsError::Unauthorized));
        assert_same(&w.read_records("get-record-access-count", vec![uint(1)]), &uint(1));
    }
}

scenario! {
    fn u200_unauthorized_when_a_read_grant_is_used_to_write() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        let args = vec![p(&patient), p(&w.provider), uint(READ), none(), yes()];
        assert_ok(&w.records(&patient, "grant-provider-access", args), yes());
        let provider = w.provider.clone();
        assert_err(&w.update_record_by(&provider, 1, 2, "second"), code(RecordsError::Unauthorized));
        assert_same(&w.check_access(1, &provider, READ), &ok(uint(READ)));
    }
}

scenario! {
    fn u200_unauthorized_when_a_non_admin_non_creator_reads_a_confidential_record() {
        let mut w = World::<C>::with_provider(WRITE);
        let patient = w.patient.clone();
        assert_ok(&w.create_record_by(&patient, DIAGNOSIS, "Psych note", "secret", 2), uint(1));
        let provider = w.provider.clone();
        assert_same(&w.check_access(1, &provider, READ), &err(RecordsError::Unauthorized));
        w.give_grant(ADMIN);
        assert_same(&w.check_access(1, &provider, READ), &ok(uint(ADMIN)));
    }
}

scenario! {
    fn u200_unauthorized_when_a_stranger_grants_access_to_someone_elses_records() {
        let mut w = World::<C>::with_patient();
        let stranger = w.stranger.clone();
        let args = vec![p(&w.patient), p(&stranger), uint(ADMIN), none(), no()];
        assert_err(&w.records(&stranger, "grant-provider-access", args), code(RecordsError::Unauthorized));
    }
}

scenario! {
    fn u200_unauthorized_when_a_write_provider_rolls_back() {
        let mut w = World::<C>::with_record();
        let provider = w.provider.clone();
        assert_ok(&w.update_record_by(&provider, 1, 2, "second"), uint(2));
        assert_err(&w.records(&provider, "rollback-record", vec![uint(1), uint(1)]), code(RecordsError::Unauthorized));
    }
}

scenario! {
    fn u200_unauthorized_when_a_non_owner_pauses() {
        let mut w = World::<C>::new();
        let stranger = w.stranger.clone();
        assert_err(&w.records(&stranger, "set-paused", vec![yes()]), code(RecordsError::Unauthorized));
    }
}

scenario! {
    fn u201_record_not_found_for_an_unknown_id() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        assert_err(&w.records(&patient, "get-record", vec![uint(2)]), code(RecordsError::RecordNotFound));
        assert_same(&w.check_access(99, &patient, READ), &err(RecordsError::RecordNotFound));
    }
}

scenario! {
    fn u202_patient_not_found_when_granting_access_for_an_unregistered_patient() {
        let mut w = World::<C>::new();
        let stranger = w.stranger.clone();
        let args = vec![p(&stranger), p(&w.provider), uint(READ), none(), no()];
        assert_err(&w.records(&stranger, "grant-provider-access", args), code(RecordsError::PatientNotFound));
    }
}

scenario! {
    fn u202_patient_not_found_when_creating_a_record_for_an_unregistered_patient() {
        let mut w = World::<C>::new();
        let patient = w.patient.clone();
        assert_err(&w.create_record_by(&patient, DIAGNOSIS, "Note", "body", 0), code(RecordsError::PatientNotFound));
    }
}

scenario! {
    fn u203_access_not_found_when_revoking_a_grant_that_does_not_exist() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let args = vec![p(&patient), p(&w.provider)];
        assert_err(&w.records(&patient, "revoke-provider-access", args), code(RecordsError::AccessNotFound));
    }
}

scenario! {
    fn u204_invalid_record_type_u13() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        assert_err(&w.create_record_by(&patient, 13, "Note", "body", 0), code(RecordsError::InvalidRecordType));
    }
}

scenario! {
    fn u205_invalid_access_level_when_granting_emergency_level() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let args = vec![p(&patient), p(&w.provider), uint(3), none(), no()];
        assert_err(&w.records(&patient, "grant-provider-access", args), code(RecordsError::InvalidAccessLevel));
    }
}

scenario! {
    fn u206_invalid_signature_when_signed_by_a_key_that_is_not_the_callers() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let args = create_record_args(&w.stranger, &who(&patient), DIAGNOSIS, "Note", &Content::of("body"), None, 0);
        assert_err(&w.records(&patient, "create-record", args), code(RecordsError::InvalidSignature));
    }
}

scenario! {
    fn u206_invalid_signature_when_the_signed_content_differs() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let mut args = create_record_args(&patient, &who(&patient), DIAGNOSIS, "Note", &Content::of("body"), None, 0);
        args[4] = buff(&[7; 32]); // the checksum, after signing
        assert_err(&w.records(&patient, "create-record", args), code(RecordsError::InvalidSignature));
    }
}

scenario! {
    fn u206_invalid_signature_when_the_public_key_is_short() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let mut args = create_record_args(&patient, &who(&patient), DIAGNOSIS, "Note", &Content::of("body"), None, 0);
        args[8] = buff(&patient.public_key()[..32]);
        assert_err(&w.records(&patient, "create-record", args), code(RecordsError::InvalidSignature));
    }
}

scenario! {
    fn u207_duplicate_record_when_a_hash_is_already_indexed() {
        let mut w = World::<C>::with_record();
        let provider = w.provider.clone();
        assert_err(&w.create_record_by(&provider, DIAGNOSIS, "Copy", "first", 1), code(RecordsError::DuplicateRecord));
    }
}

scenario! {
    fn u207_duplicate_record_when_an_update_reuses_an_earlier_hash() {
        let mut w = World::<C>::with_record();
        let provider = w.provider.clone();
        assert_ok(&w.update_record_by(&provider, 1, 2, "second"), uint(2));
        assert_err(&w.update_record_by(&provider, 1, 3, "first"), code(RecordsError::DuplicateRecord));
    }
}

scenario! {
    fn u208_record_archived_when_updating_an_archived_record() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        assert_ok(&w.records(&patient, "archive-record", vec![uint(1)]), yes());
        assert_err(&w.update_record_by(&patient, 1, 2, "second"), code(RecordsError::RecordArchived));
        let provider = w.provider.clone();
        assert_same(&w.check_access(1, &provider, WRITE), &err(RecordsError::RecordArchived));
    }
}

scenario! {
    fn u208_record_archived_when_archiving_twice_in_one_batch_archives_nothing() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        let ids = clarimed_reference::values::list(vec![uint(1), uint(1)]);
        assert_err(&w.records(&patient, "archive-records", vec![ids]), code(RecordsError::RecordArchived));
        let info = w.read_records("get-record-info", vec![uint(1)]);
        assert!(clarimed_engine::to_literal(&info).contains("status: u0"), "{info:?}");
    }
}

scenario! {
    fn u209_retention_period_when_purging_before_retention_ends() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        assert_err(&w.records(&patient, "purge-record", vec![uint(1)]), code(RecordsError::RetentionPeriod));
        w.mine(1_576_799);
        assert_err(&w.records(&patient, "purge-record", vec![uint(1)]), code(RecordsError::RetentionPeriod));
        w.mine(1);
        assert_ok(&w.records(&patient, "purge-record", vec![uint(1)]), yes());
    }
}

scenario! {
    fn u210_paused_blocks_reads_but_not_revoking_access() {
        let mut w = World::<C>::with_record();
        let (owner, patient, provider) = (w.owner.clone(), w.patient.clone(), w.provider.clone());
        assert_ok(&w.records(&owner, "set-paused", vec![yes()]), yes());
        assert_err(&w.records(&provider, "get-record", vec![uint(1)]), code(RecordsError::Paused));
        assert_same(&w.check_access(1, &provider, READ), &ok(uint(WRITE)));
        assert_ok(&w.records(&patient, "revoke-provider-access", vec![p(&patient), p(&provider)]), yes());
    }
}

scenario! {
    fn u211_invalid_input_when_check_access_names_action_u2() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        assert_same(&w.check_access(1, &patient, 2), &err(RecordsError::InvalidInput));
    }
}

scenario! {
    fn u211_invalid_input_when_the_title_is_empty() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        assert_err(&w.create_record_by(&patient, DIAGNOSIS, "", "body", 0), code(RecordsError::InvalidInput));
    }
}

scenario! {
    fn u211_invalid_input_when_the_data_hash_is_not_64_lowercase_hex() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let content = Content::of("body");
        for bad in [content.data_hash.to_uppercase(), content.data_hash[..63].to_string(), format!("{}g", &content.data_hash[..63])] {
            let mut args = create_record_args(&patient, &who(&patient), DIAGNOSIS, "Note", &content, None, 0);
            args[3] = ascii(&bad);
            assert_err(&w.records(&patient, "create-record", args), code(RecordsError::InvalidInput));
        }
    }
}

scenario! {
    fn u211_invalid_input_when_confidentiality_is_above_u3() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        assert_err(&w.create_record_by(&patient, DIAGNOSIS, "Note", "body", 4), code(RecordsError::InvalidInput));
    }
}

scenario! {
    fn u211_invalid_input_when_retention_is_outside_6_to_100_years() {
        let mut w = World::<C>::new();
        let owner = w.owner.clone();
        for bad in [315_359, 5_256_001] {
            assert_err(&w.records(&owner, "set-retention-period", vec![uint(bad)]), code(RecordsError::InvalidInput));
        }
        assert_ok(&w.records(&owner, "set-retention-period", vec![uint(315_360)]), yes());
    }
}

scenario! {
    fn u212_no_consent_when_a_live_grant_lacks_consent_for_the_data_type() {
        let mut w = World::<C>::with_record();
        let provider = w.provider.clone();
        assert_err(&w.create_record_by(&provider, 4, "Labs", "labs", 0), code(RecordsError::NoConsent));
    }
}

scenario! {
    fn u213_invalid_version_when_rolling_back_to_the_current_version_or_u0() {
        let mut w = World::<C>::with_record();
        let patient = w.patient.clone();
        for bad in [0, 1, 2] {
            assert_err(&w.records(&patient, "rollback-record", vec![uint(1), uint(bad)]), code(RecordsError::InvalidVersion));
        }
    }
}

scenario! {
    fn u214_emergency_violation_when_an_override_is_used_to_write() {
        let mut w = World::<C>::with_record();
        w.enable_responder();
        let responder = w.responder.clone();
        let patient = p(&w.patient);
        assert_ok(&w.consent(&responder, "emergency-override", vec![patient, ascii("trauma")]), uint(433));
        assert_same(&w.check_access(1, &responder, READ), &ok(uint(3)));
        assert_err(&w.update_record_by(&responder, 1, 2, "second"), code(RecordsError::EmergencyViolation));
    }
}

scenario! {
    fn u214_emergency_violation_when_an_override_meets_an_uncovered_type_or_high_confidentiality() {
        let mut w = World::<C>::with_patient();
        w.enable_responder();
        let (patient, responder) = (w.patient.clone(), w.responder.clone());
        assert_ok(&w.create_record_by(&patient, 9, "Therapy", "mental", 0), uint(1));
        assert_ok(&w.create_record_by(&patient, DIAGNOSIS, "Sensitive", "sensitive", 2), uint(2));
        assert_ok(&w.consent(&responder, "emergency-override", vec![p(&patient), ascii("trauma")]), uint(433));
        assert_same(&w.check_access(1, &responder, READ), &err(RecordsError::EmergencyViolation));
        assert_same(&w.check_access(2, &responder, READ), &err(RecordsError::EmergencyViolation));
    }
}

scenario! {
    fn u215_invalid_expiry_when_a_grant_expires_at_or_below_block_height() {
        let mut w = World::<C>::with_patient();
        let patient = w.patient.clone();
        let height = w.block_height();
        let args = |expiry| vec![p(&patient), p(&Key::from_seed(b"other")), uint(READ), some(uint(expiry)), no()];
        assert_err(&w.records(&patient, "grant-provider-access", args(height)), code(RecordsError::InvalidExpiry));
        assert_ok(&w.records(&patient, "grant-provider-access", args(height + 1)), yes());
    }
}
