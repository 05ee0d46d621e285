//! Backward of `_prelu_kernel`: PreluKernelBackward0 calls
//! `_prelu_kernel_backward(grad, self, weight)` once when either edge needs
//! a gradient and hands on the results of the edges that do (both come in
//! the broadcast shape; the engine reduces the weight's with `sum_to`).

use crate::autograd::functions::{keep_needed, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;

/// PreluKernelBackward0.
pub(crate) struct PreluKernelBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) weight: SavedVariable,
}

impl BackwardFn for PreluKernelBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let needs = [ctx.needs(0), ctx.needs(1)];
        if !needs.iter().any(|&n| n) {
            return Ok(vec![None, None]);
        }
        let args = vec![
            g.into(),
            self.self_.unpack(ctx.node)?.into(),
            self.weight.unpack(ctx.node)?.into(),
        ];
        let out = ctx
            .rt
            .norm_backward("aten._prelu_kernel_backward.default", args)?;
        Ok(keep_needed(out, &needs))
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.weight.release();
    }
}
