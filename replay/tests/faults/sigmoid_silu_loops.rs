//! Mutation tests of PyTorch's float32 elementwise loops on the
//! `sigmoid_silu_loops` golden (a SiLU-gated block with an RMSNorm and a
//! sigmoid classifier, hidden sizes with and without a scalar tail, in
//! place, transposed, split over two threads; bfloat16 `rsqrt`). Anchored,
//! `sigmoid`, `silu`, `silu_backward` and `rsqrt` are bit-identical: each
//! element takes SLEEF's `exp` in the vector loop and the C library's in
//! the scalar tail, and `rsqrt` rounds the square root before its
//! reciprocal. One `exp` for every element (fault
//! `sigmoid-exp-of-one-loop`) or `rsqrt` rounded once
//! (`rsqrt-rounded-once`) puts them among the inexact operators.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "sigmoid_silu_loops.torch.ftr";

const SIGMOIDS: [&str; 5] = [
    "aten.sigmoid.default",
    "aten.sigmoid_.default",
    "aten.silu.default",
    "aten.silu_.default",
    "aten.silu_backward.default",
];
const RSQRT: &str = "aten.rsqrt.default";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn sigmoids_and_rsqrt_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    for op in SIGMOIDS.iter().chain([&RSQRT]) {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn one_exp_for_both_loops_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("sigmoid-exp-of-one-loop"));
    for op in SIGMOIDS {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}

#[test]
fn an_rsqrt_rounded_once_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("rsqrt-rounded-once"));
    assert!(inexact.get(RSQRT).is_some(), "{inexact}");
}
