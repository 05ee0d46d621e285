//! Mutation tests of complex sums: PyTorch sums a complex64/complex128
//! tensor's real and imaginary parts apart, each in its cascade order over
//! the complex vector's lanes (four complex64 or two complex128 elements a
//! vector), so the bias gradients of complex layers and the per-parameter
//! sums of complex optimisers are PyTorch's to the bit on its inputs.

use super::support::inexact_anchored_on;

#[test]
fn complex_sums_rounded_once_from_double_are_listed() {
    for trace in [
        "complex_clip_foreach_optim.torch.ftr",
        "complex_inplace_sgd.torch.ftr",
    ] {
        let clean = inexact_anchored_on(trace, None);
        assert!(
            clean.get("aten.sum.dim_IntList").is_none(),
            "{trace}: sums inexact without a fault: {clean}"
        );
        let broken = inexact_anchored_on(trace, Some("complex-sum-in-double"));
        assert!(
            broken.get("aten.sum.dim_IntList").is_some(),
            "{trace}: complex sums in float64 not caught: {broken}"
        );
    }
}
