//! Mutation tests of `torch.cholesky_inverse` (`cholesky_inverse_gp`): a
//! kernel that multiplies the factor's inverse in the wrong order (`(LᵀL)⁻¹`
//! for `(LLᵀ)⁻¹`) is a value failure at the first GP precision matrix,
//! free-running and anchored; a perturbed `cholesky_inverse` is caught.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "cholesky_inverse_gp.torch.ftr";
const OP: &str = "aten.cholesky_inverse.default";

#[test]
fn a_transposed_product_is_caught_and_named() {
    let fault = "cholesky-inverse-transposed-product";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
}

#[test]
fn a_perturbed_cholesky_inverse_is_a_value_failure_naming_it() {
    let (code, out) = replay_perturbed(TRACE, OP, "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
}
