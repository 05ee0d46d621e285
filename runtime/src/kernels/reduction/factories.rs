//! Factories: `arange` (three overloads), `full`, `full_like`, `new_zeros`,
//! `new_ones`, `new_full`, `new_empty`, `scalar_tensor`, `lift_fresh`,
//! `eye` (two overloads).
//!
//! Result dtypes follow PyTorch (observed in torch 2.15): `arange` with
//! only integer arguments is int64, otherwise the default dtype; `full`
//! infers bool / int64 / the default dtype from its fill value;
//! `scalar_tensor` and `eye` default to the default dtype; `new_*` and
//! `*_like` default to `self`'s dtype. Results are contiguous except
//! `full_like`, which preserves `self`'s layout.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::factory::{filled, like_strides, options_dtype, size_arg};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The natural dtype of a Python number argument (bool, int64, or the
/// default dtype for a float).
fn number_dtype(ctx: &KernelCtx<'_>, v: Option<&IValue>) -> DType {
    match v {
        Some(IValue::Bool(_)) => DType::Bool,
        Some(IValue::Int(_)) => DType::Int64,
        _ => ctx.default_dtype,
    }
}

/// Number of `arange` elements, with PyTorch's argument checks.
fn arange_len(ctx: &KernelCtx<'_>, start: f64, end: f64, step: f64) -> Result<usize> {
    if step == 0.0 {
        return Err(RuntimeError::shape(ctx.op, "step must be nonzero"));
    }
    if !start.is_finite() || !end.is_finite() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("unsupported range: {start} -> {end}"),
        ));
    }
    if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
        return Err(RuntimeError::shape(
            ctx.op,
            "upper bound and lower bound inconsistent with step sign",
        ));
    }
    let len = ((end - start) / step).ceil();
    if len > i64::MAX as f64 {
        return Err(RuntimeError::shape(
            ctx.op,
            "invalid size, possible overflow?",
        ));
    }
    Ok(len.max(0.0) as usize)
}

/// `arange` from bound `(start, end, step)` positions; `options` is the
/// position of `dtype`.
fn arange_impl(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    start: Option<usize>,
    end: usize,
    step: Option<usize>,
    options: usize,
) -> Result<Vec<IValue>> {
    let get = |i: Option<usize>, default: i64| -> Result<IValue> {
        Ok(match i {
            Some(i) => a.values.get(i).cloned().unwrap_or(IValue::None),
            None => IValue::Int(default),
        })
    };
    let (s, e, st) = (get(start, 0)?, get(Some(end), 0)?, get(step, 1)?);
    let all_int = [&s, &e, &st]
        .iter()
        .all(|v| matches!(v, IValue::Int(_) | IValue::Bool(_)));
    let fallback = if all_int {
        DType::Int64
    } else {
        ctx.default_dtype
    };
    let dtype = options_dtype(ctx, a, options, options + 1, fallback)?;
    if dtype == DType::Bool {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: "\"arange_cpu\" not implemented for 'Bool'".into(),
        });
    }
    if let (IValue::Int(s), IValue::Int(e), IValue::Int(st)) = (&s, &e, &st)
        && dtype.is_integral(false)
    {
        return arange_int(ctx, *s, *e, *st, dtype);
    }
    let scalar = |v: &IValue| match v {
        IValue::Int(i) => *i as f64,
        IValue::Float(x) => *x,
        IValue::Bool(b) => f64::from(u8::from(*b)),
        _ => f64::NAN,
    };
    let (s, e, st) = (scalar(&s), scalar(&e), scalar(&st));
    let n = arange_len(ctx, s, e, st)?;
    let shape = [n as i64];
    let out = ctx.output(&shape, &[1], dtype, || {
        Ok((0..n).map(|i| s + st * i as f64).collect())
    })?;
    Ok(vec![out.into()])
}

/// `arange` of Python ints into an integer dtype, in exact integer
/// arithmetic as ATen's (its length `(end - start + step - sign(step)) /
/// step`, its elements `start + i * step`): bounds beyond 2^53 keep their
/// length and values.
fn arange_int(
    ctx: &KernelCtx<'_>,
    start: i64,
    end: i64,
    step: i64,
    dtype: DType,
) -> Result<Vec<IValue>> {
    if step == 0 {
        return Err(RuntimeError::shape(ctx.op, "step must be nonzero"));
    }
    if (step > 0 && end < start) || (step < 0 && end > start) {
        return Err(RuntimeError::shape(
            ctx.op,
            "upper bound and lower bound inconsistent with step sign",
        ));
    }
    let (s, e, st) = (i128::from(start), i128::from(end), i128::from(step));
    let len = (e - s + st - st.signum()) / st;
    let n = usize::try_from(len.max(0))
        .map_err(|_| RuntimeError::shape(ctx.op, "invalid size, possible overflow?"))?;
    let out = ctx.output_i64(&[n as i64], &[1], dtype, || {
        Ok((0..n)
            .map(|i| start.wrapping_add(step.wrapping_mul(i as i64)))
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// A tensor of `dtype` filled with the `Scalar` argument `i`: a Python int
/// fills an integer dtype exactly (int64 beyond 2^53 included), a value
/// the dtype cannot hold is refused as PyTorch refuses it.
fn filled_arg(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    i: usize,
    shape: &[i64],
    strides: &[i64],
    dtype: DType,
) -> Result<crate::tensor::Tensor> {
    if dtype.is_integral(false) {
        // PyTorch's Scalar::to<scalar_t>(): exact, truncated, or refused
        let v = a.int_scalar(ctx.op, i, dtype)?;
        return ctx.output_i64(shape, strides, dtype, || {
            Ok(vec![v; crate::tensor::strides::numel(shape)])
        });
    }
    if let (Some(&IValue::Complex(re, im)), true) = (a.values.get(i), dtype.is_complex()) {
        return ctx.output(shape, strides, dtype, || {
            Ok([re, im].repeat(crate::tensor::strides::numel(shape)))
        });
    }
    filled(ctx, shape, strides, dtype, a.scalar(i)?)
}

/// `arange(end, *, dtype, layout, device, pin_memory)`.
pub(crate) fn arange(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    arange_impl(ctx, &a, None, 0, None, 1)
}

/// `arange.start(start, end, *, dtype, layout, device, pin_memory)`.
pub(crate) fn arange_start(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    arange_impl(ctx, &a, Some(0), 1, None, 2)
}

/// `arange.start_step(start, end, step=1, *, dtype, layout, device, pin_memory)`.
pub(crate) fn arange_start_step(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    arange_impl(ctx, &a, Some(0), 1, Some(2), 3)
}

/// `full(size, fill_value, *, dtype, layout, device, pin_memory)`.
pub(crate) fn full(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, &a, 0)?;
    let fallback = number_dtype(ctx, a.values.get(1));
    let dtype = options_dtype(ctx, &a, 2, 3, fallback)?;
    Ok(vec![
        filled_arg(ctx, &a, 1, &size, &contiguous_strides(&size), dtype)?.into(),
    ])
}

/// `full_like(self, fill_value, *, dtype, layout, device, pin_memory, memory_format)`.
pub(crate) fn full_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let dtype = options_dtype(ctx, &a, 2, 3, this.dtype())?;
    let strides = like_strides(ctx, this, a.opt_memory_format(6)?)?;
    Ok(vec![
        filled_arg(ctx, &a, 1, this.shape(), &strides, dtype)?.into(),
    ])
}

/// `new_zeros` / `new_ones` / `new_empty(self, size, *, dtype, layout,
/// device, pin_memory)` filled with `value`.
fn new_filled(ctx: &KernelCtx<'_>, a: &Args<'_>, value: f64) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let size = size_arg(ctx, a, 1)?;
    let dtype = options_dtype(ctx, a, 2, 3, this.dtype())?;
    Ok(vec![
        filled(ctx, &size, &contiguous_strides(&size), dtype, value)?.into(),
    ])
}

/// `new_zeros(self, size, *, dtype, layout, device, pin_memory)`.
pub(crate) fn new_zeros(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    new_filled(ctx, &a, 0.0)
}

/// `new_ones(self, size, *, dtype, layout, device, pin_memory)`.
pub(crate) fn new_ones(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    new_filled(ctx, &a, 1.0)
}

/// `new_empty(self, size, *, dtype, layout, device, pin_memory)`: zeros
/// (PyTorch's memory is uninitialised; traces never record it).
pub(crate) fn new_empty(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    new_filled(ctx, &a, 0.0)
}

/// `new_full(self, size, fill_value, *, dtype, layout, device, pin_memory)`.
pub(crate) fn new_full(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let size = size_arg(ctx, &a, 1)?;
    let dtype = options_dtype(ctx, &a, 3, 4, this.dtype())?;
    Ok(vec![
        filled_arg(ctx, &a, 2, &size, &contiguous_strides(&size), dtype)?.into(),
    ])
}

/// `scalar_tensor(s, *, dtype, layout, device, pin_memory)`: a 0-dim
/// tensor, the default dtype unless `dtype` is given (whatever `s` is).
pub(crate) fn scalar_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let dtype = options_dtype(ctx, &a, 1, 2, ctx.default_dtype)?;
    Ok(vec![filled_arg(ctx, &a, 0, &[], &[], dtype)?.into()])
}

/// `lift_fresh(self)`: `torch.tensor(...)` hands its freshly built tensor
/// through this identity; the result is `self` itself.
pub(crate) fn lift_fresh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    Ok(vec![this.clone().into()])
}

/// The `n` x `m` identity of `dtype`, contiguous; negative sizes are
/// refused with PyTorch's message.
fn eye_tensor(ctx: &KernelCtx<'_>, n: i64, m: i64, dtype: DType) -> Result<Tensor> {
    for (name, v) in [("n", n), ("m", m)] {
        if v < 0 {
            return Err(RuntimeError::shape(
                ctx.op,
                format!("{name} must be greater or equal to 0, got {v}"),
            ));
        }
    }
    let shape = [n, m];
    // Fault `eye-out-shifted-diagonal`: the ones one column to the right.
    let shift = i64::from(ctx.faults.eye_out_shifted_diagonal && ctx.op.ends_with("out"));
    ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        Ok((0..n * m)
            .map(|i| f64::from(u8::from(i / m.max(1) + shift == i % m.max(1))))
            .collect())
    })
}

fn eye_impl(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    n: i64,
    m: i64,
    options: usize,
) -> Result<Vec<IValue>> {
    let dtype = options_dtype(ctx, a, options, options + 1, ctx.default_dtype)?;
    Ok(vec![eye_tensor(ctx, n, m, dtype)?.into()])
}

/// `eye.out` / `eye.m_out` (what `nn.init.eye_` and `torch.eye(n,
/// out=buf)` call): the identity in `out`'s dtype, written as PyTorch's
/// `eye_out_cpu` does: `out` resized to `[n, m]` when its shape differs
/// (contiguous, same storage), otherwise zeroed and given its ones through
/// its own strides (a transposed buffer stays transposed).
fn eye_into(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    n: i64,
    m: i64,
    index: usize,
) -> Result<Vec<IValue>> {
    let out = a.tensor(index)?;
    ctx.check(out, "out")?;
    let result = eye_tensor(ctx, n, m, out.dtype())?;
    let written = crate::kernels::out_variant::write_result(ctx, index, out, &result)?;
    Ok(vec![written.into()])
}

/// `eye.out(n, *, out)`.
pub(crate) fn eye_out(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let n = a.int(0)?;
    eye_into(ctx, &a, n, n, 1)
}

/// `eye.m_out(n, m, *, out)`.
pub(crate) fn eye_m_out(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    eye_into(ctx, &a, a.int(0)?, a.int(1)?, 2)
}

/// `eye(n, *, dtype, layout, device, pin_memory)`.
pub(crate) fn eye(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let n = a.int(0)?;
    eye_impl(ctx, &a, n, n, 1)
}

/// `eye.m(n, m, *, dtype, layout, device, pin_memory)`.
pub(crate) fn eye_m(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    eye_impl(ctx, &a, a.int(0)?, a.int(1)?, 2)
}
