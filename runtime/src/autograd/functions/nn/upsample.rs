//! Backward of the upsampling operators: one call of the matching
//! `*_backward` operator with the forward's output size, the input's sizes,
//! (`align_corners`) and the scale factors.
//!
//! | node | dispatches |
//! |---|---|
//! | UpsampleNearest2DBackward0 | `upsample_nearest2d_backward(grad, output_size, input_size, scales_h, scales_w)` |
//! | UpsampleBilinear2DBackward0 | `upsample_bilinear2d_backward(grad, output_size, input_size, align_corners, scales_h, scales_w)` |
//!
//! and alike for the 1-d and 3-d variants (UpsampleNearest1DBackward0,
//! UpsampleNearest3DBackward0, UpsampleLinear1DBackward0,
//! UpsampleTrilinear3DBackward0).

use super::super::one_to_one;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `upsample_nearest{1,2,3}d`, `upsample_linear1d`, `upsample_bilinear2d`,
/// `upsample_trilinear3d`.
pub(crate) struct UpsampleBackward {
    pub(crate) backward_op: &'static str,
    pub(crate) output_size: IValue,
    /// The forward input's sizes.
    pub(crate) self_sizes: Vec<i64>,
    /// `align_corners` (bilinear only).
    pub(crate) align_corners: Option<IValue>,
    pub(crate) scales: Vec<IValue>,
}

impl BackwardFn for UpsampleBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut args = vec![
            self.output_size.clone(),
            IValue::IntList(self.self_sizes.clone()),
        ];
        args.extend(self.align_corners.clone());
        args.extend(self.scales.iter().cloned());
        let op = self.backward_op;
        one_to_one(ctx, grads, |ctx, g| ctx.rt.grad_call(op, &g, args))
    }
}
