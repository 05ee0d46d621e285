//! Mutation test of the float32 batch norm backward's order on the
//! `resnet_tiny` golden (contiguous activations in training): each plane's
//! `Σ dy` and `Σ (x − mean)·dy` in eight float32 lanes, the input gradient
//! by one fused step, bit-identical anchored; summed in float64 (fault
//! `batch-norm-grad-in-double`) the backward is listed inexact.

use super::support::inexact_anchored_on;

const TRACE: &str = "resnet_tiny.torch.ftr";
const OP: &str = "aten.native_batch_norm_backward.default";

#[test]
fn the_batch_norm_backward_is_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    assert!(inexact.get(OP).is_none(), "{inexact}");
}

#[test]
fn a_batch_norm_backward_summed_in_double_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("batch-norm-grad-in-double"));
    assert!(inexact.get(OP).is_some(), "{inexact}");
}
