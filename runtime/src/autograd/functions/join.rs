//! Backward of joining operators: `stack`.

use super::single;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::tensor::Tensor;

/// `stack(tensors, dim)`: the gradient of input `i` is the slice `i` of the
/// output gradient along `dim`, `grad.select(dim, i)`, a view (PyTorch's
/// `stack_tensors_backward`). When any input needs a gradient every slice is
/// taken, in input order; `dim` is passed on as the program gave it.
pub(crate) struct StackBackward0 {
    pub(crate) dim: i64,
    pub(crate) count: usize,
}

impl BackwardFn for StackBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut out = vec![None; self.count];
        let Some(g) = single(grads) else {
            return Ok(out);
        };
        if !(0..self.count).any(|i| ctx.needs(i)) {
            return Ok(out);
        }
        for (index, slot) in (0i64..).zip(out.iter_mut()) {
            *slot = Some(ctx.rt.select(&g, self.dim, index)?);
        }
        Ok(out)
    }
}
