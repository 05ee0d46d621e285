//! `soft_margin_loss` and `multilabel_margin_loss_forward` with their
//! backward operators (`nn.SoftMarginLoss`, `nn.MultiLabelMarginLoss`).
//!
//! As ATen's CPU code (torch 2.15):
//! * `soft_margin_loss(x, y, reduction)` is `log1p(exp(neg(x) * y))`
//!   elementwise, each step rounded to the dtype (bit-identical to torch
//!   2.15 over 10⁵ float32 elements), then reduced by `mean` / `sum`
//!   (0 none, 1 mean, 2 sum); its backward
//!   `((y * exp(neg(y) * x)) * -norm) / (z + 1) * grad` with
//!   `norm = 1/numel` for the mean, else 1, each step rounded.
//! * `multilabel_margin_loss_forward(x, target, reduction)` returns the
//!   loss and `is_target` (the dtype of `x`, the shape of `target`, 1 at
//!   each sample's target classes, listed up to the first `-1`). Per sample
//!   the hinge terms `z = 1 - x[t] + x[d]` over targets `t` and non-target
//!   classes `d` are formed in the dtype and summed in double, divided by
//!   `dim`; the mean divides by the samples too. The backward adds `g`
//!   (`1/(N·dim)` for the mean, else `1/dim`, in the dtype) to each `x[d]`
//!   and takes it from `x[t]` per positive term, in loop order and in the
//!   dtype, then multiplies by the incoming gradient.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote::promote_types;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// The kernel of `op` if it is one of these margin losses.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.soft_margin_loss.default" => soft_margin_loss,
        "aten.soft_margin_loss_backward.default" => soft_margin_loss_backward,
        "aten.multilabel_margin_loss_forward.default" => multilabel_margin_loss_forward,
        "aten.multilabel_margin_loss_backward.default" => multilabel_margin_loss_backward,
        _ => return None,
    })
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

fn floating(op: &str, name: &str, dtype: DType) -> Result<()> {
    if matches!(dtype, DType::Float32 | DType::Float64) {
        return Ok(());
    }
    Err(RuntimeError::KernelDtype {
        op: op.to_owned(),
        message: format!(
            "\"{name}\" not implemented for '{}'",
            dtype.scalar_type_name()
        ),
    })
}

/// `soft_margin_loss(self, target, reduction=1)`.
pub(crate) fn soft_margin_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "target")?;
    let op = ctx.op;
    let reduction = reduction(op, a.int(2)?)?;
    let shape = broadcast_shapes(x.shape(), y.shape())
        .ok_or_else(|| crate::kernels::elementwise::broadcast_mismatch(op, x.shape(), y.shape()))?;
    let dtype = x.dtype();
    let round = move |v: f64| cast_value(dtype, v);
    let fault = ctx.faults.soft_margin_log_without_1p;
    let terms = || -> Result<Vec<f64>> {
        let xs = read_broadcast(op, x, &shape)?;
        let ys = read_broadcast(op, y, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .map(|(&p, &q)| {
                let e = round(round(round(-p) * q).exp());
                if fault {
                    round(e.ln())
                } else {
                    round(e.ln_1p())
                }
            })
            .collect())
    };
    let out = if reduction == 0 {
        let strides = output_strides(&shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())]);
        ctx.output(&shape, &strides, dtype, terms)?
    } else {
        // `mean()`/`sum()` of the loss tensor, laid out as both inputs
        let cascade = matches!(dtype, DType::Float32 | DType::Float64)
            && !ctx.faults.loss_reduction_in_double
            && crate::kernels::loss::cascades_in_order(ctx.faults, x, y, &shape);
        let threads = ctx.cpu.threads();
        ctx.output(&[], &[], dtype, || {
            Ok(vec![crate::kernels::loss::loss_total(
                &terms()?,
                dtype,
                reduction,
                cascade,
                threads,
            )])
        })?
    };
    Ok(vec![out.into()])
}

/// `soft_margin_loss_backward(grad_output, self, target, reduction)`.
pub(crate) fn soft_margin_loss_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, y) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(g, "grad_output"), (x, "self"), (y, "target")] {
        ctx.check(t, name)?;
    }
    let op = ctx.op;
    let reduction = reduction(op, a.int(3)?)?;
    let dtype = promote_types(x.dtype(), y.dtype());
    let round = move |v: f64| cast_value(dtype, v);
    let shape = x.shape().to_vec();
    let norm = if reduction == 1 {
        1.0 / x.numel().max(1) as f64
    } else {
        1.0
    };
    let norm = round(-norm);
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let xs = x.read_f64(op)?;
        let ys = read_broadcast(op, y, &shape)?;
        let gs = read_broadcast(op, g, &shape)?;
        Ok(xs
            .iter()
            .zip(&ys)
            .zip(&gs)
            .map(|((&p, &q), &d)| {
                let z = round(round(round(-q) * p).exp());
                let num = round(round(q * z) * norm);
                round(round(num / round(z + 1.0)) * d)
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `multilabel_margin_loss_shape_check`: `(frames, dim)`.
fn shape_check(op: &str, x: &Tensor, target: &Tensor) -> Result<(usize, usize)> {
    let shape = x.shape();
    let valid = match shape {
        [] => true,
        [d] | [_, d] => *d != 0,
        _ => false,
    };
    if !valid {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected non-empty vector or matrix with optional 0-dim batch size, but got: {shape:?}"
            ),
        ));
    }
    let (frames, dim) = match shape {
        [] => (1, 1),
        [d] => (1, *d),
        [n, d] => (*n, *d),
        _ => (0, 0),
    };
    let consistent = if x.dim() <= 1 {
        target.dim() <= 1 && target.numel() as i64 == dim
    } else {
        target.shape() == [frames, dim]
    };
    if !consistent {
        return Err(RuntimeError::shape(
            op,
            format!(
                "inconsistent size {:?} for argument #2 'target'",
                target.shape()
            ),
        ));
    }
    let as_usize = |v: i64| usize::try_from(v).unwrap_or(0);
    Ok((as_usize(frames), as_usize(dim)))
}

/// The targets, checked to lie in `[-1, dim)`.
fn targets(op: &str, target: &Tensor, dim: usize, arg: usize) -> Result<Vec<i64>> {
    let ts = target.read_i64(op)?;
    if ts.iter().any(|&t| t < -1 || t >= dim as i64) {
        return Err(RuntimeError::shape(
            op,
            format!("argument #{arg} 'target' is out of range"),
        ));
    }
    Ok(ts)
}

/// One sample's target classes: those listed before the first `-1`.
fn listed(row: &[i64]) -> impl Iterator<Item = usize> + '_ {
    row.iter()
        .take_while(|&&t| t >= 0)
        .map(|&t| usize::try_from(t).unwrap_or(0))
}

/// `multilabel_margin_loss_forward(self, target, reduction)` →
/// `(output, is_target)`.
pub(crate) fn multilabel_margin_loss_forward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    let op = ctx.op;
    let reduction = reduction(op, a.int(2)?)?;
    let (frames, dim) = shape_check(op, x, target)?;
    floating(op, "multilabel_margin_loss_forward_out_frame", x.dtype())?;
    let dtype = x.dtype();
    let round = move |v: f64| cast_value(dtype, v);
    let counts_targets = ctx.faults.multilabel_margin_counts_targets;
    let out_shape: Vec<i64> = if reduction != 0 || target.dim() <= 1 {
        Vec::new()
    } else {
        vec![frames as i64]
    };
    let ts = targets(op, target, dim, 2)?;
    let xs = x.read_f64(op)?;
    let mut is_target = vec![0.0; frames * dim];
    let mut sums = Vec::with_capacity(frames);
    for i in 0..frames {
        let (row, trow) = (&xs[i * dim..(i + 1) * dim], &ts[i * dim..(i + 1) * dim]);
        let flags = &mut is_target[i * dim..(i + 1) * dim];
        for t in listed(trow) {
            flags[t] = 1.0;
        }
        let mut sum = 0.0_f64;
        for t in listed(trow) {
            let hinged = |d: usize| flags[d] == 0.0 || (counts_targets && d != t);
            for d in (0..dim).filter(|&d| hinged(d)) {
                let z = round(round(1.0 - row[t]) + row[d]);
                if z > 0.0 {
                    sum += z;
                }
            }
        }
        sums.push(sum);
    }
    let values = if reduction == 0 && target.dim() > 1 {
        sums.iter().map(|&s| round(round(s) / dim as f64)).collect()
    } else {
        let mut total: f64 = sums.iter().sum();
        total /= dim as f64;
        if reduction == 1 {
            total /= frames.max(1) as f64;
        }
        vec![total]
    };
    let out = ctx.output(&out_shape, &contiguous_strides(&out_shape), dtype, || {
        Ok(values)
    })?;
    let flags = ctx.output(
        target.shape(),
        &contiguous_strides(target.shape()),
        dtype,
        || Ok(is_target),
    )?;
    Ok(vec![out.into(), flags.into()])
}

/// `multilabel_margin_loss_backward(grad_output, self, target, reduction,
/// is_target)`.
pub(crate) fn multilabel_margin_loss_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad, x, target, is_target) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.tensor(4)?);
    for (t, name) in [
        (grad, "grad_output"),
        (x, "self"),
        (target, "target"),
        (is_target, "is_target"),
    ] {
        ctx.check(t, name)?;
    }
    let op = ctx.op;
    let reduction = reduction(op, a.int(3)?)?;
    let (frames, dim) = shape_check(op, x, target)?;
    if is_target.shape() != target.shape() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected tensor for argument #5 'is_target' to have the same size as tensor for argument #3 'target'; but {:?} does not equal {:?}",
                is_target.shape(),
                target.shape()
            ),
        ));
    }
    floating(op, "multilabel_margin_loss_backward_out_frame", x.dtype())?;
    let dtype = x.dtype();
    let round = move |v: f64| cast_value(dtype, v);
    let per_sample = reduction == 0 && grad.dim() > 0;
    if per_sample && grad.numel() != frames {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected a tensor of dimension 1 and tensor.size[0] == {frames} but got: dimension {} and tensor.size[0] == {}",
                grad.dim(),
                grad.shape().first().copied().unwrap_or(0)
            ),
        ));
    }
    let ts = targets(op, target, dim, 3)?;
    let out = ctx.output(x.shape(), &contiguous_strides(x.shape()), dtype, || {
        let xs = x.read_f64(op)?;
        let flags = is_target.read_f64(op)?;
        let gs = grad.read_f64(op)?;
        let g = round(if reduction == 1 {
            1.0 / (frames * dim) as f64
        } else {
            1.0 / dim as f64
        });
        let mut out = vec![0.0; frames * dim];
        for i in 0..frames {
            let range = i * dim..(i + 1) * dim;
            let (row, trow, frow) = (
                &xs[range.clone()],
                &ts[range.clone()],
                &flags[range.clone()],
            );
            let grads = &mut out[range];
            for t in listed(trow) {
                for d in (0..dim).filter(|&d| frow[d] == 0.0) {
                    let z = round(round(1.0 - row[t]) + row[d]);
                    if z > 0.0 {
                        grads[t] = round(grads[t] - g);
                        grads[d] = round(grads[d] + g);
                    }
                }
            }
        }
        for (i, v) in out.iter_mut().enumerate() {
            let upstream = if per_sample {
                gs[i / dim.max(1)]
            } else {
                gs.first().copied().unwrap_or(0.0)
            };
            *v = round(*v * upstream);
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}
