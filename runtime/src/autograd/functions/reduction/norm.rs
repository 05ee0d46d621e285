//! Backward of `linalg_vector_norm` (LinalgVectorNormBackward0) and of
//! `dist` (DistBackward0).

use super::{release, single, unpack, unsqueeze_multiple};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;

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
        norm_backward(ops, grad, input, norm, self.ord, &self.dim)
    }
}

/// PyTorch's `norm_backward` with the reduced dimensions `dims` kept in
/// `grad` and `norm` (see [`LinalgVectorNormBackward0`] for the formulas
/// by order); `None` for the order 0.
pub(crate) fn norm_backward(
    ops: &mut ReductionOps<'_>,
    grad: Tensor,
    input: &Tensor,
    norm: Tensor,
    p: f64,
    dims: &[i64],
) -> Result<Option<Tensor>> {
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
        let count = ops.sum_dim(&mask, dims, true)?;
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

/// `dist(self, other, p)` (derivatives.yaml): `other` gets
/// `-norm_backward(grad, self - other, p, result)`, then `self` gets
/// `norm_backward(grad, self - other, p, result)`, each recomputing the
/// difference (observed in torch 2.15: `other`'s formula runs first). The
/// engine sums each gradient back to its input's shape.
pub(crate) struct DistBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
    pub(crate) p: f64,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for DistBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let (want_self, want_other) = (ctx.needs(0), ctx.needs(1));
        let x = self.self_.unpack(ctx.node)?;
        let y = self.other.unpack(ctx.node)?;
        let norm = unpack(&self.result, ctx)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        let side = |ops: &mut ReductionOps<'_>| -> Result<Option<Tensor>> {
            let diff = ops.sub(&x, &y)?;
            norm_backward(ops, g.clone(), &diff, norm.clone(), self.p, &[])
        };
        let other = if want_other {
            match side(&mut ops)? {
                Some(t) => Some(ops.neg(&t)?),
                None => None,
            }
        } else {
            None
        };
        let this = if want_self { side(&mut ops)? } else { None };
        Ok(vec![this, other])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
        release(&mut self.result);
    }
}
