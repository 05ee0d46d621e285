//! Backward of view and copy operators: `t`, `view`, `expand`, `unsqueeze`,
//! `squeeze.dim`, `select.int`, `clone`, `_to_copy`.

use super::{one_to_one, single};
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::Tensor;

/// `t`: the gradient of a transpose is the transposed gradient.
pub(crate) struct TBackward0;

impl BackwardFn for TBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.t(&g))
    }
}

/// `view`: `grad.reshape(self_sizes)` (reshape of a viewable gradient
/// dispatches `aten.view`).
pub(crate) struct ViewBackward0 {
    pub(crate) self_sizes: Vec<i64>,
}

impl BackwardFn for ViewBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.reshape(&g, &self.self_sizes))
    }
}

/// `expand`: the gradient is summed back over the expanded dimensions,
/// `sum_to(grad, self_sizes)`.
pub(crate) struct ExpandBackward0 {
    pub(crate) self_sizes: Vec<i64>,
}

impl BackwardFn for ExpandBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.sum_to(&g, &self.self_sizes))
    }
}

/// `unsqueeze(dim)`: `grad.squeeze(dim)`.
pub(crate) struct UnsqueezeBackward0 {
    pub(crate) dim: i64,
}

impl BackwardFn for UnsqueezeBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.squeeze_dim(&g, self.dim))
    }
}

/// `squeeze.dim(dim)`: `unsqueeze_to(grad, dim, self_sizes)` — re-inserts the
/// dimension only when the forward actually removed it.
pub(crate) struct SqueezeBackward1 {
    pub(crate) dim: i64,
    pub(crate) self_sizes: Vec<i64>,
}

impl BackwardFn for SqueezeBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let ndim = self.self_sizes.len();
        let removed = crate::tensor::strides::wrap_dim(self.dim, ndim)
            .is_some_and(|d| ndim > 0 && self.self_sizes[d] == 1);
        Ok(vec![Some(if removed {
            ctx.rt.unsqueeze(&g, self.dim)?
        } else {
            g
        })])
    }
}

/// `select(dim, index)`: the gradient goes back into slice `index` of a zero
/// tensor of the input's sizes, `select_backward(grad, self_sizes, dim,
/// index)` — one operator call; `dim` and `index` as the program gave them.
pub(crate) struct SelectBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) index: i64,
}

impl BackwardFn for SelectBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt
                .select_backward(&g, &self.self_sizes, self.dim, self.index)
        })
    }
}

/// `clone`: the gradient passes through.
pub(crate) struct CloneBackward0;

impl BackwardFn for CloneBackward0 {
    fn apply(
        &mut self,
        _ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![single(grads)])
    }
}

/// `_to_copy`: the gradient goes back to the input's device (a no-op when
/// it is already there; from `meta` it fails, as in PyTorch).
pub(crate) struct ToCopyBackward0 {
    pub(crate) self_device: Device,
}

impl BackwardFn for ToCopyBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        if g.device() == self.self_device {
            return Ok(vec![Some(g)]);
        }
        Ok(vec![Some(ctx.rt.copy_to_device(&g, self.self_device)?)])
    }
}
