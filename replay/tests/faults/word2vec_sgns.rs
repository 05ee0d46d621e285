//! The clone of a sparse tensor copies each part as `to(copy=True)` does
//! under the preserve format: a dense part keeps its strides. On the
//! `word2vec_sgns` golden, AccumulateGrad clones the sum of the output
//! table's two sparse gradients (179 merged entries in parts with room for
//! 180, indices strides `[180, 1]`); a clone with contiguous parts
//! (`[179, 1]`) is named at that clone, both ways.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "word2vec_sgns.torch.ftr";

fn assert_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or_default();
    assert!(
        first.contains("[dispatch changed] expected seq 149")
            && first.contains("aten.clone.default")
            && first.contains("s[180, 1]")
            && first.contains("s[179, 1]"),
        "{out}"
    );
}

#[test]
fn a_sparse_clone_with_contiguous_parts_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-clone-contiguous");
    assert_named(code, &out);
}

#[test]
fn a_sparse_clone_with_contiguous_parts_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-clone-contiguous");
    assert_named(code, &out);
}
