//! Scans: `cumsum`, `cumprod` (complex inputs accumulate as complex values
//! in f64, as PyTorch's CPU scan accumulates complex64 in complex128).
//!
//! The result has the input's shape, contiguous, typed like `sum` (int64
//! for integer and bool inputs unless `dtype` says otherwise).

use super::dims::wrap;
use super::stats::integral_to_long;
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::strides::contiguous_strides;

/// A complex value `(re, im)`.
type Complex = (f64, f64);

/// Running sums of `values` (logical order of `shape`) along `dim`.
fn running<T: Copy>(values: &[T], shape: &[i64], dim: usize, add: impl Fn(T, T) -> T) -> Vec<T> {
    let size = shape.get(dim).copied().unwrap_or(1).max(1) as usize;
    let inner: usize = shape
        .iter()
        .skip(dim + 1)
        .map(|&s| s.max(0) as usize)
        .product();
    let mut out = values.to_vec();
    for i in 0..out.len() {
        let pos_in_dim = (i / inner.max(1)) % size;
        if pos_in_dim > 0 {
            out[i] = add(out[i - inner], out[i]);
        }
    }
    out
}

/// `cumsum(self, dim, *, dtype=None)`.
pub(crate) fn cumsum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scan(
        ctx,
        &a,
        i64::wrapping_add,
        |x, y| x + y,
        |x, y| (x.0 + y.0, x.1 + y.1),
    )
}

/// `cumprod(self, dim, *, dtype=None)`.
pub(crate) fn cumprod(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scan(
        ctx,
        &a,
        i64::wrapping_mul,
        |x, y| x * y,
        crate::kernels::complex::product,
    )
}

/// A running `op` along `dim` (exact in i64 for integer results).
fn scan(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    int_op: fn(i64, i64) -> i64,
    float_op: fn(f64, f64) -> f64,
    complex_op: fn(Complex, Complex) -> Complex,
) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dim = wrap(ctx.op, a.int(1)?, t.dim())?;
    let dtype = integral_to_long(a.opt_dtype(2)?, t.dtype());
    let shape = t.shape().to_vec();
    let strides = contiguous_strides(&shape);
    let out = if t.dtype().is_complex() {
        if !dtype.is_complex() {
            return Err(crate::error::RuntimeError::TypeCast {
                op: ctx.op.to_owned(),
                message: format!(
                    "a complex input cannot be scanned into dtype {}",
                    dtype.scalar_type_name()
                ),
            });
        }
        ctx.output(&shape, &strides, dtype, || {
            let values = crate::kernels::complex::pairs(ctx.op, t)?;
            Ok(running(&values, &shape, dim, complex_op)
                .into_iter()
                .flat_map(|(re, im)| [re, im])
                .collect())
        })?
    } else if dtype.is_integral(true) && t.dtype().is_integral(true) {
        ctx.output_i64(&shape, &strides, dtype, || {
            Ok(running(&t.read_i64(ctx.op)?, &shape, dim, int_op))
        })?
    } else {
        ctx.output(&shape, &strides, dtype, || {
            Ok(running(&t.read_f64(ctx.op)?, &shape, dim, float_op))
        })?
    };
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_along_the_dimension() {
        let v = [1, 2, 3, 4, 5, 6];
        assert_eq!(
            running(&v, &[2, 3], 1, |a, b| a + b),
            vec![1, 3, 6, 4, 9, 15]
        );
        assert_eq!(
            running(&v, &[2, 3], 0, |a, b| a + b),
            vec![1, 2, 3, 5, 7, 9]
        );
        assert_eq!(running(&[7], &[], 0, |a: i32, b| a + b), vec![7]);
    }
}
