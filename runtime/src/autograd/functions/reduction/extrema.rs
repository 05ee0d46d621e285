//! Backward of the extremum reductions: `max`/`min` all-reduce
//! (MaxBackward1/MinBackward1), `max.dim`/`min.dim` (MaxBackward0/
//! MinBackward0) and `amax`/`amin`.

use super::{release, single, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::strides::wrap_dim;

/// `max(self)` / `min(self)` (MaxBackward1 / MinBackward1): PyTorch's
/// `evenly_distribute_backward` — the gradient is shared equally by every
/// element equal to the result (or NaN when the result is NaN).
///
/// Under a dispatch mode every tensor is subclass-like and PyTorch takes
/// the composite branch `mask = (self == result).logical_or_(isnan(self) &
/// isnan(result)); mask * (grad / mask.sum())`; without one it reads
/// `isnan(result).item()` and fills `grad.new_zeros(...)` through the mask.
pub(crate) struct EvenlyDistributeBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for EvenlyDistributeBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = self.self_.unpack(ctx.node)?;
        let value = unpack(&self.result, ctx)?;
        let composite = ctx.rt.is_dispatch_mode_active();
        let mut ops = ReductionOps(&mut *ctx.rt);
        if composite {
            let input_nan = ops.isnan(&input)?;
            let value_nan = ops.isnan(&value)?;
            let both_nan = ops.logical_and(&input_nan, &value_nan)?;
            let equal = ops.eq(&input, &value)?;
            let mask = ops.logical_or_(&equal, &both_nan)?;
            let count = ops.sum(&mask)?;
            let share = ops.div(&g, &count)?;
            return Ok(vec![Some(ops.mul(&mask, &share)?)]);
        }
        let value_nan = ops.isnan(&value)?;
        let mask = match ops.item(&value_nan)? {
            IValue::Bool(true) => ops.isnan(&input)?,
            _ => ops.eq(&input, &value)?,
        };
        let zeros = ops.new_zeros_like_options(&g, input.shape(), &input)?;
        let count = ops.sum(&mask)?;
        let share = ops.div(&g, &count)?;
        Ok(vec![Some(ops.masked_fill_tensor_(&zeros, &mask, &share)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}

/// `max.dim` / `min.dim` (MaxBackward0 / MinBackward0): PyTorch's
/// `value_selecting_reduction_backward` — `grad` and the saved `indices`
/// get the reduced dimension back (`unsqueeze(dim)` with `dim` as given,
/// unless `keepdim` or a 0-dim input), then
/// `grad.new_zeros(self_sizes).scatter(dim, indices, grad)`.
pub(crate) struct ValueSelectingBackward {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) keepdim: bool,
    pub(crate) indices: Option<SavedVariable>,
}

impl BackwardFn for ValueSelectingBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut indices = unpack(&self.indices, ctx)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        if !self.keepdim && !self.self_sizes.is_empty() {
            g = ops.unsqueeze(&g, self.dim)?;
            indices = ops.unsqueeze(&indices, self.dim)?;
        }
        let zeros = ops.new_zeros(&g, &self.self_sizes)?;
        Ok(vec![Some(ops.scatter_src(&zeros, self.dim, &indices, &g)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // The indices are not differentiable (no history): saved as a
        // plain tensor.
        self.indices = outputs.get(1).map(SavedVariable::input);
    }

    fn release_variables(&mut self) {
        release(&mut self.indices);
    }
}

/// PyTorch's `restore_reduced_dims(t, dims, keepdim)`: a `view` with the
/// reduced dimensions back as size 1 (nothing with `keepdim`).
fn restore_reduced_dims(
    ops: &mut ReductionOps<'_>,
    t: &Tensor,
    dims: &[i64],
    keepdim: bool,
) -> Result<Tensor> {
    if keepdim {
        return Ok(t.clone());
    }
    let total = t.dim() + dims.len();
    let mut shape = vec![0i64; total];
    for &d in dims {
        if let Some(w) = wrap_dim(d, total) {
            shape[w] = 1;
        }
    }
    let mut sizes = t.shape().iter();
    for slot in shape.iter_mut().filter(|s| **s == 0) {
        *slot = sizes.next().copied().unwrap_or(1);
    }
    ops.view(t, &shape)
}

/// `amax` / `amin(self, dim, keepdim)` (AmaxBackward0 / AminBackward0):
/// `scale_grad_by_count(restore(grad), restore(result) == self, dim)` =
/// `(grad / mask.sum(dim, keepdim=True)) * mask`; the mask is built first.
pub(crate) struct AmaxBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: Vec<i64>,
    pub(crate) keepdim: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for AmaxBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = self.self_.unpack(ctx.node)?;
        let result = unpack(&self.result, ctx)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        let restored = restore_reduced_dims(&mut ops, &result, &self.dim, self.keepdim)?;
        let mask = ops.eq(&restored, &input)?;
        let g = restore_reduced_dims(&mut ops, &g, &self.dim, self.keepdim)?;
        let count = ops.sum_dim(&mask, &self.dim, true)?;
        let share = ops.div(&g, &count)?;
        Ok(vec![Some(ops.mul(&share, &mask)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}
