//! Mutation tests of `rms_norm` and grouped-query
//! `scaled_dot_product_attention` seen whole under `torch.inference_mode()`
//! (`llama_inference_gqa`). ATen's bfloat16 norm multiplies by its weight
//! in float32 and rounds once: bit-identical on PyTorch's inputs. Rounded
//! before the weight (fault `rms-norm-rounds-before-weight`) it is a
//! bfloat16 ulp off, within bfloat16's tolerance, so the anchored report
//! lists it among the operators that are not bit-identical from the first
//! norm of generation on. Perturbed composites are value failures naming
//! them.

use super::rounding_order::exact_unless;
use super::support::{assert_perturbed_ops_caught, assert_replays_to_match};

const TRACE: &str = "llama_inference_gqa.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_norm_rounded_before_its_weight_is_listed_inexact_from_the_first_norm() {
    exact_unless(
        TRACE,
        "aten.rms_norm.default",
        "rms-norm-rounds-before-weight",
        20,
        3052,
    );
}

#[test]
fn perturbed_norms_and_attention_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.rms_norm.default",
            "aten.scaled_dot_product_attention.default",
        ],
        "0.5",
    );
}
