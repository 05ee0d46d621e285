//! Mutation tests of the modified Bessel functions on the
//! `reduced_bessel_features` golden (von Mises and Kaiser features in
//! float16, bfloat16 and float32, 45 elements each): float16/bfloat16
//! `special_i0e` computes the last 13 elements in PyTorch's scalar loop,
//! in the dtype's own arithmetic. Computed in float there (fault
//! `bessel-reduced-tail-in-float`) the first float16 `special_i0e` is out
//! of tolerance on PyTorch's own inputs. float32 evaluates the Chebyshev
//! series with fused steps; rounded step by step (fault
//! `bessel-chebyshev-unfused`) all four float32 functions lose bit
//! identity on PyTorch's inputs.

use super::support::{
    assert_fault_reported_both_ways, assert_replays_to_match, inexact_anchored_on,
};

const TRACE: &str = "reduced_bessel_features.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_scalar_loop_in_float_puts_the_first_i0e_out_of_tolerance() {
    assert_fault_reported_both_ways(
        TRACE,
        "bessel-reduced-tail-in-float",
        3,
        &["drift starts at aten.special_i0e.default (expected seq 21"],
    );
}

const OPS: [&str; 4] = [
    "aten.i0.default",
    "aten.special_i0e.default",
    "aten.special_i1.default",
    "aten.special_i1e.default",
];

#[test]
fn the_bessel_functions_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    for op in OPS {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn unfused_float32_series_are_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("bessel-chebyshev-unfused"));
    for op in OPS {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}
