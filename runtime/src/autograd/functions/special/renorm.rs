//! RenormBackward0: PyTorch's `renorm_backward`, in torch 2.15's calls.
//!
//! With `N` the `p`-norm of each slice along `dim` (over every other
//! dimension, kept), computed in the accumulate type (double for float32
//! and float64, float for float16/bfloat16):
//!
//! ```text
//! g_N   = sum(self * grad, reduce_dims, keepdim, dtype=acc)
//! nb    = norm_backward(g_N, self, p, N)        // d‖x‖/dx · g_N
//! inv   = 1 / (N + 1e-7)
//! d     = (maxnorm * inv) * (grad - inv * nb)   // scaled slices
//! grad' = where(N > maxnorm, d.to(grad.dtype), grad)
//! ```
//!
//! The cast is dispatched only when the accumulate type differs from the
//! gradient's. `p` and `maxnorm` are passed on as the program gave them
//! (an int stays an int in the recorded calls).

use super::{call, need};
use crate::autograd::BackwardCtx;
use crate::autograd::functions::reduction::norm_backward;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The accumulate type of `renorm`'s norm on the CPU.
pub(crate) fn accumulate_type(dtype: DType) -> DType {
    match dtype {
        DType::Float16 | DType::BFloat16 => DType::Float32,
        _ => DType::Float64,
    }
}

/// The dimensions other than `dim` (already checked by the forward).
pub(crate) fn reduce_dims(dim: i64, ndim: usize) -> Vec<i64> {
    let n = ndim as i64;
    let dim = if dim < 0 { dim + n } else { dim };
    (0..n).filter(|&d| d != dim).collect()
}

fn scalar(v: &IValue) -> Result<f64> {
    match v {
        IValue::Float(f) => Ok(*f),
        IValue::Int(i) => Ok(*i as f64),
        other => Err(RuntimeError::autograd(format!(
            "RenormBackward0: expected a number, got {other:?}"
        ))),
    }
}

/// RenormBackward0 (params: `p`, `dim`, `maxnorm`).
pub(crate) fn renorm(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    params: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    let [p, dim, maxnorm] = params else {
        return Err(RuntimeError::autograd(
            "RenormBackward0: parameters missing",
        ));
    };
    let dim = match dim {
        IValue::Int(d) => *d,
        _ => 0,
    };
    let dims = reduce_dims(dim, x.dim());
    let acc = accumulate_type(x.dtype());
    let norm = call(
        ctx,
        "aten.linalg_vector_norm.default",
        vec![
            x.into(),
            p.clone(),
            dims.as_slice().into(),
            IValue::Bool(true),
            IValue::Dtype(acc),
        ],
    )?;
    let weighted = super::mul(ctx, x, g)?;
    let grad_norm = call(
        ctx,
        "aten.sum.dim_IntList",
        vec![
            (&weighted).into(),
            dims.as_slice().into(),
            IValue::Bool(true),
            IValue::Dtype(acc),
        ],
    )?;
    let mut ops = ReductionOps(&mut *ctx.rt);
    let nb = norm_backward(&mut ops, grad_norm, x, norm.clone(), scalar(p)?, &dims)?;
    let shifted = call(
        ctx,
        "aten.add.Scalar",
        vec![(&norm).into(), IValue::Float(1e-7)],
    )?;
    let inv = call(ctx, "aten.reciprocal.default", vec![(&shifted).into()])?;
    // `renorm` refuses p <= 0, the one order without a norm gradient.
    let nb = nb.ok_or_else(|| RuntimeError::autograd("RenormBackward0: p must be positive"))?;
    let t = super::mul(ctx, &inv, &nb)?;
    let scaled = call(ctx, "aten.sub.Tensor", vec![g.into(), (&t).into()])?;
    let factor = call(ctx, "aten.mul.Scalar", vec![(&inv).into(), maxnorm.clone()])?;
    let mut d = super::mul(ctx, &factor, &scaled)?;
    if d.dtype() != g.dtype() {
        d = ReductionOps(&mut *ctx.rt).cast(&d, g.dtype())?;
    }
    let over = call(ctx, "aten.gt.Scalar", vec![(&norm).into(), maxnorm.clone()])?;
    call(
        ctx,
        "aten.where.self",
        vec![(&over).into(), (&d).into(), g.into()],
    )
}
