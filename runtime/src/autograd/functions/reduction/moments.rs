//! Backward of `var.correction` (VarBackward0) and `std.correction`
//! (StdBackward0).

use super::{release, single, unpack, unsqueeze_multiple};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::strides::wrap_dim;

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
