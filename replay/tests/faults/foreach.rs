//! Mutation tests of the `_foreach_*` kernels: a perturbed foreach result
//! is caught by the foreach corpus programs as a value failure (exit 3) that
//! names the operator where the drift starts; a perturbed in-place update
//! where the updated tensor is next read.

use super::support::replay_perturbed;

#[test]
fn a_perturbed_foreach_norm_is_caught_by_clip_grad() {
    let op = "aten._foreach_norm.Scalar";
    let (code, stdout) = replay_perturbed("foreach_clip_grad.torch.ftr", op, "0.01");
    assert_eq!(code, Some(3), "{stdout}");
    assert!(
        stdout.contains(&format!("drift starts at {op}")),
        "{stdout}"
    );
}

#[test]
fn a_perturbed_foreach_sqrt_is_caught_by_adam() {
    let op = "aten._foreach_sqrt.default";
    let (code, stdout) = replay_perturbed("foreach_optimizers.torch.ftr", op, "0.01");
    assert_eq!(code, Some(3), "{stdout}");
    assert!(
        stdout.contains(&format!("drift starts at {op}")),
        "{stdout}"
    );
}

/// An in-place foreach operator returns nothing and the trace records no
/// value for what it wrote: a perturbed parameter update shows up where the
/// parameter is next read (the next forward's `t`).
#[test]
fn a_perturbed_in_place_foreach_update_is_caught_at_the_next_read() {
    let (code, stdout) = replay_perturbed(
        "foreach_optimizers.torch.ftr",
        "aten._foreach_add_.List",
        "0.01",
    );
    assert_eq!(code, Some(3), "{stdout}");
    assert!(
        stdout.contains("drift starts at aten.t.default"),
        "{stdout}"
    );
}
