//! `_fused_moving_avg_obs_fq_helper`: the observer and fake quantization of
//! `torch.ao.quantization.FusedMovingAvgObsFakeQuantize` (the default QAT
//! qconfig's, `get_default_qat_qconfig("fbgemm")`) in one operator, which
//! `torch.fused_moving_avg_obs_fake_quant` reaches.
//!
//! As ATen's CPU kernel (`FusedObsFakeQuant.cpp`, torch 2.15), for float32
//! inputs:
//! 1. per channel (`per_row_fake_quant`), an empty `running_min` is first
//!    resized to the channel count and filled with `+inf` (`running_max`:
//!    `-inf`); `scale` and `zero_point` are resized too;
//! 2. with `observer_on`, the input's minimum and maximum (per row of the
//!    input with `ch_axis` first, flattened; per channel only on axis 0)
//!    update the running ones in float: `r + c·(x − r)`, or `x` while `r`
//!    is infinite;
//! 3. with `fake_quant_on`, fbgemm's `ChooseQuantizationParams` turns each
//!    running pair into a float scale and an integer zero point, written
//!    into `scale`/`zero_point`, and the input is fake-quantized per tensor
//!    (`_fake_quantize_per_tensor_affine_cachemask_tensor_qparams`) or per
//!    channel (`fake_quantize_per_channel_affine_cachemask`); without it the
//!    output is a copy of the input and the mask all true.
//!
//! `running_min`, `running_max`, `scale` and `zero_point` are written in
//! place without a version bump (the kernel writes through data pointers,
//! and its element assignments run below ADInplaceOrView under a dispatch
//! mode). A resized argument gets a new handle on a new storage: the same
//! tensor (trace identity, version counter, autograd state) the caller
//! binds in place of the old one ([`KernelCtx::resized`]).

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::set::reseated;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

use super::fake_quantize::{
    TENSOR_KERNEL, check_dtype, check_range, outputs, per_channel, per_tensor_outputs, values,
};

type Out = Result<Vec<IValue>>;

/// fbgemm's cutoff for a small scale: float16's smallest normal.
const SMALL_SCALE_THRESHOLD: f32 = 6.1e-5;

/// fbgemm's `ChooseQuantizationParams(min, max, qmin, qmax,
/// preserve_sparsity, force_scale_power_of_two = false)`: `(scale,
/// zero_point)`. The interval is widened to hold 0 (symmetric around it
/// with `preserve_sparsity`); the scale is computed in double and rounded
/// to float, 0.1 when it is 0 or its reciprocal overflows, and at least
/// [`SMALL_SCALE_THRESHOLD`] (the interval scaled with it); the zero point
/// comes from whichever end has the smaller `|q| − |r / scale|` (in
/// double), the midpoint of the range with `preserve_sparsity`, clamped to
/// the range and rounded to even.
pub(crate) fn choose_qparams(
    min: f32,
    max: f32,
    (qmin, qmax): (i32, i32),
    preserve_sparsity: bool,
) -> (f32, i32) {
    let (mut min, mut max) = (min, max);
    if min < 0.0 && max > 0.0 && preserve_sparsity {
        let symmetric_qmin = -((qmax - qmin) / 2 + 1);
        let symmetric_qmax = (qmax - qmin) / 2;
        let max_scale = f64::from(
            (min / symmetric_qmin as f32)
                .abs()
                .max((max / symmetric_qmax as f32).abs()),
        );
        min = (max_scale * f64::from(symmetric_qmin)) as f32;
        max = (max_scale * f64::from(symmetric_qmax)) as f32;
    }
    // std::min(min, 0.f) and std::max(max, 0.f): a NaN stays.
    if 0.0 < min {
        min = 0.0;
    }
    if max < 0.0 {
        max = 0.0;
    }
    let levels = qmax - qmin;
    let mut scale = ((f64::from(max) - f64::from(min)) / f64::from(levels)) as f32;
    if scale == 0.0 || (1.0 / scale).is_infinite() {
        scale = 0.1;
    }
    if scale < SMALL_SCALE_THRESHOLD {
        let original = scale;
        scale = SMALL_SCALE_THRESHOLD;
        if min == 0.0 {
            max = SMALL_SCALE_THRESHOLD * levels as f32;
        } else if max == 0.0 {
            min = -SMALL_SCALE_THRESHOLD * levels as f32;
        } else {
            let amplifier = SMALL_SCALE_THRESHOLD / original;
            min *= amplifier;
            max *= amplifier;
        }
    }
    let s = f64::from(scale);
    let (lo, hi) = (f64::from(min) / s, f64::from(max) / s);
    let from_min = f64::from(qmin) - lo;
    let from_max = f64::from(qmax) - hi;
    let from_min_error = f64::from(qmin.abs()) - lo.abs();
    let from_max_error = f64::from(qmax.abs()) - hi.abs();
    let mut initial = if from_min_error < from_max_error {
        from_min
    } else {
        from_max
    };
    if min < 0.0 && max > 0.0 && preserve_sparsity {
        initial = f64::from(qmin + qmax) / 2.0;
    }
    let zero_point = if initial < f64::from(qmin) {
        qmin
    } else if initial > f64::from(qmax) {
        qmax
    } else {
        initial.round_ties_even() as i32
    };
    (scale, zero_point)
}

/// Minimum and maximum of `values` as `aminmax` gives them: NaN wins.
fn aminmax(values: &[f32]) -> (f32, f32) {
    values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            if v.is_nan() || lo.is_nan() {
                (f32::NAN, f32::NAN)
            } else {
                (lo.min(v), hi.max(v))
            }
        })
}

/// The moving average of one running extremum (float arithmetic).
fn moving(running: f32, current: f32, averaging_const: f32) -> f32 {
    if running.is_infinite() {
        current
    } else {
        running + averaging_const * (current - running)
    }
}

/// A one-element tensor argument read as an integer (`.item().toInt()`).
fn flag(ctx: &KernelCtx<'_>, t: &Tensor, name: &str) -> Result<bool> {
    match values(ctx, t)?.as_slice() {
        [v] => Ok(*v != 0.0),
        [] if !ctx.has_data() => Ok(true),
        other => Err(RuntimeError::shape(
            ctx.op,
            format!(
                "a Tensor with {} elements cannot be converted to Scalar ({name})",
                other.len()
            ),
        )),
    }
}

/// `t` resized in place to `[size]` (`resize_`: the elements it had kept,
/// the new ones `fill`): its new handle, which the caller binds.
fn resized(
    ctx: &mut KernelCtx<'_>,
    index: usize,
    t: &Tensor,
    size: i64,
    fill: f64,
) -> Result<Tensor> {
    let mut kept = values(ctx, t)?;
    kept.resize(size.max(0) as usize, fill);
    let fresh = ctx.output(&[size], &[1], t.dtype(), || Ok(kept))?;
    // PyTorch grows the storage in place: the same storage in the stream.
    fresh.0.storage.trace.assume(&t.0.storage.trace);
    let handle = reseated(t, &fresh);
    ctx.resized.push((index, handle.clone()));
    Ok(handle)
}

/// `_fused_moving_avg_obs_fq_helper(self, observer_on, fake_quant_on,
/// running_min!, running_max!, scale!, zero_point!, averaging_const,
/// quant_min, quant_max, ch_axis, per_row_fake_quant=False,
/// symmetric_quant=False) -> (output, mask)`.
pub(crate) fn fused_moving_avg_obs_fq_helper(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let x = a.tensor(0)?;
    let (observer_on, fake_quant_on) = (a.tensor(1)?, a.tensor(2)?);
    let mut running_min = a.tensor(3)?.clone();
    let mut running_max = a.tensor(4)?.clone();
    let mut scale = a.tensor(5)?.clone();
    let mut zero_point = a.tensor(6)?.clone();
    let averaging_const = a.scalar(7)? as f32;
    let (qmin, qmax, ch_axis) = (a.int(8)?, a.int(9)?, a.int(10)?);
    let (per_row, symmetric) = (a.bool(11)?, a.bool(12)?);
    check_dtype(ctx, x, TENSOR_KERNEL)?;
    let rank = x.shape().len() as i64;
    if ch_axis >= rank {
        return Err(RuntimeError::shape(
            ctx.op,
            "Error in fused_moving_avg_obs_fake_quant_cpu: ch_axis must be < self.dim()",
        ));
    }
    for (t, name) in [
        (&running_min, "running_min"),
        (&running_max, "running_max"),
        (&scale, "scale"),
    ] {
        if t.dtype() != DType::Float32 {
            return Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: format!(
                    "expected scalar type Float but found {} ({name})",
                    t.dtype().scalar_type_name()
                ),
            });
        }
    }
    if x.dtype() != DType::Float32 {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "expected scalar type Float but found {}",
                x.dtype().scalar_type_name()
            ),
        });
    }
    let observe = flag(ctx, observer_on, "observer_on")?;
    let xs: Vec<f32> = values(ctx, x)?.into_iter().map(|v| v as f32).collect();
    // The extrema of this call: per row of `self` with `ch_axis` first
    // (per channel) or of the whole input.
    let mut current: Option<Vec<(f32, f32)>> = None;
    if per_row {
        let size = x.shape().get(ch_axis.max(0) as usize).copied().unwrap_or(1);
        if running_min.numel() == 0 {
            running_min = resized(ctx, 3, &running_min, size, f64::INFINITY)?;
            running_max = resized(ctx, 4, &running_max, size, f64::NEG_INFINITY)?;
            scale = resized(ctx, 5, &scale, size, 0.0)?;
            zero_point = resized(ctx, 6, &zero_point, size, 0.0)?;
        }
        if observe {
            if ch_axis != 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    "Per-channel FakeQuant in fused_moving_avg_obs_fake_quant is only supported on axis == 0",
                ));
            }
            let row = if size > 0 {
                xs.len() / size as usize
            } else {
                0
            };
            current = Some(
                (0..size.max(0) as usize)
                    .map(|r| aminmax(&xs[r * row..(r + 1) * row]))
                    .collect(),
            );
        }
    } else if observe {
        if xs.is_empty() && ctx.has_data() {
            return Err(RuntimeError::shape(
                ctx.op,
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.",
            ));
        }
        current = Some(vec![aminmax(&xs)]);
    }
    if let Some(current) = current.filter(|_| ctx.has_data()) {
        let (mins, maxs) = (values(ctx, &running_min)?, values(ctx, &running_max)?);
        if mins.len() != current.len() || maxs.len() != current.len() {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "running_min and running_max hold {} and {} values for {} observed",
                    mins.len(),
                    maxs.len(),
                    current.len()
                ),
            ));
        }
        let skip = ctx.faults.fused_observer_skips_average;
        let c = if skip { 1.0 } else { averaging_const };
        let new_min: Vec<f64> = mins
            .iter()
            .zip(&current)
            .map(|(&r, &(lo, _))| f64::from(moving(r as f32, lo, c)))
            .collect();
        let new_max: Vec<f64> = maxs
            .iter()
            .zip(&current)
            .map(|(&r, &(_, hi))| f64::from(moving(r as f32, hi, c)))
            .collect();
        ctx.write(&running_min, || Ok(new_min))?;
        ctx.write(&running_max, || Ok(new_max))?;
    }
    if !flag(ctx, fake_quant_on, "fake_quant_on")? {
        let copy = values(ctx, x)?.into_iter().map(|v| (v, true)).collect();
        return outputs(ctx, x, copy);
    }
    let (qmin32, qmax32) = (
        i32::try_from(qmin)
            .map_err(|_| RuntimeError::shape(ctx.op, "quant_min out of int range"))?,
        i32::try_from(qmax)
            .map_err(|_| RuntimeError::shape(ctx.op, "quant_max out of int range"))?,
    );
    let (mins, maxs) = (values(ctx, &running_min)?, values(ctx, &running_max)?);
    let params: Vec<(f32, i32)> = mins
        .iter()
        .zip(&maxs)
        .map(|(&lo, &hi)| choose_qparams(lo as f32, hi as f32, (qmin32, qmax32), symmetric))
        .collect();
    if per_row {
        if scale.numel() < params.len() || zero_point.numel() < params.len() {
            return Err(RuntimeError::shape(
                ctx.op,
                "scale and zero_point hold fewer values than the running extrema",
            ));
        }
        let (mut scales, mut zps) = (values(ctx, &scale)?, values(ctx, &zero_point)?);
        for (i, &(s, z)) in params.iter().enumerate() {
            scales[i] = f64::from(s);
            zps[i] = f64::from(z);
        }
        ctx.write(&scale, || Ok(scales))?;
        ctx.write(&zero_point, || Ok(zps))?;
        return per_channel(ctx, x, (&scale, &zero_point), ch_axis, (qmin, qmax));
    }
    let &(s, z) = params
        .first()
        .ok_or_else(|| RuntimeError::shape(ctx.op, "running_min holds no value"))?;
    if ctx.has_data() {
        let (mut scales, mut zps) = (values(ctx, &scale)?, values(ctx, &zero_point)?);
        match (scales.first_mut(), zps.first_mut()) {
            (Some(first_scale), Some(first_zp)) => {
                *first_scale = f64::from(s);
                *first_zp = f64::from(z);
            }
            _ => {
                return Err(RuntimeError::shape(
                    ctx.op,
                    "scale and zero_point must hold a value",
                ));
            }
        }
        ctx.write(&scale, || Ok(scales))?;
        ctx.write(&zero_point, || Ok(zps))?;
    }
    check_range(ctx, qmin, qmax, &[])?;
    per_tensor_outputs(ctx, x, s, (i64::from(z), qmin, qmax))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(min: f32, max: f32, range: (i32, i32), symmetric: bool) -> (f32, i32) {
        choose_qparams(min, max, range, symmetric)
    }

    #[test]
    fn qparams_widen_to_zero_and_pick_the_closer_end() {
        // [0.5, 2.55] widened to [0, 2.55]: scale 2.55 / 255 (in double,
        // rounded to float), zero point 0.
        let top = f64::from(2.55f32);
        assert_eq!(
            choose(0.5, 2.55, (0, 255), false),
            ((top / 255.0) as f32, 0)
        );
        // [-0.5, 1.5] over 0..255: scale 2/255; from the minimum 0 + 63.75
        // (error 0 - 63.75 beats 255 - 191.25), rounded to 64.
        let (scale, zp) = choose(-0.5, 1.5, (0, 255), false);
        assert_eq!(scale, (2.0f64 / 255.0) as f32);
        assert_eq!(zp, 64);
        // Symmetric: the range's midpoint.
        assert_eq!(choose(-1.0, 3.0, (-128, 127), true).1, 0);
    }

    #[test]
    fn qparams_guard_zero_and_tiny_scales() {
        assert_eq!(choose(0.0, 0.0, (0, 127), false), (0.1, 0));
        let (scale, zp) = choose(0.0, 1e-6, (0, 255), false);
        assert_eq!((scale, zp), (SMALL_SCALE_THRESHOLD, 0));
        // A NaN extremum gives a NaN scale, as fbgemm computes it.
        assert!(choose(f32::NAN, 1.0, (0, 255), false).0.is_nan());
    }

    #[test]
    fn moving_average_starts_from_the_first_observation() {
        assert_eq!(moving(f32::INFINITY, -2.0, 0.01), -2.0);
        assert_eq!(moving(-2.0, -1.0, 0.5), -1.5);
        let (lo, hi) = aminmax(&[3.0, -1.0, 2.0]);
        assert_eq!((lo, hi), (-1.0, 3.0));
        assert!(aminmax(&[1.0, f32::NAN]).0.is_nan());
    }
}
