//! `/new_block` payloads as the node's event-dispatcher documentation lays them out:
//! read field by field; a malformed or truncated one refused with the field named.

use std::sync::Arc;

use clarimed_engine::{parse_principal, Engine};
use clarimed_follower::payload::NewBlock;
use clarimed_follower::{Follower, OnMismatch};

const MINIMAL: &str = include_str!("fixtures/new_block_minimal.json");
/// The next block: a burnchain STX transfer, with its `stx_transfer_event` (as the
/// documentation's example writes it).
const STX_TRANSFER: &str = include_str!("fixtures/new_block_stx_transfer.json");

#[test]
fn a_documented_payload_is_read_field_by_field() {
    let block = NewBlock::parse(MINIMAL.as_bytes()).unwrap();
    assert_eq!(block.block_height, 7);
    assert_eq!(block.block_time, Some(1_764_000_000));
    assert!(block.parent_index_block_hash.starts_with("0x6666"));
    let tx = &block.transactions[0];
    assert_eq!((tx.tx_index, tx.status.as_str(), tx.raw_result.as_str()), (0, "success", "0x0703"));
    assert_eq!((tx.execution_cost.runtime, tx.execution_cost.write_length), (52_961, 437));
    let event = block.events[0].contract_event.as_ref().unwrap();
    assert_eq!((block.events[0].kind.as_str(), event.topic.as_str()), ("contract_event", "print"));
    assert!(event.contract_identifier.ends_with(".patient-consent"));
}

#[test]
fn a_payload_missing_a_field_the_follower_needs_is_refused_naming_it() {
    let mut value: serde_json::Value = serde_json::from_str(MINIMAL).unwrap();
    value.as_object_mut().unwrap().remove("parent_index_block_hash");
    let error = NewBlock::parse(value.to_string().as_bytes()).unwrap_err();
    assert!(error.to_string().contains("parent_index_block_hash"), "{error}");
}

#[test]
fn a_truncated_payload_is_refused() {
    let error = NewBlock::parse(&MINIMAL.as_bytes()[..MINIMAL.len() / 2]).unwrap_err();
    assert!(error.to_string().starts_with("not a /new_block payload"), "{error}");
}

#[test]
fn blocks_with_nothing_of_the_contracts_are_applied_as_the_tip_and_change_no_state() {
    let address = parse_principal("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
    let mut follower = Follower::new(Arc::new(Engine::in_memory(&address, clarimed_engine::Epoch::Epoch25).unwrap()), 8, OnMismatch::Stop).unwrap();
    let before = follower.engine().state_digest().unwrap();
    for (fixture, height) in [(MINIMAL, 7), (STX_TRANSFER, 8)] {
        let report = follower.apply(fixture.as_bytes()).unwrap();
        assert_eq!((report.height, report.calls, report.rewound), (height, 0, 0));
    }
    let (height, hash) = follower.tip().unwrap().unwrap();
    assert_eq!((height, hash), (8, [0x88; 32]));
    assert_eq!(follower.engine().state_digest().unwrap(), before);
    assert_eq!(NewBlock::parse(STX_TRANSFER.as_bytes()).unwrap().events[0].contract_event, None);
}
