//! Mutation tests of the `torch.func` corpus (`func_per_sample_grads`,
//! `func_maml`, `func_ensemble`): the transforms' operators are replayed as
//! top-level ops, so a perturbed kernel among them — vmap's batched `bmm`
//! of the per-sample weight gradients, the grad transform's
//! `tanh_backward`, the ensemble's `gelu_backward` — is a value failure
//! naming the operator, free-running and anchored.

use super::support::{replay_anchored_with_fault, replay_perturbed};

const PER_SAMPLE: &str = "func_per_sample_grads.torch.ftr";
const MAML: &str = "func_maml.torch.ftr";
const ENSEMBLE: &str = "func_ensemble.torch.ftr";

/// `perturb=op:delta` on `trace`, free-running and anchored: both exit 3
/// with the drift starting at `op`.
fn caught_and_named(trace: &str, op: &str, delta: &str) {
    let (code, out) = replay_perturbed(trace, op, delta);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    let (code, out) = replay_anchored_with_fault(trace, &format!("perturb={op}:{delta}"));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn a_perturbed_batched_matmul_of_per_sample_gradients_is_caught_and_named() {
    caught_and_named(PER_SAMPLE, "aten.bmm.default", "0.01");
}

#[test]
fn a_perturbed_tanh_backward_inside_vmap_of_grad_is_caught_and_named() {
    caught_and_named(PER_SAMPLE, "aten.tanh_backward.default", "0.01");
}

#[test]
fn a_perturbed_relu_threshold_backward_of_the_maml_inner_loop_is_caught_and_named() {
    caught_and_named(MAML, "aten.threshold_backward.default", "0.01");
}

#[test]
fn a_perturbed_gelu_backward_of_the_vmapped_ensemble_is_caught_and_named() {
    caught_and_named(ENSEMBLE, "aten.gelu_backward.default", "0.01");
}
