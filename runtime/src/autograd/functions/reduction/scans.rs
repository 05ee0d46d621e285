//! Backward of the scans `cumsum` (CumsumBackward0) and `cumprod`
//! (CumprodBackward0).

use super::{release, single, unpack};
use crate::autograd::functions::complex::conj_factor;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::wrap_dim;

/// `cumsum(self, dim)`: PyTorch's `cumsum_backward` — `grad` itself when
/// it has at most one element or the scanned dimension has size 1, else
/// `grad.flip(dim).cumsum(dim).flip(dim)` (`dim` as given).
pub(crate) struct CumsumBackward0 {
    pub(crate) dim: i64,
    /// `self`'s dtype: `grad.to(self.scalar_type())` comes first (an
    /// `_to_copy` when `cumsum` was given another `dtype`).
    pub(crate) self_dtype: DType,
}

impl BackwardFn for CumsumBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        if g.dtype() != self.self_dtype {
            g = ops.cast(&g, self.self_dtype)?;
        }
        let size = wrap_dim(self.dim, g.dim())
            .and_then(|d| g.shape().get(d).copied())
            .unwrap_or(1);
        if g.numel() <= 1 || size == 1 {
            return Ok(vec![Some(g)]);
        }
        let flipped = ops.flip(&g, &[self.dim])?;
        let summed = ops.cumsum(&flipped, self.dim)?;
        Ok(vec![Some(ops.flip(&summed, &[self.dim])?)])
    }
}

/// `cumprod(self, dim)`: PyTorch's `cumprod_backward(grad, self, dim,
/// result)` (`grad` first cast to `self`'s dtype). With at most one
/// element, or a scanned dimension of size 1, the gradient passes through.
/// Under a dispatch mode PyTorch takes its composite path, which handles
/// zeros in the input without dividing by them:
///
/// * before the first zero of a slice (`cumsum(self == 0) == 0`):
///   `reversed_cumsum(result * grad masked to that range) / self`;
/// * at the first zero: the products of the elements between the first
///   and the second zero (`cumprod` of `self` with everything else 1)
///   times the gradient in that range, summed, times the product up to
///   the first zero (`gather` of `result` one position before it, 1 when
///   it is the first element);
/// * after the first zero: 0.
///
/// A complex input's formula reads `input.conj()` and `output.conj()` in
/// place of the input and the result (except in `input == 0`).
pub(crate) struct CumprodBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: i64,
    pub(crate) result: Option<SavedVariable>,
}

impl CumprodBackward0 {
    /// `input_conj` and `output_conj` are `input.conj()` and
    /// `output.conj()` (themselves for real tensors).
    fn composite(
        ops: &mut ReductionOps<'_>,
        grad: &Tensor,
        input: &Tensor,
        [input_conj, output_conj]: [&Tensor; 2],
        dim: i64,
    ) -> Result<Tensor> {
        let zero = IValue::Int(0);
        let w = ops.mul(output_conj, grad)?;
        let is_zero = ops.eq_scalar(input, zero.clone())?;
        let grad_input = ops.new_zeros(grad, input.shape())?;
        let zeros_so_far = ops.cumsum(&is_zero, dim)?;
        // k < z1: everything before the first zero.
        let before = ops.eq_scalar(&zeros_so_far, zero.clone())?;
        let outside = ops.bitwise_not(&before)?;
        let w = ops.masked_fill(&w, &outside, 0.0)?;
        let w = ops.flip(&w, &[dim])?;
        let w = ops.cumsum(&w, dim)?;
        let w = ops.flip(&w, &[dim])?;
        let w = ops.div(&w, input_conj)?;
        let grad_input = ops.where_self(&before, &w, &grad_input)?;
        // k = z1: the first zero, from the range [z1, z2).
        let between = ops.eq_scalar(&zeros_so_far, IValue::Int(1))?;
        let first_zero_index = ops.argmax_dim(&between, dim, true)?;
        let first_zero = ops.logical_and(&between, &is_zero)?;
        let not_first = ops.bitwise_not(&first_zero)?;
        let between = ops.bitwise_and_(&between, &not_first)?;
        let not_between = ops.bitwise_not(&between)?;
        let tail = ops.masked_fill(input_conj, &not_between, 1.0)?;
        let tail = ops.cumprod(&tail, dim)?;
        let outside = ops.ne_scalar(&zeros_so_far, IValue::Int(1))?;
        let grad_between = ops.masked_fill(grad, &outside, 0.0)?;
        let before_index = ops.sub_scalar(&first_zero_index, IValue::Int(1))?;
        let before_index = ops.relu_(&before_index)?;
        let head = ops.gather(output_conj, dim, &before_index)?;
        let at_start = ops.eq_scalar(&first_zero_index, zero)?;
        let head = ops.masked_fill_(&head, &at_start, IValue::Float(1.0))?;
        let tail = ops.mul(&tail, &grad_between)?;
        let tail = ops.sum_dim(&tail, &[dim], true)?;
        let at_zero = ops.mul(&tail, &head)?;
        ops.where_self(&first_zero, &at_zero, &grad_input)
    }
}

impl BackwardFn for CumprodBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(mut g) = single(grads) else {
            return Ok(vec![None]);
        };
        let output = unpack(&self.result, ctx)?;
        // The fault reads the result where the input is saved, as an
        // in-place cumprod_ that kept no original_self would.
        let input = if ctx.rt.faults().cumprod_grad_reads_result {
            output.clone()
        } else {
            self.self_.unpack(ctx.node)?
        };
        let composite = ctx.rt.is_dispatch_mode_active();
        let grad_mode = ctx.rt.is_grad_enabled();
        let mut ops = ReductionOps(&mut *ctx.rt);
        if g.dtype() != input.dtype() {
            g = ops.cast(&g, input.dtype())?;
        }
        let Some(d) = wrap_dim(self.dim, input.dim()) else {
            return Err(RuntimeError::shape(
                "CumprodBackward0",
                format!("dimension {} out of range", self.dim),
            ));
        };
        if input.numel() <= 1 || input.shape().get(d).copied().unwrap_or(1) == 1 {
            return Ok(vec![Some(g)]);
        }
        if !composite {
            return Err(RuntimeError::unsupported(
                "CumprodBackward0",
                "the gradient of cumprod outside a dispatch mode",
            ));
        }
        // Under grad mode (`create_graph=True`) PyTorch takes its O(n²)
        // differentiable path instead (observed in torch 2.15: `ones`,
        // `expand`, then per position `slice`, `cumprod`, `prod`...).
        if grad_mode {
            return Err(RuntimeError::unsupported(
                "CumprodBackward0",
                "the gradient of cumprod under grad mode (create_graph)",
            ));
        }
        // Complex tensors enter conjugated (`input.conj()`, `output.conj()`
        // first, as PyTorch's formula takes them).
        let input_conj = conj_factor(ops.0, &input)?;
        let output_conj = conj_factor(ops.0, &output)?;
        let grad = Self::composite(&mut ops, &g, &input, [&input_conj, &output_conj], d as i64)?;
        Ok(vec![Some(grad)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}
