//! Fractional max pooling (`nn.FractionalMaxPool2d` / `3d`, Graham 2014):
//! `fractional_max_pool2d` / `fractional_max_pool3d` and their backward,
//! as ATen's CPU kernels compute them.
//!
//! Each plane (batch element × channel) pools over windows of the pool size
//! whose starts follow a pseudo-random sequence fixed by that plane's
//! samples in `random_samples` (`(N, C, 2)`: width then height; `(N, C, 3)`:
//! time, height, width), each in `[0, 1)`. PyTorch draws the samples in
//! Python (`torch.rand`) unless `_random_samples` is given, so the kernel is
//! deterministic. For output size `o > 1` the starts are
//! `trunc((i + u)·α) - trunc(u·α)` with `α = (in - pool) / (o - 1)`, the
//! arithmetic in the input's floating type (float64, float32, or bfloat16 /
//! float16 with every step rounded to that type, as c10's half-type
//! operators round), and the last start is `in - pool`. The maximum takes the first largest element in window
//! order, a NaN wherever one occurs (the last NaN); the index is the flat
//! position in the plane. The backward adds each output gradient at its
//! index of a zeroed, contiguous input gradient, in output order, each sum
//! rounded to the input's type.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a fractional max pooling operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.fractional_max_pool2d.default" => fractional_max_pool2d,
        "aten.fractional_max_pool3d.default" => fractional_max_pool3d,
        "aten.fractional_max_pool2d_backward.default" => fractional_max_pool2d_backward,
        "aten.fractional_max_pool3d_backward.default" => fractional_max_pool3d_backward,
        _ => return None,
    })
}

/// The geometry of a call: planes, the input's and output's spatial sizes
/// (outermost first), the pool size, and the result's leading dimensions.
struct Geometry {
    batch: usize,
    channels: usize,
    input: Vec<usize>,
    output: Vec<usize>,
    pool: Vec<usize>,
    lead: Vec<i64>,
}

impl Geometry {
    fn planes(&self) -> usize {
        self.batch * self.channels
    }

    fn in_plane(&self) -> usize {
        self.input.iter().product()
    }

    fn out_plane(&self) -> usize {
        self.output.iter().product()
    }

    fn output_shape(&self) -> Vec<i64> {
        let mut s = self.lead.clone();
        s.extend(self.output.iter().map(|&d| d as i64));
        s
    }
}

fn err(ctx: &KernelCtx<'_>, msg: String) -> RuntimeError {
    RuntimeError::shape(ctx.op, msg)
}

/// PyTorch's checks of the input, sizes and pool, in its order.
fn geometry(ctx: &KernelCtx<'_>, x: &Tensor, a: &Args<'_>, d: usize) -> Result<Geometry> {
    let name = if d == 2 {
        "fractional_max_pool2d()"
    } else {
        "fractional_max_pool3d_out()"
    };
    let pool = a.int_list(1)?;
    let out = a.int_list(2)?;
    if pool.len() != d {
        return Err(err(
            ctx,
            format!(
                "fractional_max_pool{d}d: kernel_size must either be a single Int or tuple of Ints"
            ),
        ));
    }
    if out.len() != d {
        return Err(err(
            ctx,
            format!(
                "fractional_max_pool{d}d: output_size must either be a single Int or tuple of Ints"
            ),
        ));
    }
    if pool.iter().any(|&p| p <= 0) {
        let sizes: Vec<String> = pool.iter().map(i64::to_string).collect();
        return Err(err(
            ctx,
            format!(
                "{name}: kernel size should be greater than zero, but got {}",
                sizes.join("x")
            ),
        ));
    }
    let s = x.shape();
    if s.len() != d + 1 && s.len() != d + 2 {
        return Err(err(
            ctx,
            format!(
                "{name}: Expected {}D or {}D tensor, but got: {s:?}",
                d + 1,
                d + 2
            ),
        ));
    }
    for (i, &size) in s.iter().enumerate().skip(1) {
        if size <= 0 {
            return Err(err(
                ctx,
                format!(
                    "{name}: Expected input to have non-zero size for non-batch dimensions, but got{s:?} with dimension {i} being empty."
                ),
            ));
        }
    }
    let batched = s.len() == d + 2;
    let (batch, channels) = if batched {
        (s[0] as usize, s[1] as usize)
    } else {
        (1, s[0] as usize)
    };
    let input: Vec<usize> = s[s.len() - d..].iter().map(|&v| v as usize).collect();
    let names: &[&str] = if d == 2 {
        &["height", "width"]
    } else {
        &["time", "height", "width"]
    };
    for k in 0..d {
        if out[k] < 0 || out[k] + pool[k] - 1 > input[k] as i64 {
            return Err(err(
                ctx,
                format!(
                    "{name}: pool {} {} too large relative to input {} {}",
                    names[k], pool[k], names[k], input[k]
                ),
            ));
        }
    }
    let lead = s[..s.len() - d].to_vec();
    Ok(Geometry {
        batch,
        channels,
        input,
        output: out.iter().map(|&v| v as usize).collect(),
        pool: pool.iter().map(|&v| v as usize).collect(),
        lead,
    })
}

/// The checks of `random_samples` against the input.
fn check_samples(
    ctx: &KernelCtx<'_>,
    x: &Tensor,
    r: &Tensor,
    g: &Geometry,
    d: usize,
) -> Result<()> {
    if r.dim() != 3 {
        return Err(err(
            ctx,
            format!(
                "Expect _random_samples to have 3 dimensions, got {}",
                r.dim()
            ),
        ));
    }
    if r.dtype() != x.dtype() {
        return Err(err(
            ctx,
            "Expect _random_samples to have the same dtype as input".to_owned(),
        ));
    }
    let rs = r.shape();
    if (rs[0] as usize) < g.batch {
        return Err(err(
            ctx,
            "Expect _random_samples.size(0) no less then input batch size.".to_owned(),
        ));
    }
    if rs[1] as usize != g.channels {
        return Err(err(
            ctx,
            "Expect _random_samples.size(1) equals to input channel size.".to_owned(),
        ));
    }
    if rs[2] as usize != d {
        return Err(err(
            ctx,
            format!(
                "Expect _random_samples.size(2) equals to {d}; got {}.",
                rs[2]
            ),
        ));
    }
    Ok(())
}

/// The type a kernel's arithmetic runs in: the input's own floating
/// type (ATen dispatches float32, float64, bfloat16 and float16, and
/// computes the window starts and the gradient sums in that type).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Precision {
    F64,
    F32,
    BF16,
    F16,
}

impl Precision {
    /// `value` (a float32 result) rounded to this type; float64 is
    /// handled by the callers' wide paths.
    fn narrow(self, value: f32) -> f32 {
        match self {
            Precision::BF16 => half::bf16::from_f32(value).to_f32(),
            Precision::F16 => half::f16::from_f32(value).to_f32(),
            Precision::F32 | Precision::F64 => value,
        }
    }
}

/// The arithmetic type of `t`'s kernel; under the
/// `fractional_pool_reduced_in_float` fault the half types compute in
/// float32.
fn precision(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Precision> {
    let reduced = |p| {
        if ctx.faults.fractional_pool_reduced_in_float {
            Precision::F32
        } else {
            p
        }
    };
    match t.dtype() {
        DType::Float32 => Ok(Precision::F32),
        DType::Float64 => Ok(Precision::F64),
        DType::BFloat16 => Ok(reduced(Precision::BF16)),
        DType::Float16 => Ok(reduced(Precision::F16)),
        other => Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"fractional_max_pool{}d_out_frame\" not implemented for '{}'",
                if ctx.op.contains("3d") { 3 } else { 2 },
                other.scalar_type_name()
            ),
        }),
    }
}

/// The window starts along one dimension (PyTorch's `generate_intervals`):
/// every step (`alpha`, `i + u`, the products) rounded to the kernel's
/// type, float64 kept wide.
fn intervals(sample: f64, input: usize, output: usize, pool: usize, prec: Precision) -> Vec<usize> {
    let mut seq = vec![0usize; output];
    if output > 1 {
        if prec == Precision::F64 {
            let alpha = (input - pool) as f64 / (output - 1) as f64;
            let base = (sample * alpha) as i64;
            for (i, s) in seq.iter_mut().enumerate().take(output - 1) {
                *s = (((i as f64 + sample) * alpha) as i64 - base).max(0) as usize;
            }
        } else {
            let n = |v: f32| prec.narrow(v);
            let u = n(sample as f32);
            let alpha = n(n((input - pool) as f32) / n((output - 1) as f32));
            let base = n(u * alpha) as i64;
            for (i, s) in seq.iter_mut().enumerate().take(output - 1) {
                let shifted = n(n(i as f32) + u);
                *s = (n(shifted * alpha) as i64 - base).max(0) as usize;
            }
        }
    }
    if let Some(last) = seq.last_mut() {
        *last = input - pool;
    }
    seq
}

fn forward(ctx: &mut KernelCtx<'_>, a: &Args<'_>, d: usize) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let r = a.tensor(3)?;
    ctx.check(x, "self")?;
    ctx.check(r, "random_samples")?;
    let g = geometry(ctx, x, a, d)?;
    check_samples(ctx, x, r, &g, d)?;
    let prec = precision(ctx, x)?;
    let shape = g.output_shape();
    let strides = contiguous_strides(&shape);
    let n = g.planes() * g.out_plane();
    let mut values = vec![0.0; n];
    let mut indices = vec![0i64; n];
    if ctx.has_data() && n > 0 {
        let xs = x.read_f64(ctx.op)?;
        let samples = r.read_f64(ctx.op)?;
        let per_sample_row = g.channels * d;
        for p in 0..g.planes() {
            let (b, c) = (p / g.channels, p % g.channels);
            let us = &samples[b * per_sample_row + c * d..][..d];
            // Samples per plane: 2-d (width, height); 3-d (time, height, width).
            let order: Vec<usize> = if d == 2 {
                if ctx.faults.fractional_pool_samples_swapped {
                    vec![0, 1]
                } else {
                    vec![1, 0]
                }
            } else {
                vec![0, 1, 2]
            };
            let starts: Vec<Vec<usize>> = (0..d)
                .map(|k| intervals(us[order[k]], g.input[k], g.output[k], g.pool[k], prec))
                .collect();
            let plane = &xs[p * g.in_plane()..(p + 1) * g.in_plane()];
            for (o, (value, index)) in values[p * g.out_plane()..(p + 1) * g.out_plane()]
                .iter_mut()
                .zip(&mut indices[p * g.out_plane()..(p + 1) * g.out_plane()])
                .enumerate()
            {
                pool_window(&g, &starts, o, plane, value, index);
            }
        }
    }
    let out = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let idx = ctx.output_i64(&shape, &strides, DType::Int64, || Ok(indices))?;
    Ok(vec![out.into(), idx.into()])
}

/// The maximum of output position `o`'s window of `plane`.
fn pool_window(
    g: &Geometry,
    starts: &[Vec<usize>],
    o: usize,
    plane: &[f64],
    value: &mut f64,
    index: &mut i64,
) {
    let d = g.input.len();
    // The output position's coordinates, outermost first.
    let mut coords = vec![0usize; d];
    let mut rest = o;
    for k in (0..d).rev() {
        coords[k] = rest % g.output[k];
        rest /= g.output[k];
    }
    let first: Vec<usize> = (0..d).map(|k| starts[k][coords[k]]).collect();
    let flat = |pos: &[usize]| {
        pos.iter()
            .zip(&g.input)
            .fold(0, |acc, (&p, &n)| acc * n + p)
    };
    let mut best = f64::NEG_INFINITY;
    let mut best_index = flat(&first);
    let mut pos = first.clone();
    loop {
        let i = flat(&pos);
        let v = plane.get(i).copied().unwrap_or(f64::NAN);
        if v > best || v.is_nan() {
            best = v;
            best_index = i;
        }
        // Next position in window order (innermost fastest).
        let mut k = d;
        loop {
            if k == 0 {
                *value = best;
                *index = best_index as i64;
                return;
            }
            k -= 1;
            pos[k] += 1;
            if pos[k] < first[k] + g.pool[k] {
                break;
            }
            pos[k] = first[k];
        }
    }
}

fn backward(ctx: &mut KernelCtx<'_>, a: &Args<'_>, d: usize) -> Result<Vec<IValue>> {
    let go = a.tensor(0)?;
    let x = a.tensor(1)?;
    let indices = a.tensor(4)?;
    for (t, name) in [(go, "grad_output"), (x, "self"), (indices, "indices")] {
        ctx.check(t, name)?;
    }
    let shifted = Args {
        op: a.op,
        schema: a.schema,
        values: a.values.get(1..).unwrap_or(&[]),
    };
    let g = geometry(ctx, x, &shifted, d)?;
    let prec = precision(ctx, x)?;
    let out_shape = g.output_shape();
    if go.shape() != out_shape.as_slice() || indices.shape() != out_shape.as_slice() {
        return Err(err(
            ctx,
            format!("fractional_max_pool{d}d_backward(): gradOutput sizes unexpected"),
        ));
    }
    let shape = x.shape().to_vec();
    let strides = contiguous_strides(&shape);
    let out = ctx.output(&shape, &strides, x.dtype(), || {
        let gs = go.read_f64(ctx.op)?;
        let is = indices.read_i64(ctx.op)?;
        let mut grad = vec![0.0; g.planes() * g.in_plane()];
        for p in 0..g.planes() {
            let base = p * g.in_plane();
            for o in 0..g.out_plane() {
                let k = p * g.out_plane() + o;
                let i = is[k];
                if i < 0 || i as usize >= g.in_plane() {
                    return Err(err(
                        ctx,
                        format!("fractional_max_pool{d}d_backward(): index {i} out of bounds"),
                    ));
                }
                let slot = &mut grad[base + i as usize];
                *slot = if prec == Precision::F64 {
                    *slot + gs[k]
                } else {
                    f64::from(prec.narrow(*slot as f32 + gs[k] as f32))
                };
            }
        }
        Ok(grad)
    })?;
    Ok(vec![out.into()])
}

/// `fractional_max_pool2d(self, kernel_size, output_size, random_samples)`.
pub(crate) fn fractional_max_pool2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    forward(ctx, &a, 2)
}

/// `fractional_max_pool3d(self, kernel_size, output_size, random_samples)`.
pub(crate) fn fractional_max_pool3d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    forward(ctx, &a, 3)
}

/// `fractional_max_pool2d_backward(grad_output, self, kernel_size,
/// output_size, indices)`.
pub(crate) fn fractional_max_pool2d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    backward(ctx, &a, 2)
}

/// `fractional_max_pool3d_backward(grad_output, self, kernel_size,
/// output_size, indices)`.
pub(crate) fn fractional_max_pool3d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    backward(ctx, &a, 3)
}

#[cfg(test)]
mod tests {
    use super::{Precision, intervals};

    #[test]
    fn window_starts_follow_the_sample() {
        // in 9, out 4, pool 2: alpha = 7/3; u = 0.5 gives
        // trunc(0.5·α)=1, trunc(1.5·α)=3, trunc(2.5·α)=5 → 0, 2, 4, then 7.
        assert_eq!(intervals(0.5, 9, 4, 2, Precision::F64), vec![0, 2, 4, 7]);
        assert_eq!(intervals(0.5, 9, 4, 2, Precision::F32), vec![0, 2, 4, 7]);
        // One output: the last start only.
        assert_eq!(intervals(0.9, 5, 1, 3, Precision::F64), vec![2]);
    }

    #[test]
    fn reduced_types_round_every_step_of_the_starts() {
        // torch 2.15, bfloat16 u = 0.99609375, in 70, out 40, pool 2:
        // alpha = bf16(68/39) = 1.7421875; float32 arithmetic differs.
        let u = 0.99609375;
        let bf = intervals(u, 70, 40, 2, Precision::BF16);
        let f = intervals(u, 70, 40, 2, Precision::F32);
        assert_eq!(bf.len(), 40);
        assert_eq!((bf[37], bf[38], bf[39]), (65, 67, 68));
        assert_eq!(f[38], 66);
    }
}
