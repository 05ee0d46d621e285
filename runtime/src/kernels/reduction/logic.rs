//! Logical reductions: `all` and `any` (`.default`, `.dim`, `.dims`), and
//! `_is_all_true` / `_is_any_true`, the bool-only forms
//! `torch.distributions` argument validation calls.
//!
//! The result is bool, except for uint8 inputs, whose result is uint8
//! (observed in torch 2.15: `torch.tensor([1, 2], dtype=torch.uint8).all()`
//! is `tensor(1, dtype=torch.uint8)`).

use super::dims::Reduction;
use super::stats::reduce_f64;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

fn logical(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    dims: Option<Vec<i64>>,
    all: bool,
) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let keepdim = match a.values.get(2) {
        Some(IValue::Bool(k)) => *k,
        _ => false,
    };
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), keepdim)?;
    let dtype = if t.dtype() == DType::UInt8 {
        DType::UInt8
    } else {
        DType::Bool
    };
    let out = reduce_f64(ctx, t, &r, dtype, |g| {
        let hit = if all {
            g.iter().all(|&x| x != 0.0)
        } else {
            g.iter().any(|&x| x != 0.0)
        };
        f64::from(u8::from(hit))
    })?;
    Ok(vec![out.into()])
}

/// `all(self)`.
pub(crate) fn all(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    logical(ctx, &a, None, true)
}

/// `any(self)`.
pub(crate) fn any(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    logical(ctx, &a, None, false)
}

/// `all.dim(self, dim, keepdim=False)`.
pub(crate) fn all_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    logical(ctx, &a, Some(vec![a.int(1)?]), true)
}

/// `any.dim(self, dim, keepdim=False)`.
pub(crate) fn any_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    logical(ctx, &a, Some(vec![a.int(1)?]), false)
}

/// `all.dims(self, dim=None, keepdim=False)`.
pub(crate) fn all_dims(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    logical(ctx, &a, a.opt_int_list(1)?, true)
}

/// `any.dims(self, dim=None, keepdim=False)`.
pub(crate) fn any_dims(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    logical(ctx, &a, a.opt_int_list(1)?, false)
}

/// `_is_all_true(self)`: `all()` of a bool tensor; PyTorch accepts bool only.
pub(crate) fn is_all_true(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    check_bool(ctx, &a)?;
    logical(ctx, &a, None, true)
}

/// `_is_any_true(self)`: `any()` of a bool tensor; PyTorch accepts bool only.
pub(crate) fn is_any_true(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    check_bool(ctx, &a)?;
    logical(ctx, &a, None, false)
}

fn check_bool(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<()> {
    let t = a.tensor(0)?;
    if t.dtype() != DType::Bool {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!("expected a bool tensor, got {}", t.dtype().name()),
        });
    }
    Ok(())
}
