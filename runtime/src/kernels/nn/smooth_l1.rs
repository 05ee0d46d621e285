//! `smooth_l1_loss` and `smooth_l1_loss_backward` (Huber-like loss with a
//! quadratic zone of width `beta`).
//!
//! Observed in torch 2.15 on CPU: per element `z = |self - target|` gives
//! `0.5 z² / beta` when `z < beta`, else `z - 0.5 beta`; reduction codes 0
//! none (laid out like a pointwise result), 1 mean, 2 sum (0-dim). The
//! backward (CompositeExplicitAutograd) is contiguous with `self`'s shape:
//! `norm · clamp((self - target) / beta, -1, 1) · grad_output` with
//! `norm = 1 / numel` for the mean, else 1 (`-norm·g` when
//! `x <= -beta`, `norm·g` when `x >= beta`, `norm·x·g/beta` between).
//!
//! `huber_loss` / `huber_loss_backward` are the same family scaled by
//! `delta`: `0.5 z²` when `z < delta`, else `delta (z - 0.5 delta)`; the
//! gradient is `norm·clamp(x, -delta, delta)·g` (`-norm·g·delta` when
//! `x < -delta`, `norm·g·delta` when `x > delta`, `norm·x·g` between).
//!
//! The steps round as PyTorch's kernels round them (measured on torch 2.15,
//! 100,000 random elements per case): float64 and float32 step by step in
//! the dtype; the forward losses of the half types differ by kernel —
//! bfloat16 `huber_loss` and float16 `smooth_l1_loss` step by step in the
//! dtype (the parameter rounded to it first), bfloat16 `smooth_l1_loss`
//! and float16 `huber_loss` in float throughout, rounded once; the Huber
//! gradient step by step in the dtype as `(norm · clamp(x)) · g`.
//!
//! float32 and float64 gradients (and the half types' Huber gradient) take
//! PyTorch's two loops ([`backward_lanes`]; measured on torch 2.15 with
//! AVX-512, 0 of 96,030 float32 and 0 of 96,300 float64 elements differ,
//! 0 of 5,610 bfloat16 and float16 Huber gradients): the vectorised loop
//! computes `(norm · o) · g` with `o` = `x / beta` (smooth L1) or `x`
//! (Huber) inside the band and `±1` or `±delta` outside it, the bounds
//! rounded to the dtype; the scalar loop compares `x` with the double
//! `beta`/`delta`, takes `-norm · g` / `norm · g` outside the smooth L1 band
//! and `((norm · x) · g) / beta` inside it with the division in double,
//! and `((∓norm · g) · delta` in double for Huber's outer zones.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::loop_plan::{self, VectorLoop};
use crate::kernels::loss::{cascades_in_order, loss_total};
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote::promote_types;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides, numel};

/// The kernel of `op` if it is a smooth L1 operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.smooth_l1_loss.default" => smooth_l1_loss,
        "aten.smooth_l1_loss_backward.default" => smooth_l1_loss_backward,
        "aten.huber_loss.default" => huber_loss,
        "aten.huber_loss_backward.default" => huber_loss_backward,
        _ => return None,
    })
}

fn broadcast(op: &str, a: &Tensor, b: &Tensor) -> Result<Vec<i64>> {
    broadcast_shapes(a.shape(), b.shape())
        .ok_or_else(|| crate::kernels::elementwise::broadcast_mismatch(op, a.shape(), b.shape()))
}

fn reduction(op: &str, code: i64) -> Result<i64> {
    if (0..=2).contains(&code) {
        Ok(code)
    } else {
        Err(RuntimeError::unsupported(
            op,
            format!("reduction code {code}"),
        ))
    }
}

/// How a kernel's steps round: each to the dtype, or in float with one
/// rounding at the end (the caller's output).
#[derive(Clone, Copy)]
struct Steps {
    dtype: DType,
    each: bool,
}

impl Steps {
    /// The steps of a kernel for `dtype`; `in_float` names the half type
    /// whose kernel computes in float, if one does. The
    /// reduced-steps-in-float fault computes both half types in float.
    fn of(ctx: &KernelCtx<'_>, dtype: DType, in_float: Option<DType>) -> Steps {
        let reduced = matches!(dtype, DType::BFloat16 | DType::Float16);
        let each = !reduced || (Some(dtype) != in_float && !ctx.faults.reduced_steps_in_float);
        Steps { dtype, each }
    }

    fn r(self, v: f64) -> f64 {
        if self.each {
            cast_value(self.dtype, v)
        } else if self.dtype == DType::Float64 {
            v
        } else {
            f64::from(v as f32)
        }
    }
}

/// One element of the smooth L1 loss.
fn loss_value(s: Steps, x: f64, y: f64, beta: f64) -> f64 {
    let beta = s.r(beta);
    let z = s.r(x - y).abs();
    if z < beta {
        s.r(s.r(s.r(0.5 * z) * z) / beta)
    } else {
        s.r(z - s.r(0.5 * beta))
    }
}

/// One element of the Huber loss.
fn huber_value(s: Steps, x: f64, y: f64, delta: f64) -> f64 {
    let delta = s.r(delta);
    let z = s.r(x - y).abs();
    if z < delta {
        s.r(s.r(0.5 * z) * z)
    } else {
        s.r(delta * s.r(z - s.r(0.5 * delta)))
    }
}

/// `smooth_l1_loss(self, target, reduction=1, beta=1.)`.
pub(crate) fn smooth_l1_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let beta = a.scalar(3)?;
    if beta < 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "smooth_l1_loss does not support negative values for beta.",
        ));
    }
    let steps = Steps::of(ctx, loss_dtype(&a)?, Some(DType::BFloat16));
    pointwise_loss(ctx, &a, move |p, q| loss_value(steps, p, q, beta))
}

/// `huber_loss(self, target, reduction=1, delta=1.)`.
pub(crate) fn huber_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let delta = a.scalar(3)?;
    if delta <= 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "huber_loss does not support non-positive values for delta.",
        ));
    }
    let steps = Steps::of(ctx, loss_dtype(&a)?, Some(DType::Float16));
    pointwise_loss(ctx, &a, move |p, q| huber_value(steps, p, q, delta))
}

/// The promoted dtype of `self` and `target`.
fn loss_dtype(a: &Args<'_>) -> Result<DType> {
    Ok(promote_types(a.tensor(0)?.dtype(), a.tensor(1)?.dtype()))
}

/// A loss `f(self, target)` per element of the broadcast shape, then
/// reduced by the code at position 2 (0 none, 1 mean, 2 sum).
fn pointwise_loss(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(2)?)?;
    let shape = broadcast(ctx.op, x, y)?;
    let dtype = promote_types(x.dtype(), y.dtype());
    let values = || -> Result<Vec<f64>> {
        let xs = read_broadcast(ctx.op, x, &shape)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        Ok(xs.iter().zip(&ys).map(|(&p, &q)| f(p, q)).collect())
    };
    let out = if reduction == 0 {
        let strides = output_strides(&shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())]);
        ctx.output(&shape, &strides, dtype, values)?
    } else {
        let cascade = matches!(dtype, DType::Float32 | DType::Float64)
            && !ctx.faults.sum_in_double
            && cascades_in_order(ctx.faults, x, y, &shape);
        let threads = ctx.cpu.threads();
        ctx.output(&[], &[], dtype, || {
            Ok(vec![loss_total(
                &values()?,
                dtype,
                reduction,
                cascade,
                threads,
            )])
        })?
    };
    Ok(vec![out.into()])
}

/// Whether the gradients of `dtype` take PyTorch's two loops
/// ([`backward_lanes`]): float32 and float64, and for Huber (`halves`) also
/// bfloat16 and float16, whose loops round every operation to the dtype
/// (0 of 5,610 elements differ in each); not under the
/// `smooth-l1-backward-one-loop` fault.
fn two_loops(ctx: &KernelCtx<'_>, dtype: DType, halves: bool) -> bool {
    !ctx.faults.smooth_l1_backward_one_loop
        && (matches!(dtype, DType::Float32 | DType::Float64)
            || (halves && matches!(dtype, DType::BFloat16 | DType::Float16)))
}

/// For each element of a smooth L1 / Huber gradient (contiguous, `self`'s
/// shape), whether PyTorch's vectorised loop computes it: TensorIterator's
/// runs over the result, `self`, `target` and `grad_output` in steps of two
/// vectors, then one more vector when a whole one is left (measured on
/// torch 2.15), then the scalar loop.
fn backward_lanes(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<Vec<bool>> {
    let (g, x, y) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let shape = x.shape();
    let two = VectorLoop::of_vectors(ctx.cpu, 2, x.dtype().element_size());
    let vector_loop = VectorLoop {
        step: two.step,
        last_vector: Some((two.step / 2).max(1)),
    };
    let inputs = [
        (x.shape(), x.stride()),
        (y.shape(), y.stride()),
        (g.shape(), g.stride()),
    ];
    Ok(loop_plan::scalar_elements(
        ctx.faults,
        shape,
        &contiguous_strides(shape),
        &inputs,
        ctx.cpu.threads(),
        vector_loop,
    )
    .map_or_else(
        || vec![false; numel(shape)],
        |scalar| scalar.iter().map(|&s| !s).collect(),
    ))
}

/// `huber_loss_backward(grad_output, self, target, reduction, delta)`.
pub(crate) fn huber_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let delta = a.scalar(4)?;
    let dtype = a.tensor(1)?.dtype();
    if two_loops(ctx, dtype, true) {
        let r = move |v: f64| cast_value(dtype, v);
        let delta_t = r(delta);
        return pointwise_loss_backward_lanes(ctx, &a, move |diff, norm, d, vector| {
            let diff = r(diff);
            let norm = r(norm);
            if vector {
                let o = if diff.abs() >= delta_t {
                    if diff > 0.0 { delta_t } else { -delta_t }
                } else {
                    diff
                };
                r(r(norm * o) * d)
            } else if diff <= -delta {
                r(r(-norm * d) * delta)
            } else if diff >= delta {
                r(r(norm * d) * delta)
            } else {
                r(r(norm * diff) * d)
            }
        });
    }
    // every step in the dtype, as `(norm · clamp(x, -delta, delta)) · g`
    let steps = Steps::of(ctx, a.tensor(1)?.dtype(), None);
    let delta = steps.r(delta);
    pointwise_loss_backward(ctx, &a, move |diff, norm, d| {
        let (diff, norm) = (steps.r(diff), steps.r(norm));
        let clamped = if diff <= -delta {
            -delta
        } else if diff >= delta {
            delta
        } else {
            diff
        };
        steps.r(steps.r(norm * clamped) * d)
    })
}

/// `smooth_l1_loss_backward(grad_output, self, target, reduction, beta)`.
pub(crate) fn smooth_l1_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let beta = a.scalar(4)?;
    let dtype = a.tensor(1)?.dtype();
    if two_loops(ctx, dtype, false) {
        let r = move |v: f64| cast_value(dtype, v);
        let beta_t = r(beta);
        return pointwise_loss_backward_lanes(ctx, &a, move |diff, norm, d, vector| {
            let diff = r(diff);
            let norm = r(norm);
            if vector {
                let o = if diff.abs() >= beta_t {
                    if diff > 0.0 { 1.0 } else { -1.0 }
                } else {
                    r(diff / beta_t)
                };
                r(r(norm * o) * d)
            } else if diff <= -beta {
                r(-norm * d)
            } else if diff >= beta {
                r(norm * d)
            } else {
                r(r(r(norm * diff) * d) / beta)
            }
        });
    }
    pointwise_loss_backward(ctx, &a, move |diff, norm, d| {
        if diff <= -beta {
            -norm * d
        } else if diff >= beta {
            norm * d
        } else {
            norm * diff * d / beta
        }
    })
}

/// The gradient `f(self - target, norm, grad)` per element of `self`, with
/// `norm = 1 / numel` for the mean reduction, else 1.
fn pointwise_loss_backward(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(f64, f64, f64) -> f64,
) -> Result<Vec<IValue>> {
    let (g, x, y) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let reduction = reduction(ctx.op, a.int(3)?)?;
    let shape = x.shape().to_vec();
    let norm = if reduction == 1 {
        1.0 / numel(&shape).max(1) as f64
    } else {
        1.0
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let ys = read_broadcast(ctx.op, y, &shape)?;
        let gs = read_broadcast(ctx.op, g, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .zip(&gs)
            .map(|((&p, &q), &d)| f(p - q, norm, d))
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// [`pointwise_loss_backward`] with each element's loop
/// ([`backward_lanes`]): `f(self - target, norm, grad, vectorised)`.
fn pointwise_loss_backward_lanes(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(f64, f64, f64, bool) -> f64,
) -> Result<Vec<IValue>> {
    let lanes = if ctx.has_data() {
        backward_lanes(ctx, a)?
    } else {
        Vec::new()
    };
    let at = std::cell::Cell::new(0usize);
    pointwise_loss_backward(ctx, a, |diff, norm, d| {
        let i = at.get();
        at.set(i + 1);
        f(diff, norm, d, lanes.get(i).copied().unwrap_or(false))
    })
}

#[cfg(test)]
mod tests {
    use super::{DType, Steps, huber_value, loss_value};

    const F64: Steps = Steps {
        dtype: DType::Float64,
        each: true,
    };

    #[test]
    fn huber_is_smooth_l1_scaled_by_delta() {
        // quadratic zone, linear zone, and the boundary (linear: `z < delta` is strict)
        assert_eq!(huber_value(F64, 0.5, 0.0, 1.0), 0.125);
        assert_eq!(huber_value(F64, -3.0, 0.0, 2.0), 2.0 * (3.0 - 1.0));
        assert_eq!(huber_value(F64, 2.0, 0.0, 2.0), 2.0);
        for (x, d) in [(0.3, 0.7), (-2.5, 0.7), (1.2, 1.5)] {
            let scaled = d * loss_value(F64, x, 0.0, d);
            assert!(
                (huber_value(F64, x, 0.0, d) - scaled).abs() < 1e-12,
                "{x} {d}"
            );
        }
    }

    #[test]
    fn half_types_round_each_step_or_none() {
        use crate::tensor::storage::cast_value;
        let bf = |v: f64| cast_value(DType::BFloat16, v);
        let each = Steps {
            dtype: DType::BFloat16,
            each: true,
        };
        let float = Steps {
            dtype: DType::BFloat16,
            each: false,
        };
        // delta 0.7 is 0.69921875 in bfloat16; the linear zone at z =
        // 1.1015625 (torch 2.15: 0.5234375; in float 0.52734375)
        let d = bf(0.7);
        let expected = bf(d * bf(1.1015625 - bf(0.5 * d)));
        assert_eq!(expected, 0.5234375);
        assert_eq!(huber_value(each, 1.1015625, 0.0, 0.7), expected);
        let in_float = f64::from(0.7f32 * (1.1015625f32 - 0.5f32 * 0.7f32));
        assert_eq!(huber_value(float, 1.1015625, 0.0, 0.7), in_float);
        assert_eq!(bf(in_float), 0.52734375);
        assert_ne!(bf(in_float), expected);
    }
}
