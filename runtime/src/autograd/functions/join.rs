//! Backward of joining and tiling operators: `stack`, `cat`, `repeat`.

use super::single;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::wrap_dim;

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

/// `cat(tensors, dim)`: input `i` gets `grad.narrow(dim, offset_i,
/// size_i)` (a `slice.Tensor` along the wrapped `dim`) for every input,
/// whether it needs a gradient or not (observed in torch 2.15); a legacy
/// 1-D empty input (shape `[0]`) gets `zeros([0])` of the gradient's dtype
/// and device instead, and does not count towards the offsets.
pub(crate) struct CatBackward0 {
    pub(crate) dim: i64,
    pub(crate) sizes: Vec<Vec<i64>>,
}

impl BackwardFn for CatBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut out = vec![None; self.sizes.len()];
        let Some(g) = single(grads) else {
            return Ok(out);
        };
        let legacy_empty = |s: &Vec<i64>| s.as_slice() == [0];
        let rank = self
            .sizes
            .iter()
            .find(|s| !legacy_empty(s))
            .map_or(1, Vec::len);
        let d = wrap_dim(self.dim, rank).unwrap_or(0);
        let mut offset = 0;
        for (slot, sizes) in out.iter_mut().zip(&self.sizes) {
            if legacy_empty(sizes) {
                // PyTorch's cat_tensors_backward: "If input was empty
                // tensor, gradInput should be empty tensor", made with
                // at::zeros({0}, grad.options()).
                *slot = Some(ctx.rt.zeros_with_options(&[0], g.dtype(), g.device())?);
                continue;
            }
            let len = sizes.get(d).copied().unwrap_or(0);
            *slot = Some(ctx.rt.narrow(&g, d as i64, offset, len)?);
            offset += len;
        }
        Ok(out)
    }
}

/// `repeat(repeats)`: PyTorch's `repeat_backward`. Leading dimensions the
/// repeat added are summed away one by one (`sum(0)`); then, if any
/// remaining repeat is not 1, the gradient is reshaped so that each
/// repeated dimension `k` splits into `(repeats[k], self_sizes[k])` and the
/// repeat dimensions are summed in one call. A zero repeat gives zeros.
pub(crate) struct RepeatBackward0 {
    pub(crate) repeats: Vec<i64>,
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

impl BackwardFn for RepeatBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        if self.repeats.contains(&0) {
            let z = ctx
                .rt
                .zeros_with_options(&self.self_sizes, self.dtype, self.device)?;
            return Ok(vec![Some(z)]);
        }
        let added = self.repeats.len().saturating_sub(self.self_sizes.len());
        for _ in 0..added {
            g = ctx.rt.sum_dim(&g, vec![0], false)?;
        }
        let mut grad_size = Vec::new();
        let mut sum_dims = Vec::new();
        for (&size, &repeat) in self.self_sizes.iter().zip(&self.repeats[added..]) {
            if repeat != 1 {
                grad_size.push(repeat);
                sum_dims.push(grad_size.len() as i64 - 1);
            }
            grad_size.push(size);
        }
        if !sum_dims.is_empty() {
            g = ctx.rt.reshape(&g, &grad_size)?;
            g = ctx.rt.sum_dim(&g, sum_dims, false)?;
        }
        Ok(vec![Some(g)])
    }
}
