//! Backward of `logsumexp` (LogsumexpBackward0).

use super::{release, single, unpack, unsqueeze_multiple};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;

/// `logsumexp(self, dim, keepdim)`: PyTorch's `logsumexp_backward` —
/// `grad` and the result get the reduced dimensions back (unless `keepdim`
/// or a 0-dim input), then `grad * exp(self - result)` (the softmax of
/// `self` along `dim`).
pub(crate) struct LogsumexpBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: Vec<i64>,
    pub(crate) keepdim: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for LogsumexpBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = self.self_.unpack(ctx.node)?;
        let mut result = unpack(&self.result, ctx)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        if !self.keepdim && input.dim() != 0 {
            g = unsqueeze_multiple(&mut ops, g, &self.dim, input.dim())?;
            result = unsqueeze_multiple(&mut ops, result, &self.dim, input.dim())?;
        }
        let shifted = ops.sub(&input, &result)?;
        let softmax = ops.exp(&shifted)?;
        Ok(vec![Some(ops.mul(&g, &softmax)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}
