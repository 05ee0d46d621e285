//! Normalisation: `native_layer_norm`, `native_batch_norm` and their
//! backward kernels.
//!
//! Observed in torch 2.15 on CPU: `nn.LayerNorm` dispatches
//! `native_layer_norm(x, shape, weight, bias, eps)` -> `(out, mean, rstd)`
//! with `mean`/`rstd` shaped like `x` with the normalised dims set to 1;
//! `nn.BatchNorm1d/2d` dispatch `native_batch_norm` in train *and* eval mode
//! (eval: `training=False`, `save_mean`/`save_invstd` are empty `[0]`
//! tensors), preceded by an `empty([0], dtype=uint8)` (the reserve buffer of
//! `_batch_norm_impl_index`) and, in train mode, the module's
//! `num_batches_tracked.add_(1)`. Train mode updates `running_mean` /
//! `running_var` in place inside the kernel, without a version bump (the
//! schema has no `(a!)`); `running_var` takes the unbiased batch variance.
//!
//! Saved statistics are float32 when a float16/bfloat16 input comes with
//! float32 parameters (mixed precision), else the input's dtype; how each
//! type computes them and the running statistics is in `batch_stats`. Layer norm results
//! are contiguous; batch norm results keep a channels-last input's layout.

use super::super::Kernel;
use super::super::KernelCtx;
use super::batch_stats::{
    BatchStatistics, RunningBlend, channel_of, double_statistics, float_row_statistics,
    float_statistics, reduced_statistics,
};
use super::common::{bool_list, is_reduced_float, opt_tensor, round_to};
use super::moments::{Lanes, rowwise_moments};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{channels_last_strides, contiguous_strides, numel};

/// The kernel of `op` if it is a normalisation operator.
pub(super) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.native_layer_norm.default" => native_layer_norm,
        "aten.native_layer_norm_backward.default" => native_layer_norm_backward,
        "aten.native_batch_norm.default" => native_batch_norm,
        "aten.native_batch_norm_backward.default" => native_batch_norm_backward,
        _ => return None,
    })
}

/// dtype of saved statistics: the parameter's when it is float32 under a
/// reduced-precision input (PyTorch's mixed-type path), else the input's.
fn stats_dtype(input: DType, param: Option<&Tensor>) -> DType {
    match param.map(Tensor::dtype) {
        Some(DType::Float32) if matches!(input, DType::Float16 | DType::BFloat16) => DType::Float32,
        _ => input,
    }
}

/// Values of an optional per-feature parameter (`default` when absent).
fn param_values(op: &str, p: Option<&Tensor>, len: usize, default: f64) -> Result<Vec<f64>> {
    match p {
        Some(t) if t.numel() == len => t.read_f64(op),
        Some(t) => Err(RuntimeError::shape(
            op,
            format!(
                "expected a parameter of {len} elements, got shape {:?}",
                t.shape()
            ),
        )),
        None => Ok(vec![default; len]),
    }
}

/// A layer norm's `weight` and `bias` must have exactly the shape
/// `normalized_shape` (not just its element count), checked before the
/// input's shape (observed in torch 2.15: "Expected weight to be of same
/// shape as normalized_shape, but got weight of shape [3] and
/// normalized_shape = [4]"). An empty `normalized_shape` is left to
/// [`layer_geometry`]'s message, which PyTorch gives first.
fn check_layer_params(
    op: &str,
    normalized: &[i64],
    params: [(&str, Option<&Tensor>); 2],
) -> Result<()> {
    if normalized.is_empty() {
        return Ok(());
    }
    for (name, p) in params {
        if let Some(t) = p
            && t.shape() != normalized
        {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "Expected {name} to be of same shape as normalized_shape, but got {name} of shape {:?} and normalized_shape = {normalized:?}",
                    t.shape()
                ),
            ));
        }
    }
    Ok(())
}

/// `(rows, row_len)` of a layer norm over the trailing `normalized_shape`.
fn layer_geometry(op: &str, x: &Tensor, normalized: &[i64]) -> Result<(usize, usize)> {
    let shape = x.shape();
    let k = normalized.len();
    if k == 0 || shape.len() < k || shape[shape.len() - k..] != *normalized {
        let mut expected = String::from("[*");
        for d in normalized {
            expected.push_str(&format!(", {d}"));
        }
        expected.push(']');
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given normalized_shape={normalized:?}, expected input with shape {expected}, but got input of size{shape:?}"
            ),
        ));
    }
    let lead = &shape[..shape.len() - k];
    Ok((numel(lead), numel(normalized)))
}

/// Shape of layer norm's `mean` / `rstd`: the input's with the normalised
/// dimensions set to 1.
fn stats_shape(shape: &[i64], k: usize) -> Vec<i64> {
    let mut s = shape.to_vec();
    let n = s.len();
    s[n - k..].iter_mut().for_each(|d| *d = 1);
    s
}

/// One layer norm row as PyTorch's CPU kernel computes it: `(out, mean,
/// rstd)` with the moments of [`rowwise_moments`] and `rstd = 1 /
/// sqrt(var + eps)` in the accumulation type. float32 and float64 rows
/// normalise as `((x − mean)·rstd)·w + b`, the last step fused; float16 and
/// bfloat16 rows (widened to float32) as `(x·rstd + (−rstd·mean))·w + b`,
/// both steps fused, then rounded to the dtype by the caller (observed in
/// torch 2.15, bit for bit).
fn layer_norm_row(
    x: &[f64],
    (w, b): (&[f64], &[f64]),
    eps: f64,
    dtype: DType,
    exact: bool,
) -> (Vec<f64>, f64, f64) {
    if exact {
        return exact_layer_norm_row(x, (w, b), eps);
    }
    if dtype == DType::Float64 {
        let (mean, var) = rowwise_moments(x, Lanes::DOUBLE);
        let rstd = 1.0 / (var + eps).sqrt();
        let out = x
            .iter()
            .zip(w.iter().zip(b))
            .map(|(&v, (&w, &b))| ((v - mean) * rstd).mul_add(w, b))
            .collect();
        return (out, mean, rstd);
    }
    let row: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let lanes = if is_reduced_float(dtype) {
        Lanes::REDUCED
    } else {
        Lanes::FLOAT
    };
    let (mean, var) = rowwise_moments(&row, lanes);
    let rstd = 1.0 / (var + eps as f32).sqrt();
    let shift = -rstd * mean;
    let out = row
        .iter()
        .zip(w.iter().zip(b))
        .map(|(&v, (&w, &b))| {
            let (w, b) = (w as f32, b as f32);
            let y = if is_reduced_float(dtype) {
                v.mul_add(rstd, shift).mul_add(w, b)
            } else {
                ((v - mean) * rstd).mul_add(w, b)
            };
            f64::from(y)
        })
        .collect();
    (out, f64::from(mean), f64::from(rstd))
}

/// A layer norm row from its exact statistics, `(x − mean)·rstd·w + b` in
/// float64: the `layer-norm-exact-moments` fault.
fn exact_layer_norm_row(x: &[f64], (w, b): (&[f64], &[f64]), eps: f64) -> (Vec<f64>, f64, f64) {
    let len = x.len().max(1) as f64;
    let mean = x.iter().sum::<f64>() / len;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / len;
    let rstd = 1.0 / (var + eps).sqrt();
    let out = x
        .iter()
        .zip(w.iter().zip(b))
        .map(|(v, (w, b))| (v - mean) * rstd * w + b)
        .collect();
    (out, mean, rstd)
}

/// `native_layer_norm(input, normalized_shape, weight, bias, eps)` ->
/// `(out, mean, rstd)`.
pub(crate) fn native_layer_norm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let normalized = a.int_list(1)?;
    let (weight, bias) = (opt_tensor(&a, 2)?, opt_tensor(&a, 3)?);
    let eps = a.scalar(4)?;
    ctx.check(x, "input")?;
    check_layer_params(ctx.op, &normalized, [("weight", weight), ("bias", bias)])?;
    let (rows, len) = layer_geometry(ctx.op, x, &normalized)?;
    let shape = x.shape().to_vec();
    let sshape = stats_shape(&shape, normalized.len());
    let sdtype = stats_dtype(x.dtype(), weight.or(bias));
    let mut stats: Option<(Vec<f64>, Vec<f64>)> = None;
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let w = param_values(ctx.op, weight, len, 1.0)?;
        let b = param_values(ctx.op, bias, len, 0.0)?;
        let exact = ctx.faults.layer_norm_exact_moments;
        let mut out = Vec::with_capacity(xs.len());
        let (mut means, mut rstds) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        for r in 0..rows {
            let row = &xs[r * len..(r + 1) * len];
            let (y, mean, rstd) = layer_norm_row(row, (&w, &b), eps, x.dtype(), exact);
            out.extend(y);
            means.push(mean);
            rstds.push(rstd);
        }
        stats = Some((means, rstds));
        Ok(out)
    })?;
    let (means, rstds) = stats.unwrap_or_default();
    let sstrides = contiguous_strides(&sshape);
    let mean = ctx.output(&sshape, &sstrides, sdtype, || Ok(means))?;
    let rstd = ctx.output(&sshape, &sstrides, sdtype, || Ok(rstds))?;
    Ok(vec![out.into(), mean.into(), rstd.into()])
}

/// `native_layer_norm_backward(grad_out, input, normalized_shape, mean, rstd,
/// weight, bias, output_mask)` -> `(grad_input, grad_weight, grad_bias)`,
/// each `None` where the mask is false. With `x̂ = (x - mean) rstd` and
/// `ĝ = grad · weight`, per row:
/// `grad_input = rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂))`;
/// `grad_weight = Σ_rows grad x̂`, `grad_bias = Σ_rows grad`.
pub(crate) fn native_layer_norm_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x) = (a.tensor(0)?, a.tensor(1)?);
    let normalized = a.int_list(2)?;
    let (mean, rstd) = (a.tensor(3)?, a.tensor(4)?);
    let (weight, bias) = (opt_tensor(&a, 5)?, opt_tensor(&a, 6)?);
    let mask = bool_list(&a, 7)?;
    let want = |i: usize| mask.get(i).copied().unwrap_or(false);
    ctx.check(g, "grad_out")?;
    ctx.check(x, "input")?;
    let (rows, len) = layer_geometry(ctx.op, x, &normalized)?;
    let shape = x.shape().to_vec();
    let grad_input = if want(0) {
        let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
            let xs = x.read_f64(ctx.op)?;
            let gs = g.read_f64(ctx.op)?;
            let ms = mean.read_f64(ctx.op)?;
            let rs = rstd.read_f64(ctx.op)?;
            let w = param_values(ctx.op, weight, len, 1.0)?;
            let mut out = Vec::with_capacity(gs.len());
            for r in 0..rows {
                let span = r * len..(r + 1) * len;
                out.extend(layer_norm_input_grad(
                    &gs[span.clone()],
                    &xs[span],
                    (&w, weight.is_some()),
                    (ms[r], rs[r]),
                    x.dtype(),
                ));
            }
            Ok(out)
        })?;
        IValue::from(out)
    } else {
        IValue::None
    };
    let param_grad = |i: usize, p: Option<&Tensor>, with_xhat: bool| -> Result<IValue> {
        let Some(p) = p.filter(|_| want(i)) else {
            return Ok(IValue::None);
        };
        let pshape = p.shape().to_vec();
        let out = ctx.output(&pshape, &contiguous_strides(&pshape), p.dtype(), || {
            let stats = (mean.read_f64(ctx.op)?, rstd.read_f64(ctx.op)?);
            let (xs, gs) = (x.read_f64(ctx.op)?, g.read_f64(ctx.op)?);
            let threads = ctx.cpu.threads();
            let terms = RowTerms {
                gs: &gs,
                xs: &xs,
                stats: &stats,
                len,
            };
            Ok(param_grad_by_threads(&terms, with_xhat, x.dtype(), threads))
        })?;
        Ok(out.into())
    };
    let grad_weight = param_grad(1, weight, true)?;
    let grad_bias = param_grad(2, bias, false)?;
    Ok(vec![grad_input, grad_weight, grad_bias])
}

/// The inputs of [`param_grad_by_threads`]: gradient and input values,
/// each row's `(mean, rstd)`, the normalised length.
struct RowTerms<'a> {
    gs: &'a [f64],
    xs: &'a [f64],
    stats: &'a (Vec<f64>, Vec<f64>),
    len: usize,
}

/// Layer norm's `grad_weight` (`with_xhat`) or `grad_bias` as PyTorch's
/// CPU kernel computes it (observed in torch 2.15, bit-exact): the rows are
/// split into one contiguous chunk per intra-op thread; each thread adds
/// its rows' terms (`g · (rstd·x - rstd·mean)`, or `g`) into a buffer of the
/// input's dtype; the threads' buffers are summed in the accumulation type
/// and rounded once. The result therefore depends on PyTorch's thread
/// count, which the runtime takes from its [`crate::cpu::CpuProfile`] (the
/// trace's, or this machine's available parallelism, PyTorch's default).
///
/// float32 and float64 terms are fused into the buffer:
/// `buffer + g·(rstd·x + b)` with `b = −rstd·mean`, each `a·b + c` rounded
/// once as the compiled kernel contracts them. A float16/bfloat16 row's
/// addition is done in float32 and then rounded to the dtype, as the
/// vectorised kernel converts the buffer to float32, adds and converts back
/// (rounding the exact sum straight to bfloat16 differs where the float32
/// sum lands on a tie).
fn param_grad_by_threads(
    terms: &RowTerms<'_>,
    with_xhat: bool,
    dtype: DType,
    threads: usize,
) -> Vec<f64> {
    let RowTerms {
        gs,
        xs,
        stats: (means, rstds),
        len,
    } = *terms;
    let acc = accumulator(dtype);
    let fma = fused(dtype);
    let rows = gs.len() / len.max(1);
    let threads = threads.clamp(1, rows.max(1));
    let chunk = rows.div_ceil(threads).max(1);
    let mut total = vec![0f64; len];
    for start in (0..rows).step_by(chunk) {
        let mut buffer = vec![0f64; len];
        for r in start..(start + chunk).min(rows) {
            let a = rstds[r];
            let b = acc(-a * means[r]);
            for (j, sum) in buffer.iter_mut().enumerate() {
                let i = r * len + j;
                *sum = match (with_xhat, is_reduced_float(dtype)) {
                    (true, false) => fma(gs[i], fma(a, xs[i], b), *sum),
                    (false, false) => acc(*sum + gs[i]),
                    (true, true) => {
                        round_to(dtype, acc(*sum + acc(gs[i] * acc(acc(a * xs[i]) + b))))
                    }
                    (false, true) => round_to(dtype, acc(*sum + gs[i])),
                };
            }
        }
        total
            .iter_mut()
            .zip(&buffer)
            .for_each(|(t, v)| *t = acc(*t + v));
    }
    total
}

/// The rounding of PyTorch's accumulation type: float32 arithmetic for
/// every floating dtype but float64.
pub(super) fn accumulator(dtype: DType) -> fn(f64) -> f64 {
    match dtype {
        DType::Float64 => |v| v,
        _ => |v| f64::from(v as f32),
    }
}

/// `a·b + c` rounded once in `dtype`'s accumulation type.
pub(super) fn fused(dtype: DType) -> fn(f64, f64, f64) -> f64 {
    match dtype {
        DType::Float64 => |a, b, c| a.mul_add(b, c),
        _ => |a, b, c| f64::from((a as f32).mul_add(b as f32, c as f32)),
    }
}

/// `Σ p_i·q_i` as ATen's vectorised `map*_reduce_all` adds it in float32 or
/// float64 (`lanes` per vector, 8 or 4 on AVX2): rows shorter than a vector
/// add their rounded products in order; longer ones keep one partial sum
/// per lane, adding each rounded product to its lane (the reduction is not
/// contracted into fused multiply-adds), the ragged last vector into its
/// leading lanes only; the lanes are then folded — float32 pairwise across
/// halves (`(l0+l4 + l2+l6) + (l1+l5 + l3+l7)`), float64 in lane order.
/// Observed in torch 2.15 bit for bit on whole vectors; a ragged tail of
/// five or more elements does not always agree in the last bit.
pub(super) fn lane_sum(p: &[f64], q: &[f64], dtype: DType) -> f64 {
    let acc = accumulator(dtype);
    let lanes = if dtype == DType::Float64 { 4 } else { 8 };
    let n = p.len().min(q.len());
    if n < lanes {
        let mut sum = acc(p.first().zip(q.first()).map_or(0.0, |(p, q)| p * q));
        for i in 1..n {
            sum = acc(sum + acc(p[i] * q[i]));
        }
        return sum;
    }
    let mut lane: Vec<f64> = (0..lanes).map(|l| acc(p[l] * q[l])).collect();
    for i in lanes..n {
        lane[i % lanes] = acc(lane[i % lanes] + acc(p[i] * q[i]));
    }
    if lanes == 8 {
        let half: Vec<f64> = (0..4).map(|l| acc(lane[l] + lane[l + 4])).collect();
        acc(acc(half[0] + half[2]) + acc(half[1] + half[3]))
    } else {
        lane.iter().skip(1).fold(lane[0], |s, v| acc(s + v))
    }
}

/// One row of layer norm's input gradient as PyTorch's CPU kernel computes
/// it, every step rounded by `acc` (its accumulation type):
/// `ds = Σ g w x`, `db = Σ g w`, `b = (db·mean - ds)·rstd³/N`,
/// `c = -b·mean - db·rstd/N`, `dx = rstd·g·w + b·x + c`. Mathematically
/// `rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂))`; the operation order matters when
/// `b·x` and `c` cancel (observed in torch 2.15 on bfloat16 rows).
///
/// For float32 and float64 the sums are vectorised ([`lane_sum`], terms
/// `(g·x)·w` and `g·w`) and the compiled kernel contracts three steps into
/// fused multiply-adds (observed in torch 2.15, bitwise): `db·mean - ds`,
/// `-b·mean - db·rstd/N` and `b·x + (rstd·g)·w`. Without a weight
/// (`weighted` false, `w` all ones) `ds` fuses `g·x` into its lanes.
fn layer_norm_input_grad(
    g: &[f64],
    x: &[f64],
    (w, weighted): (&[f64], bool),
    (mean, rstd): (f64, f64),
    dtype: DType,
) -> Vec<f64> {
    let acc = accumulator(dtype);
    let fused_dtype = matches!(dtype, DType::Float32 | DType::Float64);
    let fma = fused(dtype);
    let (ds, db) = if fused_dtype && !weighted {
        (lane_sum(g, x, dtype), lane_sum(g, w, dtype))
    } else if fused_dtype {
        let gx: Vec<f64> = g.iter().zip(x).map(|(g, x)| acc(g * x)).collect();
        (lane_sum(&gx, w, dtype), lane_sum(g, w, dtype))
    } else {
        let (mut ds, mut db) = (0.0, 0.0);
        for ((g, x), w) in g.iter().zip(x).zip(w) {
            let gw = acc(g * w);
            ds = acc(ds + acc(gw * x));
            db = acc(db + gw);
        }
        (ds, db)
    };
    let scale = acc(1.0 / g.len().max(1) as f64);
    let a = rstd;
    let diff = if fused_dtype {
        fma(db, mean, -ds)
    } else {
        acc(acc(db * mean) - ds)
    };
    let b = acc(acc(acc(acc(diff * a) * a) * a) * scale);
    let db_term = acc(acc(db * a) * scale);
    let c = if fused_dtype {
        fma(-b, mean, -db_term)
    } else {
        acc(acc(-b * mean) - db_term)
    };
    g.iter()
        .zip(x)
        .zip(w)
        .map(|((g, x), w)| {
            let scaled = acc(acc(a * g) * w);
            if fused_dtype {
                acc(fma(b, *x, scaled) + c)
            } else {
                acc(acc(scaled + acc(b * x)) + c)
            }
        })
        .collect()
}

/// Layout of a batch norm forward result, as PyTorch's CPU kernel allocates
/// it: contiguous when the input is (size-1 dimensions ignored, so an
/// `(N, C, 1, 1)` map with NHWC strides counts), else the memory format the
/// input suggests (`suggest_memory_format`: channels-last for a 4-d or 5-d
/// input whose strides walk reads so, dense or not).
fn batch_norm_strides(x: &Tensor) -> Vec<i64> {
    let shape = x.shape();
    match channels_last_strides(shape) {
        Some(cl) if !x.is_contiguous() && suggests_channels_last(x) => cl,
        _ => contiguous_strides(shape),
    }
}

/// Layout of `native_batch_norm_backward`'s `grad_input`. PyTorch's CPU
/// kernel takes its packed path when the input and `grad_out` are both
/// dense in one of the two formats and suggest the same one; it then
/// allocates like the input, contiguous first (an `(N, C, 1, 1)` input with
/// NHWC strides gives contiguous strides). Otherwise it allocates in the
/// format the input suggests (that input with a contiguous `grad_out` gives
/// NHWC strides), as ResNet's last stage on a 1x1 map trained
/// channels-last records.
fn batch_norm_grad_input_strides(g: &Tensor, x: &Tensor) -> Vec<i64> {
    let shape = x.shape();
    let dense = |t: &Tensor| t.is_contiguous() || is_channels_last_contiguous(t);
    let packed = dense(x) && dense(g) && suggests_channels_last(x) == suggests_channels_last(g);
    let channels_last = if packed {
        !x.is_contiguous()
    } else {
        suggests_channels_last(x)
    };
    match channels_last_strides(shape) {
        Some(cl) if channels_last => cl,
        _ => contiguous_strides(shape),
    }
}

/// PyTorch's `suggest_memory_format() != Contiguous` for a strided tensor.
fn suggests_channels_last(t: &Tensor) -> bool {
    crate::kernels::join::is_channels_last(t.shape(), t.stride())
}

/// PyTorch's `is_contiguous(ChannelsLast)` (4-d) or
/// `is_contiguous(ChannelsLast3d)` (5-d): NHWC/NDHWC strides, size-1
/// dimensions ignored.
fn is_channels_last_contiguous(t: &Tensor) -> bool {
    let order: &[usize] = match t.dim() {
        4 => &[1, 3, 2, 0],
        5 => &[1, 4, 3, 2, 0],
        _ => return false,
    };
    let (shape, stride) = (t.shape(), t.stride());
    let mut expected = 1i64;
    for &d in order {
        if shape[d] != 1 {
            if stride[d] != expected {
                return false;
            }
            expected = expected.saturating_mul(shape[d]);
        }
    }
    true
}

/// `(channels, per-channel count)` of a batch norm input `(N, C, *)`.
fn channel_geometry(op: &str, x: &Tensor) -> Result<(usize, usize)> {
    match x.shape() {
        [_, c, ..] => {
            let c = usize::try_from(*c).unwrap_or(0);
            Ok((c, x.numel() / c.max(1)))
        }
        other => Err(RuntimeError::shape(
            op,
            format!("batch_norm expects an input of at least 2 dimensions, got {other:?}"),
        )),
    }
}

/// The batch norm forward shared by the three overloads.
#[allow(clippy::too_many_arguments)]
fn batch_norm_forward(
    ctx: &KernelCtx<'_>,
    x: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    running: (Option<&Tensor>, Option<&Tensor>),
    training: bool,
    momentum: f64,
    eps: f64,
) -> Result<Vec<IValue>> {
    ctx.check(x, "input")?;
    let (channels, count) = channel_geometry(ctx.op, x)?;
    let shape = x.shape().to_vec();
    let (running_mean, running_var) = running;
    if !training && (running_mean.is_none() || running_var.is_none()) {
        return Err(RuntimeError::shape(
            ctx.op,
            "running_mean and running_var must be defined in evaluation mode",
        ));
    }
    let sdtype = stats_dtype(x.dtype(), weight.or(running_mean));
    let mut stats: Option<(Vec<f64>, Vec<f64>)> = None;
    let out = ctx.output(&shape, &batch_norm_strides(x), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let w = param_values(ctx.op, weight, channels, 1.0)?;
        let b = param_values(ctx.op, bias, channels, 0.0)?;
        let element = Element::of(x.dtype());
        let exact_reduced = ctx.faults.reduced_batch_norm_exact_stats;
        let (mean, invstd) = if training {
            let stats = match x.dtype() {
                DType::Float64 => double_statistics(&xs, &shape, channels, eps),
                DType::Float32 => match float_rows(ctx, x, &xs, &shape) {
                    Some(rows) => float_row_statistics(&rows, channels, eps, ctx.cpu.threads()),
                    None => float_statistics(&xs, &shape, channels, eps),
                },
                _ if exact_reduced => double_statistics(&xs, &shape, channels, eps),
                // float16 parameters take float32 statistics, rounded.
                DType::Float16 => reduced_statistics(&xs, &shape, channels, DType::Float32, eps),
                _ => reduced_statistics(&xs, &shape, channels, sdtype, eps),
            };
            update_running(ctx, running, &stats, count, momentum)?;
            if exact_reduced {
                (stats.mean, stats.invstd)
            } else {
                // The output normalises with the statistics as saved.
                let saved = |v: Vec<f64>| v.into_iter().map(|s| round_to(sdtype, s)).collect();
                (saved(stats.mean), saved(stats.invstd))
            }
        } else {
            let mean = param_values(ctx.op, running_mean, channels, 0.0)?;
            let var = param_values(ctx.op, running_var, channels, 1.0)?;
            let invstd = match element {
                // `1 / sqrt(var + eps)` in the element type.
                Some(Element::Float) => var
                    .iter()
                    .map(|&v| f64::from(1.0 / (v as f32 + eps as f32).sqrt()))
                    .collect(),
                _ => var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect(),
            };
            (mean, invstd)
        };
        let ch = channel_of(&shape, channels);
        let out = xs
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = ch(i);
                match element {
                    Some(e) => e.affine(v, (mean[c], invstd[c]), (w[c], b[c])),
                    None if training && !exact_reduced => {
                        Element::Float.affine(v, (mean[c], invstd[c]), (w[c], b[c]))
                    }
                    None => (v - mean[c]) * invstd[c] * w[c] + b[c],
                }
            })
            .collect();
        stats = Some((mean, invstd));
        Ok(out)
    })?;
    let stat_len = if training { channels as i64 } else { 0 };
    let (mean, invstd) = stats.unwrap_or_default();
    let save = |values: Vec<f64>| {
        ctx.output(&[stat_len], &[1], sdtype, || {
            Ok(if training { values } else { Vec::new() })
        })
    };
    let save_mean = save(mean)?;
    let save_invstd = save(invstd)?;
    Ok(vec![out.into(), save_mean.into(), save_invstd.into()])
}

/// A float32 training input whose channels are innermost in memory, as
/// rows of channels in memory order (PyTorch's vectorised statistics
/// kernel for that layout); None where the planes kernel runs.
fn float_rows(ctx: &KernelCtx<'_>, x: &Tensor, xs: &[f64], shape: &[i64]) -> Option<Vec<f64>> {
    if ctx.faults.batch_norm_row_stats_in_double || ctx.cpu.float32_lanes().is_none() {
        return None;
    }
    super::batch_norm_lanes::memory_rows(super::batch_norm_lanes::layout(x, x)?, xs, shape)
}

/// The arithmetic of a batch norm output element: float32's (which
/// float16 and bfloat16 inputs also use in training, from their saved
/// statistics) or double's. In evaluation a reduced input is normalised in
/// double and rounded once, within its tolerance.
#[derive(Clone, Copy)]
enum Element {
    Float,
    Double,
}

impl Element {
    fn of(dtype: DType) -> Option<Element> {
        match dtype {
            DType::Float32 => Some(Element::Float),
            DType::Float64 => Some(Element::Double),
            _ => None,
        }
    }

    /// One output element as PyTorch's CPU kernel computes it (observed in
    /// torch 2.15, bitwise over contiguous, channels-last and 1×1 inputs):
    /// per channel `α = s·w` and `β = b − m·α` (fused), then `x·α + β`
    /// (fused), in the element type. Mathematically `(x − m)·s·w + b`, but
    /// not where it cancels or overflows: a channel of near-maximal equal
    /// values (`x = m`, `s = 1/√eps`) gives `x·α` beyond the range, so
    /// PyTorch's result is infinite where `(x − m)·s·w + b` is `b`.
    fn affine(self, x: f64, (mean, invstd): (f64, f64), (w, b): (f64, f64)) -> f64 {
        match self {
            Element::Float => {
                let alpha = invstd as f32 * w as f32;
                let beta = (-(mean as f32)).mul_add(alpha, b as f32);
                f64::from((x as f32).mul_add(alpha, beta))
            }
            Element::Double => {
                let alpha = invstd * w;
                let beta = (-mean).mul_add(alpha, b);
                x.mul_add(alpha, beta)
            }
        }
    }
}

/// Train mode: the running statistics after the batch, in the arithmetic
/// of the batch's statistics ([`RunningBlend`]), written in their dtype.
fn update_running(
    ctx: &KernelCtx<'_>,
    (running_mean, running_var): (Option<&Tensor>, Option<&Tensor>),
    stats: &BatchStatistics,
    count: usize,
    momentum: f64,
) -> Result<()> {
    let blend = if ctx.faults.running_stats_blend_in_double {
        RunningBlend::new(DType::Float64, DType::Float64)
    } else {
        stats.blend
    };
    if let Some(t) = running_mean {
        let old = t.read_f64(ctx.op)?;
        ctx.write(t, || {
            Ok(old
                .iter()
                .zip(&stats.mean)
                .map(|(&o, &b)| blend.mean(momentum, o, b))
                .collect())
        })?;
    }
    if let Some(t) = running_var {
        let old = t.read_f64(ctx.op)?;
        ctx.write(t, || {
            Ok(old
                .iter()
                .zip(&stats.var_sum)
                .map(|(&o, &q)| blend.var(momentum, o, q, count))
                .collect())
        })?;
    }
    Ok(())
}

/// `native_batch_norm(input, weight, bias, running_mean, running_var,
/// training, momentum, eps)` -> `(out, save_mean, save_invstd)`.
pub(crate) fn native_batch_norm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let running = (opt_tensor(&a, 3)?, opt_tensor(&a, 4)?);
    batch_norm_forward(
        ctx,
        a.tensor(0)?,
        opt_tensor(&a, 1)?,
        opt_tensor(&a, 2)?,
        running,
        a.bool(5)?,
        a.scalar(6)?,
        a.scalar(7)?,
    )
}

/// `native_batch_norm_backward(grad_out, input, weight, running_mean,
/// running_var, save_mean, save_invstd, train, eps, output_mask)`.
/// Train: `grad_input = (g - mean(g) - x̂ mean(g x̂)) invstd w` per channel
/// with the saved statistics; eval: `g invstd w` with the running ones.
/// `grad_weight = Σ g x̂`, `grad_bias = Σ g`.
pub(crate) fn native_batch_norm_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x) = (a.tensor(0)?, a.tensor(1)?);
    let weight = opt_tensor(&a, 2)?;
    let (running_mean, running_var) = (opt_tensor(&a, 3)?, opt_tensor(&a, 4)?);
    let (save_mean, save_invstd) = (opt_tensor(&a, 5)?, opt_tensor(&a, 6)?);
    let train = a.bool(7)?;
    let eps = a.scalar(8)?;
    let mask = bool_list(&a, 9)?;
    let want = |i: usize| mask.get(i).copied().unwrap_or(false);
    ctx.check(g, "grad_out")?;
    ctx.check(x, "input")?;
    let (channels, count) = channel_geometry(ctx.op, x)?;
    let shape = x.shape().to_vec();
    let ch = channel_of(&shape, channels);
    // Per channel: mean, invstd, Σg, Σ g x̂; plus the flat g and x̂.
    let terms = || -> Result<ChannelTerms> {
        let xs = x.read_f64(ctx.op)?;
        let gs = g.read_f64(ctx.op)?;
        let (mean, invstd) = if train {
            (
                param_values(ctx.op, save_mean, channels, 0.0)?,
                param_values(ctx.op, save_invstd, channels, 1.0)?,
            )
        } else {
            let var = param_values(ctx.op, running_var, channels, 1.0)?;
            (
                param_values(ctx.op, running_mean, channels, 0.0)?,
                var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect(),
            )
        };
        let xhat: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, v)| (v - mean[ch(i)]) * invstd[ch(i)])
            .collect();
        let mut sum_g = vec![0f64; channels];
        let mut sum_gx = vec![0f64; channels];
        for (i, gv) in gs.iter().enumerate() {
            sum_g[ch(i)] += gv;
            sum_gx[ch(i)] += gv * xhat[i];
        }
        Ok(ChannelTerms {
            gs,
            xhat,
            invstd,
            sum_g,
            sum_gx,
        })
    };
    // a float32 input in training: PyTorch's own float32 order
    let lanes = (train
        && ctx.cpu.float32_lanes().is_some()
        && !ctx.faults.batch_norm_grad_in_double
        && [Some(x), Some(g), save_mean, save_invstd, weight]
            .iter()
            .flatten()
            .all(|t| t.dtype() == DType::Float32)
        && save_mean.is_some()
        && save_invstd.is_some())
    .then(|| super::batch_norm_lanes::layout(x, g))
    .flatten();
    let lane_backward = |layout| -> Result<super::batch_norm_lanes::Backward> {
        Ok(super::batch_norm_lanes::run(
            layout,
            (&x.read_f64(ctx.op)?, &g.read_f64(ctx.op)?),
            &shape,
            (
                &param_values(ctx.op, save_mean, channels, 0.0)?,
                &param_values(ctx.op, save_invstd, channels, 1.0)?,
            ),
            &param_values(ctx.op, weight, channels, 1.0)?,
            ctx.cpu.threads(),
        ))
    };
    let grad_input = if want(0) {
        let strides = if ctx.faults.batch_norm_grad_like_output {
            batch_norm_strides(x)
        } else {
            batch_norm_grad_input_strides(g, x)
        };
        let out = ctx.output(&shape, &strides, x.dtype(), || {
            if let Some(layout) = lanes {
                return Ok(lane_backward(layout)?.grad_input);
            }
            let t = terms()?;
            let w = param_values(ctx.op, weight, channels, 1.0)?;
            let n = count as f64;
            Ok(t.gs
                .iter()
                .enumerate()
                .map(|(i, gv)| {
                    let c = ch(i);
                    let scale = t.invstd[c] * w[c];
                    if train {
                        (gv - t.sum_g[c] / n - t.xhat[i] * t.sum_gx[c] / n) * scale
                    } else {
                        gv * scale
                    }
                })
                .collect())
        })?;
        IValue::from(out)
    } else {
        IValue::None
    };
    let pdtype = weight.map_or(x.dtype(), Tensor::dtype);
    let param_grad = |i: usize,
                      pick: fn(ChannelTerms) -> Vec<f64>,
                      pick_lanes: fn(super::batch_norm_lanes::Backward) -> Vec<f64>|
     -> Result<IValue> {
        if !want(i) {
            return Ok(IValue::None);
        }
        let len = channels as i64;
        Ok(ctx
            .output(&[len], &[1], pdtype, || {
                if let Some(layout) = lanes {
                    return Ok(pick_lanes(lane_backward(layout)?));
                }
                Ok(pick(terms()?))
            })?
            .into())
    };
    let grad_weight = param_grad(1, |t| t.sum_gx, |b| b.grad_weight)?;
    let grad_bias = param_grad(2, |t| t.sum_g, |b| b.grad_bias)?;
    Ok(vec![grad_input, grad_weight, grad_bias])
}

/// Per-channel sums a batch norm backward needs.
struct ChannelTerms {
    gs: Vec<f64>,
    xhat: Vec<f64>,
    invstd: Vec<f64>,
    sum_g: Vec<f64>,
    sum_gx: Vec<f64>,
}

#[cfg(test)]
mod tests {

    #[test]
    fn half_parameter_gradient_adds_in_float32_before_rounding() {
        // One thread, grad_bias of two rows: 1.0 then 2^-8 + 2^-30. In
        // float32 the sum is the tie 1 + 2^-8, which bfloat16 rounds to
        // even (1.0); the exact sum would round up to 1 + 2^-7.
        let gs = [1.0, 2f64.powi(-8) + 2f64.powi(-30)];
        let stats = (vec![0.0; 2], vec![1.0; 2]);
        let terms = RowTerms {
            gs: &gs,
            xs: &[0.0, 0.0],
            stats: &stats,
            len: 1,
        };
        assert_eq!(
            param_grad_by_threads(&terms, false, DType::BFloat16, 1),
            vec![1.0]
        );
    }
    use super::{DType, RowTerms, layer_norm_input_grad, param_grad_by_threads};

    /// A float32 row with a tiny variance, where `b·x` and `c` cancel:
    /// torch 2.15's values (the unfused order gives -35.62451171875 last).
    #[test]
    fn float32_input_grad_uses_the_fused_steps() {
        let f = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let g = f(&[1.237_916_7, -0.864_635_6, 0.298_960_83]);
        let x = f(&[0.532_161_1, 0.507_698_2, 0.531_824_3]);
        let stats = (f64::from(0.523_894_55_f32), f64::from(84.161_575_f32));
        let dx = layer_norm_input_grad(&g, &x, (&[1.0; 3], true), stats, DType::Float32);
        assert_eq!(dx, f(&[41.618_41, -5.993_164, -35.624_756]));
    }
}
