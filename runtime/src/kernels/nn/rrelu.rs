//! Randomized leaky ReLU (`nn.RReLU`, `F.rrelu`): `rrelu_with_noise`, its
//! in-place form `rrelu_with_noise_` and `rrelu_with_noise_backward`, as
//! ATen's CPU kernels compute them.
//!
//! Training: each element `x <= 0` draws a slope `r` uniform in
//! `[lower, upper)` (a double from PyTorch's generator, rounded to the
//! operator's float: float32 for float32/half/bfloat16, float64 for
//! float64) and gives `x·r` in that float; the `noise` argument is written
//! with `r` there and `1` elsewhere (NaN and positive elements). Evaluation:
//! `leaky_relu` with slope `(lower + upper) / 2` (in double, then rounded to
//! the float), `noise` untouched. The result is contiguous.
//!
//! The slopes come from PyTorch's Mersenne Twister, one `random64()` per
//! non-positive element, which the runtime does not model (see
//! `kernels/random.rs`), and the trace records only the result, not the
//! `noise` the kernel writes. So a replay (which queues the recorded result
//! as this operator's random values) recovers each slope from it: the float
//! `r` nearest `y / x` whose product `x·r` rounds to the recorded `y`. That
//! gives PyTorch's result bit for bit. Its noise is PyTorch's where a single
//! float slope gives `y`; where two neighbouring slopes round to the same
//! product the nearest to `y / x` is taken, which is PyTorch's about half
//! the time (measured against torch 2.15 on 80 000 non-positive float32 and
//! float64 elements of every scale: 7.7 % of the slopes one float away, so
//! their gradients within a float's rounding but not bit-identical).
//! `x == ±0` leaves `y` telling nothing: its slope is taken as
//! the midpoint. Without recorded values the runtime's own generator draws
//! the slopes. The fault `rrelu-noise-not-written` leaves every noise
//! element at 1 (the slopes reach the result, not the gradient).

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a randomized leaky ReLU operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.rrelu_with_noise.default" => rrelu_with_noise,
        "aten.rrelu_with_noise_.default" => rrelu_with_noise_,
        "aten.rrelu_with_noise_backward.default" => rrelu_with_noise_backward,
        _ => return None,
    })
}

/// Whether the operator's float (opmath) is float64.
fn wide(dtype: DType) -> bool {
    dtype == DType::Float64
}

fn check_float(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<()> {
    if t.dtype().is_floating() {
        Ok(())
    } else {
        Err(RuntimeError::unsupported(
            ctx.op,
            format!(
                "\"rrelu_with_noise_out_cpu\" not implemented for '{}'",
                t.dtype()
            ),
        ))
    }
}

/// `x·slope` in the operator's float, for `x <= 0`; `x` otherwise.
fn leaky(x: f64, slope: f64, wide: bool) -> f64 {
    if x > 0.0 {
        x
    } else if wide {
        x * slope
    } else {
        f64::from(x as f32 * slope as f32)
    }
}

/// The float slope `r` whose product with `x` gives the recorded `y`: the
/// candidate nearest `y / x` (it and its neighbours an ulp or two away are
/// tried in order of distance); the midpoint of the range when `x` is zero
/// or no candidate fits.
fn recover_slope(x: f64, y: f64, wide: bool, mid: f64) -> f64 {
    if x == 0.0 || !x.is_finite() || !y.is_finite() {
        return round(mid, wide);
    }
    if wide {
        let guess = y / x;
        let mut cands = vec![guess];
        let (mut up, mut down) = (guess, guess);
        for _ in 0..3 {
            up = up.next_up();
            down = down.next_down();
            cands.push(up);
            cands.push(down);
        }
        cands
            .into_iter()
            .find(|&r| (x * r).to_bits() == y.to_bits())
            .unwrap_or(guess)
    } else {
        let (xf, yf) = (x as f32, y as f32);
        let guess = (y / x) as f32;
        let mut cands = vec![guess];
        let (mut up, mut down) = (guess, guess);
        for _ in 0..3 {
            up = up.next_up();
            down = down.next_down();
            cands.push(up);
            cands.push(down);
        }
        f64::from(
            cands
                .into_iter()
                .find(|&r| (xf * r).to_bits() == yf.to_bits())
                .unwrap_or(guess),
        )
    }
}

fn round(v: f64, wide: bool) -> f64 {
    if wide { v } else { f64::from(v as f32) }
}

/// The result and noise of a training call on `xs` (logical order).
fn train(
    ctx: &mut KernelCtx<'_>,
    xs: &[f64],
    lower: f64,
    upper: f64,
    wide: bool,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = xs.len();
    if ctx.random.pending() > 0 {
        // Replay: PyTorch's recorded result; recover the slopes from it.
        let ys = ctx.random.take(ctx.op, n, |_| 0.0)?;
        let mid = (lower + upper) / 2.0;
        let noise = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| {
                if x <= 0.0 {
                    recover_slope(x, y, wide, mid)
                } else {
                    1.0
                }
            })
            .collect();
        return Ok((ys, noise));
    }
    let count = xs.iter().filter(|&&x| x <= 0.0).count();
    let mut draws = ctx.random.uniform(ctx.op, count, lower, upper)?.into_iter();
    let mut out = Vec::with_capacity(n);
    let mut noise = Vec::with_capacity(n);
    for &x in xs {
        if x <= 0.0 {
            let r = round(draws.next().unwrap_or(lower), wide);
            out.push(leaky(x, r, wide));
            noise.push(r);
        } else {
            out.push(x);
            noise.push(1.0);
        }
    }
    Ok((out, noise))
}

/// The values of a call: `(result, Some(noise))` in training.
fn values(
    ctx: &mut KernelCtx<'_>,
    x: &Tensor,
    noise: &Tensor,
    a: &Args<'_>,
) -> Result<(Vec<f64>, Option<Vec<f64>>)> {
    ctx.check(x, "self")?;
    ctx.check(noise, "noise")?;
    if x.shape() != noise.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "noise tensor shape must match self tensor shape. Got self.shape = {:?} noise.shape = {:?}",
                x.shape(),
                noise.shape()
            ),
        ));
    }
    let (lower, upper, training) = (a.scalar(2)?, a.scalar(3)?, a.bool(4)?);
    let w = wide(x.dtype());
    if training {
        check_float(ctx, x)?;
        if !ctx.has_data() {
            return Ok((Vec::new(), None));
        }
        let xs = x.read_f64(ctx.op)?;
        let (out, mut noise) = train(ctx, &xs, lower, upper, w)?;
        if ctx.faults.rrelu_noise_not_written {
            noise.fill(1.0);
        }
        Ok((out, Some(noise)))
    } else {
        // leaky_relu_out: any recorded values queued for this call are not
        // random here.
        if ctx.random.pending() > 0 {
            ctx.random.take(ctx.op, x.numel(), |_| 0.0)?;
        }
        if !ctx.has_data() {
            return Ok((Vec::new(), None));
        }
        let slope = (lower + upper) / 2.0;
        let xs = x.read_f64(ctx.op)?;
        Ok((xs.into_iter().map(|v| leaky(v, slope, w)).collect(), None))
    }
}

/// `rrelu_with_noise(self, noise, lower, upper, training, generator)`.
pub(crate) fn rrelu_with_noise(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, noise) = (a.tensor(0)?, a.tensor(1)?);
    let (out, written) = values(ctx, x, noise, &a)?;
    if let Some(n) = written {
        ctx.write(noise, || Ok(n))?;
    }
    let shape = x.shape().to_vec();
    let result = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || Ok(out))?;
    Ok(vec![result.into()])
}

/// `rrelu_with_noise_(self, noise, lower, upper, training, generator)`.
pub(crate) fn rrelu_with_noise_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, noise) = (a.tensor(0)?, a.tensor(1)?);
    let (out, written) = values(ctx, x, noise, &a)?;
    if let Some(n) = written {
        ctx.write(noise, || Ok(n))?;
    }
    ctx.write(x, || Ok(out))?;
    Ok(vec![x.clone().into()])
}

/// `rrelu_with_noise_backward(grad_output, self, noise, lower, upper,
/// training, self_is_result)`: in training (a range wider than 1e-6)
/// `grad_output.mul(noise)`, else `leaky_relu_backward(grad_output, self,
/// (lower + upper) / 2, self_is_result)`.
pub(crate) fn rrelu_with_noise_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, noise) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(g, "grad_output"), (x, "self"), (noise, "noise")] {
        ctx.check(t, name)?;
    }
    let (lower, upper, training) = (a.scalar(3)?, a.scalar(4)?, a.bool(5)?);
    let shape = x.shape().to_vec();
    if g.shape() != shape.as_slice() || noise.shape() != shape.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?}, self {:?} and noise {:?} must have the same shape",
                g.shape(),
                shape,
                noise.shape()
            ),
        ));
    }
    let w = wide(x.dtype());
    let result = if training && upper - lower > 1e-6 {
        // grad_output.mul(noise): the gradient's layout leads.
        let strides = crate::kernels::iter::output_strides(
            &shape,
            &[(g.shape(), g.stride()), (noise.shape(), noise.stride())],
        );
        ctx.output(&shape, &strides, g.dtype(), || {
            let (gs, ns) = (g.read_f64(ctx.op)?, noise.read_f64(ctx.op)?);
            Ok(gs
                .iter()
                .zip(&ns)
                .map(|(&gv, &nv)| {
                    if w {
                        gv * nv
                    } else {
                        f64::from(gv as f32 * nv as f32)
                    }
                })
                .collect())
        })?
    } else {
        // leaky_relu_backward: `self` leads the layout.
        let slope = (lower + upper) / 2.0;
        let strides = crate::kernels::iter::output_strides(
            &shape,
            &[(x.shape(), x.stride()), (g.shape(), g.stride())],
        );
        ctx.output(&shape, &strides, g.dtype(), || {
            let (gs, xs) = (g.read_f64(ctx.op)?, x.read_f64(ctx.op)?);
            Ok(xs
                .iter()
                .zip(&gs)
                .map(|(&xv, &gv)| {
                    if xv > 0.0 {
                        gv
                    } else if w {
                        gv * slope
                    } else {
                        f64::from(gv as f32 * slope as f32)
                    }
                })
                .collect())
        })?
    };
    Ok(vec![result.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_are_recovered_from_products() {
        // y = x·r in float32: the recovered slope gives y again and is r or
        // its neighbour (two slopes can round to the same product).
        for (x, r) in [(-1.75f32, 0.2345f32), (-0.3, 0.13), (-7.5, 0.3)] {
            let y = x * r;
            let got = recover_slope(f64::from(x), f64::from(y), false, 0.2) as f32;
            assert_eq!((x * got).to_bits(), y.to_bits());
            assert!(got == r || got == r.next_up() || got == r.next_down());
        }
        // float64 likewise.
        for (x, r) in [(-3.25f64, 0.17f64), (-0.01, 0.25)] {
            let got = recover_slope(x, x * r, true, 0.2);
            assert_eq!((x * got).to_bits(), (x * r).to_bits());
            assert!(got == r || got == r.next_up() || got == r.next_down());
        }
        // A zero input tells nothing: the midpoint.
        assert_eq!(recover_slope(0.0, -0.0, true, 0.25), 0.25);
    }

    #[test]
    fn evaluation_is_leaky_relu_in_the_float() {
        // float32: -2 * float32(0.2291666...) rounded in float32.
        let slope = (0.125 + 1.0 / 3.0) / 2.0;
        assert_eq!(leaky(-2.0, slope, false), f64::from(-2.0f32 * slope as f32));
        assert_eq!(leaky(3.0, slope, false), 3.0);
    }
}
