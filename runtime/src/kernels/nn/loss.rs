//! Classification losses: `nll_loss_forward` / `nll_loss_backward`, their
//! spatial variants `nll_loss2d_*`, and `binary_cross_entropy` (+ backward)
//! and `binary_cross_entropy_with_logits`.
//!
//! Reduction codes are PyTorch's: 0 none, 1 mean, 2 sum. Observed in torch
//! 2.15: `F.cross_entropy` dispatches `_log_softmax` then `nll_loss_forward`
//! (`nll_loss2d_forward` for a `(N, C, H, W)` input); `F.nll_loss` with a
//! weight keeps it as a `[C]` tensor; `F.binary_cross_entropy` expands its
//! weight to the input's shape (an `expand` event) before the kernel.

use super::super::Kernel;
use super::super::KernelCtx;
use super::super::iter::read_broadcast;
use super::common::{is_reduced_float, opt_tensor, round_to};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::reduce::{Layout, cascade_means, cascade_sums};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// The kernel of `op` if it is one of these losses.
pub(super) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.nll_loss_forward.default" => nll_loss_forward,
        "aten.nll_loss_backward.default" => nll_loss_backward,
        "aten.nll_loss2d_forward.default" => nll_loss2d_forward,
        "aten.nll_loss2d_backward.default" => nll_loss2d_backward,
        "aten.binary_cross_entropy.default" => binary_cross_entropy,
        "aten.binary_cross_entropy_backward.default" => binary_cross_entropy_backward,
        "aten.binary_cross_entropy_with_logits.default" => binary_cross_entropy_with_logits,
        _ => return None,
    })
}

/// PyTorch's reduction enum.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reduction {
    None,
    Mean,
    Sum,
}

fn reduction(op: &str, code: i64) -> Result<Reduction> {
    match code {
        0 => Ok(Reduction::None),
        1 => Ok(Reduction::Mean),
        2 => Ok(Reduction::Sum),
        other => Err(RuntimeError::unsupported(
            op,
            format!("reduction code {other}"),
        )),
    }
}

/// The shape of an NLL problem: `batch` rows of `classes` scores, each with
/// `spatial` positions (1 for `nll_loss`), and whether the input had a batch
/// dimension at all.
struct NllGeometry {
    batch: usize,
    classes: usize,
    spatial: usize,
    batched: bool,
    /// The shape of an unreduced loss.
    none_shape: Vec<i64>,
}

fn dim_size(d: i64) -> usize {
    usize::try_from(d).unwrap_or(0)
}

fn check_target_dtype(op: &str, target: &Tensor) -> Result<()> {
    if matches!(target.dtype(), DType::Int64 | DType::UInt8) {
        Ok(())
    } else {
        Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "expected target dtype to be Long or Byte, but got {}",
                target.dtype().scalar_type_name()
            ),
        })
    }
}

/// `nll_loss`: input `(C)` with a 0-dim target or `(N, C)` with `(N)`.
fn nll_geometry(op: &str, x: &Tensor, target: &Tensor) -> Result<NllGeometry> {
    check_target_dtype(op, target)?;
    let mismatch = || {
        RuntimeError::shape(
            op,
            format!(
                "size mismatch (got input: {:?}, target: {:?})",
                x.shape(),
                target.shape()
            ),
        )
    };
    match (x.shape(), target.shape()) {
        (&[c], []) => Ok(NllGeometry {
            batch: 1,
            classes: dim_size(c),
            spatial: 1,
            batched: false,
            none_shape: vec![],
        }),
        (&[n, c], &[m]) if n == m => Ok(NllGeometry {
            batch: dim_size(n),
            classes: dim_size(c),
            spatial: 1,
            batched: true,
            none_shape: vec![n],
        }),
        (s, _) if s.len() > 2 || s.is_empty() => {
            Err(RuntimeError::shape(op, "input tensor should be 1D or 2D"))
        }
        _ => Err(mismatch()),
    }
}

/// `nll_loss2d`: input `(N, C, H, W)` with target `(N, H, W)`.
fn nll2d_geometry(op: &str, x: &Tensor, target: &Tensor) -> Result<NllGeometry> {
    check_target_dtype(op, target)?;
    match (x.shape(), target.shape()) {
        (&[n, c, h, w], &[tn, th, tw]) if (n, h, w) == (tn, th, tw) => Ok(NllGeometry {
            batch: dim_size(n),
            classes: dim_size(c),
            spatial: dim_size(h) * dim_size(w),
            batched: true,
            none_shape: vec![n, h, w],
        }),
        (s, _) if s.len() != 4 => Err(RuntimeError::shape(
            op,
            format!(
                "only batches of spatial inputs supported (4D tensors), but got input of size: {s:?}"
            ),
        )),
        _ => Err(RuntimeError::shape(
            op,
            format!(
                "size mismatch (got input: {:?} , target: {:?}",
                x.shape(),
                target.shape()
            ),
        )),
    }
}

/// PyTorch's 2-d kernels read the target as int64 after every other
/// check: a Byte target, which `nll_loss_forward` accepts, raises there
/// ("expected scalar type Long but found Byte") once the geometry and the
/// class weights' count have passed.
fn check_2d_target_long(
    ctx: &KernelCtx<'_>,
    target: &Tensor,
    weight: Option<&Tensor>,
    classes: usize,
) -> Result<()> {
    if !ctx.op.starts_with("aten.nll_loss2d")
        || target.dtype() != DType::UInt8
        || ctx.faults.nll2d_accepts_byte
    {
        return Ok(());
    }
    if ctx.has_data() {
        class_weights(ctx.op, weight, classes)?;
    }
    Err(RuntimeError::TypeCast {
        op: ctx.op.to_owned(),
        message: "expected scalar type Long but found Byte".to_owned(),
    })
}

/// Class weights (all 1 without a weight tensor), checking their count.
fn class_weights(op: &str, weight: Option<&Tensor>, classes: usize) -> Result<Vec<f64>> {
    let Some(w) = weight else {
        return Ok(vec![1.0; classes]);
    };
    if w.numel() != classes {
        return Err(RuntimeError::shape(
            op,
            format!(
                "weight tensor should be defined either for all {classes} classes or no classes but got weight tensor of shape: {:?}",
                w.shape()
            ),
        ));
    }
    w.read_f64(op)
}

/// Per target position: its class (None when ignored), checked in range.
fn target_classes(
    op: &str,
    target: &Tensor,
    classes: usize,
    ignore_index: i64,
) -> Result<Vec<Option<usize>>> {
    target
        .read_i64(op)?
        .into_iter()
        .map(|t| {
            if t == ignore_index {
                Ok(None)
            } else if (0..classes as i64).contains(&t) {
                Ok(Some(t as usize))
            } else {
                Err(RuntimeError::index(
                    op,
                    format!("Target {t} is out of bounds."),
                ))
            }
        })
        .collect()
}

/// Offset of `(n, class, s)` in the contiguous input.
fn at(g: &NllGeometry, n: usize, class: usize, s: usize) -> usize {
    (n * g.classes + class) * g.spatial + s
}

fn nll_forward(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    geometry: fn(&str, &Tensor, &Tensor) -> Result<NllGeometry>,
) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let weight = opt_tensor(a, 2)?;
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    let red = reduction(ctx.op, a.int(3)?)?;
    let ignore = a.int(4)?;
    let g = geometry(ctx.op, x, target)?;
    check_2d_target_long(ctx, target, weight, g.classes)?;
    // One pass computes both results; the closures below each take their part.
    let compute = || -> Result<(Vec<f64>, f64)> {
        let xs = x.read_f64(ctx.op)?;
        let ws = class_weights(ctx.op, weight, g.classes)?;
        let ts = target_classes(ctx.op, target, g.classes, ignore)?;
        let mut losses = Vec::with_capacity(ts.len());
        let mut total_weight = 0.0;
        for n in 0..g.batch {
            for s in 0..g.spatial {
                let loss = match ts.get(n * g.spatial + s).copied().flatten() {
                    Some(c) => {
                        total_weight += ws[c];
                        -ws[c] * xs[at(&g, n, c, s)]
                    }
                    None => 0.0,
                };
                losses.push(loss);
            }
        }
        Ok((losses, total_weight))
    };
    let dtype = x.dtype();
    let (out, total) = if red == Reduction::None && g.batched {
        let shape = g.none_shape.clone();
        let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
            Ok(compute()?.0)
        })?;
        // Observed in torch 2.15: total_weight is 0 for an unreduced batch.
        (out, ctx.output(&[], &[], dtype, || Ok(vec![0.0]))?)
    } else {
        let mut total: Option<f64> = None;
        let out = ctx.output(&[], &[], dtype, || {
            let (losses, total_weight) = if ctx.faults.nll_sum_in_double && !is_reduced_float(dtype)
            {
                let (losses, total_weight) = compute()?;
                (losses.iter().sum(), total_weight)
            } else {
                let ws = class_weights(ctx.op, weight, g.classes)?;
                let ts = target_classes(ctx.op, target, g.classes, ignore)?;
                cascade_nll(&x.read_f64(ctx.op)?, &ts, &ws, weight.is_some(), &g, dtype)
            };
            total = Some(total_weight);
            Ok(vec![match red {
                Reduction::Mean => round_to(dtype, losses / total_weight),
                _ => losses,
            }])
        })?;
        let total = ctx.output(&[], &[], dtype, || Ok(vec![total.unwrap_or(0.0)]))?;
        (out, total)
    };
    Ok(vec![out.into(), total.into()])
}

/// PyTorch's reduced `nll_loss` / `nll_loss2d` sum: `(Σ -w·x, Σ w)` over the
/// counted rows (positions, for `nll_loss2d`, in `(n, h, w)` order),
/// accumulated in the input's dtype through eight cascade levels of 16
/// (after each row whose index is a multiple of `16^(j+1)`, level `j + 1`
/// absorbs level `j`), then the levels summed in order. Observed
/// in torch 2.15, bit-exact for every float dtype given PyTorch's inputs
/// (each step rounds to the dtype; float64's are its own arithmetic).
/// Without weights the total weight is the count of counted rows.
fn cascade_nll(
    xs: &[f64],
    ts: &[Option<usize>],
    ws: &[f64],
    weighted: bool,
    g: &NllGeometry,
    dtype: DType,
) -> (f64, f64) {
    const LEVELS: usize = 8;
    const LEVEL_BITS: usize = 4;
    let r = |v: f64| round_to(dtype, v);
    let (mut loss, mut weight) = ([0f64; LEVELS], [0f64; LEVELS]);
    let mut counted = 0usize;
    for (b, t) in ts.iter().enumerate().take(g.batch * g.spatial) {
        let Some(c) = *t else { continue };
        counted += 1;
        let data = xs[at(g, b / g.spatial.max(1), c, b % g.spatial.max(1))];
        if weighted {
            loss[0] = r(loss[0] - r(data * ws[c]));
            weight[0] = r(weight[0] + ws[c]);
        } else {
            loss[0] = r(loss[0] - data);
        }
        for j in 0..LEVELS - 1 {
            let mask = 0xF_usize << (j * LEVEL_BITS);
            if b & mask != 0 {
                break;
            }
            weight[j + 1] = r(weight[j + 1] + weight[j]);
            loss[j + 1] = r(loss[j + 1] + loss[j]);
            weight[j] = 0.0;
            loss[j] = 0.0;
        }
    }
    let total_weight = if weighted {
        weight.iter().fold(0.0, |acc, w| r(acc + w))
    } else {
        counted as f64
    };
    (loss.iter().fold(0.0, |acc, l| r(acc + l)), total_weight)
}

fn nll_backward(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    geometry: fn(&str, &Tensor, &Tensor) -> Result<NllGeometry>,
) -> Result<Vec<IValue>> {
    let (grad, x, target) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let weight = opt_tensor(a, 3)?;
    let total_weight = a.tensor(6)?;
    ctx.check(grad, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    let red = reduction(ctx.op, a.int(4)?)?;
    let ignore = a.int(5)?;
    let g = geometry(ctx.op, x, target)?;
    check_2d_target_long(ctx, target, weight, g.classes)?;
    let shape = x.shape().to_vec();
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let ws = class_weights(ctx.op, weight, g.classes)?;
        let ts = target_classes(ctx.op, target, g.classes, ignore)?;
        let gs = grad.read_f64(ctx.op)?;
        let scale = if red == Reduction::Mean {
            total_weight
                .read_f64(ctx.op)?
                .first()
                .copied()
                .unwrap_or(1.0)
        } else {
            1.0
        };
        let r = |v: f64| round_to(x.dtype(), v);
        let mut values = vec![0f64; x.numel()];
        for n in 0..g.batch {
            for s in 0..g.spatial {
                let i = n * g.spatial + s;
                if let Some(c) = ts.get(i).copied().flatten() {
                    // PyTorch divides first, in the input's dtype, then
                    // scales by the class weight (observed in torch 2.15).
                    let up = if red == Reduction::None && g.batched {
                        gs.get(i).copied().unwrap_or(0.0)
                    } else {
                        r(gs.first().copied().unwrap_or(0.0) / scale)
                    };
                    values[at(&g, n, c, s)] = r(-ws[c] * up);
                }
            }
        }
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// `nll_loss_forward(self, target, weight, reduction, ignore_index)` ->
/// `(output, total_weight)`: `-weight[t] * self[n, t]` per row, summed or
/// divided by the total weight of the counted rows.
pub(crate) fn nll_loss_forward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    nll_forward(ctx, &a, nll_geometry)
}

/// `nll_loss_backward(grad_output, self, target, weight, reduction,
/// ignore_index, total_weight)`: `-weight[t] * grad` at each row's target.
pub(crate) fn nll_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    nll_backward(ctx, &a, nll_geometry)
}

/// `nll_loss2d_forward`: as `nll_loss_forward` per spatial position.
pub(crate) fn nll_loss2d_forward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    nll_forward(ctx, &a, nll2d_geometry)
}

/// `nll_loss2d_backward`: as `nll_loss_backward` per spatial position.
pub(crate) fn nll_loss2d_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    nll_backward(ctx, &a, nll2d_geometry)
}

/// Reduces elementwise losses (unreduced: laid out contiguously like `x`).
/// A float32/float64 `mean` or `sum` is the loss tensor's (PyTorch's
/// `apply_loss_reduction`): summed in its cascade order, the mean divided
/// in the dtype; other dtypes sum in float64.
fn reduce_losses(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    dtype: DType,
    red: Reduction,
    losses: impl FnOnce() -> Result<Vec<f64>>,
) -> Result<Tensor> {
    let threads = ctx.cpu.threads();
    match red {
        Reduction::None => ctx.output(shape, &contiguous_strides(shape), dtype, losses),
        _ => ctx.output(&[], &[], dtype, || {
            let l = losses()?;
            if matches!(dtype, DType::Float32 | DType::Float64)
                && !l.is_empty()
                && !ctx.faults.loss_reduction_in_double
            {
                return Ok(if red == Reduction::Mean {
                    cascade_means(&l, dtype, Layout::Full, threads, l.len())
                } else {
                    cascade_sums(&l, dtype, Layout::Full, threads)
                });
            }
            let sum: f64 = l.iter().sum();
            Ok(vec![if red == Reduction::Mean {
                sum / l.len() as f64
            } else {
                sum
            }])
        }),
    }
}

/// `weight` broadcast to `shape`, or ones.
fn broadcast_weight(op: &str, weight: Option<&Tensor>, shape: &[i64]) -> Result<Vec<f64>> {
    match weight {
        Some(w) => {
            if broadcast_shapes(w.shape(), shape).as_deref() != Some(shape) {
                return Err(RuntimeError::shape(
                    op,
                    format!(
                        "weight of shape {:?} cannot be broadcast to {shape:?}",
                        w.shape()
                    ),
                ));
            }
            read_broadcast(op, w, shape)
        }
        None => Ok(vec![1.0; crate::tensor::strides::numel(shape)]),
    }
}

fn same_shape(op: &str, x: &Tensor, target: &Tensor) -> Result<()> {
    if x.shape() != target.shape() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Using a target size ({:?}) that is different to the input size ({:?}) is deprecated. Please ensure they have the same size.",
                target.shape(),
                x.shape()
            ),
        ));
    }
    Ok(())
}

/// `binary_cross_entropy(self, target, weight=None, reduction=1)`:
/// `(t - 1) max(log1p(-x), -100) - t max(log x, -100)`, times `weight`.
/// Each arithmetic step rounds to the input's dtype, as PyTorch's scalar
/// loop does, and below float64 the logarithms are the C library's float
/// ones (`log1pf`, `logf`) that loop calls.
pub(crate) fn binary_cross_entropy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let weight = opt_tensor(&a, 2)?;
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    same_shape(ctx.op, x, target)?;
    let red = reduction(ctx.op, a.int(3)?)?;
    let shape = x.shape().to_vec();
    let dtype = x.dtype();
    let r = |v: f64| round_to(dtype, v);
    let in_float = dtype != DType::Float64;
    let ln_1p = |v: f64| {
        if in_float {
            f64::from((v as f32).ln_1p())
        } else {
            v.ln_1p()
        }
    };
    let ln = |v: f64| {
        if in_float {
            f64::from((v as f32).ln())
        } else {
            v.ln()
        }
    };
    let out = reduce_losses(ctx, &shape, dtype, red, || {
        let xs = x.read_f64(ctx.op)?;
        let ts = target.read_f64(ctx.op)?;
        let ws = match weight {
            Some(w) => Some(broadcast_weight(ctx.op, Some(w), &shape)?),
            None => None,
        };
        xs.iter()
            .zip(&ts)
            .enumerate()
            .map(|(i, (&p, &t))| {
                if !(0.0..=1.0).contains(&p) {
                    return Err(RuntimeError::shape(
                        ctx.op,
                        "all elements of input should be between 0 and 1",
                    ));
                }
                let log_q = r(r(ln_1p(-p)).max(-100.0));
                let log_p = r(r(ln(p)).max(-100.0));
                let loss = r(r(r(t - 1.0) * log_q) - r(t * log_p));
                Ok(ws.as_ref().map_or(loss, |w| r(loss * w[i])))
            })
            .collect()
    })?;
    Ok(vec![out.into()])
}

/// `binary_cross_entropy_backward(grad_output, self, target, weight=None,
/// reduction=1)`: `grad (x - t) / max((1 - x) x, 1e-12)`, then `* weight`
/// and `/ numel` for the mean, each step rounded to the input's dtype as in
/// PyTorch's kernel.
pub(crate) fn binary_cross_entropy_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad, x, target) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let weight = opt_tensor(&a, 3)?;
    ctx.check(grad, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    let red = reduction(ctx.op, a.int(4)?)?;
    let shape = x.shape().to_vec();
    let dtype = x.dtype();
    // Per-step rounding for every dtype: for float32 too it reproduced the
    // recorded losses of a GAN trained with BCELoss exactly.
    let r = |v: f64| round_to(dtype, v);
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let xs = x.read_f64(ctx.op)?;
        let ts = read_broadcast(ctx.op, target, &shape)?;
        let gs = read_broadcast(ctx.op, grad, &shape)?;
        let ws = match weight {
            Some(w) => Some(broadcast_weight(ctx.op, Some(w), &shape)?),
            None => None,
        };
        let n = xs.len() as f64;
        let eps = r(1e-12);
        Ok((0..xs.len())
            .map(|i| {
                let (p, t, g) = (xs[i], ts[i], gs[i]);
                let numerator = r(g * r(p - t));
                let denominator = r(r(r(1.0 - p) * p).max(eps));
                let mut v = r(numerator / denominator);
                if let Some(w) = &ws {
                    v = r(v * w[i]);
                }
                if red == Reduction::Mean {
                    v = r(v / n);
                }
                v
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `binary_cross_entropy_with_logits(self, target, weight=None,
/// pos_weight=None, reduction=1)`: `(1 - t) x - l · log_sigmoid(x)` with
/// `l = (pos_weight - 1) t + 1` (1 without `pos_weight`), times `weight`.
/// PyTorch composes it from tensor operations, each rounding to the
/// input's dtype; the same steps round here (observed in torch 2.15:
/// bfloat16 results differ by more than the tolerance otherwise), its
/// `log_sigmoid` in float32 vector math for float32 and the half types,
/// in float64 vector math for float64.
pub(crate) fn binary_cross_entropy_with_logits(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let weight = opt_tensor(&a, 2)?;
    let pos_weight = opt_tensor(&a, 3)?;
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    same_shape(ctx.op, x, target)?;
    let red = reduction(ctx.op, a.int(4)?)?;
    let shape = x.shape().to_vec();
    let dtype = x.dtype();
    // every step of the composition rounds to the dtype (float64 exact)
    let r = |v: f64| round_to(dtype, v);
    let float_lanes = crate::kernels::elementwise::activation::in_float32_lanes(ctx, dtype);
    let double_lanes = crate::kernels::elementwise::activation::in_float64_lanes(ctx, dtype);
    let log_sigmoid_of = |v: f64| {
        if float_lanes {
            f64::from(super::sleef_f32::log_sigmoid(v as f32).0)
        } else if double_lanes {
            super::sleef_f64::log_sigmoid(v).0
        } else {
            v.min(0.0) - (-v.abs()).exp().ln_1p()
        }
    };
    let out = reduce_losses(ctx, &shape, dtype, red, || {
        let xs = x.read_f64(ctx.op)?;
        let ts = target.read_f64(ctx.op)?;
        let ws = match weight {
            Some(w) => Some(broadcast_weight(ctx.op, Some(w), &shape)?),
            None => None,
        };
        let pws = match pos_weight {
            Some(p) => Some(broadcast_weight(ctx.op, Some(p), &shape)?),
            None => None,
        };
        Ok((0..xs.len())
            .map(|i| {
                let (v, t) = (xs[i], ts[i]);
                let mut log_sigmoid = r(log_sigmoid_of(v));
                if let Some(p) = &pws {
                    let log_weight = r(r(r(p[i] - 1.0) * t) + 1.0);
                    log_sigmoid = r(log_sigmoid * log_weight);
                }
                let loss = r(r(r(1.0 - t) * v) - log_sigmoid);
                ws.as_ref().map_or(loss, |w| r(loss * w[i]))
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}
