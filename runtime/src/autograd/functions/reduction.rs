//! Backward functions of the reductions: `mean`, `max`/`min` (both
//! overloads), `amax`/`amin`, `var`/`std`, `prod`, `cumsum`, `cumprod`,
//! `linalg_vector_norm`; and of `bernoulli` / `bernoulli_` (zero gradients).
//!
//! Each dispatches the operators PyTorch's formula dispatches, in the order
//! observed in torch 2.15 under a dispatch mode. Where C++ evaluates the
//! operands of `a * b` in an unspecified order, the observed order is the
//! right operand first (e.g. VarBackward0 computes `self - mean` before
//! scaling `grad`).

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::wrap_dim;

fn unpack(saved: &Option<SavedVariable>, ctx: &BackwardCtx<'_>) -> Result<Tensor> {
    match saved {
        Some(s) => s.unpack(ctx.node),
        None => Err(RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        }),
    }
}

fn release(saved: &mut Option<SavedVariable>) {
    if let Some(s) = saved {
        s.release();
    }
}

/// PyTorch's `unsqueeze_multiple(t, dims, n_dims)`: nothing for no dims;
/// one `unsqueeze` with the dimension *as given* (possibly negative) for one
/// dim; otherwise one `unsqueeze` per reduced dimension in increasing
/// (wrapped) order.
pub(crate) fn unsqueeze_multiple(
    ops: &mut ReductionOps<'_>,
    t: Tensor,
    dims: &[i64],
    n_dims: usize,
) -> Result<Tensor> {
    match dims {
        [] => Ok(t),
        [d] => ops.unsqueeze(&t, *d),
        _ => {
            let mut reduced = vec![false; n_dims];
            for &d in dims {
                if let Some(w) = wrap_dim(d, n_dims) {
                    reduced[w] = true;
                }
            }
            let mut out = t;
            for (i, _) in reduced.iter().enumerate().filter(|(_, r)| **r) {
                out = ops.unsqueeze(&out, i as i64)?;
            }
            Ok(out)
        }
    }
}

/// PyTorch's `sum_backward(grad, sizes, dims, keepdim)`: re-insert the
/// reduced dimensions (unless `keepdim` or a 0-dim input), then `expand`.
pub(crate) fn sum_backward(
    ops: &mut ReductionOps<'_>,
    grad: Tensor,
    sizes: &[i64],
    dims: Option<&[i64]>,
    keepdim: bool,
) -> Result<Tensor> {
    let mut g = grad;
    if !keepdim
        && !sizes.is_empty()
        && let Some(dims) = dims
    {
        g = unsqueeze_multiple(ops, g, dims, sizes.len())?;
    }
    ops.expand(&g, sizes)
}

/// `mean(self)`: `grad.expand(self_sizes) / self_numel` (`div.Scalar` by
/// the integer element count).
pub(crate) struct MeanBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) self_numel: i64,
}

impl BackwardFn for MeanBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        let expanded = ops.expand(&g, &self.self_sizes)?;
        Ok(vec![Some(
            ops.div_scalar(&expanded, IValue::Int(self.self_numel))?,
        )])
    }
}

/// `mean.dim(self, dim, keepdim)`: PyTorch's `mean_backward` —
/// `sum_backward(grad, sizes, dim, keepdim) / n`, `n` the number of
/// elements averaged (all of them for an absent or empty `dim`).
pub(crate) struct MeanBackward1 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: Option<Vec<i64>>,
    pub(crate) keepdim: bool,
    pub(crate) count: i64,
}

impl BackwardFn for MeanBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        let g = sum_backward(
            &mut ops,
            g,
            &self.self_sizes,
            self.dim.as_deref(),
            self.keepdim,
        )?;
        Ok(vec![Some(ops.div_scalar(&g, IValue::Int(self.count))?)])
    }
}

/// The number of elements `mean.dim` averages: every element for an absent
/// or empty `dim`, else the product of the reduced sizes.
pub(crate) fn mean_count(sizes: &[i64], dim: Option<&[i64]>) -> i64 {
    match dim {
        Some(dims) if !dims.is_empty() => {
            let mut seen = vec![false; sizes.len()];
            dims.iter()
                .filter_map(|&d| wrap_dim(d, sizes.len()))
                .filter(|&w| w < sizes.len() && !std::mem::replace(&mut seen[w], true))
                .map(|w| sizes[w])
                .product()
        }
        _ => sizes.iter().product(),
    }
}

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

/// The `correction` of `var`/`std` as a number (absent: 1).
fn correction_of(c: &IValue) -> f64 {
    match c {
        IValue::Int(i) => *i as f64,
        IValue::Float(x) => *x,
        IValue::Bool(b) => f64::from(u8::from(*b)),
        _ => 1.0,
    }
}

/// PyTorch's `var_backward(grad, self, dim, correction, keepdim)`:
/// `(2 / (n - correction)) * grad * (self - self.mean(dim, keepdim=True))`,
/// with `grad` first given back the reduced dimensions (for inputs of more
/// than one dimension without `keepdim`); `n` is the product of the
/// reduced sizes (1 for an empty `dim` list, as in PyTorch). Observed
/// order: `mean`, `sub`, `mul.Scalar`, `mul.Tensor`. Without `dim` and no
/// degrees of freedom left, PyTorch multiplies by
/// `where(self == self.mean(), nan, inf)` instead.
fn var_backward(
    ops: &mut ReductionOps<'_>,
    grad: Tensor,
    input: &Tensor,
    dim: Option<&[i64]>,
    correction: f64,
    keepdim: bool,
) -> Result<Tensor> {
    let (grad, centered, n) = match dim {
        Some(dims) if input.dim() > 0 => {
            let grad = if !keepdim && input.dim() > 1 {
                unsqueeze_multiple(ops, grad, dims, input.dim())?
            } else {
                grad
            };
            let mean = ops.mean_dim(input, dims, true)?;
            let n: i64 = dims
                .iter()
                .filter_map(|&d| wrap_dim(d, input.dim()))
                .filter_map(|w| input.shape().get(w))
                .product();
            (grad, ops.sub(input, &mean)?, n)
        }
        _ => {
            let dof = input.numel() as f64 - correction;
            let mean = ops.mean(input)?;
            if dof <= 0.0 {
                return no_degrees_of_freedom(ops, &grad, input, &mean);
            }
            (grad, ops.sub(input, &mean)?, input.numel() as i64)
        }
    };
    let scaled = ops.mul_scalar(&grad, IValue::Float(2.0 / (n as f64 - correction)))?;
    ops.mul(&scaled, &centered)
}

/// `grad * where(self == self.mean(), nan, inf)`: the two scalars become
/// `scalar_tensor`s of the default dtype, built right to left (observed in
/// torch 2.15: `inf` first).
fn no_degrees_of_freedom(
    ops: &mut ReductionOps<'_>,
    grad: &Tensor,
    input: &Tensor,
    mean: &Tensor,
) -> Result<Tensor> {
    let at_mean = ops.eq(input, mean)?;
    let dtype = ops.0.default_dtype();
    let inf = ops.scalar_tensor(f64::INFINITY, dtype, at_mean.device())?;
    let nan = ops.scalar_tensor(f64::NAN, dtype, at_mean.device())?;
    let factor = ops.where_self(&at_mean, &nan, &inf)?;
    ops.mul(grad, &factor)
}

/// `var.correction(self, dim, correction, keepdim)`.
pub(crate) struct VarBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: Option<Vec<i64>>,
    pub(crate) correction: IValue,
    pub(crate) keepdim: bool,
}

impl BackwardFn for VarBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = self.self_.unpack(ctx.node)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        let c = correction_of(&self.correction);
        Ok(vec![Some(var_backward(
            &mut ops,
            g,
            &input,
            self.dim.as_deref(),
            c,
            self.keepdim,
        )?)])
    }

    fn release_variables(&mut self) {
        self.self_.release();
    }
}

/// `std.correction(self, dim, correction, keepdim)`: PyTorch's
/// `std_backward` — `grad / (result * 2)` with zero where the result is
/// zero (`masked_fill_`), then `var_backward`.
pub(crate) struct StdBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: Option<Vec<i64>>,
    pub(crate) correction: IValue,
    pub(crate) keepdim: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for StdBackward0 {
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
        let doubled = ops.mul_scalar(&result, IValue::Int(2))?;
        let grad_var = ops.div(&g, &doubled)?;
        let zero = ops.eq_scalar(&result, IValue::Int(0))?;
        let grad_var = ops.masked_fill_(&grad_var, &zero, IValue::Int(0))?;
        let c = correction_of(&self.correction);
        Ok(vec![Some(var_backward(
            &mut ops,
            grad_var,
            &input,
            self.dim.as_deref(),
            c,
            self.keepdim,
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}

/// PyTorch's `prod_safe_zeros_backward(grad, input, dim)`: the product of
/// every other element along `dim` without dividing (so zeros are safe),
/// as exclusive cumulative products from the front and from the back:
/// `grad * (cumprod(cat(1, x[:-1])) * flip(cumprod(cat(1, flip(x[1:])))))`.
fn prod_safe_zeros_backward(
    ops: &mut ReductionOps<'_>,
    grad: &Tensor,
    input: &Tensor,
    dim: i64,
) -> Result<Tensor> {
    let d = wrap_dim(dim, input.dim()).unwrap_or(0);
    let size = input.shape().get(d).copied().unwrap_or(1);
    if input.numel() == 0 {
        return ops.expand(grad, input.shape());
    }
    if size == 1 {
        return Ok(grad.clone());
    }
    let mut ones_size = input.shape().to_vec();
    ones_size[d] = 1;
    let ones = ops.ones_like_options(&ones_size, grad)?;
    let head = ops.narrow(input, dim, 0, size - 1)?;
    let front = ops.cat(vec![ones.clone(), head], dim)?;
    let front = ops.cumprod(&front, dim)?;
    let tail = ops.narrow(input, dim, 1, size - 1)?;
    let tail = ops.flip(&tail, &[dim])?;
    let back = ops.cat(vec![ones, tail], dim)?;
    let back = ops.cumprod(&back, dim)?;
    let back = ops.flip(&back, &[dim])?;
    let others = ops.mul(&front, &back)?;
    ops.mul(grad, &others)
}

/// `prod(self)` (ProdBackward0) and `prod.dim_int(self, dim, keepdim)`
/// (ProdBackward1): PyTorch's `prod_backward`. A 0-dim input passes the
/// gradient through. Under a dispatch mode (every tensor subclass-like)
/// PyTorch always takes `prod_safe_zeros_backward`: over the flattened
/// input for the full product (then `view` back), along `dim` otherwise
/// (after `unsqueeze(dim)` of `grad` and the result without `keepdim`).
pub(crate) struct ProdBackward {
    pub(crate) self_: SavedVariable,
    /// `None` for the full product.
    pub(crate) dim: Option<i64>,
    pub(crate) keepdim: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for ProdBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut input = self.self_.unpack(ctx.node)?;
        let result = unpack(&self.result, ctx)?;
        // `self.to(grad.scalar_type())` (`prod(dtype=...)`) comes first.
        if input.dtype() != g.dtype() {
            input = ReductionOps(&mut *ctx.rt).cast(&input, g.dtype())?;
        }
        if input.dim() == 0 {
            return Ok(vec![Some(g)]);
        }
        if !ctx.rt.is_dispatch_mode_active() {
            return Err(RuntimeError::unsupported(
                ctx.node.name(),
                "the gradient of prod outside a dispatch mode (nonzero)",
            ));
        }
        let mut ops = ReductionOps(&mut *ctx.rt);
        let grad = match self.dim {
            None => {
                // `input.contiguous()`: a `clone` only when needed.
                let dense = if input.is_contiguous() {
                    input.clone()
                } else {
                    ops.contiguous(&input)?
                };
                let flat = ops.view(&dense, &[-1])?;
                let g = prod_safe_zeros_backward(&mut ops, &g, &flat, 0)?;
                ops.view(&g, input.shape())?
            }
            Some(dim) => {
                let wrapped = wrap_dim(dim, input.dim()).unwrap_or(0) as i64;
                let g = if self.keepdim {
                    g
                } else {
                    let g = ops.unsqueeze(&g, wrapped)?;
                    // PyTorch unsqueezes the result too; this path does
                    // not read it.
                    ops.unsqueeze(&result, wrapped)?;
                    g
                };
                prod_safe_zeros_backward(&mut ops, &g, &input, wrapped)?
            }
        };
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

/// `linalg_vector_norm(self, ord, dim, keepdim)`: PyTorch's `norm_backward`.
/// `grad` and the norm get the reduced dimensions back first (unless
/// `keepdim` or a 0-dim input); then by `ord`:
/// 1: `sgn(self) * grad`; 2: `grad * (self / norm).masked_fill_(norm == 0, 0)`;
/// ±inf: `sgn(self) * ((grad / mask.sum(dim, True)) * mask)` with
/// `mask = (|self| == norm) | isnan(|self|)`; p < 1:
/// `sgn(self) * |self|^(p-1)` (zero where self is 0) `* grad * norm^(1-p)`;
/// 1 < p < 2: `sgn(self) * |self|^(p-1) * (grad / norm^(p-1))`;
/// p > 2: `self * |self|^(p-2) * (grad / norm^(p-1))`, zero where the norm is 0.
pub(crate) struct LinalgVectorNormBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) ord: f64,
    pub(crate) dim: Vec<i64>,
    pub(crate) keepdim: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl LinalgVectorNormBackward0 {
    fn formula(
        &self,
        ops: &mut ReductionOps<'_>,
        grad: Tensor,
        input: &Tensor,
        norm: Tensor,
    ) -> Result<Option<Tensor>> {
        let (mut grad, mut norm) = (grad, norm);
        if !self.keepdim && input.dim() != 0 {
            grad = unsqueeze_multiple(ops, grad, &self.dim, input.dim())?;
            norm = unsqueeze_multiple(ops, norm, &self.dim, input.dim())?;
        }
        let p = self.ord;
        let zero = IValue::Int(0);
        Ok(Some(if p == 0.0 {
            return Ok(None);
        } else if p == 1.0 {
            let sign = ops.sgn(input)?;
            ops.mul(&sign, &grad)?
        } else if p == 2.0 {
            let scaled = ops.div(input, &norm)?;
            let is_zero = ops.eq_scalar(&norm, zero.clone())?;
            let scaled = ops.masked_fill_(&scaled, &is_zero, zero)?;
            ops.mul(&grad, &scaled)?
        } else if p.is_infinite() {
            let abs = ops.abs(input)?;
            let hit = ops.eq(&abs, &norm)?;
            let nan = ops.isnan(&abs)?;
            let mask = ops.logical_or(&hit, &nan)?;
            let count = ops.sum_dim(&mask, &self.dim, true)?;
            let share = ops.div(&grad, &count)?;
            let share = ops.mul(&share, &mask)?;
            let sign = ops.sgn(input)?;
            ops.mul(&sign, &share)?
        } else if p < 1.0 {
            let powed = ops.abs(input)?;
            let powed = ops.pow_(&powed, p - 1.0)?;
            let is_zero = ops.eq_scalar(input, zero.clone())?;
            let powed = ops.masked_fill_(&powed, &is_zero, zero)?;
            let sign = ops.sgn(input)?;
            let self_scaled = ops.mul(&sign, &powed)?;
            let norm_pow = ops.pow(&norm, 1.0 - p)?;
            let partial = ops.mul(&self_scaled, &grad)?;
            ops.mul(&partial, &norm_pow)?
        } else {
            let self_scaled = if p < 2.0 {
                let powed = ops.abs(input)?;
                let powed = ops.pow_(&powed, p - 1.0)?;
                let sign = ops.sgn(input)?;
                ops.mul(&sign, &powed)?
            } else {
                let powed = ops.abs(input)?;
                let powed = ops.pow_(&powed, p - 2.0)?;
                ops.mul(input, &powed)?
            };
            let norm_pow = ops.pow(&norm, p - 1.0)?;
            let scale = ops.div(&grad, &norm_pow)?;
            let is_zero = ops.eq_scalar(&norm, zero.clone())?;
            let scale = ops.masked_fill_(&scale, &is_zero, zero)?;
            ops.mul(&self_scaled, &scale)?
        }))
    }
}

impl BackwardFn for LinalgVectorNormBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = self.self_.unpack(ctx.node)?;
        let norm = unpack(&self.result, ctx)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        Ok(vec![self.formula(&mut ops, g, &input, norm)?])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
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
pub(crate) struct CumprodBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: i64,
    pub(crate) result: Option<SavedVariable>,
}

impl CumprodBackward0 {
    fn composite(
        ops: &mut ReductionOps<'_>,
        grad: &Tensor,
        input: &Tensor,
        output: &Tensor,
        dim: i64,
    ) -> Result<Tensor> {
        let zero = IValue::Int(0);
        let w = ops.mul(output, grad)?;
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
        let w = ops.div(&w, input)?;
        let grad_input = ops.where_self(&before, &w, &grad_input)?;
        // k = z1: the first zero, from the range [z1, z2).
        let between = ops.eq_scalar(&zeros_so_far, IValue::Int(1))?;
        let first_zero_index = ops.argmax_dim(&between, dim, true)?;
        let first_zero = ops.logical_and(&between, &is_zero)?;
        let not_first = ops.bitwise_not(&first_zero)?;
        let between = ops.bitwise_and_(&between, &not_first)?;
        let not_between = ops.bitwise_not(&between)?;
        let tail = ops.masked_fill(input, &not_between, 1.0)?;
        let tail = ops.cumprod(&tail, dim)?;
        let outside = ops.ne_scalar(&zeros_so_far, IValue::Int(1))?;
        let grad_between = ops.masked_fill(grad, &outside, 0.0)?;
        let before_index = ops.sub_scalar(&first_zero_index, IValue::Int(1))?;
        let before_index = ops.relu_(&before_index)?;
        let head = ops.gather(output, dim, &before_index)?;
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
        let input = self.self_.unpack(ctx.node)?;
        let output = unpack(&self.result, ctx)?;
        let composite = ctx.rt.is_dispatch_mode_active();
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
        let grad = Self::composite(&mut ops, &g, &input, &output, d as i64)?;
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

/// `bernoulli(self)` (BernoulliBackward0), `bernoulli_.float(self, p)`
/// (BernoulliBackward2) and `bernoulli_.Tensor(self, p)` (BernoulliBackward1):
/// a draw has zero gradient, `zeros_like(grad)` for `self` and, for a
/// tensor `p`, zeros of `p`'s sizes and options (PyTorch saves only `p`'s
/// type and size: `at::zeros(sizes, dtype, layout, device)`), computed
/// first (gradients in alphabetical order of the inputs).
pub(crate) struct BernoulliBackward {
    /// Number of next edges (2 for `bernoulli_.Tensor`).
    pub(crate) edges: usize,
    /// Sizes, dtype and device of `bernoulli_.Tensor`'s `p` (edge 1).
    pub(crate) p: Option<(Vec<i64>, DType, Device)>,
}

impl BackwardFn for BernoulliBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None; self.edges]);
        };
        let mut out = vec![None; self.edges];
        if let Some((sizes, dtype, device)) = &self.p
            && ctx.needs(1)
        {
            out[1] = Some(ReductionOps(&mut *ctx.rt).zeros(sizes, *dtype, *device)?);
        }
        if ctx.needs(0) {
            out[0] = Some(ReductionOps(&mut *ctx.rt).zeros_like(&g)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_counts() {
        assert_eq!(mean_count(&[3, 4], None), 12);
        assert_eq!(mean_count(&[3, 4], Some(&[])), 12);
        assert_eq!(mean_count(&[3, 4], Some(&[-1])), 4);
        assert_eq!(mean_count(&[2, 3, 4], Some(&[0, 2])), 8);
    }
}
