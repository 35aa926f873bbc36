//! Searching a patient's audit events and consents: every page of a search, put
//! together, is the same search in one page; newest first is oldest first
//! reversed; each filter keeps exactly what it names; every page states the same
//! total; each resource reads back by its id; a closed consent keeps its purpose.

use clarimed_engine::keys::{create_record_digest, SigningKey};
use clarimed_engine::{principal_to_string, Content, Engine, Epoch, MemoryStore, Principal, Signed};
use clarimed_fhir::model::{Bundle, Resource};
use clarimed_fhir::{audit_bundle, read_audit_event, read_consent, Clock, ResourceType, Search};
use serde_json::Value as Json;

const BASE: &str = "http://127.0.0.1/fhir";

struct Chain {
    engine: Engine<MemoryStore>,
    patient: Principal,
    provider: Principal,
}

/// A patient with two records read many times by themself and a provider, beside
/// another patient whose record is read as often, over many blocks; a consent
/// granted, revoked and granted again.
fn chain() -> Chain {
    let owner = SigningKey::random().principal();
    let engine = Engine::in_memory(&owner, Epoch::Epoch25).unwrap();
    let (patient_key, other_key) = (SigningKey::random(), SigningKey::random());
    let (patient, other, provider) = (patient_key.principal(), other_key.principal(), SigningKey::random().principal());
    let consent = engine.consent();
    for (who, id) in [(&patient, "P-1"), (&other, "P-2")] {
        consent.register_patient(who, id, 19_800_101, None, None).unwrap();
    }
    consent.grant_consent(&patient, &provider, 1u128, None, "second opinion").unwrap();
    engine.records().grant_provider_access(&patient, &patient, &provider, 0u128, None, false).unwrap();
    let record = |key: &SigningKey, who: &Principal, n: u8| {
        let (hash, checksum) = (format!("{n:02x}").repeat(32), [n; 32]);
        let signature = key.sign(&create_record_digest(who, 2u128, &hash, &checksum)).unwrap();
        let content = Content { title: "t", data_hash: &hash, checksum: &checksum };
        let signed = Signed { signature: &signature, public_key: &key.public_key() };
        engine.records().create_record(who, who, 2u128, &content, None, 0, &signed).unwrap().0
    };
    let (first, second, others) = (record(&patient_key, &patient, 1), record(&patient_key, &patient, 2), record(&other_key, &other, 3));
    for block in 0..30 {
        engine.mine(1).unwrap();
        engine.records().get_record(&patient, if block % 2 == 0 { first } else { second }).unwrap();
        engine.records().get_record(&other, others).unwrap();
        engine.records().get_record(&other, others).unwrap();
        if block % 3 == 0 && !(11..=20).contains(&block) {
            engine.records().get_record(&provider, first).unwrap();
        }
        if block == 10 {
            consent.revoke_consent(&patient, &provider, 1u128).unwrap();
        }
        if block == 20 {
            consent.grant_consent(&patient, &provider, 1u128, None, "follow-up").unwrap();
        }
    }
    Chain { engine, patient, provider }
}

fn pairs(query: &str) -> Vec<(String, String)> {
    query.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn search(chain: &Chain, resource: ResourceType, query: &str) -> Bundle {
    Search::parse(resource, &pairs(query), &Clock::default()).unwrap().run(&chain.engine, BASE, query, &Clock::default()).unwrap()
}

fn ids(bundle: &Bundle) -> Vec<String> {
    bundle.entry.iter().map(|entry| entry.resource.reference()).collect()
}

/// Every page of `query`, following `next` links: the ids, and each page's total.
fn every_page(chain: &Chain, resource: ResourceType, query: &str) -> (Vec<String>, Vec<u64>) {
    let (mut all, mut totals) = (Vec::new(), Vec::new());
    let mut query = query.to_string();
    loop {
        let page = search(chain, resource, &query);
        all.extend(ids(&page));
        totals.push(page.total.unwrap());
        let Some(next) = page.link.iter().find(|link| link.relation == "next") else { break };
        query = next.url.split_once('?').unwrap().1.to_string();
        assert!(totals.len() < 1_000, "the pages never end");
    }
    (all, totals)
}

fn json(resource: &Resource) -> Json {
    serde_json::to_value(resource).unwrap()
}

#[test]
fn the_pages_of_a_search_are_the_whole_search_in_order_each_with_its_total() {
    let chain = chain();
    let patient = principal_to_string(&chain.patient);
    let whole = audit_bundle(&chain.engine, &chain.patient, 0..=u128::MAX, &Clock::default()).unwrap();
    let expected = ids(&whole);
    assert!(expected.len() > 40, "a log worth paging through");
    for count in [1, 7, 50] {
        let (paged, totals) = every_page(&chain, ResourceType::AuditEvent, &format!("patient={patient}&_count={count}"));
        assert_eq!(paged, expected, "_count={count}");
        assert!(totals.iter().all(|total| *total == expected.len() as u64), "{totals:?}");
        let (newest_first, _) = every_page(&chain, ResourceType::AuditEvent, &format!("patient={patient}&_count={count}&_sort=-date"));
        assert_eq!(newest_first, expected.iter().rev().cloned().collect::<Vec<_>>(), "_count={count}, newest first");
    }
    let only_total = search(&chain, ResourceType::AuditEvent, &format!("patient={patient}&_count=0"));
    assert_eq!((only_total.entry.len(), only_total.total), (0, Some(expected.len() as u64)));
}

#[test]
fn each_filter_keeps_exactly_the_events_it_names() {
    let chain = chain();
    let patient = principal_to_string(&chain.patient);
    let provider = principal_to_string(&chain.provider);
    let whole: Vec<Json> =
        audit_bundle(&chain.engine, &chain.patient, 0..=u128::MAX, &Clock::default()).unwrap().entry.iter().map(|e| json(&e.resource)).collect();
    let check = |query: &str, keep: &dyn Fn(&Json) -> bool| {
        let expected: Vec<String> = whole.iter().filter(|event| keep(event)).map(|event| format!("AuditEvent/{}", event["id"].as_str().unwrap())).collect();
        assert!(!expected.is_empty() && expected.len() < whole.len(), "{query} must keep some, not all");
        let (paged, totals) = every_page(&chain, ResourceType::AuditEvent, &format!("patient={patient}&_count=4&{query}"));
        assert_eq!(paged, expected, "{query}");
        assert_eq!(totals[0], expected.len() as u64, "{query}");
    };
    check(&format!("agent={provider}"), &|event| event["agent"][0]["who"]["identifier"]["value"] == provider.as_str());
    check("entity=1", &|event| event["entity"].as_array().unwrap().iter().any(|entity| entity["what"]["identifier"]["value"] == "1"));
    let (from, to) = (Clock::default().instant(12).unwrap(), Clock::default().instant(20).unwrap());
    check(&format!("date=ge{from}&date=le{to}"), &|event| {
        let recorded = event["recorded"].as_str().unwrap();
        recorded >= from.as_str() && recorded <= to.as_str()
    });
}

#[test]
fn every_resource_reads_back_by_its_id_and_an_unknown_id_reads_as_nothing() {
    let chain = chain();
    let patient = principal_to_string(&chain.patient);
    let clock = Clock::default();
    let events = search(&chain, ResourceType::AuditEvent, &format!("patient={patient}&_count=1000"));
    for entry in &events.entry {
        let Resource::AuditEvent(event) = &entry.resource else { panic!("an AuditEvent search answers AuditEvents") };
        assert_eq!(read_audit_event(&chain.engine, &event.id, &clock).unwrap().as_ref(), Some(&**event));
        assert_eq!(entry.full_url, format!("{BASE}/AuditEvent/{}", event.id));
    }
    let consents = search(&chain, ResourceType::Consent, &format!("patient={patient}"));
    assert_eq!(consents.entry.len(), 2);
    for entry in &consents.entry {
        let Resource::Consent(consent) = &entry.resource else { panic!("a Consent search answers Consents") };
        assert_eq!(read_consent(&chain.engine, &consent.id, &clock).unwrap().as_ref(), Some(&**consent));
    }
    // Another patient's access log entry, named as this patient's: nothing.
    let others_access = format!("a3-{patient}");
    assert!(read_audit_event(&chain.engine, &others_access, &clock).unwrap().is_none());
    for unknown in ["c99-".to_string() + &patient, "nonsense".to_string(), format!("t0-{}", principal_to_string(&chain.provider))] {
        assert!(read_consent(&chain.engine, &unknown, &clock).unwrap().is_none(), "{unknown}");
        assert!(read_audit_event(&chain.engine, &unknown, &clock).unwrap().is_none(), "{unknown}");
    }
}

#[test]
fn a_revoked_consent_keeps_the_purpose_it_was_granted_for() {
    let chain = chain();
    let consents = search(&chain, ResourceType::Consent, &format!("patient={}", principal_to_string(&chain.patient)));
    let purposes: Vec<(String, String)> = consents
        .entry
        .iter()
        .map(|entry| {
            let consent = json(&entry.resource);
            (consent["status"].as_str().unwrap().to_string(), consent["provision"]["purpose"][0]["code"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(purposes, [("inactive".to_string(), "second opinion".to_string()), ("active".to_string(), "follow-up".to_string())]);
}
