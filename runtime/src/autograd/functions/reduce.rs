//! Backward of `sum` and `sum.dim_IntList`.

use super::{one_to_one, single};
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;
use crate::tensor::strides::wrap_dim;

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
/// without keepdim the reduced dimensions are first re-inserted with
/// `unsqueeze` (in increasing order), then the gradient is expanded.
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
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        let ndim = self.self_sizes.len();
        if !self.keepdim
            && ndim > 0
            && let Some(dims) = self.dim.as_ref().filter(|d| !d.is_empty())
        {
            let mut reduced = vec![false; ndim];
            for &d in dims {
                if let Some(w) = wrap_dim(d, ndim) {
                    reduced[w] = true;
                }
            }
            for (i, &r) in reduced.iter().enumerate() {
                if r {
                    g = ctx.rt.unsqueeze(&g, i as i64)?;
                }
            }
        }
        Ok(vec![Some(ctx.rt.expand(&g, &self.self_sizes)?)])
    }
}
