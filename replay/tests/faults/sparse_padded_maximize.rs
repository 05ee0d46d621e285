//! Sparse gradients of padded batches, stepped with `maximize=True`. On the
//! `sparse_padded_maximize` golden, EmbeddingBackward0 of a table with a
//! `padding_idx` first masks the padding lookups (`ne.Scalar`); keeping
//! them skips the mask and its `index` calls. SparseAdam's `maximize`
//! negates the uncoalesced gradient (`neg` keeps the flag); a `neg`
//! flagging its result coalesced is named at that call, both ways.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "sparse_padded_maximize.torch.ftr";

fn first_divergence(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or_default()
}

fn assert_padding_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    let first = first_divergence(out);
    assert!(
        first.contains("expected seq 143")
            && first.contains("aten.ne.Scalar")
            && first.contains("EmbeddingBackward0"),
        "{out}"
    );
}

fn assert_neg_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    let first = first_divergence(out);
    assert!(
        first.contains("expected seq 164")
            && first.contains("aten.neg.default")
            && first.contains("`c0 ")
            && first.contains("`c1 "),
        "{out}"
    );
}

#[test]
fn a_sparse_gradient_keeping_padding_lookups_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-embedding-keeps-padding");
    assert_padding_named(code, &out);
}

#[test]
fn a_sparse_gradient_keeping_padding_lookups_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-embedding-keeps-padding");
    assert_padding_named(code, &out);
}

#[test]
fn a_sparse_neg_flagged_coalesced_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-neg-coalesced");
    assert_neg_named(code, &out);
}

#[test]
fn a_sparse_neg_flagged_coalesced_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-neg-coalesced");
    assert_neg_named(code, &out);
}
