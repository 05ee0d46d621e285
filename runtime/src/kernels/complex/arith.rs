//! Complex arithmetic: `add`, `sub`, `mul`, `div` (tensor–tensor and
//! tensor–scalar, real and complex operands mixed: the real one has a zero
//! imaginary part), `neg`, `abs` (a real result), `sgn`.
//!
//! Values are computed in f64 from the parts and rounded to the result's
//! parts once; PyTorch computes complex64 in float32, which agrees within
//! `assert_close`'s complex64 tolerance.

use super::{KernelCtx, any_complex, operand_parts, real_kernel};
use crate::dispatch::args::{Args, Operand};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::iter::output_strides;
use crate::kernels::pointwise::{broadcast, result_type};
use crate::tensor::Tensor;

/// One complex value `(re, im)`.
type C = (f64, f64);

fn geometry<'a>(o: &Operand<'a>) -> (&'a [i64], &'a [i64]) {
    match o {
        Operand::Tensor(t) => (t.shape(), t.stride()),
        Operand::Scalar(..) => (&[], &[]),
    }
}

/// A broadcasting binary operator on complex values, typed by promotion.
fn binary(
    ctx: &KernelCtx<'_>,
    a: Operand<'_>,
    b: Operand<'_>,
    f: impl Fn(C, C) -> C,
) -> Result<Tensor> {
    for (o, name) in [(&a, "self"), (&b, "other")] {
        if let Operand::Tensor(t) = o {
            ctx.check(t, name)?;
        }
    }
    let (ga, gb) = (geometry(&a), geometry(&b));
    let shape = broadcast(ctx.op, &ga, &gb)?;
    let strides = output_strides(&shape, &[ga, gb]);
    let dtype = result_type(ctx, &[a, b]);
    ctx.output(&shape, &strides, dtype, || {
        let xa = operand_parts(ctx.op, a, &shape)?;
        let xb = operand_parts(ctx.op, b, &shape)?;
        Ok(xa
            .chunks_exact(2)
            .zip(xb.chunks_exact(2))
            .flat_map(|(x, y)| {
                let (re, im) = f((x[0], x[1]), (y[0], y[1]));
                [re, im]
            })
            .collect())
    })
}

/// A unary operator on a complex tensor whose result has `parts` parts per
/// element (2: complex, 1: real) and `dtype`.
fn unary(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    dtype: crate::tensor::dtype::DType,
    f: impl Fn(C) -> [f64; 2],
) -> Result<Tensor> {
    ctx.check(t, "self")?;
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    let parts = dtype.parts();
    ctx.output(t.shape(), &strides, dtype, || {
        Ok(t.read_f64(ctx.op)?
            .chunks_exact(2)
            .flat_map(|x| f((x[0], x[1])).into_iter().take(parts))
            .collect())
    })
}

/// `add.Tensor(self, other, *, alpha=1)`.
pub(crate) fn add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let alpha = a.scalar(2).unwrap_or(1.0);
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| {
        (x.0 + alpha * y.0, x.1 + alpha * y.1)
    })?;
    Ok(vec![out.into()])
}

/// `sub.Tensor(self, other, *, alpha=1)`.
pub(crate) fn sub(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let alpha = a.scalar(2).unwrap_or(1.0);
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| {
        (x.0 - alpha * y.0, x.1 - alpha * y.1)
    })?;
    Ok(vec![out.into()])
}

/// `(a + bi)(c + di) = (ac − bd) + (ad + bc)i`.
pub(crate) fn product(x: C, y: C) -> C {
    (x.0 * y.0 - x.1 * y.1, x.0 * y.1 + x.1 * y.0)
}

/// `mul.Tensor(self, other)`, `mul.Scalar(self, other)`.
pub(crate) fn mul(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let out = if ctx.faults.complex_mul_no_cross_terms {
        binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| {
            (x.0 * y.0, x.1 * y.1)
        })?
    } else {
        binary(ctx, a.operand(0)?, a.operand(1)?, product)?
    };
    Ok(vec![out.into()])
}

/// `div.Tensor(self, other)`, `div.Scalar(self, other)`:
/// `(a + bi)/(c + di) = ((ac + bd) + (bc − ad)i) / (c² + d²)`.
pub(crate) fn div(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let out = binary(ctx, a.operand(0)?, a.operand(1)?, |x, y| {
        if y.1 == 0.0 {
            return (x.0 / y.0, x.1 / y.0);
        }
        let norm = y.0 * y.0 + y.1 * y.1;
        (
            (x.0 * y.0 + x.1 * y.1) / norm,
            (x.1 * y.0 - x.0 * y.1) / norm,
        )
    })?;
    Ok(vec![out.into()])
}

/// `neg(self)`.
pub(crate) fn neg(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, t.dtype(), |x| [-x.0, -x.1])?;
    Ok(vec![out.into()])
}

/// `abs(self)`: the modulus, of the parts' real dtype.
pub(crate) fn abs(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, t.dtype().to_real(), |x| [x.0.hypot(x.1), 0.0])?;
    Ok(vec![out.into()])
}

/// `sgn(self)`: `z / |z|`, zero where `z` is zero.
pub(crate) fn sgn(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, t.dtype(), |x| {
        let modulus = x.0.hypot(x.1);
        if modulus == 0.0 {
            [0.0, 0.0]
        } else {
            [x.0 / modulus, x.1 / modulus]
        }
    })?;
    Ok(vec![out.into()])
}

/// `angle(z)` of complex parts (`atan2(imag, real)`).
pub(crate) fn angle_of(x: C) -> f64 {
    x.1.atan2(x.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_has_cross_terms() {
        assert_eq!(product((1.0, 2.0), (3.0, 4.0)), (-5.0, 10.0));
        assert_eq!(angle_of((0.0, 1.0)), std::f64::consts::FRAC_PI_2);
    }
}
