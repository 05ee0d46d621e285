//! Mutation tests of the everyday training corpus (losses, norms, in-place
//! clamps): a perturbed kernel of `huber_loss`, its backward,
//! `norm.ScalarOpt_dim` or `clamp_min_.Tensor` is caught by
//! `losses_huber_triplet` / `norms_distances` as a value failure naming the
//! operator.

use super::support::replay_perturbed;

#[test]
fn perturbed_huber_and_legacy_norm_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.huber_loss.default",
        "aten.huber_loss_backward.default",
        "aten.norm.ScalarOpt_dim",
    ] {
        let (code, out) = replay_perturbed("losses_huber_triplet.torch.ftr", op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}

#[test]
fn a_perturbed_in_place_tensor_clamp_is_a_value_failure_naming_the_op() {
    let op = "aten.clamp_min_.Tensor";
    let (code, out) = replay_perturbed("norms_distances.torch.ftr", op, "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}
