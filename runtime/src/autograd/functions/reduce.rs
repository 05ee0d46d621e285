//! Backward of `sum` and `sum.dim_IntList`.

use super::reduction::sum_backward;
use super::{one_to_one, single};
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;

/// `sum(self)`: every element contributed once, so d/dself = grad
/// broadcast back: `grad.expand(self_sizes)` (a stride-0 view).
pub(crate) struct SumBackward0 {
    pub(crate) self_sizes: Vec<i64>,
}

impl BackwardFn for SumBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.expand(&g, &self.self_sizes))
    }
}

/// `sum.dim_IntList(self, dim, keepdim)`: PyTorch's `sum_backward` —
/// without keepdim the reduced dimensions are first re-inserted
/// (`unsqueeze_multiple`: one `unsqueeze` with the dimension as given for a
/// single dim, otherwise one per dimension in increasing order), then the
/// gradient is expanded.
pub(crate) struct SumBackward1 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: Option<Vec<i64>>,
    pub(crate) keepdim: bool,
}

impl BackwardFn for SumBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        Ok(vec![Some(sum_backward(
            &mut ops,
            g,
            &self.self_sizes,
            self.dim.as_deref(),
            self.keepdim,
        )?)])
    }
}
