//! `_softmax`, `_log_softmax`, `_safe_softmax` and the backward kernels
//! `_softmax_backward_data`, `_log_softmax_backward_data`.
//!
//! Observed in torch 2.15: `F.softmax` / `torch.softmax` dispatch
//! `_softmax(x, dim, False)`; with `dtype=` they first dispatch `_to_copy`.
//! `F.log_softmax` and `F.cross_entropy` dispatch `_log_softmax`. Outputs are
//! contiguous whatever the input's strides. A 0-dim input is a one-element
//! row.
//!
//! The gradient of `_softmax` computes float32 (and float64 along a
//! dimension that is not the last) in its own arithmetic, as PyTorch does
//! (`softmax_grad`). float32 `_softmax`, `_safe_softmax`, `_log_softmax`
//! and the log-softmax backward over the last dimension run ATen's
//! vectorised kernels step by step: the row's sum in its lane order (16
//! lanes on AVX-512, 8 on AVX2, as the trace's CPU profile says) and
//! SLEEF's `exp` and `log` (`sleef_f32`), bit for bit; under PyTorch's
//! `DEFAULT` kernels they keep the float64 form. float32 log-softmax and
//! its gradient over another dimension follow ATen's column kernels: the
//! column's sum in order, SLEEF's `exp` in vector lanes and the C
//! library's where its scalar loop takes a column.
//! Other values compute in
//! f64 and round once, except where PyTorch's CPU kernels
//! keep a float16/bfloat16 intermediate in the tensor's dtype (observed in
//! torch 2.15, bit-exact over thousands of random rows): `_log_softmax`
//! over the last dimension stores the row's sum of exponentials and its
//! logarithm as half values; `_softmax` over any other dimension stores
//! each `exp(x - max)` as a half value before dividing by the (unrounded)
//! sum.

use super::super::Kernel;
use super::super::KernelCtx;
use super::common::{is_reduced_float, require_floating, round_to, split_at_dim, wrap_dim};
use super::{sleef_f32, softmax_columns, softmax_grad};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a softmax operator.
pub(super) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._softmax.default" => softmax,
        "aten._log_softmax.default" => log_softmax,
        "aten._safe_softmax.default" => safe_softmax,
        "aten._softmax_backward_data.default" => softmax_backward_data,
        "aten._log_softmax_backward_data.default" => log_softmax_backward_data,
        _ => return None,
    })
}

/// Which normalisation a row gets.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Softmax,
    LogSoftmax,
    /// Softmax whose fully masked (all `-inf`) rows are 0 instead of NaN.
    Safe,
}

/// Applies `f` to every row along `dim` of a contiguous buffer (`outer`
/// blocks of `size` elements strided by `inner`).
fn for_each_row(values: &mut [f64], shape: &[i64], dim: usize, mut f: impl FnMut(&mut [f64])) {
    let (outer, size, inner) = split_at_dim(shape, dim);
    let mut row = vec![0f64; size];
    for o in 0..outer {
        for i in 0..inner {
            let base = o * size * inner + i;
            for (k, r) in row.iter_mut().enumerate() {
                *r = values[base + k * inner];
            }
            f(&mut row);
            for (k, r) in row.iter().enumerate() {
                values[base + k * inner] = *r;
            }
        }
    }
}

/// Where the kernel rounds intermediates to a half dtype (see the module
/// docs): `None` for float32/float64.
#[derive(Clone, Copy)]
struct HalfSteps {
    dtype: DType,
    last_dim: bool,
}

fn normalise_row(row: &mut [f64], kind: Kind, half: Option<HalfSteps>) {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if kind == Kind::Safe && max == f64::NEG_INFINITY {
        row.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let sum: f64 = row.iter().map(|&x| (x - max).exp()).sum();
    match (kind, half) {
        (Kind::LogSoftmax, Some(h)) if h.last_dim => {
            let log_sum = round_to(h.dtype, round_to(h.dtype, sum).ln());
            row.iter_mut().for_each(|x| *x = (*x - max) - log_sum);
        }
        (Kind::LogSoftmax, _) => {
            let log_sum = sum.ln();
            row.iter_mut().for_each(|x| *x = *x - max - log_sum);
        }
        (Kind::Softmax | Kind::Safe, Some(h)) if !h.last_dim => row
            .iter_mut()
            .for_each(|x| *x = round_to(h.dtype, (*x - max).exp()) / sum),
        (Kind::Softmax | Kind::Safe, _) => {
            row.iter_mut().for_each(|x| *x = (*x - max).exp() / sum);
        }
    }
}

fn forward(ctx: &KernelCtx<'_>, x: &Tensor, dim: i64, dtype: DType, kind: Kind) -> Result<Tensor> {
    ctx.check(x, "self")?;
    require_floating(ctx.op, "self", x.dtype())?;
    let dim = wrap_dim(ctx.op, dim, x.dim())?;
    let shape = x.shape().to_vec();
    let last_dim = !shape.is_empty() && dim == shape.len() - 1;
    let half = is_reduced_float(dtype).then_some(HalfSteps { dtype, last_dim });
    // Values converted to float32 by `dtype=` are exact (from a half
    // dtype) or rounded once (from float64), as PyTorch's conversion does.
    let lanes = ctx
        .cpu
        .float32_lanes()
        .filter(|_| dtype == DType::Float32 && (last_dim || shape.is_empty()));
    let row_f32: Option<fn(&mut [f64], usize)> = match kind {
        Kind::LogSoftmax if !ctx.faults.log_softmax_in_double => Some(log_softmax_row_f32),
        Kind::Softmax if !ctx.faults.softmax_in_double => Some(softmax_row_f32),
        Kind::Safe if !ctx.faults.softmax_in_double => Some(safe_softmax_row_f32),
        _ => None,
    };
    let columns_f32 = ctx.cpu.float32_lanes().filter(|_| {
        kind == Kind::LogSoftmax
            && dtype == DType::Float32
            && !last_dim
            && !shape.is_empty()
            && !ctx.faults.log_softmax_in_double
    });
    let softmax_columns = ctx.cpu.float32_lanes().filter(|_| {
        kind != Kind::LogSoftmax
            && dtype == DType::Float32
            && !last_dim
            && !shape.is_empty()
            && !ctx.faults.softmax_columns_in_double
    });
    let threads = ctx.cpu.threads();
    ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut v = x.read_f64(ctx.op)?;
        if let Some(w) = columns_f32 {
            let (outer, size, inner) = split_at_dim(&shape, dim);
            log_softmax_columns_f32(&mut v, [outer, size, inner], w);
            return Ok(v);
        }
        if let Some(w) = softmax_columns {
            let (outer, size, inner) = split_at_dim(&shape, dim);
            softmax_columns::softmax(&mut v, [outer, size, inner], w, threads, kind == Kind::Safe);
            return Ok(v);
        }
        match (row_f32, lanes) {
            (Some(row_fn), Some(w)) => for_each_row(&mut v, &shape, dim, |row| row_fn(row, w)),
            _ => for_each_row(&mut v, &shape, dim, |row| normalise_row(row, kind, half)),
        }
        Ok(v)
    })
}

/// The row's values as float32 and their maximum as `vec::maximum` takes
/// it (a NaN anywhere makes the maximum NaN).
fn float32_row_and_max(row: &[f64]) -> (Vec<f32>, f32) {
    let values: Vec<f32> = row.iter().map(|&v| v as f32).collect();
    let max = values.iter().copied().fold(f32::NEG_INFINITY, |m, v| {
        if m.is_nan() || v.is_nan() {
            f32::NAN
        } else {
            m.max(v)
        }
    });
    (values, max)
}

/// One last-dimension row of float32 `_softmax` as ATen's vectorised kernel
/// computes it: the row's max, `exp(x − max)` with SLEEF's `exp` for every
/// element (a partial last vector goes through the same lanes), their sum
/// in the order of `reduce_all` over `lanes` lanes, the reciprocal
/// `1 / sum` rounded to float32, then each exponential times the
/// reciprocal.
fn softmax_row_f32(row: &mut [f64], lanes: usize) {
    let (values, max) = float32_row_and_max(row);
    let exps: Vec<f32> = values.iter().map(|&v| sleef_f32::exp(v - max)).collect();
    let reciprocal = 1.0 / softmax_grad::lane_sum(exps.len(), lanes, |i| exps[i]);
    for (out, e) in row.iter_mut().zip(exps) {
        *out = f64::from(e * reciprocal);
    }
}

/// Elements of one of the blocks that ATen's float32 kernels over a
/// dimension other than the last cut the inner positions into: as many
/// columns of `size` elements as fill 128 KiB, a multiple of the lanes.
fn column_chunk(size: usize, lanes: usize) -> usize {
    ((128 * 1024) / size.max(1) / 4).max(lanes) / lanes * lanes
}

/// Calls `f(base, vector)` for every column of a contiguous `[outer, size,
/// inner]` buffer (`base`: the offset of its first element; its elements
/// are `inner` apart), `vector` saying whether ATen's kernel computes that
/// column in vector lanes: the columns of each block but the last
/// `block % lanes`, which its scalar loop takes.
fn for_each_column([outer, size, inner]: [usize; 3], lanes: usize, mut f: impl FnMut(usize, bool)) {
    let chunk = column_chunk(size, lanes);
    for o in 0..outer {
        let mut start = 0;
        while start < inner {
            let block = chunk.min(inner - start);
            let vector_end = block - block % lanes;
            for q in 0..block {
                f(o * size * inner + start + q, q < vector_end);
            }
            start += block;
        }
    }
}

/// float32 `_log_softmax` over a dimension that is not the last, as ATen's
/// kernel computes each column (measured bit for bit on torch 2.15): the
/// max as `x > max ? x : max` from −inf (a NaN never wins), the sum of
/// `exp(x − max)` along the dimension in order (SLEEF's `exp` in vector
/// lanes, the C library's in the scalar loop), SLEEF's `log` of the sum,
/// then `(x − max) − log_sum`.
fn log_softmax_columns_f32(values: &mut [f64], geometry: [usize; 3], lanes: usize) {
    let [_, size, inner] = geometry;
    for_each_column(geometry, lanes, |base, vector| {
        let at = |d: usize| base + d * inner;
        let column: Vec<f32> = (0..size).map(|d| values[at(d)] as f32).collect();
        let max = column
            .iter()
            .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
        let exp: fn(f32) -> f32 = if vector { sleef_f32::exp } else { f32::exp };
        let sum = column.iter().fold(0.0f32, |s, &x| s + exp(x - max));
        let log_sum = sleef_f32::log(sum);
        for (d, &x) in column.iter().enumerate() {
            values[at(d)] = f64::from((x - max) - log_sum);
        }
    });
}

/// float32 `_log_softmax_backward_data` over a dimension that is not the
/// last, written over `grads`: each column's gradient summed in order, then
/// `g − exp(y)·sum` fused into one multiply-add (SLEEF's `exp` in vector
/// lanes, the C library's in the scalar loop).
fn log_softmax_backward_columns_f32(
    grads: &mut [f64],
    outs: &[f64],
    geometry: [usize; 3],
    lanes: usize,
) {
    let [_, size, inner] = geometry;
    for_each_column(geometry, lanes, |base, vector| {
        let at = |d: usize| base + d * inner;
        let sum = (0..size).fold(0.0f32, |s, d| s + grads[at(d)] as f32);
        let exp: fn(f32) -> f32 = if vector { sleef_f32::exp } else { f32::exp };
        for d in 0..size {
            let (g, y) = (grads[at(d)] as f32, outs[at(d)] as f32);
            grads[at(d)] = f64::from((-exp(y)).mul_add(sum, g));
        }
    });
}

/// `_safe_softmax`'s row: PyTorch's softmax kernel, then 0 where the whole
/// row is `-inf`.
fn safe_softmax_row_f32(row: &mut [f64], lanes: usize) {
    if row.iter().all(|&v| v == f64::NEG_INFINITY) {
        row.iter_mut().for_each(|v| *v = 0.0);
    } else {
        softmax_row_f32(row, lanes);
    }
}

/// One last-dimension row of float32 `_log_softmax` as ATen's vectorised
/// kernel computes it: the row's max, the sum of `exp(x − max)` (SLEEF's
/// `exp`) in the order of `map_reduce_all` over `lanes` lanes, SLEEF's
/// `log` of the sum, then `(x − max) − log_sum`, each step rounded to
/// float32.
fn log_softmax_row_f32(row: &mut [f64], lanes: usize) {
    let (values, max) = float32_row_and_max(row);
    let sum = softmax_grad::lane_sum(values.len(), lanes, |i| sleef_f32::exp(values[i] - max));
    let log_sum = sleef_f32::log(sum);
    for (out, v) in row.iter_mut().zip(&values) {
        *out = f64::from((v - max) - log_sum);
    }
}

fn refuse_half_to_float(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<()> {
    if a.bool(2)? {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "softmax with half to float conversion is not supported on CPU",
        ));
    }
    Ok(())
}

/// `_softmax(self, dim, half_to_float)`.
pub(crate) fn softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    refuse_half_to_float(ctx, &a)?;
    let x = a.tensor(0)?;
    Ok(vec![
        forward(ctx, x, a.int(1)?, x.dtype(), Kind::Softmax)?.into(),
    ])
}

/// `_log_softmax(self, dim, half_to_float)`.
pub(crate) fn log_softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    refuse_half_to_float(ctx, &a)?;
    let x = a.tensor(0)?;
    Ok(vec![
        forward(ctx, x, a.int(1)?, x.dtype(), Kind::LogSoftmax)?.into(),
    ])
}

/// `_safe_softmax(self, dim, dtype=None)`: softmax, 0 on rows that are
/// entirely `-inf` (masked attention rows).
pub(crate) fn safe_softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let dtype = a.opt_dtype(2)?.unwrap_or(x.dtype());
    Ok(vec![forward(ctx, x, a.int(1)?, dtype, Kind::Safe)?.into()])
}

/// A kernel over the whole contiguous `[outer, size, inner]` gradient
/// (written over it) and saved output.
type WholeBackward<'f> = &'f dyn Fn(&mut [f64], &[f64], [usize; 3]);

/// Shared checks and geometry of the two backward kernels; `f(grads, outs)`
/// maps one row of the incoming gradient and the saved output to the row of
/// the input gradient, unless `whole` computes the whole buffer at once.
fn backward(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    f: impl Fn(&mut [f64], &[f64]),
    whole: Option<WholeBackward<'_>>,
) -> Result<Tensor> {
    let (g, out) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(out, "output")?;
    let dtype = match a.values.get(3) {
        Some(IValue::Dtype(d)) => *d,
        _ => out.dtype(),
    };
    if g.shape() != out.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of shape {:?} does not match output of shape {:?}",
                g.shape(),
                out.shape()
            ),
        ));
    }
    let dim = wrap_dim(ctx.op, a.int(2)?, out.dim())?;
    let shape = out.shape().to_vec();
    ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut grads = g.read_f64(ctx.op)?;
        let outs = out.read_f64(ctx.op)?;
        let (outer, size, inner) = split_at_dim(&shape, dim);
        if let Some(whole) = whole {
            whole(&mut grads, &outs, [outer, size, inner]);
            return Ok(grads);
        }
        // Rows of the output travel alongside the gradient rows: move them
        // into place once, then transform the gradient row by row.
        let mut grow = vec![0f64; size];
        let mut orow = vec![0f64; size];
        for o in 0..outer {
            for i in 0..inner {
                let base = o * size * inner + i;
                for k in 0..size {
                    grow[k] = grads[base + k * inner];
                    orow[k] = outs[base + k * inner];
                }
                f(&mut grow, &orow);
                for (k, v) in grow.iter().enumerate() {
                    grads[base + k * inner] = *v;
                }
            }
        }
        Ok(grads)
    })
}

/// `_softmax_backward_data(grad_output, output, dim, input_dtype)`:
/// `output * (grad - sum(grad * output, dim))`.
/// float32, and float64 over a dimension that is not the last, compute in
/// their own arithmetic, in PyTorch's order (see [`super::softmax_grad`]);
/// float64 over the last dimension, float16 and bfloat16 in float64 (a sum
/// left to right), rounded once.
pub(crate) fn softmax_backward_data(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out = a.tensor(1)?;
    let dtype = match a.values.get(3) {
        Some(IValue::Dtype(d)) => *d,
        _ => out.dtype(),
    };
    let last = out.dim() > 0 && wrap_dim(ctx.op, a.int(2)?, out.dim())? == out.dim() - 1;
    let exact = !ctx.faults.softmax_grad_in_double;
    // Over the last dimension the sum follows the vector lanes, which the
    // runtime reproduces for the capabilities it knows.
    let lanes = ctx.cpu.float32_lanes();
    let float32_exact = exact && (!last || lanes.is_some());
    let out = backward(
        ctx,
        &a,
        |g, y| match dtype {
            DType::Float32 if float32_exact => {
                let mut g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
                let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
                softmax_grad::row(&mut g32, &y32, lanes.filter(|_| last));
                g.iter_mut().zip(g32).for_each(|(d, v)| *d = f64::from(v));
            }
            DType::Float64 if exact && !last => softmax_grad::row(g, y, None),
            _ => {
                let dot: f64 = g.iter().zip(y).map(|(a, b)| a * b).sum();
                g.iter_mut()
                    .zip(y)
                    .for_each(|(gi, yi)| *gi = yi * (*gi - dot));
            }
        },
        None,
    )?;
    Ok(vec![out.into()])
}

/// `_log_softmax_backward_data(grad_output, output, dim, input_dtype)`:
/// `grad - exp(output) * sum(grad, dim)`.
pub(crate) fn log_softmax_backward_data(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let out = a.tensor(1)?;
    let float32_last = !ctx.faults.log_softmax_in_double
        && a.tensor(0)?.dtype() == DType::Float32
        && out.dtype() == DType::Float32
        && (out.dim() == 0 || wrap_dim(ctx.op, a.int(2)?, out.dim())? == out.dim() - 1);
    let float32 = !ctx.faults.log_softmax_in_double
        && a.tensor(0)?.dtype() == DType::Float32
        && out.dtype() == DType::Float32;
    let lanes = ctx.cpu.float32_lanes().filter(|_| float32_last);
    let column_lanes = ctx.cpu.float32_lanes().filter(|_| float32 && !float32_last);
    let columns = column_lanes.map(|w| {
        move |g: &mut [f64], y: &[f64], geometry: [usize; 3]| {
            log_softmax_backward_columns_f32(g, y, geometry, w);
        }
    });
    let whole = columns.as_ref().map(|f| f as WholeBackward<'_>);
    let out = backward(
        ctx,
        &a,
        |g, y| {
            if let Some(w) = lanes {
                log_softmax_backward_row_f32(g, y, w);
                return;
            }
            let sum: f64 = g.iter().sum();
            g.iter_mut()
                .zip(y)
                .for_each(|(gi, yi)| *gi -= yi.exp() * sum);
        },
        whole,
    )?;
    Ok(vec![out.into()])
}

/// One last-dimension row of float32 `_log_softmax_backward_data` as ATen's
/// vectorised kernel computes it, written over `g`: the gradient's sum in
/// lane order, then `g − exp(y)·sum` with SLEEF's `exp`, the product and
/// the difference fused into one multiply-add (as torch 2.15's build
/// compiles it).
fn log_softmax_backward_row_f32(g: &mut [f64], y: &[f64], lanes: usize) {
    let g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
    let sum = softmax_grad::lane_sum(g32.len(), lanes, |i| g32[i]);
    for ((gi, &g), &yi) in g.iter_mut().zip(&g32).zip(y) {
        *gi = f64::from((-sleef_f32::exp(yi as f32)).mul_add(sum, g));
    }
}

#[cfg(test)]
mod tests {
    use super::{log_softmax_backward_row_f32, log_softmax_row_f32, softmax_row_f32};

    /// A row of 17 (one full vector of lanes and one partial), with
    /// torch 2.15's results as bits.
    const ROW: [f32; 17] = [
        0.5, -1.25, 3.0, 2.75, -7.5, 0.125, 1.0, -0.3, 4.5, -2.0, 0.0, 6.0, -0.75, 1.5, 2.25, -3.5,
        0.8,
    ];
    const LOG_SOFTMAX: [u32; 17] = [
        0xc0ba_1f56,
        0xc0f2_1f56,
        0xc054_3eab,
        0xc064_3eab,
        0xc15d_0fab,
        0xc0c6_1f56,
        0xc0aa_1f56,
        0xc0d3_b8f0,
        0xbfe8_7d56,
        0xc105_0fab,
        0xc0ca_1f56,
        0xbea1_f558,
        0xc0e2_1f56,
        0xc09a_1f56,
        0xc082_1f56,
        0xc11d_0fab,
        0xc0b0_85bc,
    ];
    /// `_log_softmax_backward_data` of the gradient `0.25·i − 1.5`.
    const BACKWARD: [u32; 17] = [
        0xbfc3_3d9b,
        0xbfa0_902a,
        0xbfa7_7aa7,
        0xbf7d_7e22,
        0xbf00_008e,
        0xbe88_e8b6,
        0xbd2a_f927,
        0x3e74_59e1,
        0xbf61_ddbb,
        0x3f3f_77ce,
        0x3f7c_11a4,
        0xc09e_3d60,
        0x3fbf_1250,
        0x3fd7_30e7,
        0x3fed_59f5,
        0x400f_f867,
        0x401d_d013,
    ];

    /// `_softmax` of the same row.
    const SOFTMAX: [u32; 17] = [
        0x3b43_3377,
        0x3a07_aef4,
        0x3d14_a091,
        0x3ce7_8081,
        0x3586_1bc5,
        0x3b06_28da,
        0x3ba0_ea82,
        0x3aaf_6b3e,
        0x3e26_8676,
        0x3980_2f43,
        0x3aec_ca74,
        0x3f3a_941e,
        0x3a5f_b441,
        0x3c04_a721,
        0x3c8c_69be,
        0x3864_d098,
        0x3b83_bf37,
    ];

    #[test]
    fn float32_rows_match_torch_bit_for_bit() {
        let mut row: Vec<f64> = ROW.iter().map(|&v| f64::from(v)).collect();
        log_softmax_row_f32(&mut row, 16);
        let bits: Vec<u32> = row.iter().map(|&v| (v as f32).to_bits()).collect();
        assert_eq!(bits, LOG_SOFTMAX);
        let y = row;
        let mut g: Vec<f64> = (0..17).map(|i| f64::from(0.25 * i as f32 - 1.5)).collect();
        log_softmax_backward_row_f32(&mut g, &y, 16);
        let bits: Vec<u32> = g.iter().map(|&v| (v as f32).to_bits()).collect();
        assert_eq!(bits, BACKWARD);
    }

    #[test]
    fn float32_softmax_row_matches_torch_bit_for_bit() {
        let mut row: Vec<f64> = ROW.iter().map(|&v| f64::from(v)).collect();
        softmax_row_f32(&mut row, 16);
        let bits: Vec<u32> = row.iter().map(|&v| (v as f32).to_bits()).collect();
        assert_eq!(bits, SOFTMAX);
    }
}
