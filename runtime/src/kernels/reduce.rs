//! Reductions: `sum` and `sum.dim_IntList`.
//!
//! Results are contiguous (PyTorch allocates reduction outputs with default
//! strides). Partial sums are kept in f64 and rounded once; PyTorch's
//! cascade summation in float32 differs by a few ulps, inside the float32
//! tolerance of the value comparison.

use super::KernelCtx;
use super::reduction::dims::Reduction;
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::dtype::DType;

/// The result dtype of `sum`: the `dtype` argument, else int64 for integer
/// and bool inputs (PyTorch's promotion for sums), else the input's.
pub(crate) fn sum_dtype(a: &Args<'_>, i: usize, input: DType) -> Result<DType> {
    Ok(a.opt_dtype(i)?.unwrap_or(if input.is_integral(true) {
        DType::Int64
    } else {
        input
    }))
}

/// `sum(self, *, dtype=None)`: 0-dim total.
pub(crate) fn sum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = sum_dtype(&a, 1, t.dtype())?;
    if dtype.is_integral(true) {
        // Exact integer totals (wrapping as int64 arithmetic does).
        let out = ctx.output_i64(&[], &[], dtype, || {
            Ok(vec![
                t.read_i64(ctx.op)?
                    .into_iter()
                    .fold(0i64, i64::wrapping_add),
            ])
        })?;
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&[], &[], dtype, || {
        let total: f64 = t.read_f64(ctx.op)?.iter().sum();
        Ok(vec![total])
    })?;
    Ok(vec![out.into()])
}

/// `sum.dim_IntList(self, dim, keepdim=False, *, dtype=None)`. An empty or
/// absent `dim` reduces every dimension. Integer sums are exact (wrapping
/// as int64 arithmetic does).
pub(crate) fn sum_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = sum_dtype(&a, 3, t.dtype())?;
    let dims = a.opt_int_list(1)?;
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), a.bool(2)?)?;
    let strides = r.out_strides();
    let out = if dtype.is_integral(true) && t.dtype().is_integral(true) {
        ctx.output_i64(&r.out_shape, &strides, dtype, || {
            Ok(r.groups(&t.read_i64(ctx.op)?)
                .iter()
                .map(|g| g.iter().fold(0i64, |acc, &v| acc.wrapping_add(v)))
                .collect())
        })?
    } else {
        ctx.output(&r.out_shape, &strides, dtype, || {
            Ok(r.sums(&t.read_f64(ctx.op)?))
        })?
    };
    Ok(vec![out.into()])
}
