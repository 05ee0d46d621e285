//! Building complex tensors from real ones and taking them apart:
//! `polar(abs, angle)`, `complex(real, imag)`, `angle(self)`.

use super::{KernelCtx, arith::angle_of, check_float_parts};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::pointwise::broadcast;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// Two real operands, the result's shape and strides, and its dtype.
type Pair<'a> = (&'a Tensor, &'a Tensor, Vec<i64>, Vec<i64>, DType);

/// The two real operands of `polar`/`complex`: float32 or float64 of one
/// dtype (PyTorch's messages), broadcast; the result's geometry and dtype.
fn real_pair<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>) -> Result<Pair<'a>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "other")?;
    let floating = |d: DType| matches!(d, DType::Float16 | DType::Float32 | DType::Float64);
    if !floating(x.dtype()) || !floating(y.dtype()) {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!(
                "Expected both inputs to be Half, Float or Double tensors but got {} and {}",
                x.dtype().scalar_type_name(),
                y.dtype().scalar_type_name()
            ),
        ));
    }
    if x.dtype() != y.dtype() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "Expected object of scalar type {} but got scalar type {} for second argument",
                x.dtype().scalar_type_name(),
                y.dtype().scalar_type_name()
            ),
        });
    }
    check_float_parts(ctx.op, x, "complex")?;
    let (gx, gy) = ((x.shape(), x.stride()), (y.shape(), y.stride()));
    let shape = broadcast(ctx.op, &gx, &gy)?;
    let strides = output_strides(&shape, &[gx, gy]);
    let dtype = x.dtype().to_complex().unwrap_or(DType::Complex64);
    Ok((x, y, shape, strides, dtype))
}

/// A complex result whose parts are `f(x, y)` of two real operands.
fn from_pair(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(f64, f64) -> [f64; 2],
) -> Result<Vec<IValue>> {
    let (x, y, shape, strides, dtype) = real_pair(ctx, a)?;
    let out = ctx.output(&shape, &strides, dtype, || {
        let xs = read_broadcast(ctx.op, x, &shape)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        Ok(xs.iter().zip(&ys).flat_map(|(&x, &y)| f(x, y)).collect())
    })?;
    Ok(vec![out.into()])
}

/// `polar(abs, angle)`: `abs·cos(angle) + abs·sin(angle)i`.
pub(crate) fn polar(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    from_pair(ctx, &a, |r, theta| [r * theta.cos(), r * theta.sin()])
}

/// `complex(real, imag)`.
pub(crate) fn complex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    from_pair(ctx, &a, |re, im| [re, im])
}

/// `angle(self)`: `atan2(imag, real)` of a complex tensor (real result);
/// of a real one, π for negative values and 0 otherwise (NaN stays NaN),
/// integers giving the default float dtype.
///
/// A real input's result follows its layout (TensorIterator); a complex
/// input's result is contiguous whatever its layout, since PyTorch computes
/// the complex angle into a complex buffer and copies its real part into an
/// empty result resized to the shape (an `stft` spectrum's angle is
/// contiguous although the spectrum is frequency-major in memory).
pub(crate) fn angle(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    let out = if t.dtype().is_complex() {
        let strides = if ctx.faults.complex_angle_keeps_layout {
            strides
        } else {
            contiguous_strides(t.shape())
        };
        ctx.output(t.shape(), &strides, t.dtype().to_real(), || {
            Ok(t.read_f64(ctx.op)?
                .chunks_exact(2)
                .map(|x| angle_of((x[0], x[1])))
                .collect())
        })?
    } else {
        let dtype = if t.dtype().is_floating() {
            t.dtype()
        } else {
            ctx.default_dtype
        };
        ctx.output(t.shape(), &strides, dtype, || {
            Ok(t.read_f64(ctx.op)?
                .into_iter()
                .map(|v| match v {
                    v if v.is_nan() => v,
                    v if v < 0.0 => std::f64::consts::PI,
                    _ => 0.0,
                })
                .collect())
        })?
    };
    Ok(vec![out.into()])
}
