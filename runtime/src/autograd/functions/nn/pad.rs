//! Backward of the padding operators.
//!
//! | node | saves | dispatches |
//! |---|---|---|
//! | ConstantPadNdBackward0 | pad | `constant_pad_nd(grad, -pad)` (cropping the padding off) |
//! | ReflectionPad{1,2}DBackward0 | self, padding | `reflection_pad{1,2}d_backward(grad, self, padding)` |
//! | ReplicationPad{1,2}DBackward0 | self, padding | `replication_pad{1,2}d_backward(grad, self, padding)` |

use super::super::one_to_one;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;

/// `constant_pad_nd(self, pad, value)`: the gradient is the output
/// gradient with the padding cropped off, i.e. padded by `-pad`.
pub(crate) struct ConstantPadNdBackward0 {
    pub(crate) pad: Vec<i64>,
}

impl BackwardFn for ConstantPadNdBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let negated: Vec<i64> = self.pad.iter().map(|p| -p).collect();
        one_to_one(ctx, grads, |ctx, g| ctx.rt.constant_pad_nd(&g, &negated))
    }
}

/// `reflection_pad*d` / `replication_pad*d(self, padding)`: one call of
/// the matching `*_backward` operator (`backward_op`).
pub(crate) struct PadBackward {
    pub(crate) backward_op: &'static str,
    pub(crate) self_: SavedVariable,
    pub(crate) padding: Vec<i64>,
}

impl BackwardFn for PadBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        let (op, padding) = (self.backward_op, self.padding.clone());
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.pad_backward(op, &g, &this, &padding)
        })
    }

    fn release_variables(&mut self) {
        self.self_.release();
    }
}
