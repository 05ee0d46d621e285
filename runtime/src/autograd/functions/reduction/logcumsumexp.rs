//! Backward of `logcumsumexp(self, dim)` (LogcumsumexpBackward0).
//!
//! PyTorch's `logcumsumexp_backward(grad, self, result, dim)`: the
//! gradient is split by sign so it can be carried in log space. With
//! `lowest` the dtype's most negative finite value,
//!
//! * `log_pos = where(grad > 0, log(|grad|), lowest)`,
//!   `log_neg = where(grad < 0, log(|grad|), lowest)`;
//! * `rev(x) = flip(logcumsumexp(flip(x, dim), dim), dim)`;
//! * `grad_self = exp(rev(log_pos - result) + self) - exp(rev(log_neg - result) + self)`.
//!
//! A zero-dimensional or empty gradient passes through unchanged.

use super::{release, single, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// `logcumsumexp(self, dim)`; saves `self` and the result.
pub(crate) struct LogcumsumexpBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: i64,
    pub(crate) result: Option<SavedVariable>,
}

/// `flip(logcumsumexp(flip(x, dim), dim), dim)`.
fn reverse_scan(ops: &mut ReductionOps<'_>, x: &Tensor, dim: i64) -> Result<Tensor> {
    let flipped = ops.flip(x, &[dim])?;
    let scanned = ops.logcumsumexp(&flipped, dim)?;
    ops.flip(&scanned, &[dim])
}

impl BackwardFn for LogcumsumexpBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        if g.dim() == 0 || g.numel() == 0 {
            return Ok(vec![Some(g)]);
        }
        let input = self.self_.unpack(ctx.node)?;
        let result = unpack(&self.result, ctx)?;
        // `torch.finfo(grad.dtype).min`, the reduced dtypes' own
        let own_min = !ctx.rt.faults().logcumsumexp_grad_min_float32;
        let lowest = match g.dtype() {
            DType::Float64 => f64::MIN,
            DType::BFloat16 if own_min => -3.389_531_389_251_535_5e38,
            DType::Float16 if own_min => -65504.0,
            _ => f64::from(f32::MIN),
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        let grad_min = ops.scalar_tensor(lowest, g.dtype(), g.device())?;
        let log_abs = ops.abs(&g)?;
        let log_abs = ops.log(&log_abs)?;
        let positive = ops.gt_scalar(&g, IValue::Int(0))?;
        let log_pos = ops.where_self(&positive, &log_abs, &grad_min)?;
        let negative = ops.lt_scalar(&g, IValue::Int(0))?;
        let log_neg = ops.where_self(&negative, &log_abs, &grad_min)?;
        let mut parts = Vec::with_capacity(2);
        for log_grad in [log_pos, log_neg] {
            let shifted = ops.sub(&log_grad, &result)?;
            let scanned = reverse_scan(&mut ops, &shifted, self.dim)?;
            let summed = ops.add(&scanned, &input)?;
            parts.push(ops.exp(&summed)?);
        }
        let (pos, neg) = (&parts[0], &parts[1]);
        Ok(vec![Some(ops.sub(pos, neg)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}
