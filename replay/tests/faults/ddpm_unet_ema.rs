//! Foreach `lerp` on CPU runs the dense `lerp_` kernel on each list
//! element: one fused multiply-add in the dtype's compute precision. On
//! the `ddpm_unet_ema` golden the EMA copy of the UNet is updated by
//! `torch._foreach_lerp_(ema, model, 0.1)`; a separate multiply and add
//! (`foreach-lerp-unfused`) moves EMA weights by an ulp. The in-place
//! update records no value of its own, so the first reads of the EMA
//! weights during sampling (the time MLP's `t` and the mid block's
//! `native_group_norm`) stop being bit-identical on PyTorch's inputs,
//! while the clean replay has them bit-identical.
//!
//! The UNet's 2x nearest `interpolate` has a float32 backward that PyTorch
//! accumulates in float, output gradient by output gradient; summing in
//! float64 and rounding once (`nearest-backward-in-double`) leaves
//! `upsample_nearest2d_backward` an ulp off on PyTorch's inputs.

use super::support::inexact_anchored_on;

const TRACE: &str = "ddpm_unet_ema.torch.ftr";

#[test]
fn an_unfused_foreach_lerp_is_caught_at_the_ema_weights() {
    let faulty = inexact_anchored_on(TRACE, Some("foreach-lerp-unfused"));
    for op in ["aten.t.default", "aten.native_group_norm.default"] {
        assert!(faulty.get(op).is_some(), "{op}: {faulty}");
    }
    let clean = inexact_anchored_on(TRACE, None);
    for op in ["aten.t.default", "aten.native_group_norm.default"] {
        assert!(clean.get(op).is_none(), "{op}: {clean}");
    }
}

#[test]
fn a_double_nearest_backward_is_caught_on_pytorch_inputs() {
    let op = "aten.upsample_nearest2d_backward.default";
    let faulty = inexact_anchored_on(TRACE, Some("nearest-backward-in-double"));
    assert!(faulty.get(op).is_some(), "{faulty}");
    let clean = inexact_anchored_on(TRACE, None);
    assert!(clean.get(op).is_none(), "{clean}");
}
