//! Backward of `var.correction` (VarBackward0), `std.correction`
//! (StdBackward0), `var_mean.correction` (VarMeanBackward0) and
//! `std_mean.correction` (StdMeanBackward0).

use super::{mean_count, release, sum_backward, unpack, unsqueeze_multiple};
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

/// `var.correction` (VarBackward0), `std.correction` (StdBackward0),
/// `var_mean.correction` (VarMeanBackward0) and `std_mean.correction`
/// (StdMeanBackward0), all `(self, dim, correction, keepdim)`.
///
/// The variance's gradient is `var_backward`; for a standard deviation it
/// is first `grad / (result * 2)` with zero where the result is zero
/// (`masked_fill_`). With the mean as a second output, its gradient —
/// PyTorch's `mean_backward` over `dim` (every element for none) — is added
/// (`add.Tensor`) after the first.
pub(crate) struct MomentsBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: Option<Vec<i64>>,
    pub(crate) correction: IValue,
    pub(crate) keepdim: bool,
    /// Standard deviation rather than variance (the first output is saved).
    pub(crate) sqrt: bool,
    /// The mean is the second output.
    pub(crate) with_mean: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl MomentsBackward {
    fn spread(
        &self,
        ops: &mut ReductionOps<'_>,
        g: Tensor,
        input: &Tensor,
        result: Option<Tensor>,
    ) -> Result<Tensor> {
        let g = match result {
            Some(result) => {
                let doubled = ops.mul_scalar(&result, IValue::Int(2))?;
                let grad_var = ops.div(&g, &doubled)?;
                let zero = ops.eq_scalar(&result, IValue::Int(0))?;
                ops.masked_fill_(&grad_var, &zero, IValue::Int(0))?
            }
            None => g,
        };
        let c = correction_of(&self.correction);
        var_backward(ops, g, input, self.dim.as_deref(), c, self.keepdim)
    }

    fn mean(&self, ops: &mut ReductionOps<'_>, g: Tensor, input: &Tensor) -> Result<Tensor> {
        let dims = self.dim.as_deref().unwrap_or(&[]);
        let g = sum_backward(ops, g, input.shape(), Some(dims), self.keepdim)?;
        ops.div_scalar(&g, IValue::Int(mean_count(input.shape(), Some(dims))))
    }
}

impl BackwardFn for MomentsBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut grads = grads.into_iter();
        let g = grads.next().flatten();
        let g_mean = grads.next().flatten().filter(|_| self.with_mean);
        if g.is_none() && g_mean.is_none() {
            return Ok(vec![None]);
        }
        let input = self.self_.unpack(ctx.node)?;
        let result = if self.sqrt && g.is_some() {
            Some(unpack(&self.result, ctx)?)
        } else {
            None
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        let mut grad = match g {
            Some(g) => Some(self.spread(&mut ops, g, &input, result)?),
            None => None,
        };
        if let Some(g_mean) = g_mean {
            let aux = self.mean(&mut ops, g_mean, &input)?;
            grad = Some(match grad {
                Some(spread) => ops.add(&spread, &aux)?,
                None => aux,
            });
        }
        Ok(vec![grad])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if self.sqrt {
            self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}
