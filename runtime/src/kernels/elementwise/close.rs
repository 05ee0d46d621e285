//! Closeness tests: `allclose` (a Python bool, as tests and training
//! scripts check results with `torch.allclose`).
//!
//! Observed in torch 2.15: both tensors must have the same dtype (`Long did
//! not match Float`), they broadcast like a binary operator, an element is
//! close when it equals the other (infinities of one sign included) or
//! `|a - b| <= atol + rtol * |b|`, and NaNs are close only with
//! `equal_nan=True`. The kernel is CompositeExplicitAutograd: no node.

use super::common::{broadcast_all, round_to, values_f64};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;

/// Whether `a` is close to `b` in `dtype`'s arithmetic.
fn close(
    dtype: crate::tensor::dtype::DType,
    a: f64,
    b: f64,
    rtol: f64,
    atol: f64,
    nan: bool,
) -> bool {
    if a == b {
        return true;
    }
    if a.is_nan() || b.is_nan() {
        return nan && a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    let diff = round_to(dtype, (a - b).abs());
    let bound = round_to(dtype, atol + round_to(dtype, rtol * b.abs()));
    diff <= bound
}

/// Float argument `i` (an int literal counts).
fn float(a: &Args<'_>, i: usize) -> Result<f64> {
    a.scalar(i)
}

/// `allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool`.
pub(crate) fn allclose(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "other")?;
    if x.dtype() != y.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "{} did not match {}",
                x.dtype().scalar_type_name(),
                y.dtype().scalar_type_name()
            ),
        ));
    }
    let (rtol, atol, nan) = (float(&a, 2)?, float(&a, 3)?, a.bool(4)?);
    let operands = [Operand::Tensor(x), Operand::Tensor(y)];
    let shape = broadcast_all(ctx.op, &operands)?;
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "a Python bool from a tensor without data",
        ));
    }
    let v = values_f64(ctx.op, &operands, &shape)?;
    let dtype = x.dtype();
    let all = v[0]
        .iter()
        .zip(&v[1])
        .all(|(&p, &q)| close(dtype, p, q, rtol, atol, nan));
    Ok(vec![IValue::Bool(all)])
}

#[cfg(test)]
mod tests {
    use super::close;
    use crate::tensor::dtype::DType;

    #[test]
    fn nan_and_infinity() {
        let f = DType::Float64;
        assert!(close(f, f64::INFINITY, f64::INFINITY, 1e-5, 1e-8, false));
        assert!(!close(f, f64::NAN, f64::NAN, 1e-5, 1e-8, false));
        assert!(close(f, f64::NAN, f64::NAN, 1e-5, 1e-8, true));
        assert!(close(f, 1.0, 1.0 + 1e-6, 1e-5, 1e-8, false));
    }
}
