//! Mutation tests on the `inplace_math_embeddings` golden: the in-place
//! forms of the math functions (`erf_`, `lgamma_`, `log2_`, `expm1_`, ...),
//! of the binary and matrix ones (`atan2_`, `xlogy_`, `baddbmm_`, `addr_`,
//! ...), of `renorm_`, `masked_scatter_`, `nan_to_num_` and of the comparisons
//! (`eq_`, `gt_`, ...) are checked value by value and node by node, and
//! an in-place comparison's zero gradients come `other`'s first (made in
//! the other order, the gradients that flow on from them swap identities).

use super::support::{
    assert_fault_reported_both_ways, assert_perturbed_ops_caught, assert_renamed_nodes_caught,
};

const TRACE: &str = "inplace_math_embeddings.torch.ftr";

#[test]
fn perturbed_in_place_math_forms_are_caught() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.renorm_.default",
            "aten.masked_scatter_.default",
            "aten.expm1_.default",
            "aten.lgamma_.default",
            "aten.log2_.default",
            "aten.log10_.default",
            "aten.erf_.default",
            "aten.erfinv_.default",
            "aten.exp2_.default",
            "aten.sinc_.default",
            "aten.frac_.default",
            "aten.logit_.default",
            "aten.nan_to_num_.default",
            "aten.gt_.Tensor",
            "aten.baddbmm_.default",
            "aten.addr_.default",
            "aten.addmv_.default",
            "aten.atan2_.default",
            "aten.hypot_.default",
            "aten.copysign_.Tensor",
            "aten.i0_.default",
            "aten.xlogy_.Tensor",
            "aten.mvlgamma_.default",
        ],
        "0.01",
    );
}

#[test]
fn renamed_in_place_nodes_are_caught() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "ErfBackward0",
            "ErfinvBackward0",
            "Log2Backward0",
            "Expm1Backward0",
            "NanToNumBackward0",
            "MaskedScatterBackward0",
            "GtBackward1",
            "GeBackward0",
            "Atan2Backward0",
            "CopysignBackward1",
            "XlogyBackward2",
            "I0Backward0",
        ],
    );
}

#[test]
fn zero_gradients_of_self_before_other_are_caught() {
    assert_fault_reported_both_ways(
        TRACE,
        "compare-inplace-self-first",
        1,
        &["dataflow mismatch", "SumBackward1"],
    );
}
