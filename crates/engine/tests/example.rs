//! The embedding example in `examples/embed.rs` runs and does what it says.

#[path = "../examples/embed.rs"]
#[allow(dead_code)] // its `main` is for `cargo run --example`
mod embed;

#[test]
fn the_embedding_example_runs() {
    let report = embed::run().expect("the example runs");
    assert!(report.starts_with("record u1 created by ST"), "{report}");
    assert!(report.contains("check-access gives level u1"), "{report}");
    assert!(report.contains("get-record gave ok with 1 event(s)"), "{report}");
    assert!(report.ends_with("block 11"), "{report}");
}
