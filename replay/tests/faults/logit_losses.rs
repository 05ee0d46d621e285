//! Mutation tests of the binary cross-entropy family: float32 (and half
//! type) `log_sigmoid` and the one inside `binary_cross_entropy_with_logits`
//! run PyTorch's vectorised float32 `exp` and `log1p` (SLEEF's), every step
//! of the composed loss rounds to the dtype, `binary_cross_entropy` calls
//! the C library's float logarithms, and a `mean`/`sum` reduction is the
//! loss tensor's cascade sum — so these losses are PyTorch's to the bit on
//! its inputs. float64 log-sigmoids run SLEEF's double `exp` and `log1p`,
//! float64 sigmoids SLEEF's double `exp` in the vectorised loop.

use super::support::inexact_anchored_on;

const LOGIT_LOSSES: &str = "soft_target_bce.torch.ftr";

#[test]
fn the_family_is_bit_identical_on_pytorch_inputs() {
    let clean = inexact_anchored_on(LOGIT_LOSSES, None);
    for op in [
        "aten.binary_cross_entropy_with_logits.default",
        "aten.log_sigmoid_forward.default",
    ] {
        assert!(clean.get(op).is_none(), "{op} inexact: {clean}");
    }
    for trace in [
        "vae_style.torch.ftr",
        "dcgan_style.torch.ftr",
        "sigmoid_silu_loops.torch.ftr",
    ] {
        let clean = inexact_anchored_on(trace, None);
        assert!(
            clean.get("aten.binary_cross_entropy.default").is_none(),
            "{trace}: binary_cross_entropy inexact: {clean}"
        );
    }
}

#[test]
fn log_sigmoid_in_double_is_listed() {
    let broken = inexact_anchored_on(LOGIT_LOSSES, Some("log-sigmoid-in-double"));
    for op in [
        "aten.binary_cross_entropy_with_logits.default",
        "aten.log_sigmoid_forward.default",
    ] {
        assert!(broken.get(op).is_some(), "{op} not caught: {broken}");
    }
}

#[test]
fn loss_reductions_in_double_are_listed() {
    let broken = inexact_anchored_on(LOGIT_LOSSES, Some("loss-reduction-in-double"));
    assert!(
        broken
            .get("aten.binary_cross_entropy_with_logits.default")
            .is_some(),
        "not caught: {broken}"
    );
    let broken = inexact_anchored_on(
        "sigmoid_silu_loops.torch.ftr",
        Some("loss-reduction-in-double"),
    );
    assert!(
        broken.get("aten.binary_cross_entropy.default").is_some(),
        "not caught: {broken}"
    );
}

#[test]
fn float64_log_sigmoid_with_the_c_library_is_listed() {
    const TRACE: &str = "float64_logit_scores.torch.ftr";
    const FAULT: &str = "log-sigmoid-f64-libm";
    let clean = inexact_anchored_on(TRACE, None);
    let broken = inexact_anchored_on(TRACE, Some(FAULT));
    for (op, tensors) in [
        ("aten.log_sigmoid_forward.default", 12),
        ("aten.binary_cross_entropy_with_logits.default", 3),
    ] {
        assert!(clean.get(op).is_none(), "{op} inexact: {clean}");
        assert_eq!(broken[op]["tensors"], tensors, "{op}: {broken}");
    }
    let broken = inexact_anchored_on("elementwise_activations.torch.ftr", Some(FAULT));
    assert!(
        broken.get("aten.log_sigmoid_forward.default").is_some(),
        "{broken}"
    );
}

#[test]
fn float64_sigmoid_with_the_c_library_throughout_is_listed() {
    super::rounding_order::exact_unless(
        "float64_logit_scores.torch.ftr",
        "aten.sigmoid.default",
        "sigmoid-f64-exp-of-one-loop",
        9,
        111,
    );
}
