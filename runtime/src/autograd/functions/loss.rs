//! Backward of `mse_loss`.
//!
//! loss = reduce((self - target)²), so d/dself = 2 (self - target) · grad / n
//! for the mean (n = numel) and d/dtarget is the same with the roles swapped;
//! both come from one kernel, `mse_loss_backward(grad, a, b, reduction)`.

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;

/// `mse_loss(self, target, reduction)`.
pub(crate) struct MseLossBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) reduction: i64,
}

impl BackwardFn for MseLossBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let (x, y) = (self.self_.unpack(ctx.node)?, self.target.unpack(ctx.node)?);
            out[0] = Some(ctx.rt.mse_loss_backward(&g, &x, &y, self.reduction)?);
        }
        if ctx.needs(1) {
            let (x, y) = (self.self_.unpack(ctx.node)?, self.target.unpack(ctx.node)?);
            out[1] = Some(ctx.rt.mse_loss_backward(&g, &y, &x, self.reduction)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
    }
}
