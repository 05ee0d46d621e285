//! Group normalisation: `native_group_norm` and its backward.
//!
//! `native_group_norm(input, weight, bias, N, C, HxW, group, eps)` ->
//! `(out, mean, rstd)`: the `(N, C, *)` input is split into `group`
//! contiguous channel groups per sample; each `(n, g)` block of
//! `C / group * HxW` elements is normalised by its mean and
//! `rstd = 1 / sqrt(biased var + eps)`, then scaled by the per-channel
//! `weight` and shifted by `bias`. `mean` / `rstd` are `(N, group)`.
//!
//! Observed in torch 2.15 on CPU: `nn.GroupNorm` dispatches only this
//! operator; float16/bfloat16 inputs with float32 parameters keep float32
//! statistics (any other dtype mix is refused: "mixed dtype (CPU): all
//! inputs must share same datatype."); the output and the input gradient
//! keep a channels-last input's layout; the backward returns a weight and
//! bias gradient whenever the mask asks, even without affine parameters.

use super::common::{
    bool_list, is_reduced_float, opt_tensor, require_floating, round_to, zero_clamp,
};
use super::conv::{is_channels_last, strides_like};
use super::moments::{Lanes, rowwise_moments};
use super::norm::{accumulator, fused, lane_sum};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The kernel of `op` if it is a group normalisation operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.native_group_norm.default" => native_group_norm,
        "aten.native_group_norm_backward.default" => native_group_norm_backward,
        _ => return None,
    })
}

/// `(N, C, HxW, group)` of a group norm call, checked against the input.
#[derive(Clone, Copy, Debug)]
struct Groups {
    n: usize,
    c: usize,
    hxw: usize,
    group: usize,
}

impl Groups {
    /// Channels per group.
    fn d(&self) -> usize {
        self.c / self.group
    }

    /// Elements per `(n, g)` block.
    fn block(&self) -> usize {
        self.d() * self.hxw
    }

    /// Channel of logical element `i` of an `(N, C, *)` buffer.
    fn channel(&self, i: usize) -> usize {
        (i / self.hxw.max(1)) % self.c.max(1)
    }

    /// `(n, g)` block (flat `n * group + g`) of logical element `i`.
    fn block_of(&self, i: usize) -> usize {
        i / self.block().max(1)
    }

    fn parse(op: &str, x: &Tensor, a: &Args<'_>, at: usize) -> Result<Groups> {
        let geti = |i: usize| -> Result<usize> {
            let v = a.int(i)?;
            usize::try_from(v).map_err(|_| {
                RuntimeError::shape(op, format!("expected a non-negative size, got {v}"))
            })
        };
        let (n, c, hxw, group) = (geti(at)?, geti(at + 1)?, geti(at + 2)?, geti(at + 3)?);
        if group == 0 || c % group != 0 {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "Expected number of channels in input to be divisible by num_groups, but got input of shape {:?} and num_groups={group}",
                    x.shape()
                ),
            ));
        }
        if n * c * hxw != x.numel() {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "Expected input of {} elements (N={n}, C={c}, HxW={hxw}), got shape {:?}",
                    n * c * hxw,
                    x.shape()
                ),
            ));
        }
        Ok(Groups { n, c, hxw, group })
    }
}

/// Per-channel parameter values (`default` when absent), length-checked.
fn channel_param(op: &str, p: Option<&Tensor>, c: usize, default: f64) -> Result<Vec<f64>> {
    match p {
        Some(t) if t.numel() == c => t.read_f64(op),
        Some(t) => Err(RuntimeError::shape(
            op,
            format!(
                "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape {:?} and input of shape [{c}]",
                t.shape()
            ),
        )),
        None => Ok(vec![default; c]),
    }
}

/// dtype of the statistics: float32 for a float16/bfloat16 input with
/// float32 parameters, else the input's; other mixes are refused.
fn stats_dtype(op: &str, x: DType, params: [Option<&Tensor>; 2]) -> Result<DType> {
    let mut dtype = x;
    for p in params.into_iter().flatten() {
        match (x, p.dtype()) {
            (a, b) if a == b => {}
            (DType::Float16 | DType::BFloat16, DType::Float32) => dtype = DType::Float32,
            _ => {
                return Err(RuntimeError::shape(
                    op,
                    "mixed dtype (CPU): all inputs must share same datatype.",
                ));
            }
        }
    }
    Ok(dtype)
}

/// Mean and biased variance of one `(n, g)` block as PyTorch's kernel
/// computes them ([`rowwise_moments`] in the accumulation type: float64 for
/// float64 blocks, float32 otherwise).
fn block_moments(block: &[f64], dtype: DType) -> (f64, f64) {
    if dtype == DType::Float64 {
        return rowwise_moments(block, Lanes::DOUBLE);
    }
    let row: Vec<f32> = block.iter().map(|&v| v as f32).collect();
    let lanes = if is_reduced_float(dtype) {
        Lanes::REDUCED
    } else {
        Lanes::FLOAT
    };
    let (mean, var) = rowwise_moments(&row, lanes);
    (f64::from(mean), f64::from(var))
}

/// A block's exact mean and biased variance, in float64: the
/// `group-norm-exact-statistics` fault.
fn exact_moments(block: &[f64]) -> (f64, f64) {
    let len = block.len().max(1) as f64;
    let mean = block.iter().sum::<f64>() / len;
    let var = block.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / len;
    (mean, var)
}

/// One normalised element: with affine parameters `x·scale + bias` where
/// `scale = rstd·w` and `bias = −scale·mean + b` (each `a·b + c` fused, as
/// the compiled kernel contracts it), else `(x − mean)·rstd`; in the
/// statistics' dtype (observed in torch 2.15).
fn normalise(x: f64, (mean, rstd): (f64, f64), affine: Option<(f64, f64)>, dtype: DType) -> f64 {
    let fma = |a: f64, b: f64, c: f64| match dtype {
        DType::Float64 => a.mul_add(b, c),
        _ => f64::from((a as f32).mul_add(b as f32, c as f32)),
    };
    match affine {
        Some((w, b)) => {
            let scale = round_to(dtype, rstd * w);
            let bias = fma(-scale, mean, b);
            fma(x, scale, bias)
        }
        None => round_to(dtype, round_to(dtype, x - mean) * rstd),
    }
}

/// `native_group_norm(input, weight, bias, N, C, HxW, group, eps)`.
pub(crate) fn native_group_norm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (weight, bias) = (opt_tensor(&a, 1)?, opt_tensor(&a, 2)?);
    ctx.check(x, "input")?;
    require_floating("GroupNormKernelImpl", "input", x.dtype())?;
    let geo = Groups::parse(ctx.op, x, &a, 3)?;
    let eps = a.scalar(7)?;
    let sdtype = stats_dtype(ctx.op, x.dtype(), [weight, bias])?;
    let shape = x.shape().to_vec();
    let blocks = geo.n * geo.group;
    let mut stats: Option<(Vec<f64>, Vec<f64>)> = None;
    let out = ctx.output(
        &shape,
        &strides_like(&shape, is_channels_last(x)),
        x.dtype(),
        || {
            let xs = x.read_f64(ctx.op)?;
            let w = channel_param(ctx.op, weight, geo.c, 1.0)?;
            let b = channel_param(ctx.op, bias, geo.c, 0.0)?;
            let len = geo.block().max(1);
            let mut means = Vec::with_capacity(blocks);
            let mut rstds = Vec::with_capacity(blocks);
            let exact = ctx.faults.group_norm_exact_statistics;
            let clamp = zero_clamp(ctx.faults.nan_clamped_to_zero);
            // PyTorch's accumulation type: the statistics and the
            // normalisation are computed in it, rounded to their dtypes
            // only when stored.
            let acc_dtype = match x.dtype() {
                DType::Float64 => DType::Float64,
                _ => DType::Float32,
            };
            for block in xs.chunks(len).take(blocks) {
                let (mean, var) = if exact {
                    exact_moments(block)
                } else {
                    block_moments(block, x.dtype())
                };
                means.push(mean);
                rstds.push(round_to(acc_dtype, 1.0 / (clamp(var, 0.0) + eps).sqrt()));
            }
            let affine = weight.is_some() || bias.is_some();
            let out = xs
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let (k, c) = (geo.block_of(i), geo.channel(i));
                    normalise(
                        v,
                        (means[k], rstds[k]),
                        affine.then(|| (w[c], b[c])),
                        acc_dtype,
                    )
                })
                .collect();
            stats = Some((means, rstds));
            Ok(out)
        },
    )?;
    let (means, rstds) = stats.unwrap_or_default();
    let sshape = [geo.n as i64, geo.group as i64];
    let sstrides = [geo.group as i64, 1];
    let mean = ctx.output(&sshape, &sstrides, sdtype, || Ok(means))?;
    let rstd = ctx.output(&sshape, &sstrides, sdtype, || Ok(rstds))?;
    Ok(vec![out.into(), mean.into(), rstd.into()])
}

/// The input, the gradient (logical order) and their per-`(n, c)` plane
/// sums `ds = Σ g x`, `db = Σ g`.
struct PlaneSums {
    xs: Vec<f64>,
    gs: Vec<f64>,
    ds: Vec<f64>,
    db: Vec<f64>,
}

/// `native_group_norm_backward(grad_out, input, mean, rstd, weight, N, C,
/// HxW, group, output_mask)` -> `(grad_input, grad_weight, grad_bias)`,
/// `None` where the mask is false. As PyTorch's CPU kernel: with
/// `ds[n,c] = Σ g x`, `db[n,c] = Σ g` over the plane and, per `(n, g)`
/// block of `M = C/group · HxW` elements, `ds' = Σ_c ds γ`, `db' = Σ_c db γ`,
/// `c2 = (db'·mean - ds')·rstd³/M`, `c3 = -c2·mean - db'·rstd/M`:
/// `grad_input = rstd γ g + c2 x + c3`;
/// `grad_weight[c] = Σ_n (ds - db·mean)·rstd`, `grad_bias[c] = Σ_n db`.
/// A contiguous float32 input takes the kernel's order for `ds'`/`db'`
/// ([`weighted_channel_sums_f32`]) and the parameter gradients
/// ([`parameter_grads_f32`]), bit for bit.
pub(crate) fn native_group_norm_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, mean, rstd) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.tensor(3)?);
    let weight = opt_tensor(&a, 4)?;
    ctx.check(g, "grad_out")?;
    ctx.check(x, "input")?;
    require_floating("GroupNormBackwardKernelImpl", "input", x.dtype())?;
    let geo = Groups::parse(ctx.op, x, &a, 5)?;
    let mask = bool_list(&a, 9)?;
    let want = |i: usize| mask.get(i).copied().unwrap_or(false);
    if g.shape() != x.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_out {:?} must have the input's shape {:?}",
                g.shape(),
                x.shape()
            ),
        ));
    }
    let blocks = geo.n * geo.group;
    if mean.numel() != blocks || rstd.numel() != blocks {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "mean {:?} and rstd {:?} must hold N * group = {blocks} elements",
                mean.shape(),
                rstd.shape()
            ),
        ));
    }
    // Per (n, c): Σ g x and Σ g over the plane, in the vectorised lane
    // order of PyTorch's kernel for float32/float64 (f64 otherwise).
    let dtype = x.dtype();
    let kernel_order =
        matches!(dtype, DType::Float32 | DType::Float64) && !ctx.faults.group_norm_exact_statistics;
    // float32 channel sums and parameter gradients in the kernel's lanes
    // and order (a contiguous input; channels-last runs another kernel).
    let lanes_f32 = kernel_order
        && dtype == DType::Float32
        && !is_channels_last(x)
        && !ctx.faults.group_norm_backward_sums_in_sequence;
    let sums = || -> Result<PlaneSums> {
        let (xs, gs) = (x.read_f64(ctx.op)?, g.read_f64(ctx.op)?);
        let hxw = geo.hxw.max(1);
        let ones = vec![1.0; hxw];
        let (ds, db) = if kernel_order {
            gs.chunks(hxw)
                .zip(xs.chunks(hxw))
                .map(|(g, x)| (lane_sum(g, x, dtype), lane_sum(g, &ones, dtype)))
                .unzip()
        } else {
            gs.chunks(hxw)
                .zip(xs.chunks(hxw))
                .map(|(g, x)| {
                    (
                        g.iter().zip(x).map(|(g, x)| g * x).sum::<f64>(),
                        g.iter().sum::<f64>(),
                    )
                })
                .unzip()
        };
        Ok(PlaneSums { xs, gs, ds, db })
    };
    let grad_input = if want(0) {
        let shape = x.shape().to_vec();
        let out = ctx.output(
            &shape,
            &strides_like(&shape, is_channels_last(x)),
            x.dtype(),
            || {
                let PlaneSums { xs, gs, ds, db } = sums()?;
                let (ms, rs) = (mean.read_f64(ctx.op)?, rstd.read_f64(ctx.op)?);
                let w = channel_param(ctx.op, weight, geo.c, 1.0)?;
                let d = geo.d();
                let s = 1.0 / geo.block().max(1) as f64;
                let exact = kernel_order;
                let (acc, fma) = (accumulator(dtype), fused(dtype));
                let s = acc(s);
                let mut c2 = vec![0f64; blocks];
                let mut c3 = vec![0f64; blocks];
                for k in 0..blocks {
                    let (n, grp) = (k / geo.group, k % geo.group);
                    let (mut ds_v, mut db_v) = (0.0, 0.0);
                    let channels = grp * d..(grp + 1) * d;
                    let planes = n * geo.c + channels.start..n * geo.c + channels.end;
                    if lanes_f32 {
                        (ds_v, db_v) = weighted_channel_sums_f32(
                            &ds[planes.clone()],
                            &db[planes.clone()],
                            &w[channels.clone()],
                        );
                    }
                    for ((ds_c, db_c), w_c) in ds[planes.clone()]
                        .iter()
                        .zip(&db[planes])
                        .zip(&w[channels])
                        .filter(|_| !lanes_f32)
                    {
                        if exact {
                            ds_v = fma(*ds_c, *w_c, ds_v);
                            db_v = fma(*db_c, *w_c, db_v);
                        } else {
                            ds_v += ds_c * w_c;
                            db_v += db_c * w_c;
                        }
                    }
                    let r = rs[k];
                    if exact {
                        let diff = fma(db_v, ms[k], -ds_v);
                        c2[k] = acc(acc(acc(acc(diff * r) * r) * r) * s);
                        c3[k] = fma(-acc(db_v * r), s, -acc(c2[k] * ms[k]));
                    } else {
                        c2[k] = (db_v * ms[k] - ds_v) * r * r * r * s;
                        c3[k] = -c2[k] * ms[k] - db_v * r * s;
                    }
                }
                Ok(gs
                    .iter()
                    .zip(&xs)
                    .enumerate()
                    .map(|(i, (&gv, &xv))| {
                        let (k, c) = (geo.block_of(i), geo.channel(i));
                        if exact {
                            let c1 = acc(rs[k] * w[c]);
                            acc(fma(c1, gv, acc(c2[k] * xv)) + c3[k])
                        } else {
                            rs[k] * w[c] * gv + c2[k] * xv + c3[k]
                        }
                    })
                    .collect())
            },
        )?;
        IValue::from(out)
    } else {
        IValue::None
    };
    let pdtype = weight.map_or(mean.dtype(), Tensor::dtype);
    let param_grad = |i: usize, with_stats: bool| -> Result<IValue> {
        if !want(i) {
            return Ok(IValue::None);
        }
        let c = geo.c as i64;
        let out = ctx.output(&[c], &[1], pdtype, || {
            let PlaneSums { ds, db, .. } = sums()?;
            let (ms, rs) = (mean.read_f64(ctx.op)?, rstd.read_f64(ctx.op)?);
            let d = geo.d().max(1);
            if lanes_f32 {
                return Ok(parameter_grads_f32(&ds, &db, &ms, &rs, geo, with_stats));
            }
            let mut acc = vec![0f64; geo.c];
            for n in 0..geo.n {
                for (ch, slot) in acc.iter_mut().enumerate() {
                    let nc = n * geo.c + ch;
                    let k = n * geo.group + ch / d;
                    *slot += if with_stats {
                        (ds[nc] - db[nc] * ms[k]) * rs[k]
                    } else {
                        db[nc]
                    };
                }
            }
            Ok(acc)
        })?;
        Ok(out.into())
    };
    let grad_weight = param_grad(1, true)?;
    let grad_bias = param_grad(2, false)?;
    Ok(vec![grad_input, grad_weight, grad_bias])
}

/// float32 lanes of the AVX2 kernels PyTorch's group norm backward runs
/// (on AVX-512 machines too, measured on torch 2.15).
const GROUP_NORM_LANES: usize = 8;

/// `(Σ ds·γ, Σ db·γ)` over one group's channels as PyTorch's float32
/// kernel sums them (measured bit for bit on torch 2.15 over group sizes
/// 1 to 25): whole vectors of 8 channels accumulate per lane with fused
/// multiply-adds, the 8 lanes are added in order from 0, then the
/// remaining channels one by one — in fours as plain rounded products
/// (the compiler's 4-wide code), the last one to three with fused
/// multiply-adds.
fn weighted_channel_sums_f32(ds: &[f64], db: &[f64], w: &[f64]) -> (f64, f64) {
    let d = ds.len().min(db.len()).min(w.len());
    let whole = d / GROUP_NORM_LANES * GROUP_NORM_LANES;
    let mut ds_lanes = [0f32; GROUP_NORM_LANES];
    let mut db_lanes = [0f32; GROUP_NORM_LANES];
    for j in 0..whole {
        let (l, wj) = (j % GROUP_NORM_LANES, w[j] as f32);
        ds_lanes[l] = (ds[j] as f32).mul_add(wj, ds_lanes[l]);
        db_lanes[l] = (db[j] as f32).mul_add(wj, db_lanes[l]);
    }
    let mut ds_v = ds_lanes.iter().fold(0f32, |s, &v| s + v);
    let mut db_v = db_lanes.iter().fold(0f32, |s, &v| s + v);
    let fours = whole + (d - whole) / 4 * 4;
    for j in whole..d {
        let (dsj, dbj, wj) = (ds[j] as f32, db[j] as f32, w[j] as f32);
        if j < fours {
            ds_v += dsj * wj;
            db_v += dbj * wj;
        } else {
            ds_v = dsj.mul_add(wj, ds_v);
            db_v = dbj.mul_add(wj, db_v);
        }
    }
    (f64::from(ds_v), f64::from(db_v))
}

/// float32 weight (`with_stats`) or bias gradient as PyTorch's kernel sums
/// it over the batch, in order from 0: `acc = fma(fma(−db, mean, ds),
/// rstd, acc)` per sample for the weight, `acc + db` for the bias.
fn parameter_grads_f32(
    ds: &[f64],
    db: &[f64],
    ms: &[f64],
    rs: &[f64],
    geo: Groups,
    with_stats: bool,
) -> Vec<f64> {
    let d = geo.d().max(1);
    (0..geo.c)
        .map(|ch| {
            let total = (0..geo.n).fold(0f32, |acc, n| {
                let nc = n * geo.c + ch;
                let db_v = db.get(nc).copied().unwrap_or(0.0) as f32;
                if !with_stats {
                    return acc + db_v;
                }
                let k = n * geo.group + ch / d;
                let ds_v = ds.get(nc).copied().unwrap_or(0.0) as f32;
                let (m, r) = (
                    ms.get(k).copied().unwrap_or(0.0) as f32,
                    rs.get(k).copied().unwrap_or(0.0) as f32,
                );
                (-db_v).mul_add(m, ds_v).mul_add(r, acc)
            });
            f64::from(total)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{DType, block_moments, normalise};

    /// One `(n, g)` block of 50 float32 elements around 300 (`300 +
    /// 0.05·sin(0.7·i)`): torch 2.15's `native_group_norm` mean, rstd and
    /// the element at index 38 (channel 1, weight −0.5, bias 2), with and
    /// without affine parameters. Exact statistics give other values.
    #[test]
    fn block_statistics_and_outputs_match_torch() {
        let block: Vec<f64> = (0..50)
            .map(|i| f64::from((300.0 + 0.05 * (f64::from(i) * 0.7).sin()) as f32))
            .collect();
        let (mean, var) = block_moments(&block, DType::Float32);
        let rstd = f64::from((1.0 / (var + 1e-5).sqrt()) as f32);
        assert_eq!(mean, 300.002_838_134_765_6);
        assert_eq!(rstd, 28.446_811_676_025_39);
        let x = block[38];
        assert_eq!(
            normalise(x, (mean, rstd), Some((-0.5, 2.0)), DType::Float32),
            1.332_736_134_529_113_8
        );
        assert_eq!(
            normalise(x, (mean, rstd), None, DType::Float32),
            1.334_312_438_964_843_8
        );
    }
}
