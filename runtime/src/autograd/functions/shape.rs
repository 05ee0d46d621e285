//! Backward of view and copy operators: `t`, `view`, `expand`, `unsqueeze`,
//! `squeeze` (all overloads), `select.int`, `clone`, `_to_copy`,
//! `transpose.int`, `permute`, `_unsafe_view`, `alias`, `slice.Tensor`,
//! `split.Tensor`, `split_with_sizes`, `unbind.int`.

use super::{any_defined, one_to_one, single};
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::wrap_dim;

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
/// (wrapped) dimension only when the forward actually removed it.
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
        // The dim is wrapped first (observed: `squeeze(-1)` of a 3-D input
        // unsqueezes at 2).
        let ndim = self.self_sizes.len();
        let removed = wrap_dim(self.dim, ndim).filter(|&d| ndim > 0 && self.self_sizes[d] == 1);
        Ok(vec![Some(match removed {
            Some(d) => ctx.rt.unsqueeze(&g, d as i64)?,
            None => g,
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

/// `_to_copy`: the gradient goes back to the input's dtype and device
/// (the real part first when a real input was made complex),
/// `_to_copy(grad, dtype, layout=strided, device)` (observed in torch 2.15:
/// `x.double()`'s backward passes all three); a no-op when it already has
/// both; from `meta` it fails, as in PyTorch.
pub(crate) struct ToCopyBackward0 {
    pub(crate) self_device: Device,
    pub(crate) self_dtype: crate::tensor::dtype::DType,
}

impl BackwardFn for ToCopyBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        if g.dtype().is_complex() && !self.self_dtype.is_complex() {
            // A real input made complex (`torch.fft.fft2` of a real tensor):
            // PyTorch's `_to_copy_backward` takes `at::real(grad)` first.
            g = super::fft::real(ctx.rt, &g)?;
        }
        if g.device() == self.self_device && g.dtype() == self.self_dtype {
            return Ok(vec![Some(g)]);
        }
        Ok(vec![Some(ctx.rt.copy_to_options(
            &g,
            self.self_dtype,
            self.self_device,
        )?)])
    }
}

/// `transpose.int(dim0, dim1)`: `grad.transpose(dim0, dim1)`, the dims as
/// the program gave them.
pub(crate) struct TransposeBackward0 {
    pub(crate) dim0: i64,
    pub(crate) dim1: i64,
}

impl BackwardFn for TransposeBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.transpose(&g, self.dim0, self.dim1)
        })
    }
}

/// `permute(dims)`: `grad.permute(inverse)`, where `inverse` undoes the
/// wrapped `dims` (observed: `[2, 0, 1]` and `[-1, 0, 1]` both give
/// `[1, 2, 0]`).
pub(crate) struct PermuteBackward0 {
    pub(crate) dims: Vec<i64>,
}

impl BackwardFn for PermuteBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let n = self.dims.len();
        let mut inverse = vec![0i64; n];
        for (i, &d) in self.dims.iter().enumerate() {
            if let Some(slot) = wrap_dim(d, n).and_then(|w| inverse.get_mut(w)) {
                *slot = i as i64;
            }
        }
        one_to_one(ctx, grads, |ctx, g| ctx.rt.permute(&g, &inverse))
    }
}

/// `_unsafe_view`: `grad.reshape(self_sizes)`.
pub(crate) struct UnsafeViewBackward0 {
    pub(crate) self_sizes: Vec<i64>,
}

impl BackwardFn for UnsafeViewBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.reshape(&g, &self.self_sizes))
    }
}

/// `alias`: the gradient passes through.
pub(crate) struct AliasBackward0;

impl BackwardFn for AliasBackward0 {
    fn apply(
        &mut self,
        _ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![single(grads)])
    }
}

/// `slice.Tensor`: `slice_backward(grad, self_sizes, dim, start or 0, end
/// or INT64_MAX, step)` — the bounds as the program gave them.
pub(crate) struct SliceBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) start: Option<i64>,
    pub(crate) end: Option<i64>,
    pub(crate) step: i64,
}

impl BackwardFn for SliceBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let bounds = (
            self.start.unwrap_or(0),
            self.end.unwrap_or(i64::MAX),
            self.step,
        );
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt
                .slice_backward(&g, &self.self_sizes, self.dim, bounds)
        })
    }
}

/// `split.Tensor` / `split_with_sizes` (SplitBackward0 /
/// SplitWithSizesBackward0): the output gradients concatenated along the
/// wrapped `dim`, a zero tensor (`at::zeros` with the input's options)
/// standing in for each output without one, created in output order.
pub(crate) struct SplitBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) lengths: Vec<i64>,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

impl BackwardFn for SplitBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !any_defined(&grads) {
            return Ok(vec![None]);
        }
        let d = wrap_dim(self.dim, self.self_sizes.len()).unwrap_or(0);
        let mut parts = Vec::with_capacity(self.lengths.len());
        for (g, &len) in grads.into_iter().zip(&self.lengths) {
            parts.push(match g {
                Some(g) => g,
                None => {
                    let mut sizes = self.self_sizes.clone();
                    if let Some(s) = sizes.get_mut(d) {
                        *s = len;
                    }
                    ctx.rt.zeros_with_options(&sizes, self.dtype, self.device)?
                }
            });
        }
        Ok(vec![Some(ctx.rt.cat(parts, d as i64)?)])
    }
}

/// `unbind.int(dim)`: `stack(grads, dim)` (dim as given), where an output
/// without a gradient contributes `zeros({}, options).expand(its sizes)`.
pub(crate) struct UnbindBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

impl BackwardFn for UnbindBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !any_defined(&grads) {
            return Ok(vec![None]);
        }
        let mut sizes = self.self_sizes.clone();
        if let Some(d) = wrap_dim(self.dim, sizes.len()).filter(|&d| d < sizes.len()) {
            sizes.remove(d);
        }
        let mut parts = Vec::with_capacity(grads.len());
        for g in grads {
            parts.push(match g {
                Some(g) => g,
                None => {
                    let zero = ctx.rt.zeros_with_options(&[], self.dtype, self.device)?;
                    ctx.rt.expand(&zero, &sizes)?
                }
            });
        }
        Ok(vec![Some(ctx.rt.stack(parts, self.dim)?)])
    }
}

/// `squeeze.default` (SqueezeBackward0, `dims: None`) and `squeeze.dims`
/// (SqueezeBackward2): PyTorch's `unsqueeze_to` — `unsqueeze(d)` for every
/// dimension `d` (ascending) that had size 1 and was squeezable.
pub(crate) struct SqueezeBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dims: Option<Vec<i64>>,
}

impl BackwardFn for SqueezeBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        let n = self.self_sizes.len();
        let mut marked = vec![self.dims.is_none(); n];
        for &d in self.dims.iter().flatten() {
            if let Some(m) = wrap_dim(d, n).and_then(|w| marked.get_mut(w)) {
                *m = true;
            }
        }
        for (d, (&size, &m)) in self.self_sizes.iter().zip(&marked).enumerate() {
            if m && size == 1 {
                g = ctx.rt.unsqueeze(&g, d as i64)?;
            }
        }
        Ok(vec![Some(g)])
    }
}
