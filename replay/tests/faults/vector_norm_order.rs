//! Mutation tests of the vector norms' summation order on the
//! `vector_norm_order` golden (`clip_grad_norm_`'s `_foreach_norm`,
//! `F.normalize` rows and columns, `norm`, a transposed matrix, a column
//! slice split over two threads, float64, bfloat16 and float16, 1-norms).
//! Anchored, every norm is bit-identical: float32 squares summed in eight
//! lanes off a contiguous run, one running sum otherwise; summed in
//! float64 and rounded once (fault `vector-norm-in-double`) they are
//! listed inexact.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "vector_norm_order.torch.ftr";

const NORMS: [&str; 3] = [
    "aten.linalg_vector_norm.default",
    "aten._foreach_norm.Scalar",
    "aten.norm.ScalarOpt_dim",
];

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn norms_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    for op in NORMS {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn norms_summed_in_double_are_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("vector-norm-in-double"));
    for op in NORMS {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}
