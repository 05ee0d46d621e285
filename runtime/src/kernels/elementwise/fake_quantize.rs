//! Fake quantization (quantization-aware training): the `*_cachemask`
//! operators that `torch.fake_quantize_per_tensor_affine`,
//! `torch.fake_quantize_per_channel_affine` and `torch.ao.quantization`'s
//! `FakeQuantize` modules reach. Each returns the fake-quantized tensor and
//! a bool mask of the elements that fell inside `[quant_min, quant_max]`,
//! which the backward multiplies the gradient by (a straight-through
//! estimator).
//!
//! As ATen's CPU kernels (`QuantizedOpKernels.cpp`, torch 2.15), for float32
//! and float64 inputs:
//! * per tensor: `inv = 1/scale` in float; `q = zp + nearbyint(x * inv)`
//!   in the input's precision (float: the integer zero point converted to
//!   float); the mask is `qmin <= q <= qmax`; the output is
//!   `(clamp(q, qmin, qmax) as int64 - zp) * scale`, an integer times a
//!   float in float — float64 inputs get that float product too. NaN clamps
//!   to `qmin`.
//! * per channel, integer zero points: `q = int64(zp + nearbyint(x * inv))`
//!   (a cast C++ leaves undefined out of range; x86 gives `i64::MIN`, so NaN
//!   and infinities land on `qmin`), the mask from that `q`, the output
//!   `(clamp(q) - zp) * scale` in double, rounded to the input's dtype.
//! * per channel, float zero points: `q = lrintf(zp + x * inv)` (a sum with
//!   a float64 operand rounded to float first), the rest as with integer
//!   zero points.
//!
//! `fake_quant_enabled == 0` (the tensor-qparams variant) copies the input
//! and sets every mask element. Argument checks raise PyTorch's messages;
//! half and bfloat16 inputs, which PyTorch computes, are refused.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::output_strides;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::x86_truncate;

type Out = Result<Vec<IValue>>;

/// x86's result for a float-to-int64 conversion C++ leaves undefined (NaN,
/// infinities, values beyond the range): the "integer indefinite" `i64::MIN`.
fn cvt_i64(v: f64) -> i64 {
    x86_truncate(v, 63)
}

/// `nearbyint` in the default rounding mode: ties to even. The
/// `fake-quant-rounds-half-away` fault rounds ties away from zero instead.
#[derive(Clone, Copy)]
struct Rounding {
    half_away: bool,
}

impl Rounding {
    fn of(ctx: &KernelCtx<'_>) -> Rounding {
        Rounding {
            half_away: ctx.faults.fake_quant_rounds_half_away,
        }
    }

    fn f32(self, v: f32) -> f32 {
        if self.half_away {
            v.round()
        } else {
            v.round_ties_even()
        }
    }

    fn f64(self, v: f64) -> f64 {
        if self.half_away {
            v.round()
        } else {
            v.round_ties_even()
        }
    }
}

/// `fmin(fmax(q, qmin), qmax)` in double: NaN gives `qmin`.
fn clamp_q(q: f64, qmin: i64, qmax: i64) -> f64 {
    q.max(qmin as f64).min(qmax as f64)
}

/// Refuses what the kernels do not compute: PyTorch's message for the
/// dtypes its kernel does not dispatch (`dispatch_name`), and half and
/// bfloat16, which PyTorch computes and the runtime does not.
pub(super) fn check_dtype(ctx: &KernelCtx<'_>, t: &Tensor, dispatch_name: &str) -> Result<()> {
    ctx.check(t, "self")?;
    match t.dtype() {
        DType::Float32 | DType::Float64 => Ok(()),
        DType::Float16 | DType::BFloat16 => Err(RuntimeError::UnsupportedDtype {
            op: ctx.op.to_owned(),
            arg: "self".into(),
            dtype: t.dtype().scalar_type_name().into(),
        }),
        other => Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"{dispatch_name}\" not implemented for '{}'",
                other.scalar_type_name()
            ),
        }),
    }
}

/// PyTorch's checks of the quantization range and an integer zero point.
pub(super) fn check_range(
    ctx: &KernelCtx<'_>,
    qmin: i64,
    qmax: i64,
    zero_points: &[i64],
) -> Result<()> {
    if qmin > qmax {
        // The source's line continuation puts nine spaces in the message.
        return Err(RuntimeError::shape(
            ctx.op,
            "`quant_min` should be less than or         equal to `quant_max`.",
        ));
    }
    if zero_points.iter().any(|&z| z < qmin || z > qmax) {
        return Err(RuntimeError::shape(
            ctx.op,
            "`zero_point` must be between `quant_min` and `quant_max`.",
        ));
    }
    Ok(())
}

/// The per-tensor formula for one element: `(output, in range)`.
fn per_tensor(
    round: Rounding,
    x: f64,
    float32: bool,
    scale: f32,
    (zp, qmin, qmax): (i64, i64, i64),
) -> (f64, bool) {
    let inv = 1.0f32 / scale;
    let q = if float32 {
        f64::from(zp as f32 + round.f32(x as f32 * inv))
    } else {
        zp as f64 + round.f64(x * f64::from(inv))
    };
    let (lo, hi) = if float32 {
        (f64::from(qmin as f32), f64::from(qmax as f32))
    } else {
        (qmin as f64, qmax as f64)
    };
    let clamped = cvt_i64(clamp_q(q, qmin, qmax));
    let out = (clamped.wrapping_sub(zp)) as f32 * scale;
    (f64::from(out), lo <= q && q <= hi)
}

/// Output and mask, laid out as the input (`empty_like`, preserve format).
pub(super) fn outputs(ctx: &KernelCtx<'_>, t: &Tensor, values: Vec<(f64, bool)>) -> Out {
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    let (out, mask): (Vec<f64>, Vec<f64>) = values
        .into_iter()
        .map(|(v, m)| (v, if m { 1.0 } else { 0.0 }))
        .unzip();
    let output = ctx.output(t.shape(), &strides, t.dtype(), || Ok(out))?;
    let mask = ctx.output(t.shape(), &strides, DType::Bool, || Ok(mask))?;
    Ok(vec![output.into(), mask.into()])
}

/// The elements of `t` in logical order (empty for a meta tensor).
pub(super) fn values(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Vec<f64>> {
    if ctx.has_data() {
        t.read_f64(ctx.op)
    } else {
        Ok(Vec::new())
    }
}

/// `fake_quantize_per_tensor_affine_cachemask(self, scale, zero_point,
/// quant_min, quant_max) -> (output, mask)`.
pub(crate) fn per_tensor_cachemask(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    check_dtype(ctx, t, TENSOR_KERNEL)?;
    let scale = a.scalar(1)? as f32;
    let (zp, qmin, qmax) = (a.int(2)?, a.int(3)?, a.int(4)?);
    check_range(ctx, qmin, qmax, &[zp])?;
    per_tensor_outputs(ctx, t, scale, (zp, qmin, qmax))
}

/// The per-tensor output and mask of `t` (a float32 or float64 tensor whose
/// range the caller checked).
pub(super) fn per_tensor_outputs(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    scale: f32,
    (zp, qmin, qmax): (i64, i64, i64),
) -> Out {
    let float32 = t.dtype() == DType::Float32;
    let round = Rounding::of(ctx);
    let computed = values(ctx, t)?
        .into_iter()
        .map(|x| per_tensor(round, x, float32, scale, (zp, qmin, qmax)))
        .collect();
    outputs(ctx, t, computed)
}

/// The single value of a one-element tensor argument.
fn single(ctx: &KernelCtx<'_>, t: &Tensor, name: &str) -> Result<f64> {
    match values(ctx, t)?.as_slice() {
        [v] => Ok(*v),
        [] if !ctx.has_data() => Ok(0.0),
        other => Err(RuntimeError::shape(
            ctx.op,
            format!("{name} must hold one element, not {}", other.len()),
        )),
    }
}

/// `_fake_quantize_per_tensor_affine_cachemask_tensor_qparams(self, scale,
/// zero_point, fake_quant_enabled, quant_min, quant_max) -> (output, mask)`.
pub(crate) fn per_tensor_cachemask_tensor_qparams(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    check_dtype(ctx, t, TENSOR_KERNEL)?;
    let scale = single(ctx, a.tensor(1)?, "scale")? as f32;
    let zp = cvt_i64(single(ctx, a.tensor(2)?, "zero_point")?);
    let enabled = cvt_i64(single(ctx, a.tensor(3)?, "fake_quant_enabled")?) != 0;
    let (qmin, qmax) = (a.int(4)?, a.int(5)?);
    // PyTorch checks only the range here, not the zero point.
    check_range(ctx, qmin, qmax, &[])?;
    let float32 = t.dtype() == DType::Float32;
    let round = Rounding::of(ctx);
    let computed = values(ctx, t)?
        .into_iter()
        .map(|x| {
            if enabled {
                per_tensor(round, x, float32, scale, (zp, qmin, qmax))
            } else {
                (x, true)
            }
        })
        .collect();
    outputs(ctx, t, computed)
}

/// The names PyTorch's kernels dispatch their dtypes under.
pub(super) const TENSOR_KERNEL: &str = "fake_quantize_tensor_cachemask_kernel_type_handling";
const CHANNEL_KERNEL: &str = "fake_quantize_channel_cachemask_cpu_type_handling";

/// `fake_quantize_per_channel_affine_cachemask`'s argument checks, in
/// PyTorch's order and with its messages.
fn check_channel_params(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    scale: &Tensor,
    zero_point: &Tensor,
    axis: i64,
    qmin: i64,
    qmax: i64,
) -> Result<()> {
    let fail = |message: String| Err(RuntimeError::shape(ctx.op, message));
    if !matches!(scale.dtype(), DType::Float32 | DType::BFloat16) {
        return fail(format!(
            "Scale must be Float or BFloat16, found {}",
            scale.dtype().scalar_type_name()
        ));
    }
    if !matches!(
        zero_point.dtype(),
        DType::Int32 | DType::Float32 | DType::Float16
    ) {
        return fail(format!(
            "Zero-point must be Int32, Float or Half, found {}",
            zero_point.dtype().scalar_type_name()
        ));
    }
    if scale.shape().len() != 1 {
        return fail("scale should be a 1-D tensor".into());
    }
    if zero_point.shape().len() != 1 {
        return fail("zero point should be a 1-D tensor".into());
    }
    if scale.numel() != zero_point.numel() {
        return fail("scale and zero-point need to have the same dimensions".into());
    }
    let rank = t.shape().len();
    let size = crate::tensor::strides::wrap_dim(axis, rank.max(1))
        .and_then(|d| t.shape().get(d))
        .ok_or_else(|| {
            let n = rank.max(1) as i64;
            RuntimeError::shape(
                ctx.op,
                format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {axis})",
                    -n,
                    n - 1
                ),
            )
        })?;
    if scale.numel() as i64 != *size {
        return fail(
            "dimensions of scale and zero-point are not consistent with input tensor".into(),
        );
    }
    let zero_points: Vec<i64> = if zero_point.dtype().is_floating() {
        Vec::new()
    } else {
        values(ctx, zero_point)?
            .into_iter()
            .map(|z| z as i64)
            .collect()
    };
    check_range(ctx, qmin, qmax, &zero_points)?;
    if axis < 0 || axis as usize >= t.shape().len().max(1) {
        return fail("`axis` must be between 0 and number of dimensions of input".into());
    }
    Ok(())
}

/// `fake_quantize_per_channel_affine_cachemask(self, scale, zero_point,
/// axis, quant_min, quant_max) -> (output, mask)`.
pub(crate) fn per_channel_cachemask(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let (scale_t, zp_t) = (a.tensor(1)?, a.tensor(2)?);
    let (axis, qmin, qmax) = (a.int(3)?, a.int(4)?, a.int(5)?);
    per_channel(ctx, t, (scale_t, zp_t), axis, (qmin, qmax))
}

/// `fake_quantize_per_channel_affine_cachemask(t, scale, zero_point, axis,
/// quant_min, quant_max)`: its checks, output and mask.
pub(super) fn per_channel(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    (scale_t, zp_t): (&Tensor, &Tensor),
    axis: i64,
    (qmin, qmax): (i64, i64),
) -> Out {
    check_channel_params(ctx, t, scale_t, zp_t, axis, qmin, qmax)?;
    check_dtype(ctx, t, CHANNEL_KERNEL)?;
    let axis = axis as usize;
    let channels = t.shape()[axis] as usize;
    let inner: usize = t.shape()[axis + 1..].iter().map(|&d| d as usize).product();
    let scales = values(ctx, scale_t)?;
    let zps = values(ctx, zp_t)?;
    let float_zp = zp_t.dtype().is_floating();
    let zp_float32 = zp_t.dtype() == DType::Float32;
    let float32 = t.dtype() == DType::Float32;
    let round = Rounding::of(ctx);
    let computed = values(ctx, t)?
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            let c = (i / inner.max(1)) % channels.max(1);
            let scale = scales[c] as f32;
            let inv = 1.0f32 / scale;
            let (q, zp) = if float_zp {
                let zp = zps[c];
                // float + float stays float; a float64 operand makes the
                // sum double, which lrintf takes as a float.
                let sum = if float32 && zp_float32 {
                    zp as f32 + x as f32 * inv
                } else if float32 {
                    (zp + f64::from(x as f32 * inv)) as f32
                } else {
                    (zp + x * f64::from(inv)) as f32
                };
                (cvt_i64(f64::from(round.f32(sum))), zp)
            } else {
                let zp = zps[c] as i32;
                let q = if float32 {
                    f64::from(zp as f32 + round.f32(x as f32 * inv))
                } else {
                    f64::from(zp) + round.f64(x * f64::from(inv))
                };
                (cvt_i64(q), f64::from(zp))
            };
            let out = (clamp_q(q as f64, qmin, qmax) - zp) * f64::from(scale);
            let out = if float32 { f64::from(out as f32) } else { out };
            (out, qmin <= q && q <= qmax)
        })
        .collect();
    outputs(ctx, t, computed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_tensor_rounds_half_to_even_and_clamps_nan_to_quant_min() {
        let even = Rounding { half_away: false };
        let q = |x: f64| per_tensor(even, x, true, 0.1, (0, -128, 127));
        assert_eq!(q(0.05).0, 0.0);
        assert_eq!(q(0.15), (f64::from(2.0f32 * 0.1f32), true));
        assert_eq!(q(12.75), (f64::from(127.0f32 * 0.1f32), false));
        assert_eq!(q(f64::NAN), (f64::from(-128.0f32 * 0.1f32), false));
        assert!(!q(f64::INFINITY).1);
        // float64 inputs still get the float product.
        let (out, _) = per_tensor(even, 1.0 / 3.0, false, 0.1, (0, -128, 127));
        assert_eq!(out, f64::from(3.0f32 * 0.1f32));
        // The fault moves a tie.
        let away = Rounding { half_away: true };
        assert_eq!(
            per_tensor(away, 0.05, true, 0.1, (0, -128, 127)).0,
            f64::from(0.1f32)
        );
    }

    #[test]
    fn undefined_conversions_give_the_integer_indefinite() {
        assert_eq!(cvt_i64(f64::NAN), i64::MIN);
        assert_eq!(cvt_i64(f64::INFINITY), i64::MIN);
        assert_eq!(cvt_i64(1e30), i64::MIN);
        assert_eq!(cvt_i64(-3.0), -3);
    }
}
