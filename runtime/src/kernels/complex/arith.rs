//! Complex arithmetic: `add`, `sub`, `mul`, `div` (tensor–tensor and
//! tensor–scalar, real and complex operands mixed: the real one has a zero
//! imaginary part), `rsub`, `neg`, `abs` (a real result), `sgn`, `exp`,
//! `reciprocal`, `pow` by a real exponent or a tensor, `sqrt`, `log`,
//! `tanh`, `sigmoid`.
//!
//! Values are computed in f64 from the parts and rounded to the result's
//! parts once; PyTorch computes complex64 in float32, which agrees within
//! `assert_close`'s complex64 tolerance.

use super::{Cx, KernelCtx, any_complex, cx_operand, cx_parts, cx_result_type, real_kernel};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::output_strides;
use crate::kernels::pointwise::broadcast;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// One complex value `(re, im)`.
type C = (f64, f64);

/// [`binary`] over the call's first two operands (tensors or Python
/// numbers), as the kernel's result list.
fn binary_of_operands(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(C, C) -> C,
) -> Result<Vec<IValue>> {
    let out = binary(ctx, cx_operand(ctx, a, 0)?, cx_operand(ctx, a, 1)?, f)?;
    Ok(vec![out.into()])
}

/// A broadcasting binary operator on complex values, typed by promotion.
fn binary(ctx: &KernelCtx<'_>, a: Cx<'_>, b: Cx<'_>, f: impl Fn(C, C) -> C) -> Result<Tensor> {
    let (ga, gb) = (a.geometry(), b.geometry());
    let shape = broadcast(ctx.op, &ga, &gb)?;
    let dtype = cx_result_type(ctx, &[a, b]);
    // An input of another dtype is laid out as the copy its cast makes
    // (observed in torch 2.15: an expanded real gradient times a complex
    // column-major tensor gives a row-major product).
    let layout = |o: &Cx<'_>, g: (&[i64], &[i64])| match o {
        Cx::Tensor(t) if t.dtype() != dtype && !g.0.is_empty() => {
            crate::kernels::iter::cast_input_strides(ctx.faults, g.0, g.1)
        }
        _ => g.1.to_vec(),
    };
    let (sa, sb) = (layout(&a, ga), layout(&b, gb));
    let strides = output_strides(&shape, &[(ga.0, &sa), (gb.0, &sb)]);
    ctx.output(&shape, &strides, dtype, || {
        let xa = cx_parts(ctx.op, a, &shape)?;
        let xb = cx_parts(ctx.op, b, &shape)?;
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
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    unary_into(ctx, t, &strides, dtype, f)
}

/// [`unary`] into a result of the given strides.
fn unary_into(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    strides: &[i64],
    dtype: crate::tensor::dtype::DType,
    f: impl Fn(C) -> [f64; 2],
) -> Result<Tensor> {
    ctx.check(t, "self")?;
    let parts = dtype.parts();
    ctx.output(t.shape(), strides, dtype, || {
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
    binary_of_operands(ctx, &a, |x, y| plus_scaled(x, y, alpha))
}

/// `x + alpha * y` as ATen's complex kernels compute it: `alpha` a complex
/// number `(alpha, 0)`, the product a full complex multiplication, so
/// signed zeros follow it (observed in torch 2.15 on every combination of
/// ±0 parts: `(-0-0j) + (-0-0j)` is `(0-0j)`, not `(-0-0j)`).
fn plus_scaled(x: (f64, f64), y: (f64, f64), alpha: f64) -> (f64, f64) {
    let re = alpha * y.0 - 0.0 * y.1;
    let im = 0.0 * y.0 + alpha * y.1;
    (x.0 + re, x.1 + im)
}

/// PyTorch's refusal of a bool operand in a subtraction, for complex
/// kernels (a Python complex is never bool).
fn sub_check(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<()> {
    let operands: Vec<_> = (0..2)
        .filter(|&i| !matches!(a.values.get(i), Some(IValue::Complex(..))))
        .map(|i| a.operand(i))
        .collect::<Result<_>>()?;
    crate::kernels::elementwise::common::sub_check(ctx.op, &operands)
}

/// `sub.Tensor(self, other, *, alpha=1)`.
pub(crate) fn sub(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    sub_check(ctx, &a)?;
    let alpha = a.scalar(2).unwrap_or(1.0);
    // ATen subtracts by adding `-alpha * y`.
    binary_of_operands(ctx, &a, |x, y| plus_scaled(x, y, -alpha))
}

/// `rsub.Tensor(self, other, *, alpha=1)` / `rsub.Scalar`: `other - alpha
/// * self` (`1j - z`, `(1 + 2j) - t` of a real tensor).
pub(crate) fn rsub(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    sub_check(ctx, &a)?;
    let alpha = a.scalar(2).unwrap_or(1.0);
    binary_of_operands(ctx, &a, |x, y| (y.0 - alpha * x.0, y.1 - alpha * x.1))
}

/// The in-place form of a complex binary kernel (`w -= lr * w.grad` of a
/// complex parameter): the out-of-place kernel's result, which must keep
/// `self`'s shape, written back into `self`'s elements. A real `self` with
/// a complex operand is refused as PyTorch refuses it (the complex result
/// type cannot be cast to a real output).
fn in_place(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
    out_of_place: fn(&mut KernelCtx<'_>, Args<'_>) -> Result<Vec<IValue>>,
) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let this = a.tensor(0)?.clone();
    let out = out_of_place(ctx, a)?;
    let out = out
        .first()
        .and_then(IValue::as_tensor)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a complex result"))?;
    if !this.dtype().is_complex() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "result type {} can't be cast to the desired output type {}",
                out.dtype().scalar_type_name(),
                this.dtype().scalar_type_name()
            ),
        ));
    }
    if out.shape() != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {:?}",
                this.shape(),
                out.shape()
            ),
        ));
    }
    if ctx.faults.complex_inplace_drops_imag {
        let parts = out.read_f64(ctx.op)?;
        let real: Vec<f64> = parts.iter().step_by(2).copied().collect();
        ctx.write(&this, || Ok(real))?;
    } else {
        ctx.write(&this, || out.read_f64(ctx.op))?;
    }
    Ok(vec![this.into()])
}

/// `add_.Tensor(self, other, *, alpha=1)`, `add_.Scalar`.
pub(crate) fn add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    in_place(ctx, a, add)
}

/// `sub_.Tensor(self, other, *, alpha=1)`, `sub_.Scalar`.
pub(crate) fn sub_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    in_place(ctx, a, sub)
}

/// `mul_.Tensor(self, other)`, `mul_.Scalar`.
pub(crate) fn mul_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    in_place(ctx, a, mul)
}

/// `div_.Tensor(self, other)`, `div_.Scalar`.
pub(crate) fn div_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    in_place(ctx, a, div)
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
        binary(
            ctx,
            cx_operand(ctx, &a, 0)?,
            cx_operand(ctx, &a, 1)?,
            |x, y| (x.0 * y.0, x.1 * y.1),
        )?
    } else {
        let (x, y) = (cx_operand(ctx, &a, 0)?, cx_operand(ctx, &a, 1)?);
        let in_float32 =
            cx_result_type(ctx, &[x, y]) == DType::Complex64 && !ctx.faults.complex_mul_in_double;
        binary(ctx, x, y, move |x, y| {
            if in_float32 {
                product_in_float32(x, y)
            } else {
                product(x, y)
            }
        })?
    };
    Ok(vec![out.into()])
}

/// The complex64 product as PyTorch's kernel computes it: each part of
/// both operands a float32 (a Python complex included), each of `ac`,
/// `bd`, `ad`, `bc` rounded to float32, then their difference and sum
/// (observed in torch 2.15: every element of 200k random products; the
/// parts computed in f64 and rounded once miss a third). That is its
/// vectorised loop; the elements its scalar loop takes (a tail shorter than
/// two vectors, strided operands) are fused multiply-adds,
/// `fma(a, c, -bd)` and `fma(a, d, bc)`, which this does not model: an ulp
/// apart there for a quarter of the parts.
fn product_in_float32(x: C, y: C) -> C {
    let r = |v: f64| f64::from(v as f32);
    let (a, b, c, d) = (r(x.0), r(x.1), r(y.0), r(y.1));
    (r(r(a * c) - r(b * d)), r(r(a * d) + r(b * c)))
}

/// `div.Tensor(self, other)`, `div.Scalar(self, other)`:
/// `(a + bi)/(c + di) = ((ac + bd) + (bc − ad)i) / (c² + d²)`.
pub(crate) fn div(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    binary_of_operands(ctx, &a, quotient)
}

/// `neg(self)`.
pub(crate) fn neg(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let keep_imag = ctx.faults.complex_neg_keeps_imag;
    let out = unary(ctx, t, t.dtype(), |x| {
        [-x.0, if keep_imag { x.1 } else { -x.1 }]
    })?;
    Ok(vec![out.into()])
}

/// `abs(self)`: the modulus, of the parts' real dtype.
pub(crate) fn abs(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    // The modulus is written into `empty_like(self)` (observed in torch
    // 2.15: the complex `abs` of a dense tensor whose size-1 dimension has
    // an unusual stride keeps that stride, the real one does not).
    let strides = crate::kernels::factory::like_strides(ctx, t, None)?;
    let out = unary_into(ctx, t, &strides, t.dtype().to_real(), |x| {
        [x.0.hypot(x.1), 0.0]
    })?;
    Ok(vec![out.into()])
}

/// `isnan(self)`: true where either part is NaN (anomaly mode's check of
/// a complex gradient).
pub(crate) fn isnan(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, crate::tensor::dtype::DType::Bool, |x| {
        [f64::from(u8::from(x.0.is_nan() || x.1.is_nan())), 0.0]
    })?;
    Ok(vec![out.into()])
}

/// `sgn(self)`: `z / |z|`, zero where `z` is zero.
pub(crate) fn sgn(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    // PyTorch's vectorized kernel: the modulus as `sqrt(re² + im²)` and
    // each part divided by it, in the parts' own precision (complex64's
    // squares lose precision near the smallest floats, where `hypot`
    // would not).
    let single = t.dtype() == crate::tensor::dtype::DType::Complex64;
    let out = unary(ctx, t, t.dtype(), |x| {
        if single {
            let (re, im) = (x.0 as f32, x.1 as f32);
            let modulus = (re * re + im * im).sqrt();
            if modulus == 0.0 {
                [0.0, 0.0]
            } else {
                [f64::from(re / modulus), f64::from(im / modulus)]
            }
        } else {
            let modulus = (x.0 * x.0 + x.1 * x.1).sqrt();
            if modulus == 0.0 {
                [0.0, 0.0]
            } else {
                [x.0 / modulus, x.1 / modulus]
            }
        }
    })?;
    Ok(vec![out.into()])
}

/// `(a + bi)/(c + di)`; a real divisor divides each part.
fn quotient(x: C, y: C) -> C {
    if y.1 == 0.0 {
        return (x.0 / y.0, x.1 / y.0);
    }
    let norm = y.0 * y.0 + y.1 * y.1;
    (
        (x.0 * y.0 + x.1 * y.1) / norm,
        (x.1 * y.0 - x.0 * y.1) / norm,
    )
}

/// `exp(self)`: `e^a (cos b + i sin b)`.
pub(crate) fn exp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, t.dtype(), |x| {
        let m = x.0.exp();
        [m * x.1.cos(), m * x.1.sin()]
    })?;
    Ok(vec![out.into()])
}

/// `reciprocal(self)`: `1 / z`.
pub(crate) fn reciprocal(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, t.dtype(), |x| {
        let (re, im) = quotient((1.0, 0.0), x);
        [re, im]
    })?;
    Ok(vec![out.into()])
}

/// `z^e` for a real `e` as PyTorch's CPU kernel computes it: repeated
/// products for 2, 3 and -2, the reciprocal for -1, otherwise the principal
/// value `|z|^e (cos eθ + i sin eθ)` (`0^e` is 0 for `e > 0`).
fn power(x: C, e: f64) -> C {
    match e {
        2.0 => product(x, x),
        3.0 => product(product(x, x), x),
        -2.0 => quotient((1.0, 0.0), product(x, x)),
        -1.0 => quotient((1.0, 0.0), x),
        0.0 => (1.0, 0.0),
        _ if x == (0.0, 0.0) && e > 0.0 => (0.0, 0.0),
        _ => {
            let (r, theta) = (x.0.hypot(x.1).powf(e), angle_of(x) * e);
            (r * theta.cos(), r * theta.sin())
        }
    }
}

/// `pow.Tensor_Scalar(self, exponent)` of a complex tensor by a real
/// exponent.
pub(crate) fn pow(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) || !matches!(a.values.get(1), Some(IValue::Int(_) | IValue::Float(_))) {
        return real_kernel(ctx, a);
    }
    let (t, e) = (a.tensor(0)?, a.scalar(1)?);
    let out = unary(ctx, t, t.dtype(), |x| {
        let (re, im) = power(x, e);
        [re, im]
    })?;
    Ok(vec![out.into()])
}

/// `angle(z)` of complex parts (`atan2(imag, real)`).
pub(crate) fn angle_of(x: C) -> f64 {
    x.1.atan2(x.0)
}

/// The principal square root, computed without cancellation: the larger
/// part from `sqrt((|z| + |re|) / 2)`, the other by division (C99's
/// `csqrt` branch cut: the sign of the imaginary part follows `im`).
pub(crate) fn sqrt_of(x: C) -> C {
    let (re, im) = x;
    if re == 0.0 && im == 0.0 {
        return (0.0, im);
    }
    if im.is_infinite() {
        return (f64::INFINITY, im);
    }
    let t = ((re.abs() + re.hypot(im)) / 2.0).sqrt();
    if re >= 0.0 {
        (t, im / (2.0 * t))
    } else {
        (im.abs() / (2.0 * t), t.copysign(im))
    }
}

/// The principal logarithm `ln|z| + i arg z`.
pub(crate) fn log_of(x: C) -> C {
    (x.0.hypot(x.1).ln(), angle_of(x))
}

/// `exp` of complex parts.
fn exp_of(x: C) -> C {
    let m = x.0.exp();
    (m * x.1.cos(), m * x.1.sin())
}

/// `tanh(a + bi) = (sinh 2a + i sin 2b) / (cosh 2a + cos 2b)`, with the
/// large-`|a|` limit `±1 + 0i` where `cosh` overflows.
pub(crate) fn tanh_of(x: C) -> C {
    let (a, b) = x;
    if a.abs() > 354.0 {
        return (1.0f64.copysign(a), 0.0f64.copysign((2.0 * b).sin()));
    }
    let d = (2.0 * a).cosh() + (2.0 * b).cos();
    ((2.0 * a).sinh() / d, (2.0 * b).sin() / d)
}

/// A complex unary kernel of the same dtype, or the real kernel for a real
/// tensor.
fn complex_unary(ctx: &mut KernelCtx<'_>, a: Args<'_>, f: fn(C) -> C) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let out = unary(ctx, t, t.dtype(), |x| {
        let (re, im) = f(x);
        [re, im]
    })?;
    Ok(vec![out.into()])
}

/// `sqrt(self)` of a complex tensor (PyTorch: `std::sqrt`, C's `csqrt`).
pub(crate) fn sqrt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, sqrt_of)
}

/// `log(self)` of a complex tensor.
pub(crate) fn log(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if ctx.faults.complex_log_atan {
        // the angle by `atan(im / re)`: off by pi left of the imaginary axis
        return complex_unary(ctx, a, |x| (x.0.hypot(x.1).ln(), (x.1 / x.0).atan()));
    }
    complex_unary(ctx, a, log_of)
}

/// `tanh(self)` of a complex tensor.
pub(crate) fn tanh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, tanh_of)
}

/// `sigmoid(self)` of a complex tensor: `1 / (1 + exp(-z))`, as PyTorch's
/// kernel writes it.
pub(crate) fn sigmoid(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, |x| {
        let e = exp_of((-x.0, -x.1));
        quotient((1.0, 0.0), (1.0 + e.0, e.1))
    })
}

/// `sin(self)` of a complex tensor: `sin a cosh b + i cos a sinh b`.
pub(crate) fn sin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, |(x, y)| (x.sin() * y.cosh(), x.cos() * y.sinh()))
}

/// `cos(self)` of a complex tensor: `cos a cosh b - i sin a sinh b`.
pub(crate) fn cos(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, |(x, y)| (x.cos() * y.cosh(), -(x.sin() * y.sinh())))
}

/// `sinh(self)` of a complex tensor: `sinh a cos b + i cosh a sin b`.
pub(crate) fn sinh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, |(x, y)| (x.sinh() * y.cos(), x.cosh() * y.sin()))
}

/// `cosh(self)` of a complex tensor: `cosh a cos b + i sinh a sin b`.
pub(crate) fn cosh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    complex_unary(ctx, a, |(x, y)| (x.cosh() * y.cos(), x.sinh() * y.sin()))
}

/// `tanh_backward(grad_output, output)` of complex tensors: `grad ·
/// conj(1 - y²)`, TanhBackward0's derivative under PyTorch's conjugate
/// convention.
pub(crate) fn tanh_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    binary_of_operands(ctx, &a, |g, y| {
        let y2 = product(y, y);
        product(g, (1.0 - y2.0, y2.1))
    })
}

/// `sigmoid_backward(grad_output, output)` of complex tensors: `grad ·
/// conj((1 - y) · y)`.
pub(crate) fn sigmoid_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    binary_of_operands(ctx, &a, |g, y| {
        let d = product((1.0 - y.0, -y.1), y);
        product(g, (d.0, -d.1))
    })
}

/// `z^w` of complex values: `exp(w log z)`, 0 for `z = 0` (C++'s
/// `std::pow` of two complex numbers).
pub(crate) fn power_of(z: C, w: C) -> C {
    if z == (0.0, 0.0) {
        return (0.0, 0.0);
    }
    let l = log_of(z);
    exp_of(product(w, l))
}

/// `pow.Tensor_Tensor(self, exponent)` with a complex operand.
pub(crate) fn pow_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    binary_of_operands(ctx, &a, power_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_has_cross_terms() {
        assert_eq!(product((1.0, 2.0), (3.0, 4.0)), (-5.0, 10.0));
        assert_eq!(angle_of((0.0, 1.0)), std::f64::consts::FRAC_PI_2);
        // (1 + i)² = 2i; (1 + i)^-1 = (1 - i)/2; i^0.5 = (1 + i)/√2
        assert_eq!(power((1.0, 1.0), 2.0), (0.0, 2.0));
        assert_eq!(power((1.0, 1.0), -1.0), (0.5, -0.5));
        let root = power((0.0, 1.0), 0.5);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((root.0 - h).abs() < 1e-15 && (root.1 - h).abs() < 1e-15);
        assert_eq!(quotient((1.0, 0.0), (0.0, 2.0)), (0.0, -0.5));
    }

    fn close(got: C, want: C) -> bool {
        let near = |g: f64, w: f64| (g - w).abs() <= 1e-12 * w.abs().max(1.0);
        near(got.0, want.0) && near(got.1, want.1)
    }

    #[test]
    fn transcendental_functions_agree_with_torch() {
        // Measured in torch 2.15 (complex128).
        let z = [(3.0, 4.0), (-4.0, 0.0), (-1.0, -1e-3), (0.5, -2.0)];
        type Case = (fn(C) -> C, [C; 4]);
        let cases: [Case; 3] = [
            (
                sqrt_of,
                [
                    (2.0, 1.0),
                    (0.0, 2.0),
                    (0.0004999999375000273, -1.000000124999961),
                    (1.1317139242778693, -0.8836155308755134),
                ],
            ),
            (
                log_of,
                [
                    (1.6094379124341003, 0.9272952180016122),
                    (1.3862943611198906, std::f64::consts::PI),
                    (4.999997500001667e-07, -3.1405926539231266),
                    (0.7234594914681627, -1.3258176636680326),
                ],
            ),
            (
                tanh_of,
                [
                    (1.000709536067233, 0.0049082580674960595),
                    (-0.999329299739067, 0.0),
                    (-0.761594475805797, -0.000419974238009533),
                    (1.3212865837711916, 0.8508781211449378),
                ],
            ),
        ];
        for (f, want) in cases {
            for (x, w) in z.iter().zip(want) {
                assert!(close(f(*x), w), "{x:?}: {:?} vs {w:?}", f(*x));
            }
        }
        assert_eq!(tanh_of((400.0, 1.0)), (1.0, 0.0));
        let w = [(0.5, 1.0), (2.0, 0.0), (0.0, 1.0), (-1.5, 0.25)];
        let want = [
            (-0.4258943477518252, 0.7753703444218834),
            (15.999999999999998, -3.9188697572715295e-15),
            (23.117563514339956, 1.1558775977783914e-05),
            (-0.26525572391094804, 0.3887274982604668),
        ];
        for ((x, e), w) in z.iter().zip(w).zip(want) {
            let got = power_of(*x, e);
            assert!(
                (got.0 - w.0).abs() < 1e-12 * 16.0 && (got.1 - w.1).abs() < 1e-12 * 16.0,
                "{x:?}^{e:?}: {got:?} vs {w:?}"
            );
        }
        assert_eq!(power_of((0.0, 0.0), (2.0, 1.0)), (0.0, 0.0));
    }

    #[test]
    fn in_place_complex_arithmetic_writes_both_parts_into_self() {
        use crate::runtime::Runtime;
        let mut rt = Runtime::new();
        let complex = |rt: &mut Runtime, parts: &[f32]| {
            let x = rt
                .introduce_tensor_f32(&[parts.len() as i64 / 2, 2], &[2, 1], 0, parts, false)
                .expect("tensor");
            let z = rt
                .call("aten.view_as_complex.default", vec![x.into()])
                .expect("complex");
            z[0].as_tensor().expect("tensor").clone()
        };
        // w -= lr * g: (1 + 2i) - (0.5 - 1i) = 0.5 + 3i
        let w = complex(&mut rt, &[1.0, 2.0, -1.0, 0.0]);
        let g = complex(&mut rt, &[0.5, -1.0, 1.0, 1.0]);
        let out = rt
            .call("aten.sub_.Tensor", vec![w.clone().into(), g.clone().into()])
            .expect("sub_");
        assert!(out[0].as_tensor().expect("self").shares_storage(&w));
        assert_eq!(w.to_f64_vec().expect("values"), vec![0.5, 3.0, -2.0, -1.0]);
        // (0.5 + 3i)(0.5 - 1i) = 3.25 + 1i; (-2 - i)(1 + i) = -1 - 3i
        rt.call("aten.mul_.Tensor", vec![w.clone().into(), g.clone().into()])
            .expect("mul_");
        assert_eq!(w.to_f64_vec().expect("values"), vec![3.25, 1.0, -1.0, -3.0]);
        // a complex operand into a real self is refused, as PyTorch does
        let real = rt
            .introduce_tensor_f32(&[2], &[1], 0, &[0.0, 0.0], false)
            .expect("tensor");
        let err = rt
            .call("aten.add_.Tensor", vec![real.into(), g.into()])
            .expect_err("complex into real");
        assert!(
            err.to_string().contains(
                "result type ComplexFloat can't be cast to the desired output type Float"
            ),
            "{err}"
        );
    }
}
