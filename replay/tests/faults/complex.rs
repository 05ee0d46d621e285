//! Mutation tests of the complex family (`rope_complex`, `complex_arith`):
//! a complex product without its cross terms is a value failure naming
//! `aten.mul.Tensor`, anchored too; a MulBackward0 that multiplies by the
//! operand instead of its conjugate skips `_conj` and is a dispatch
//! divergence at that `_conj`; a perturbed complex `mul` is caught.
//! `complex_spectral`: a complex `bmm`/`mm` that forgets its operand's
//! conjugate bit is a value failure at BmmBackward0's `bmm`, anchored too;
//! a DivBackward0 without the conjugates is a dispatch divergence at its
//! first `_conj`; a real input's gradient that keeps the imaginary part
//! (`handle_r_to_c`) diverges at SubBackward0's `select`.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const ROPE: &str = "rope_complex.torch.ftr";
const ARITH: &str = "complex_arith.torch.ftr";
const SPECTRAL: &str = "complex_spectral.torch.ftr";

#[test]
fn a_complex_product_without_cross_terms_is_caught_and_named() {
    for trace in [ROPE, ARITH] {
        let (code, out) = replay_with_fault(trace, "complex-mul-no-cross-terms");
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains("drift starts at aten.mul.Tensor"), "{out}");
        assert!(
            out.contains("run on PyTorch's inputs (anchored) it still fails"),
            "{out}"
        );
    }
}

#[test]
fn a_mul_backward_without_the_conjugate_is_caught_at_conj() {
    let (code, out) = replay_with_fault(ARITH, "mul-backward-conj-dropped");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch changed]") && out.contains("aten._conj.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_complex_mul_is_caught() {
    let (code, out) = replay_perturbed(ROPE, "aten.view_as_complex.default", "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("aten.view_as_complex.default"), "{out}");
    let (code, out) = replay_perturbed(ARITH, "aten.mul.Tensor", "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.mul.Tensor"), "{out}");
}

#[test]
fn a_complex_matrix_product_forgetting_the_conjugate_bit_is_caught_at_bmm() {
    let (code, out) = replay_with_fault(SPECTRAL, "complex-mm-no-conj");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.bmm.default"), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(SPECTRAL, "complex-mm-no-conj");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("aten.bmm.default output 0 (expected seq 242, actual seq 242)")
            && out.contains("local drift"),
        "{out}"
    );
}

#[test]
fn a_div_backward_without_the_conjugates_is_caught_at_conj() {
    for (code, out) in [
        replay_with_fault(SPECTRAL, "complex-div-backward-no-conj"),
        replay_anchored_with_fault(SPECTRAL, "complex-div-backward-no-conj"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("[dispatch missing]")
                && out.contains("aten._conj.default(T90[4,2,5])")
                && out.contains("DivBackward0"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_complex_exp_pow_reciprocal_and_mean_dim_are_caught() {
    for op in [
        "aten.exp.default",
        "aten.pow.Tensor_Scalar",
        "aten.reciprocal.default",
        "aten.mean.dim",
        "aten.sum.dim_IntList",
        "aten.bmm.default",
    ] {
        let (code, out) = replay_perturbed(SPECTRAL, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(op), "{op}: {out}");
    }
}

#[test]
fn a_real_gradient_keeping_the_imaginary_part_is_caught_at_select() {
    for (code, out) in [
        replay_with_fault(SPECTRAL, "real-grad-takes-imag"),
        replay_anchored_with_fault(SPECTRAL, "real-grad-takes-imag"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [dispatch changed]")
                && out.contains("aten.select.int(T428[4,2,5,2])")
                && out.contains("SubBackward0"),
            "{out}"
        );
    }
}
