//! Mutation tests of the `jacobian_vectorized` golden: the engine under
//! vmap (`is_grads_batched=True`, `jacobian(..., vectorize=True)`) is
//! recorded as its batched operators at top level, so a broken kernel among
//! them is caught where the batched backward runs it, free-running and
//! anchored.

use super::support::{replay_anchored_with_fault, replay_perturbed};

const TRACE: &str = "jacobian_vectorized.torch.ftr";

#[test]
fn a_perturbed_tanh_backward_of_the_batched_backward_is_caught_and_named() {
    // The first tanh_backward is the per-row fallback loop of the
    // vectorized Jacobian (top level, not a node's).
    let (code, out) = replay_perturbed(TRACE, "aten.tanh_backward.default", "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.tanh_backward.default (expected seq 76"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.tanh_backward.default:0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(
        out.contains("drift starts at aten.tanh_backward.default (expected seq 76"),
        "{out}"
    );
}

#[test]
fn a_perturbed_stack_of_the_batched_rows_flips_the_programs_check() {
    // `stack` joins the batched rows only in the vectorized Jacobian: the
    // program's `allclose` against the row-by-row loop turns False.
    let (code, out) = replay_perturbed(TRACE, "aten.stack.default", "0.01");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch changed]")
            && out.contains("expected dispatch op aten.allclose.default"),
        "{out}"
    );
    assert!(out.contains("aten.stack.default output 0"), "{out}");
}
