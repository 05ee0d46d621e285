//! Mutation tests on the `reduced_robust_count_model` golden (a Poisson
//! rate model trained in bfloat16, float16, float32 and float64): `prod`
//! multiplied in PyTorch's vector order in the dtype, `div` with a
//! rounding mode in float32 for the single and half types, and the half
//! types' kernels that round each step (`mse_loss`, `xlogy`, `xlog1py`,
//! `special_entr`, `huber_loss`, `smooth_l1_loss`, `mvlgamma`'s sum).

use super::support::{
    assert_drift_starts_at_both_ways, assert_replays_to_match, inexact_anchored_on,
    replay_anchored_with_fault, run, value_failures,
};

const TRACE: &str = "reduced_robust_count_model.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_product_rounded_once_from_double_is_caught_at_prod() {
    assert_drift_starts_at_both_ways(TRACE, "prod-in-double", "aten.prod.dim_int");
}

#[test]
fn a_rounded_division_in_double_is_caught_at_div() {
    assert_drift_starts_at_both_ways(TRACE, "rounded-division-in-double", "aten.div.Tensor_mode");
}

#[test]
fn half_type_steps_rounded_once_are_listed_per_operator() {
    let (code, out) = replay_anchored_with_fault(TRACE, "reduced-steps-in-float");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("FAIL values"), "{out}");
    // float16 `mvlgamma` summed in float16 goes out of tolerance
    assert!(
        value_failures(&out)
            .iter()
            .any(|l| l.contains("aten.mvlgamma.default")),
        "{out}"
    );
    let (_, json) = run(
        TRACE,
        &[
            "--anchor",
            "--inject-fault",
            "reduced-steps-in-float",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::Deserializer::from_str(&json)
        .into_iter()
        .next()
        .and_then(Result::ok)
        .expect("json report");
    let inexact = &report["values"]["inexact"];
    let clean = inexact_anchored_on(TRACE, None);
    for op in [
        "aten.mse_loss.default",
        "aten.xlogy.Tensor",
        "aten.special_xlog1py.default",
        "aten.special_entr.default",
        "aten.huber_loss.default",
        "aten.smooth_l1_loss.default",
    ] {
        assert!(inexact.get(op).is_some(), "{op} not listed: {inexact}");
        assert!(
            clean.get(op).is_none(),
            "{op} inexact without the fault: {clean}"
        );
    }
}
