//! Mutation tests of the inverse hyperbolic family and the in-place
//! trigonometric forms (`hyperbolic_embeddings`), and of `erfc` and the IEEE
//! sign and extremum helpers (`sign_tail_helpers`): a perturbed kernel is a
//! value failure named where it happens, free-running and anchored; a
//! misnamed node is a graph divergence naming it.

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay};

const TRACE: &str = "hyperbolic_embeddings.torch.ftr";

#[test]
fn the_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn perturbed_inverse_hyperbolic_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.acosh.default",
            "aten.atanh.default",
            "aten.asinh.default",
        ],
        "0.01",
    );
}

#[test]
fn perturbed_in_place_forms_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.sin_.default",
            "aten.fmod_.Tensor",
            "aten.atan_.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "AcoshBackward0",
            "AtanhBackward0",
            "AsinhBackward0",
            "AtanhBackward1",
            "FmodBackward1",
            "SinBackward0",
        ],
    );
}

const SIGN_TAIL: &str = "sign_tail_helpers.torch.ftr";

#[test]
fn the_sign_and_tail_golden_matches() {
    let (code, out) = replay(SIGN_TAIL, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn perturbed_erfc_copysign_fmax_fmin_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        SIGN_TAIL,
        &[
            "aten.erfc.default",
            "aten.copysign.Tensor",
            "aten.fmax.default",
            "aten.fmin.default",
            "aten.heaviside.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_sign_and_tail_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        SIGN_TAIL,
        &[
            "ErfcBackward0",
            "CopysignBackward0",
            "CopysignBackward1",
            "FmaxBackward0",
            "FminBackward0",
        ],
    );
}
