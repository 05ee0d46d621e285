//! Mutation tests of `take`/`put`/`put_` (positions in the logical order)
//! and their nodes on the `flat_index_take_put` golden.

use super::support::{assert_first_value_failure, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "flat_index_take_put.torch.ftr";

/// The fault fails the replay free-running and anchored, the first value
/// out of tolerance being `op`'s output.
fn assert_caught_at(fault: &str, op: &str) {
    assert_first_value_failure(TRACE, fault, &[3], &format!("{op} output 0"));
}

#[test]
fn take_in_storage_order_is_caught_on_the_transposed_table() {
    // The ranking scores are contiguous; the transposed table is the first
    // take that storage order changes.
    assert_caught_at("take-in-storage-order", "aten.take.default");
}

#[test]
fn put_keeping_the_first_write_is_caught() {
    assert_caught_at("put-first-write-wins", "aten.put.default");
}

#[test]
fn a_perturbed_take_and_a_renamed_node_are_caught() {
    assert_caught_at("perturb=aten.take.default:0.01", "aten.take.default");
    for (code, out) in [
        replay_with_fault(TRACE, "rename-node=PutBackward0:IndexPutBackward0"),
        replay_anchored_with_fault(TRACE, "rename-node=PutBackward0:IndexPutBackward0"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("PutBackward0"), "{out}");
    }
}
