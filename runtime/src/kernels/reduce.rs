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
use crate::tensor::strides::{contiguous_strides, wrap_dim};

fn check_dtype_arg(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<()> {
    if let Some(d) = a.opt_dtype(i)? {
        d.check_supported(ctx.op, "dtype")?;
    }
    Ok(())
}

/// `sum(self, *, dtype=None)`: 0-dim total.
pub(crate) fn sum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_dtype_arg(ctx, &a, 1)?;
    let out = ctx.output(&[], &[], || {
        let total: f64 = t.read_f32(ctx.op)?.iter().map(|&v| f64::from(v)).sum();
        Ok(vec![total as f32])
    })?;
    Ok(vec![out.into()])
}

/// `sum.dim_IntList(self, dim, keepdim=False, *, dtype=None)`. An empty or
/// absent `dim` reduces every dimension.
pub(crate) fn sum_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let keepdim = a.bool(2)?;
    check_dtype_arg(ctx, &a, 3)?;
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
    let out = ctx.output(&out_shape, &out_strides, || {
        let values = t.read_f32(ctx.op)?;
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
                *slot += f64::from(v);
            }
            for d in (0..ndim).rev() {
                index[d] += 1;
                if index[d] < in_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(acc.into_iter().map(|v| v as f32).collect())
    })?;
    Ok(vec![out.into()])
}
