//! `logcumsumexp(self, dim)`: the running `log(sum(exp(x)))` along `dim`.
//!
//! Each slice is scanned in double precision (the CPU accumulator type of
//! both float32 and float64), starting from `-inf` and folding every
//! element in with a stable log-add-exp: `log1p(exp(min - max)) + max`,
//! except that two equal infinities give the element itself. A NaN in the
//! running value propagates. Every step is rounded to the result's dtype
//! on the way out; the accumulator keeps its double precision.

use super::dims::wrap;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::strides::contiguous_strides;

/// `log(exp(x) + exp(acc))` without overflow; `x` is the new element.
fn log_add_exp(x: f64, acc: f64) -> f64 {
    let (lo, hi) = if acc.is_nan() {
        (acc, acc)
    } else {
        (x.min(acc), x.max(acc))
    };
    // `f64::min`/`max` drop a NaN operand; a NaN element must propagate.
    let (lo, hi) = if x.is_nan() { (x, x) } else { (lo, hi) };
    if lo != hi || lo.is_finite() {
        (lo - hi).exp().ln_1p() + hi
    } else {
        x
    }
}

/// The scan over `values` (logical order of `shape`) along `dim`.
fn scan(values: &[f64], shape: &[i64], dim: usize) -> Vec<f64> {
    let size = shape.get(dim).copied().unwrap_or(1).max(1) as usize;
    let inner: usize = shape
        .iter()
        .skip(dim + 1)
        .map(|&s| s.max(0) as usize)
        .product::<usize>()
        .max(1);
    let mut out = vec![0.0; values.len()];
    let outer = values.len() / (size * inner).max(1);
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = f64::NEG_INFINITY;
            for k in 0..size {
                let at = (o * size + k) * inner + i;
                acc = log_add_exp(values[at], acc);
                out[at] = acc;
            }
        }
    }
    out
}

/// `logcumsumexp(Tensor self, int dim) -> Tensor`.
pub(crate) fn logcumsumexp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if !t.dtype().is_floating() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!("logcumsumexp of a {:?} tensor", t.dtype()),
        ));
    }
    let dim = wrap(ctx.op, a.int(1)?, t.dim())?;
    let shape = t.shape().to_vec();
    let strides = contiguous_strides(&shape);
    let out = ctx.output(&shape, &strides, t.dtype(), || {
        Ok(scan(&t.read_f64(ctx.op)?, &shape, dim))
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_stably_along_the_dimension() {
        let v = [0.0, 0.0, 1000.0, 1.0, 2.0, 3.0];
        let out = scan(&v, &[2, 3], 1);
        assert!((out[1] - 2f64.ln()).abs() < 1e-15);
        assert_eq!(out[2], 1000.0);
        let want = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
        assert!((out[5] - want).abs() < 1e-12);
        let down = scan(&v, &[2, 3], 0);
        assert_eq!(down[0], 0.0);
        assert!((down[3] - (1.0 + (-1f64).exp().ln_1p())).abs() < 1e-15);
    }

    #[test]
    fn infinities_and_nan() {
        let ninf = f64::NEG_INFINITY;
        assert_eq!(scan(&[ninf, ninf], &[2], 0), vec![ninf, ninf]);
        assert_eq!(scan(&[f64::INFINITY, 1.0], &[2], 0)[1], f64::INFINITY);
        assert!(scan(&[f64::NAN, 1.0], &[2], 0)[1].is_nan());
        assert!(scan(&[1.0, f64::NAN], &[2], 0)[1].is_nan());
    }
}
