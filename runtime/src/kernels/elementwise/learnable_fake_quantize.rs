//! Learnable fake quantization per tensor (LSQ,
//! `torch.ao.quantization._learnable_fake_quantize`): the scale and zero
//! point are float tensors the optimizer trains.
//!
//! As ATen's CPU kernels (`FakeQuantPerTensorAffine.cpp`,
//! `QuantizedOpKernels.cpp`, torch 2.15), float32 only:
//! * forward: `scale[0]` as float; the zero point `nearbyint(zero_point[0])`
//!   clamped to the range (in float, then truncated to an integer); then
//!   `fake_quantize_per_tensor_affine`'s output (the cachemask kernel's);
//! * backward (`_fake_quantize_learnable_per_tensor_affine_backward`): the
//!   zero point is `zero_point[0] + 0.5` clamped and truncated; per element
//!   `q = nearbyint(zp + x·(1/scale))`; inside the range `dx = dy`,
//!   `dscale = dy·(xfq − x)·(1/scale)·grad_factor` (`xfq` the
//!   fake-quantized value) and `dzp = 0`; outside, `dx = 0`,
//!   `dscale = dy·(qmin − zp)` or `dy·(qmax − zp)` times `grad_factor` and
//!   `dzp = −dy·scale·grad_factor`, all in float; `dscale` and `dzp` are
//!   the sums over the elements, shaped `[1]`.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::output_strides;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

use super::fake_quantize::{TENSOR_KERNEL, check_dtype, check_range, per_tensor_outputs, values};

type Out = Result<Vec<IValue>>;

/// `zero_point[0]` as the kernels read it: rounded to even (forward) or
/// plus one half (backward), clamped to the range in float, truncated.
fn zero_point(ctx: &KernelCtx<'_>, t: &Tensor, range: (i64, i64), forward: bool) -> Result<i64> {
    let z = first(ctx, t, "zero_point")? as f32;
    let z = if forward {
        z.round_ties_even()
    } else {
        z + 0.5
    };
    let z = z.max(range.0 as f32).min(range.1 as f32);
    Ok(z as i64)
}

/// The first element of a tensor argument (`t[0].item<float>()`).
fn first(ctx: &KernelCtx<'_>, t: &Tensor, name: &str) -> Result<f64> {
    match values(ctx, t)?.first() {
        Some(&v) => Ok(v),
        None if !ctx.has_data() => Ok(1.0),
        None => Err(RuntimeError::shape(
            ctx.op,
            format!("index 0 is out of bounds for dimension 0 with size 0 ({name})"),
        )),
    }
}

/// `_fake_quantize_learnable_per_tensor_affine(self, scale, zero_point,
/// quant_min, quant_max, grad_factor=1.0) -> Tensor`.
pub(crate) fn learnable_per_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    check_dtype(ctx, t, TENSOR_KERNEL)?;
    let scale = first(ctx, a.tensor(1)?, "scale")? as f32;
    let (qmin, qmax) = (a.int(3)?, a.int(4)?);
    let zp = zero_point(ctx, a.tensor(2)?, (qmin, qmax), true)?;
    check_range(ctx, qmin, qmax, &[zp])?;
    let mut out = per_tensor_outputs(ctx, t, scale, (zp, qmin, qmax))?;
    out.truncate(1);
    Ok(out)
}

/// The gradients of one element: `(dx, dscale, dzero_point)`.
fn element_grads(
    x: f32,
    dy: f32,
    (scale, zp): (f32, i64),
    (qmin, qmax): (i64, i64),
    grad_factor: f32,
) -> (f32, f32, f32) {
    let inv = 1.0f32 / scale;
    let q = (zp as f32 + x * inv).round_ties_even() as i64;
    let inside = qmin <= q && q <= qmax;
    let dx = if inside { dy } else { 0.0 };
    let xfq = ((q.clamp(qmin, qmax) - zp) as f32) * scale;
    if inside {
        (dx, dy * (xfq - x) * inv * grad_factor, 0.0)
    } else {
        let edge = if q < qmin { qmin - zp } else { qmax - zp } as f32;
        (dx, (dy * edge) * grad_factor, -dy * scale * grad_factor)
    }
}

/// `_fake_quantize_learnable_per_tensor_affine_backward(grad, self, scale,
/// zero_point, quant_min, quant_max, grad_factor=1.0) -> (Tensor, Tensor,
/// Tensor)`.
pub(crate) fn learnable_per_tensor_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (dy, x, scale_t, zp_t) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.tensor(3)?);
    let (qmin, qmax) = (a.int(4)?, a.int(5)?);
    let grad_factor = a.scalar(6)? as f32;
    for (t, name) in [
        (dy, "dY"),
        (x, "X"),
        (scale_t, "scale"),
        (zp_t, "zero_point"),
    ] {
        if t.dtype() != DType::Float32 {
            return Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: format!(
                    "Expected {name} to be Float, found {}",
                    t.dtype().scalar_type_name()
                ),
            });
        }
    }
    let scale = first(ctx, scale_t, "scale")? as f32;
    let zp = zero_point(ctx, zp_t, (qmin, qmax), false)?;
    if x.numel() != dy.numel() {
        return Err(RuntimeError::shape(
            ctx.op,
            "`X` and `dY` are not the same size",
        ));
    }
    if !(qmin <= 0 && qmax >= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            "`quant_min` should be less than or         equal to `quant_max`, and the quantization range should include 0.",
        ));
    }
    if zp < qmin || zp > qmax {
        return Err(RuntimeError::shape(
            ctx.op,
            "`zero_point` must be between `quant_min` and `quant_max`.",
        ));
    }
    let (xs, dys) = (values(ctx, x)?, values(ctx, dy)?);
    let grads: Vec<(f32, f32, f32)> = xs
        .iter()
        .zip(&dys)
        .map(|(&xv, &g)| element_grads(xv as f32, g as f32, (scale, zp), (qmin, qmax), grad_factor))
        .collect();
    let strides = output_strides(x.shape(), &[(x.shape(), x.stride())]);
    let dx: Vec<f64> = grads.iter().map(|g| f64::from(g.0)).collect();
    let dx = ctx.output(x.shape(), &strides, DType::Float32, || Ok(dx))?;
    // The sums of the per-element vectors (float32 tensors), shaped [1].
    let sum = |pick: fn(&(f32, f32, f32)) -> f32| -> f64 {
        f64::from(grads.iter().map(|g| f64::from(pick(g))).sum::<f64>() as f32)
    };
    let (dscale, dzp) = (sum(|g| g.1), sum(|g| g.2));
    let dscale = ctx.output(&[1], &[1], DType::Float32, || Ok(vec![dscale]))?;
    let dzp = ctx.output(&[1], &[1], DType::Float32, || Ok(vec![dzp]))?;
    Ok(vec![dx.into(), dscale.into(), dzp.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_inside_and_outside_the_range() {
        // scale 0.5, zero point 2, range 0..7: x = 1.2 -> q = nearbyint(2 + 2.4) = 4,
        // inside: dx = dy, dscale = dy (xfq - x) / scale = (1.0 - 1.2) * 2.
        let (dx, ds, dz) = element_grads(1.2, 1.0, (0.5, 2), (0, 7), 1.0);
        assert_eq!((dx, dz), (1.0, 0.0));
        assert!((ds - (1.0f32 - 1.2) * 2.0).abs() < 1e-6);
        // x = 10 -> q = 22 > 7: dx = 0, dscale = dy (qmax - zp), dzp = -dy scale.
        assert_eq!(
            element_grads(10.0, 2.0, (0.5, 2), (0, 7), 0.5),
            (0.0, 5.0, -0.5)
        );
        // x = -3 -> q = -4 < 0: dscale = dy (qmin - zp).
        assert_eq!(
            element_grads(-3.0, 1.0, (0.5, 2), (0, 7), 1.0),
            (0.0, -2.0, -0.5)
        );
    }
}
