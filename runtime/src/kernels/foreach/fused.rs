//! The fused optimizer steps of `torch.optim` with `fused=True` on CPU:
//! `_fused_sgd_`, `_fused_adam_`, `_fused_adamw_`, `_fused_adagrad_` (and
//! their `tensor_lr` overloads). Each updates its parameter list and state
//! lists in place, element by element, and returns nothing; observed in
//! torch 2.15: `grads` are read but never written (even with `maximize` or
//! weight decay), no version changes, the step counters are advanced by the
//! Python optimizer (`_foreach_add_`) before the call.
//!
//! With `found_inf` set to a non-zero value the step is skipped; with a
//! `grad_scale` the gradients are divided by it first (GradScaler).

use super::self_list;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;

/// The parameter list and the state lists, all as long as `self`.
fn lists<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, at: &[usize]) -> Result<Vec<&'a [Tensor]>> {
    let params = self_list(ctx, a, 0)?;
    let mut out = vec![params];
    for &i in at {
        out.push(super::other_list(ctx, a, i, params.len())?);
    }
    Ok(out)
}

/// A float argument or a one-element tensor (`tensor_lr`).
fn number(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<f64> {
    match a.values.get(i) {
        Some(IValue::Tensor(t)) => first(ctx, t),
        _ => a.scalar(i),
    }
}

/// The first element of a tensor (0 on meta).
fn first(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<f64> {
    if !ctx.has_data() {
        return Ok(0.0);
    }
    Ok(t.read_f64(ctx.op)?.first().copied().unwrap_or(0.0))
}

/// `grad_scale` and whether `found_inf` says to skip the step.
fn scaler(ctx: &KernelCtx<'_>, a: &Args<'_>, scale_at: usize) -> Result<(Option<f64>, bool)> {
    let scale = match a.values.get(scale_at) {
        Some(IValue::Tensor(t)) => Some(first(ctx, t)?),
        _ => None,
    };
    let skip = match a.values.get(scale_at + 1) {
        Some(IValue::Tensor(t)) => first(ctx, t)? != 0.0,
        _ => false,
    };
    Ok((scale, skip))
}

/// The gradient as the update uses it: unscaled, negated for `maximize`.
fn gradient(
    ctx: &KernelCtx<'_>,
    g: &Tensor,
    scale: Option<f64>,
    maximize: bool,
) -> Result<Vec<f64>> {
    let mut values = g.read_f64(ctx.op)?;
    for v in &mut values {
        if let Some(s) = scale {
            *v /= s;
        }
        if maximize {
            *v = -*v;
        }
    }
    Ok(values)
}

/// Checks that a state tensor matches its parameter's shape.
fn same_shape(ctx: &KernelCtx<'_>, p: &Tensor, t: &Tensor) -> Result<()> {
    if p.shape() == t.shape() {
        return Ok(());
    }
    Err(RuntimeError::shape(
        ctx.op,
        format!(
            "state tensor of shape {:?} does not match its parameter of shape {:?}",
            t.shape(),
            p.shape()
        ),
    ))
}

/// Kernel of `_fused_sgd_` (both overloads).
pub(super) fn sgd(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let params = self_list(ctx, &a, 0)?;
    let grads = super::other_list(ctx, &a, 1, params.len())?;
    let (wd, momentum, lr, dampening) = (
        a.scalar(3)?,
        a.scalar(4)?,
        number(ctx, &a, 5)?,
        a.scalar(6)?,
    );
    let (nesterov, maximize, first_step) = (a.bool(7)?, a.bool(8)?, a.bool(9)?);
    let bufs = if momentum != 0.0 {
        super::other_list(ctx, &a, 2, params.len())?
    } else {
        &[]
    };
    let (scale, skip) = scaler(ctx, &a, 10)?;
    if skip || !ctx.has_data() {
        return Ok(Vec::new());
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let mut d = gradient(ctx, g, scale, maximize)?;
        let x = p.read_f64(ctx.op)?;
        for (d, x) in d.iter_mut().zip(&x) {
            *d += wd * x;
        }
        if let Some(buf) = bufs.get(i) {
            same_shape(ctx, p, buf)?;
            let b: Vec<f64> = if first_step {
                d.clone()
            } else {
                let old = buf.read_f64(ctx.op)?;
                old.iter()
                    .zip(&d)
                    .map(|(b, d)| momentum * b + (1.0 - dampening) * d)
                    .collect()
            };
            buf.write_f64(ctx.op, &b)?;
            let b = buf.read_f64(ctx.op)?;
            for (d, b) in d.iter_mut().zip(&b) {
                *d = if nesterov { *d + momentum * b } else { *b };
            }
        }
        let updated: Vec<f64> = x.iter().zip(&d).map(|(x, d)| x - lr * d).collect();
        p.write_f64(ctx.op, &updated)?;
    }
    Ok(Vec::new())
}

/// Kernel of `_fused_adam_` and `_fused_adamw_` (both overloads).
pub(super) fn adam(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let decoupled = ctx.op.starts_with("aten._fused_adamw_");
    let l = lists(ctx, &a, &[1, 2, 3])?;
    let (params, grads, exp_avgs, exp_avg_sqs) = (l[0], l[1], l[2], l[3]);
    let amsgrad = a.bool(11)?;
    let maxes = if amsgrad {
        super::other_list(ctx, &a, 4, params.len())?
    } else {
        &[]
    };
    let steps = super::other_list(ctx, &a, 5, params.len())?;
    let lr = number(ctx, &a, 6)?;
    let (beta1, beta2, wd, eps) = (a.scalar(7)?, a.scalar(8)?, a.scalar(9)?, a.scalar(10)?);
    let maximize = a.bool(12)?;
    let (scale, skip) = scaler(ctx, &a, 13)?;
    if skip || !ctx.has_data() {
        return Ok(Vec::new());
    }
    for (i, p) in params.iter().enumerate() {
        let (m_t, v_t) = (&exp_avgs[i], &exp_avg_sqs[i]);
        same_shape(ctx, p, m_t)?;
        same_shape(ctx, p, v_t)?;
        let mut x = p.read_f64(ctx.op)?;
        let mut d = gradient(ctx, &grads[i], scale, maximize)?;
        if wd != 0.0 {
            if decoupled {
                x.iter_mut().for_each(|x| *x *= 1.0 - lr * wd);
            } else {
                d.iter_mut().zip(&x).for_each(|(d, x)| *d += wd * x);
            }
        }
        let m: Vec<f64> = m_t
            .read_f64(ctx.op)?
            .iter()
            .zip(&d)
            .map(|(m, d)| m + (d - m) * (1.0 - beta1))
            .collect();
        let v: Vec<f64> = v_t
            .read_f64(ctx.op)?
            .iter()
            .zip(&d)
            .map(|(v, d)| v * beta2 + (1.0 - beta2) * d * d)
            .collect();
        m_t.write_f64(ctx.op, &m)?;
        v_t.write_f64(ctx.op, &v)?;
        let v = match maxes.get(i) {
            Some(max_t) => {
                same_shape(ctx, p, max_t)?;
                let mx: Vec<f64> = max_t
                    .read_f64(ctx.op)?
                    .iter()
                    .zip(&v)
                    .map(|(a, b)| a.max(*b))
                    .collect();
                max_t.write_f64(ctx.op, &mx)?;
                mx
            }
            None => v,
        };
        let step = first(ctx, &steps[i])?;
        let bc1 = 1.0 - beta1.powf(step);
        let bc2_sqrt = (1.0 - beta2.powf(step)).sqrt();
        let step_size = lr / bc1;
        let updated: Vec<f64> = x
            .iter()
            .zip(m.iter().zip(&v))
            .map(|(x, (m, v))| x - step_size * m / (v.sqrt() / bc2_sqrt + eps))
            .collect();
        p.write_f64(ctx.op, &updated)?;
    }
    Ok(Vec::new())
}

/// Kernel of `_fused_adagrad_` (both overloads).
pub(super) fn adagrad(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let l = lists(ctx, &a, &[1, 2, 3])?;
    let (params, grads, sums, steps) = (l[0], l[1], l[2], l[3]);
    let lr = number(ctx, &a, 4)?;
    let (lr_decay, wd, eps) = (a.scalar(5)?, a.scalar(6)?, a.scalar(7)?);
    let maximize = a.bool(8)?;
    let (scale, skip) = scaler(ctx, &a, 9)?;
    if skip || !ctx.has_data() {
        return Ok(Vec::new());
    }
    for (i, p) in params.iter().enumerate() {
        same_shape(ctx, p, &sums[i])?;
        let x = p.read_f64(ctx.op)?;
        let mut d = gradient(ctx, &grads[i], scale, maximize)?;
        d.iter_mut().zip(&x).for_each(|(d, x)| *d += wd * x);
        let s: Vec<f64> = sums[i]
            .read_f64(ctx.op)?
            .iter()
            .zip(&d)
            .map(|(s, d)| s + d * d)
            .collect();
        sums[i].write_f64(ctx.op, &s)?;
        let step = first(ctx, &steps[i])?;
        let clr = lr / (1.0 + (step - 1.0) * lr_decay);
        let updated: Vec<f64> = x
            .iter()
            .zip(d.iter().zip(&s))
            .map(|(x, (d, s))| x - clr * d / (s.sqrt() + eps))
            .collect();
        p.write_f64(ctx.op, &updated)?;
    }
    Ok(Vec::new())
}
