//! Mutation tests of where PyTorch's float kernels round, on the
//! `autograd_grad` golden (a Tanh MLP under an MSE loss, differentiated by
//! `torch.autograd.grad`). An anchored replay runs every operator on
//! PyTorch's own inputs and lists the operators whose outputs are not
//! bit-identical (`values.inexact`): `tanh_backward` (`1 - y * y` fused
//! into one rounding) and `mse_loss` / `mse_loss_backward` (each step
//! rounded to float32) are not among them; rounding elsewhere (faults
//! `tanh-backward-unfused`, `mse-backward-rounded-once`) puts them there,
//! an ulp off, within tolerance. Likewise on `mingpt_style`, whose GELU
//! cubes its input with `torch.pow(x, 3.0)`: PyTorch's kernel multiplies
//! `x * x * x`; the general power (fault `pow-by-general-power`) is an ulp
//! off. And on `complex_mri_recon`, whose complex64 products round each
//! partial product to float32 (fault `complex-mul-in-double` does not).
//! And on `cnn_sgd` and `lm_tied_schedulers`, whose cross-entropy losses sum
//! their rows in float32 through the `nll_loss` kernel's cascade levels; a
//! float64 sum rounded once (fault `nll-sum-in-double`) is an ulp off.

use serde_json::Value;

use super::support::inexact_anchored_on;

const TRACE: &str = "autograd_grad.torch.ftr";

fn inexact_anchored(fault: Option<&str>) -> Value {
    inexact_anchored_on(TRACE, fault)
}

const FUSED: &str = "aten.tanh_backward.default";
const MSE: [&str; 2] = ["aten.mse_loss.default", "aten.mse_loss_backward.default"];

#[test]
fn tanh_and_mse_gradients_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored(None);
    for op in std::iter::once(FUSED).chain(MSE) {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn an_unfused_tanh_backward_is_listed_inexact() {
    let inexact = inexact_anchored(Some("tanh-backward-unfused"));
    assert_eq!(inexact[FUSED]["tensors"], 5, "{inexact}");
    assert_eq!(inexact[FUSED]["first_seq"], 56, "{inexact}");
}

#[test]
fn an_mse_gradient_rounded_once_is_listed_inexact() {
    let inexact = inexact_anchored(Some("mse-backward-rounded-once"));
    assert_eq!(inexact[MSE[1]]["tensors"], 3, "{inexact}");
    assert_eq!(inexact[MSE[1]]["first_seq"], 49, "{inexact}");
}

/// `op` is bit-identical anchored on `trace`, and under `fault` listed
/// inexact with `tensors` tensors from PyTorch's event `first_seq` on.
pub(super) fn exact_unless(trace: &str, op: &str, fault: &str, tensors: u64, first_seq: u64) {
    let exact = inexact_anchored_on(trace, None);
    assert!(exact.get(op).is_none(), "{op}: {exact}");
    let faulty = inexact_anchored_on(trace, Some(fault));
    assert_eq!(faulty[op]["tensors"], tensors, "{fault}: {faulty}");
    assert_eq!(faulty[op]["first_seq"], first_seq, "{fault}: {faulty}");
}

#[test]
fn a_cube_is_a_product_bit_for_bit() {
    exact_unless(
        "mingpt_style.torch.ftr",
        "aten.pow.Tensor_Scalar",
        "pow-by-general-power",
        1,
        269,
    );
}

#[test]
fn complex64_products_round_each_partial_product() {
    exact_unless(
        "complex_mri_recon.torch.ftr",
        "aten.mul.Tensor",
        "complex-mul-in-double",
        35,
        204,
    );
}

#[test]
fn cross_entropy_sums_its_rows_through_the_cascade_levels() {
    const NLL: &str = "aten.nll_loss_forward.default";
    for trace in ["cnn_sgd.torch.ftr", "lm_tied_schedulers.torch.ftr"] {
        let exact = inexact_anchored_on(trace, None);
        assert!(exact.get(NLL).is_none(), "{trace}: {exact}");
        let in_double = inexact_anchored_on(trace, Some("nll-sum-in-double"));
        assert!(in_double.get(NLL).is_some(), "{trace}: {in_double}");
    }
}
