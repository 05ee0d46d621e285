//! Mutation tests of antialiased resizing on the `resize_antialias` golden:
//! a bicubic filter with Keys' `A = -0.75` (the plain bicubic's) instead of
//! PIL's `A = -0.5` is a value failure at `_upsample_bicubic2d_aa`,
//! free-running and anchored; every forward and backward kernel perturbed is
//! caught and named; misnamed nodes are graph divergences.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "resize_antialias.torch.ftr";

#[test]
fn the_resize_antialias_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn a_cubic_filter_with_keys_coefficient_is_caught_naming_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "antialias-cubic-keys-a"),
        replay_anchored_with_fault(TRACE, "antialias-cubic-keys-a"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten._upsample_bicubic2d_aa.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_antialias_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten._upsample_bilinear2d_aa.default",
            "aten._upsample_bicubic2d_aa.default",
            "aten._upsample_bilinear2d_aa_backward.default",
            "aten._upsample_bicubic2d_aa_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_antialias_nodes_are_caught() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "UpsampleBilinear2DAaBackward0",
            "UpsampleBicubic2DAaBackward0",
        ],
    );
}
