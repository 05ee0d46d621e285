//! Double backward of `_softmax_backward_data` and
//! `_log_softmax_backward_data`: `SoftmaxBackwardDataBackward0` and
//! `LogSoftmaxBackwardDataBackward0`, edges `[grad_output, output]`.
//!
//! Softmax (`y` the output, `g` the incoming gradient, `go` grad_output,
//! sums over `dim` with keepdim):
//! * `grad_output`: `_softmax_backward_data(g, y, dim, input_dtype)`;
//! * `output`: `go * g - sum(y * go) * g - go * sum(y * g)`, evaluated
//!   right to left: the last term first.
//!
//! Log-softmax:
//! * `grad_output`: `g - sum(g * exp(y))`;
//! * `output`: `-sum(go) * exp(y) * g`, `exp` first.
//!
//! Gradients of another dtype than the output (a softmax taken with
//! `dtype=`) are not handled.

use super::super::single;
use super::{release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// `SoftmaxBackwardDataBackward0` (`log = false`) or
/// `LogSoftmaxBackwardDataBackward0` (`log = true`).
pub(crate) struct SoftmaxBackwardDataBackward {
    pub(crate) log: bool,
    pub(crate) dim: i64,
    pub(crate) input_dtype: DType,
    /// Saved when `output` needs a gradient.
    pub(crate) grad_output: Option<SavedVariable>,
    pub(crate) output: Option<SavedVariable>,
}

impl SoftmaxBackwardDataBackward {
    fn grad_output_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        if self.log {
            let e = ctx.rt.elementwise().unary("aten.exp.default", y)?;
            let ge = ctx.rt.mul(g, e.into())?;
            let s = ctx.rt.sum_dim(&ge, vec![self.dim], true)?;
            ctx.rt.elementwise().sub(g, &s)
        } else {
            ctx.rt
                .softmax_backward_data(false, g, y, self.dim, self.input_dtype)
        }
    }

    fn output_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        go: &Tensor,
        y: &Tensor,
    ) -> Result<Tensor> {
        if self.log {
            let e = ctx.rt.elementwise().unary("aten.exp.default", y)?;
            let s = ctx.rt.sum_dim(go, vec![self.dim], true)?;
            let n = ctx.rt.neg(&s)?;
            let ne = ctx.rt.mul(&n, e.into())?;
            return ctx.rt.mul(&ne, g.into());
        }
        let yg = ctx.rt.mul(y, g.into())?;
        let s_yg = ctx.rt.sum_dim(&yg, vec![self.dim], true)?;
        let third = ctx.rt.mul(go, s_yg.into())?;
        let ygo = ctx.rt.mul(y, go.into())?;
        let s_ygo = ctx.rt.sum_dim(&ygo, vec![self.dim], true)?;
        let second = ctx.rt.mul(&s_ygo, g.into())?;
        let first = ctx.rt.mul(go, g.into())?;
        let d = ctx.rt.elementwise().sub(&first, &second)?;
        ctx.rt.elementwise().sub(&d, &third)
    }
}

impl BackwardFn for SoftmaxBackwardDataBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let y = unpack(ctx, &self.output)?;
        if g.dtype() != y.dtype() {
            return Err(RuntimeError::unsupported(
                ctx.node.name(),
                "a gradient of another dtype than the softmax output",
            ));
        }
        let mut out = vec![None, None];
        if ctx.needs(0) {
            out[0] = Some(self.grad_output_grad(ctx, &g, &y)?);
        }
        if ctx.needs(1) {
            let go = unpack(ctx, &self.grad_output)?;
            out[1] = Some(self.output_grad(ctx, &g, &go, &y)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.output);
    }
}
