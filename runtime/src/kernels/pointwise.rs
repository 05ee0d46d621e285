//! Pointwise kernels: `add`, `add_`, `sub`, `mul`, `neg`, `relu`,
//! `threshold_backward`.
//!
//! Operands broadcast; a Python number operand is a wrapped scalar. Results
//! are laid out by [`super::iter::output_strides`] and typed by PyTorch's
//! promotion ([`crate::tensor::promote`]). Each operand is first cast to the
//! common dtype (a Python number in a float32 computation is a float32
//! number); arithmetic then runs in f64 and is cast to the result dtype
//! once, which for float32 `+ - * /` of float32 operands is PyTorch's
//! correctly rounded float32 result. Integer `add`, `sub` and `mul` (and their in-place
//! forms) take an exact i64 path that wraps in the result's width, as
//! PyTorch's integer kernels do ([`binary_i64`]).

use super::KernelCtx;
use super::dense;
use super::elementwise::{computed_operands, computed_values, nary_i64_, operand_i64};
use super::iter::{Geometry, cast_input_strides, output_strides, read_broadcast};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote;
use crate::tensor::strides::broadcast_shapes;

fn geometry<'a>(o: &Operand<'a>) -> Geometry<'a> {
    match o {
        Operand::Tensor(t) => (t.shape(), t.stride()),
        Operand::Scalar(..) | Operand::BigInt(_) => (&[], &[]),
    }
}

fn check_operand(ctx: &KernelCtx<'_>, o: &Operand<'_>, arg: &str) -> Result<()> {
    match o {
        Operand::Tensor(t) => ctx.check(t, arg),
        Operand::Scalar(..) | Operand::BigInt(_) => Ok(()),
    }
}

/// The broadcast shape of two operands, with PyTorch's error message.
pub(crate) fn broadcast(op: &str, a: &Geometry<'_>, b: &Geometry<'_>) -> Result<Vec<i64>> {
    broadcast_shapes(a.0, b.0)
        .ok_or_else(|| crate::kernels::elementwise::broadcast_mismatch(op, a.0, b.0))
}

/// `torch.result_type` of the operands under the context's default dtype.
pub(crate) fn result_type(ctx: &KernelCtx<'_>, operands: &[Operand<'_>]) -> DType {
    let promote: Vec<_> = operands.iter().map(Operand::promote).collect();
    promote::result_type(&promote, ctx.default_dtype).unwrap_or(ctx.default_dtype)
}

/// A broadcasting binary operator computing `f` in f64 and producing `dtype`
/// (`None`: the promoted type of the operands).
pub(crate) fn binary(
    ctx: &KernelCtx<'_>,
    a: Operand<'_>,
    b: Operand<'_>,
    dtype: Option<DType>,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Tensor> {
    check_operand(ctx, &a, "self")?;
    check_operand(ctx, &b, "other")?;
    let (ga, gb) = (geometry(&a), geometry(&b));
    let shape = broadcast(ctx.op, &ga, &gb)?;
    let common = result_type(ctx, &[a, b]);
    // An input of another dtype is laid out as the copy the cast makes.
    let layout = |o: &Operand<'_>, g: Geometry<'_>| match o {
        Operand::Tensor(t) if t.dtype() != common && !g.0.is_empty() => {
            cast_input_strides(ctx.faults, g.0, g.1)
        }
        _ => g.1.to_vec(),
    };
    let (sa, sb) = (layout(&a, ga), layout(&b, gb));
    let strides = output_strides(&shape, &[(ga.0, &sa), (gb.0, &sb)]);
    let dtype = dtype.unwrap_or(common);
    // Integer operators that must be exact beyond 2^53 call binary_i64;
    // the rest compute in f64 and cast back, exact below 2^53, each operand
    // first cast to the common dtype as TensorIterator does.
    let operands = computed_operands(ctx, &[a, b], common);
    if ctx.has_data()
        && let Some(out) = dense::pointwise(ctx.op, &operands, &shape, &strides, dtype, &|v| {
            f(v[0], v[1])
        })?
    {
        return Ok(out);
    }
    ctx.output(&shape, &strides, dtype, || {
        let columns = computed_values(ctx, &operands, &shape, common)?;
        Ok(columns[0]
            .iter()
            .zip(&columns[1])
            .map(|(&x, &y)| f(x, y))
            .collect())
    })
}

/// [`binary`] over an integer `dtype` (not bool), exactly: `f` gets each
/// pair of values as i64 and its wrapping result is stored in `dtype`'s
/// width, as PyTorch's integer kernels compute (int64 sums and products
/// beyond 2^53, int32 products that wrap). Same layout as [`binary`].
pub(crate) fn binary_i64(
    ctx: &KernelCtx<'_>,
    a: Operand<'_>,
    b: Operand<'_>,
    dtype: DType,
    f: impl Fn(i64, i64) -> i64,
) -> Result<Tensor> {
    check_operand(ctx, &a, "self")?;
    check_operand(ctx, &b, "other")?;
    let (ga, gb) = (geometry(&a), geometry(&b));
    let shape = broadcast(ctx.op, &ga, &gb)?;
    let layout = |o: &Operand<'_>, g: Geometry<'_>| match o {
        Operand::Tensor(t) if t.dtype() != dtype && !g.0.is_empty() => {
            cast_input_strides(ctx.faults, g.0, g.1)
        }
        _ => g.1.to_vec(),
    };
    let (sa, sb) = (layout(&a, ga), layout(&b, gb));
    let strides = output_strides(&shape, &[(ga.0, &sa), (gb.0, &sb)]);
    ctx.output_i64(&shape, &strides, dtype, || {
        let xa = operand_i64(ctx.op, &a, &shape)?;
        let xb = operand_i64(ctx.op, &b, &shape)?;
        Ok(xa.iter().zip(&xb).map(|(&x, &y)| f(x, y)).collect())
    })
}

/// Whether arithmetic in `dtype` takes the exact integer path.
pub(crate) fn exact_integers(dtype: DType) -> bool {
    dtype.is_integral(false)
}

/// An in-place broadcasting binary operator: `self = f(self, other)`, with
/// PyTorch's casting check of the promoted type against `self`'s dtype.
pub(crate) fn binary_(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    other: Operand<'_>,
    f: impl Fn(f64, f64) -> f64,
) -> Result<()> {
    ctx.check(this, "self")?;
    check_operand(ctx, &other, "other")?;
    let computed = result_type(ctx, &[Operand::Tensor(this), other]);
    promote::check_inplace_cast(ctx.op, computed, this.dtype())?;
    let shape = broadcast(ctx.op, &(this.shape(), this.stride()), &geometry(&other))?;
    if shape != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                this.shape()
            ),
        ));
    }
    let operands = computed_operands(ctx, &[Operand::Tensor(this), other], computed);
    if ctx.has_data() && dense::pointwise_inplace(this, &operands, &|v| f(v[0], v[1])) {
        return Ok(());
    }
    ctx.write(this, || {
        let columns = computed_values(ctx, &operands, &shape, computed)?;
        Ok(columns[0]
            .iter()
            .zip(&columns[1])
            .map(|(&x, &y)| f(x, y))
            .collect())
    })
}

/// A unary operator computing `f` in f64 and producing `dtype` (`None`: the
/// input's dtype).
pub(crate) fn unary(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    dtype: Option<DType>,
    f: impl Fn(f64) -> f64,
) -> Result<Tensor> {
    ctx.check(t, "self")?;
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    unary_into(ctx, t, &strides, dtype.unwrap_or(t.dtype()), f)
}

/// `f` of each element of `t` into a new tensor of `dtype` at `strides`.
fn unary_into(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    strides: &[i64],
    dtype: DType,
    f: impl Fn(f64) -> f64,
) -> Result<Tensor> {
    if ctx.has_data()
        && let Some(out) = dense::pointwise(
            ctx.op,
            &[Operand::Tensor(t)],
            t.shape(),
            strides,
            dtype,
            &|v| f(v[0]),
        )?
    {
        return Ok(out);
    }
    ctx.output(t.shape(), strides, dtype, || {
        Ok(t.read_f64(ctx.op)?.into_iter().map(f).collect())
    })
}

/// As [`unary`] into a result made by `empty_like(self)`, as PyTorch's
/// operators that allocate before running their `_out` kernel do
/// (`hardtanh`, `nan_to_num`): `self`'s own strides when it is
/// non-overlapping and dense, where TensorIterator would make a contiguous
/// `self` with a stray size-1 stride contiguous.
pub(crate) fn unary_like(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    f: impl Fn(f64) -> f64,
) -> Result<Tensor> {
    ctx.check(t, "self")?;
    let strides = if ctx.faults.numbers_as_iterator_inputs {
        output_strides(t.shape(), &[(t.shape(), t.stride())])
    } else {
        super::factory::like_strides(ctx, t, None)?
    };
    unary_into(ctx, t, &strides, t.dtype(), f)
}

/// PyTorch's check that `alpha` fits the operands' type.
fn check_alpha(ctx: &KernelCtx<'_>, dtype: DType, alpha: &Args<'_>) -> Result<f64> {
    let value = alpha.scalar(2)?;
    if dtype.is_integral(true) && matches!(alpha.values.get(2), Some(IValue::Float(_))) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message:
                "For integral input tensors, argument alpha must not be a floating point number."
                    .into(),
        });
    }
    Ok(value)
}

fn refuse_bool(ctx: &KernelCtx<'_>, dtype: DType, message: &str) -> Result<()> {
    if dtype == DType::Bool {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: message.to_owned(),
        });
    }
    Ok(())
}

/// `x + alpha * y` as PyTorch's CPU kernels compute it: one fused
/// multiply-add, in float for float32/float16/bfloat16 and in double
/// otherwise (observed in torch 2.15: `torch.add(a, b, alpha=-0.37)` is
/// bitwise `fma(alpha, b, a)` in float32 and float64; for float16 and
/// bfloat16 `alpha` is first rounded to the tensor's dtype).
///
/// Each case is its own formula (see [`with_axpy`]) so that a kernel loop
/// holds no per-element branch and vectorizes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Axpy {
    /// A narrow dtype with `alpha == 1`: `fma(1, y, x)` is the float sum.
    FloatSum,
    /// A narrow dtype on a CPU with an FMA instruction.
    FloatFma(f32),
    /// A narrow dtype without one: [`fma_f32`], bitwise the same.
    FloatSoftwareFma(f32),
    /// float64 (and the rest): the double fused multiply-add.
    Double(f64),
}

impl Axpy {
    pub(crate) fn new(dtype: DType, alpha: f64) -> Axpy {
        let alpha = match dtype {
            DType::Float16 => half::f16::from_f64(alpha).to_f64(),
            DType::BFloat16 => half::bf16::from_f64(alpha).to_f64(),
            _ => alpha,
        };
        let narrow = matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16);
        match (narrow, alpha == 1.0, has_hardware_fma()) {
            (false, ..) => Axpy::Double(alpha),
            (true, true, _) => Axpy::FloatSum,
            (true, false, true) => Axpy::FloatFma(alpha as f32),
            (true, false, false) => Axpy::FloatSoftwareFma(alpha as f32),
        }
    }
}

/// Evaluates `$body` with `$f` bound to the formula `|x, y| x + alpha * y`
/// of [`Axpy::new`]`($dtype, $alpha)`: one closure type per case.
macro_rules! with_axpy {
    ($dtype:expr, $alpha:expr, |$f:ident| $body:expr) => {
        match $crate::kernels::pointwise::Axpy::new($dtype, $alpha) {
            $crate::kernels::pointwise::Axpy::FloatSum => {
                let $f = |x: f64, y: f64| f64::from((x as f32) + (y as f32));
                $body
            }
            $crate::kernels::pointwise::Axpy::FloatFma(a) => {
                // one instruction in a loop compiled for FMA (dense.rs), a
                // correctly rounded library call elsewhere
                let $f = move |x: f64, y: f64| f64::from(a.mul_add(y as f32, x as f32));
                $body
            }
            $crate::kernels::pointwise::Axpy::FloatSoftwareFma(a) => {
                let $f = move |x: f64, y: f64| {
                    f64::from($crate::kernels::pointwise::fma_f32(a, y as f32, x as f32))
                };
                $body
            }
            $crate::kernels::pointwise::Axpy::Double(a) => {
                let $f = move |x: f64, y: f64| a.mul_add(y, x);
                $body
            }
        }
    };
}
pub(crate) use with_axpy;

/// Whether this CPU computes a fused multiply-add in one instruction.
fn has_hardware_fma() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

/// `a * b + c` rounded once to f32, bitwise equal to `f32::mul_add`
/// without a call per element (the CPU may lack an FMA instruction, and
/// `mul_add` is then a library call): the product is exact in f64, the sum's
/// rounding error is recovered exactly (TwoSum), and the f64 sum rounded to
/// odd then rounds to f32 as the exact value would (53 bits ≥ 24 + 2).
#[inline]
pub(crate) fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    let p = f64::from(a) * f64::from(b);
    let c = f64::from(c);
    let s = p + c;
    if !s.is_finite() {
        return a.mul_add(b, c as f32);
    }
    let bb = s - p;
    let e = (p - (s - bb)) + (c - bb);
    // When s is inexact and even, step to its odd neighbour towards the
    // exact value (branch-free: the parity is random).
    let bits = s.to_bits();
    let step = u64::from(e != 0.0) & !bits & 1;
    let away_from_zero = u64::from((e > 0.0) == (s > 0.0));
    let odd = bits.wrapping_add(step.wrapping_mul(away_from_zero.wrapping_mul(2).wrapping_sub(1)));
    f64::from_bits(odd) as f32
}

/// `add.Tensor(self, other, *, alpha=1)`: `self + alpha * other`.
pub(crate) fn add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.operand(0)?, a.operand(1)?);
    let dtype = result_type(ctx, &[x, y]);
    let alpha = check_alpha(ctx, dtype, &a)?;
    if exact_integers(dtype) && !ctx.faults.integer_arithmetic_in_double {
        let k = alpha as i64;
        let out = binary_i64(ctx, x, y, dtype, |x, y| x.wrapping_add(k.wrapping_mul(y)))?;
        return Ok(vec![out.into()]);
    }
    let y = reduced_addend(ctx, dtype, alpha, y);
    let out = with_axpy!(dtype, alpha, |f| binary(ctx, x, y, Some(dtype), f))?;
    if let (Operand::Tensor(xt), Operand::Tensor(yt)) = (x, y)
        && let Some(plan) = super::reduced_axpy::scalar_loop(ctx, dtype, alpha, &out, xt, yt)
    {
        plan.redo(ctx, &out, &read_broadcast(ctx.op, xt, out.shape())?, yt)?;
    }
    Ok(vec![out.into()])
}

/// A Python number added to or subtracted from a float16/bfloat16 tensor
/// (`x + 1e-3`, `x - 0.5`, `1 - x`, `x.add_(0.1)`) as PyTorch's kernel
/// takes it: rounded to the tensor's dtype first, then added in float
/// (observed in torch 2.15 on 4096 elements of both dtypes: every element
/// agrees with `float(x) + float(half(s))` rounded, up to a third of them
/// disagree with the float32 number). `mul` and `div` keep the number in
/// float32 and are not routed here; an `alpha` other than 1 keeps the
/// number as it was. A 0-dim tensor of a wider floating dtype (an
/// optimizer's float32 step size or count) is cast to the tensor's dtype
/// whatever the `alpha` (observed in torch 2.15 on 20 000 elements of both
/// dtypes, alpha 1, 2, 2.5, 3, 0.3, -0.7: the elements of the vectorised
/// loop agree with `fma(half(alpha), half(t), x)` rounded once, 1.6–6.5%
/// of them disagree with the float32 `t`); it is then taken as that
/// number. (With an `alpha` other than ±1 the scalar loop's tail elements
/// round `half(alpha)·half(t)` first, [`super::reduced_axpy`]; a
/// broadcast addend's tail is not modelled.)
pub(crate) fn reduced_addend<'a>(
    ctx: &KernelCtx<'_>,
    dtype: DType,
    alpha: f64,
    o: Operand<'a>,
) -> Operand<'a> {
    if ctx.faults.reduced_addend_unrounded || !matches!(dtype, DType::Float16 | DType::BFloat16) {
        return o;
    }
    match o {
        Operand::Scalar(v, d) if d != DType::Bool && alpha.abs() == 1.0 => {
            Operand::Scalar(super::elementwise::common::round_to(dtype, v), d)
        }
        Operand::Tensor(t)
            if t.dim() == 0
                && t.dtype() != dtype
                && t.dtype().is_floating()
                && t.device() == crate::device::Device::Cpu
                && ctx.has_data() =>
        {
            match t.read_f64(ctx.op).ok().as_deref() {
                Some(&[v]) => Operand::Scalar(
                    super::elementwise::common::round_to(dtype, v),
                    DType::Float64,
                ),
                _ => o,
            }
        }
        _ => o,
    }
}

/// `sub.Tensor(self, other, *, alpha=1)`: `self - alpha * other`.
pub(crate) fn sub(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.operand(0)?, a.operand(1)?);
    let dtype = result_type(ctx, &[x, y]);
    super::elementwise::common::sub_check(ctx.op, &[x, y])?;
    let alpha = check_alpha(ctx, dtype, &a)?;
    if exact_integers(dtype) && !ctx.faults.integer_arithmetic_in_double {
        let k = alpha as i64;
        let out = binary_i64(ctx, x, y, dtype, |x, y| x.wrapping_sub(k.wrapping_mul(y)))?;
        return Ok(vec![out.into()]);
    }
    let y = reduced_addend(ctx, dtype, alpha, y);
    let out = with_axpy!(dtype, -alpha, |f| binary(ctx, x, y, Some(dtype), f))?;
    if let (Operand::Tensor(xt), Operand::Tensor(yt)) = (x, y)
        && let Some(plan) = super::reduced_axpy::scalar_loop(ctx, dtype, -alpha, &out, xt, yt)
    {
        plan.redo(ctx, &out, &read_broadcast(ctx.op, xt, out.shape())?, yt)?;
    }
    Ok(vec![out.into()])
}

/// `mul.Tensor(self, other)` and `mul.Scalar(self, other)`.
pub(crate) fn mul(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.operand(0)?, a.operand(1)?);
    let dtype = result_type(ctx, &[x, y]);
    if exact_integers(dtype) && !ctx.faults.integer_arithmetic_in_double {
        let out = binary_i64(ctx, x, y, dtype, i64::wrapping_mul)?;
        return Ok(vec![out.into()]);
    }
    let out = binary(ctx, x, y, None, |x, y| x * y)?;
    Ok(vec![out.into()])
}

/// `add_.Tensor(self, other, *, alpha=1)`: in place; `other` broadcasts to `self`.
pub(crate) fn add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let other = a.operand(1)?;
    let dtype = result_type(ctx, &[Operand::Tensor(this), other]);
    let alpha = check_alpha(ctx, dtype, &a)?;
    if exact_integers(dtype) && !ctx.faults.integer_arithmetic_in_double {
        let k = alpha as i64;
        let ops = [Operand::Tensor(this), other];
        nary_i64_(ctx, this, &ops, dtype, |v| {
            Ok(v[0].wrapping_add(k.wrapping_mul(v[1])))
        })?;
        return Ok(vec![this.clone().into()]);
    }
    // `self` is overwritten: its values are read first, if any are redone.
    let before = match other {
        Operand::Tensor(y) => super::reduced_axpy::scalar_loop(ctx, dtype, alpha, this, this, y)
            .map(|plan| Ok::<_, RuntimeError>((plan, y, this.read_f64(ctx.op)?)))
            .transpose()?,
        _ => None,
    };
    let other = reduced_addend(ctx, dtype, alpha, other);
    with_axpy!(dtype, alpha, |f| binary_(ctx, this, other, f))?;
    if let Some((plan, y, xs)) = before {
        plan.redo(ctx, this, &xs, y)?;
    }
    Ok(vec![this.clone().into()])
}

/// `neg(self)`.
pub(crate) fn neg(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    refuse_bool(
        ctx,
        t.dtype(),
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    )?;
    if t.dtype().is_integral(false) {
        let out = super::elementwise::exact_integer_map(ctx, t, i64::wrapping_neg)?;
        return Ok(vec![out.into()]);
    }
    Ok(vec![unary(ctx, t, None, |x| -x)?.into()])
}

/// `relu(self)`: `max(self, 0)`, NaN propagating (PyTorch's `clamp_min(self, 0)`).
/// A zero input is returned as it is, so `relu(-0.0)` is `-0.0` (observed in
/// torch 2.15 for float32, float64, bfloat16 and float16, vectorised lanes
/// and tail alike: `clamp_min` keeps `self` unless it is below the bound).
pub(crate) fn relu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let f = relu_value(ctx.faults.relu_zero_sign_dropped);
    Ok(vec![unary(ctx, a.tensor(0)?, None, f)?.into()])
}

/// The per-element `relu`: `self` unless it is below zero (NaN and both
/// zeros kept), or with the `relu-zero-sign-dropped` fault `+0.0` for every
/// zero as well.
pub(crate) fn relu_value(zero_sign_dropped: bool) -> fn(f64) -> f64 {
    if zero_sign_dropped {
        |x| if x > 0.0 || x.is_nan() { x } else { 0.0 }
    } else {
        |x| if x < 0.0 { 0.0 } else { x }
    }
}

/// `threshold_backward(grad_output, self, threshold)`:
/// `self <= threshold ? 0 : grad_output`. PyTorch's TensorIterator takes
/// `self` before `grad_output`, so `self` decides the result's layout when
/// the two differ (observed in torch 2.15: a contiguous gradient and a
/// channels-last `self` give a channels-last result).
pub(crate) fn threshold_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let threshold = a.scalar(2)?;
    let out = binary(ctx, a.operand(1)?, a.operand(0)?, None, |x, g| {
        if x <= threshold { 0.0 } else { g }
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::fma_f32;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    /// A float32 0-dim step size added to (subtracted from) a bfloat16 or
    /// float16 tensor is first cast to its dtype (torch 2.15):
    ///
    /// ```python
    /// eta = torch.tensor(0.0099990001)  # bfloat16: 0.010009765625
    /// torch.add(torch.tensor([-0.08056640625, -0.0125732421875], dtype=torch.bfloat16), eta)
    /// # [-0.0703125, -0.0025634765625]  (float32 eta: -0.07080078125, -0.0025787353515625)
    /// h = torch.tensor([0.028472900390625, -0.000736236572265625], dtype=torch.float16)
    /// h.sub_(eta)  # [0.018463134765625, -0.0107421875]
    /// ```
    #[test]
    fn a_wider_zero_dim_addend_is_cast_to_the_reduced_dtype() {
        let mut rt = Runtime::new();
        let eta = tensor(&[], DType::Float32, &[0.0099990001]);
        let b = tensor(&[2], DType::BFloat16, &[-0.08056640625, -0.0125732421875]);
        let out = rt
            .call(
                "aten.add.Tensor",
                vec![b.into(), eta.clone().into(), IValue::Int(1)],
            )
            .expect("add")
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor");
        assert_eq!(
            out.to_f64_vec().expect("values"),
            vec![-0.0703125, -0.0025634765625]
        );
        let h = tensor(
            &[2],
            DType::Float16,
            &[0.028472900390625, -0.000736236572265625],
        );
        rt.call(
            "aten.sub_.Tensor",
            vec![h.clone().into(), eta.into(), IValue::Int(1)],
        )
        .expect("sub_");
        assert_eq!(
            h.to_f64_vec().expect("values"),
            vec![0.018463134765625, -0.0107421875]
        );
    }

    #[test]
    fn fma_f32_is_bitwise_mul_add() {
        // xorshift values spanning signs, magnitudes and near-cancellations
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2_000_000 {
            let r = next();
            let a = f32::from_bits((r as u32) & 0xbfff_ffff);
            let b = f32::from_bits(((r >> 32) as u32) & 0xbfff_ffff);
            let c = if next() & 1 == 0 {
                -(a * b) * (1.0 + (next() % 8) as f32 * f32::EPSILON)
            } else {
                f32::from_bits(next() as u32 & 0xbfff_ffff)
            };
            let (want, got) = (a.mul_add(b, c), fma_f32(a, b, c));
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "fma({a:e}, {b:e}, {c:e}) = {want:e}, got {got:e}"
            );
        }
        assert_eq!(fma_f32(-0.05, 0.1, 0.3), (-0.05f32).mul_add(0.1, 0.3));
    }
}
