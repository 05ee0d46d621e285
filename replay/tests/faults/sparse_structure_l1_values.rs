//! Mutation tests on the `sparse_structure_l1_values` golden (a GCN on a
//! learned sparse adjacency whose L1 penalty reads the coalesced
//! adjacency's `values()`): a ValuesBackward0 that builds the gradient's
//! sparse tensor without flagging it coalesced is caught at that call,
//! inside ValuesBackward0, both ways (a structural divergence: the
//! constructor's `is_coalesced` argument).

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "sparse_structure_l1_values.torch.ftr";
const OP: &str = "aten._sparse_coo_tensor_with_dims_and_tensors.default";

fn assert_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or_default();
    assert!(
        first.contains(OP) && first.contains("ValuesBackward0") && first.contains("is_coalesced"),
        "{out}"
    );
}

#[test]
fn the_golden_matches_without_the_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn an_uncoalesced_values_gradient_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "values-grad-uncoalesced");
    assert_named(code, &out);
}

#[test]
fn an_uncoalesced_values_gradient_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "values-grad-uncoalesced");
    assert_named(code, &out);
}
