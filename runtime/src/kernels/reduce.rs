//! Reductions: `sum` and `sum.dim_IntList`.
//!
//! Results are contiguous (PyTorch allocates reduction outputs with default
//! strides). Partial sums are kept in f64 and rounded once; PyTorch's
//! cascade summation in float32 differs by a few ulps, inside the float32
//! tolerance of the value comparison.

use super::KernelCtx;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{contiguous_strides, wrap_dim};

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
/// absent `dim` reduces every dimension.
pub(crate) fn sum_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let keepdim = a.bool(2)?;
    let dtype = sum_dtype(&a, 3, t.dtype())?;
    let ndim = t.dim();
    let mut reduce = vec![false; ndim];
    match a.opt_int_list(1)? {
        Some(dims) if !dims.is_empty() => {
            for d in dims {
                let w = wrap_dim(d, ndim).ok_or_else(|| {
                    RuntimeError::shape(
                        ctx.op,
                        format!("dimension {d} out of range for a {ndim}-d tensor"),
                    )
                })?;
                if ndim == 0 {
                    continue;
                }
                if std::mem::replace(&mut reduce[w], true) {
                    return Err(RuntimeError::shape(
                        ctx.op,
                        format!("dim {w} appears multiple times in the list of dims"),
                    ));
                }
            }
        }
        _ => reduce.iter_mut().for_each(|r| *r = true),
    }
    let in_shape = t.shape().to_vec();
    let kept_shape: Vec<i64> = in_shape
        .iter()
        .zip(&reduce)
        .map(|(&s, &r)| if r { 1 } else { s })
        .collect();
    let out_shape: Vec<i64> = if keepdim {
        kept_shape.clone()
    } else {
        in_shape
            .iter()
            .zip(&reduce)
            .filter(|(_, r)| !**r)
            .map(|(&s, _)| s)
            .collect()
    };
    let out_strides = contiguous_strides(&out_shape);
    let out = ctx.output(&out_shape, &out_strides, dtype, || {
        let values = t.read_f64(ctx.op)?;
        let kept_strides = contiguous_strides(&kept_shape);
        let mut acc = vec![0f64; crate::tensor::strides::numel(&kept_shape)];
        let mut index = vec![0i64; ndim];
        for v in values {
            let pos: i64 = index
                .iter()
                .zip(&reduce)
                .zip(&kept_strides)
                .map(|((&i, &r), &s)| if r { 0 } else { i * s })
                .sum();
            if let Some(slot) = usize::try_from(pos).ok().and_then(|p| acc.get_mut(p)) {
                *slot += v;
            }
            for d in (0..ndim).rev() {
                index[d] += 1;
                if index[d] < in_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(acc)
    })?;
    Ok(vec![out.into()])
}
