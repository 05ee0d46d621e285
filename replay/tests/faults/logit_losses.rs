//! Mutation tests of the binary cross-entropy family: float32 (and half
//! type) `log_sigmoid` and the one inside `binary_cross_entropy_with_logits`
//! run PyTorch's vectorised float32 `exp` and `log1p` (SLEEF's), every step
//! of the composed loss rounds to the dtype, `binary_cross_entropy` calls
//! the C library's float logarithms, and a `mean`/`sum` reduction is the
//! loss tensor's cascade sum — so these losses are PyTorch's to the bit on
//! its inputs.

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
