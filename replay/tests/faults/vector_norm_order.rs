//! Mutation tests of the vector norms' summation order on the
//! `vector_norm_order` golden (`clip_grad_norm_`'s `_foreach_norm`,
//! `F.normalize` rows and columns, `norm`, a transposed matrix, a column
//! slice split over two threads, float64, bfloat16 and float16, 1-norms).
//! Anchored, every norm (and the fused weight norm, forward and backward)
//! is bit-identical: float32 squares summed in eight lanes off a
//! contiguous run, one running sum otherwise; summed in float64 and
//! rounded once (faults `vector-norm-in-double`, `weight-norm-in-double`)
//! they are listed inexact.

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

const WEIGHT_NORM: [&str; 2] = [
    "aten._weight_norm_interface.default",
    "aten._weight_norm_interface_backward.default",
];

#[test]
fn the_fused_weight_norm_is_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    for op in WEIGHT_NORM {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn a_weight_norm_summed_in_double_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("weight-norm-in-double"));
    for op in WEIGHT_NORM {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}
