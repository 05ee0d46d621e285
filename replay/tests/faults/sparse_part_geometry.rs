//! A sparse result whose parts PyTorch lays out otherwise is a divergence:
//! the dispatch comparison's key of a sparse tensor holds its layout, flag
//! and its indices' and values' sizes, strides and offsets. On the
//! `sparse_gcn_edge_weights` golden, a `sparse_mask` that keeps the
//! strides of a narrowed coalesced mask's indices (`[44, 1]` for 40
//! entries, where PyTorch's clone makes them `[40, 1]`; the values are
//! right) is named at that call, inside SparseAddmmBackward0, both ways.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "sparse_gcn_edge_weights.torch.ftr";

fn assert_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or_default();
    assert!(
        first.contains("[dispatch changed] expected seq 141")
            && first.contains("aten.sparse_mask.default")
            && first.contains("s[40, 1]")
            && first.contains("s[44, 1]"),
        "{out}"
    );
}

#[test]
fn a_sparse_result_with_other_index_strides_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-mask-keeps-index-strides");
    assert_named(code, &out);
}

#[test]
fn a_sparse_result_with_other_index_strides_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-mask-keeps-index-strides");
    assert_named(code, &out);
}
