//! `trace`, `nansum` and `equal`.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduction::dims::wrap;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

type Out = Result<Vec<IValue>>;

/// A sum's dtype: integers and bool accumulate to int64.
fn sum_dtype(dtype: DType) -> DType {
    if dtype.is_integral(true) {
        DType::Int64
    } else {
        dtype
    }
}

/// `trace(Tensor self) -> Tensor`: the sum of the main diagonal of a
/// matrix, accumulated in double (int64 exactly for integers).
pub(crate) fn trace(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.dim() != 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "trace: expected a matrix, but got tensor with dim {}",
                t.dim()
            ),
        ));
    }
    let (rows, cols) = (t.shape()[0].max(0) as usize, t.shape()[1].max(0) as usize);
    let n = rows.min(cols);
    let dtype = sum_dtype(t.dtype());
    if dtype == DType::Int64 {
        let out = ctx.output_i64(&[], &[], dtype, || {
            let v = t.read_i64(ctx.op)?;
            Ok(vec![
                (0..n).fold(0i64, |s, i| s.wrapping_add(v[i * cols + i])),
            ])
        })?;
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&[], &[], dtype, || {
        let v = t.read_f64(ctx.op)?;
        Ok(vec![(0..n).map(|i| v[i * cols + i]).sum()])
    })?;
    Ok(vec![out.into()])
}

/// The reduced dimensions of `dim` (None or empty: all), sorted.
pub(crate) fn reduced_dims(op: &str, dim: Option<Vec<i64>>, ndim: usize) -> Result<Vec<usize>> {
    let mut dims = match dim {
        Some(d) if !d.is_empty() => d
            .iter()
            .map(|&d| wrap(op, d, ndim))
            .collect::<Result<Vec<_>>>()?,
        _ => (0..ndim).collect(),
    };
    dims.sort_unstable();
    dims.dedup();
    Ok(dims)
}

/// `nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *,
/// ScalarType? dtype=None) -> Tensor`: a sum treating NaN as zero.
pub(crate) fn nansum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dims = reduced_dims(ctx.op, a.opt_int_list(1)?, t.dim())?;
    let keepdim = a.bool(2)?;
    let dtype = a.opt_dtype(3)?.unwrap_or_else(|| sum_dtype(t.dtype()));
    let in_shape: Vec<usize> = t.shape().iter().map(|&n| n.max(0) as usize).collect();
    let mut out_shape: Vec<i64> = Vec::new();
    for (d, &n) in t.shape().iter().enumerate() {
        if !dims.contains(&d) {
            out_shape.push(n);
        } else if keepdim {
            out_shape.push(1);
        }
    }
    let kept: Vec<usize> = (0..in_shape.len()).filter(|d| !dims.contains(d)).collect();
    let out_len: usize = kept.iter().map(|&d| in_shape[d]).product();
    let strides = contiguous_strides(&out_shape);
    // The output slot of each input element.
    let slot = move |flat: usize| {
        let mut rest = flat;
        let mut index = vec![0usize; in_shape.len()];
        for d in (0..in_shape.len()).rev() {
            let n = in_shape[d].max(1);
            index[d] = rest % n;
            rest /= n;
        }
        kept.iter().fold(0, |s, &d| s * in_shape[d] + index[d])
    };
    if dtype == DType::Int64 && t.dtype().is_integral(true) {
        let out = ctx.output_i64(&out_shape, &strides, dtype, || {
            let mut acc = vec![0i64; out_len];
            for (flat, v) in t.read_i64(ctx.op)?.into_iter().enumerate() {
                let s = slot(flat);
                acc[s] = acc[s].wrapping_add(v);
            }
            Ok(acc)
        })?;
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&out_shape, &strides, dtype, || {
        let mut acc = vec![0.0; out_len];
        for (flat, v) in t.read_f64(ctx.op)?.into_iter().enumerate() {
            if !v.is_nan() {
                acc[slot(flat)] += v;
            }
        }
        Ok(acc)
    })?;
    Ok(vec![out.into()])
}

/// `equal(Tensor self, Tensor other) -> bool`: same shape and equal values
/// (compared after promotion; NaN is never equal).
pub(crate) fn equal(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "other")?;
    if x.shape() != y.shape() {
        return Ok(vec![IValue::Bool(false)]);
    }
    if !ctx.has_data() {
        return Err(RuntimeError::NoData {
            op: ctx.op.to_owned(),
        });
    }
    let same = if x.dtype().is_integral(true) && y.dtype().is_integral(true) {
        x.read_i64(ctx.op)? == y.read_i64(ctx.op)?
    } else {
        let (u, v) = (x.read_f64(ctx.op)?, y.read_f64(ctx.op)?);
        u.iter().zip(&v).all(|(p, q)| p == q)
    };
    Ok(vec![IValue::Bool(same)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduced_dims_default_to_all_and_wrap() {
        assert_eq!(reduced_dims("op", None, 3).ok(), Some(vec![0, 1, 2]));
        assert_eq!(
            reduced_dims("op", Some(vec![-1, 0]), 3).ok(),
            Some(vec![0, 2])
        );
        assert!(reduced_dims("op", Some(vec![3]), 3).is_err());
    }
}
