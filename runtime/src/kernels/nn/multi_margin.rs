//! `multi_margin_loss` and `multi_margin_loss_backward` (the multi-class
//! hinge loss of `F.multi_margin_loss` / `nn.MultiMarginLoss`).
//!
//! Observed in torch 2.15 on CPU: `self` is `[dim]` or `[N, dim]` (a 0-dim
//! batch allowed), `target` holds one class per sample, `p` is 1 or 2
//! ("only p == 1 and p == 2 supported"), `weight` (optional) has `dim`
//! elements. Per sample with target `y`,
//! `loss = Σ_{d≠y} w[y]·max(0, margin − x[y] + x[d])^p / dim`; reduction
//! 0 gives one loss per sample (`[N]`, or 0-dim for a 1-d `self` with a
//! 0-dim target), 1 their mean, 2 their sum. The backward is contiguous
//! in `self`'s shape: with `g = 1/dim` (`1/(N·dim)` for the mean), each
//! `d ≠ y` with a positive hinge `z` gets `w[y]·g` (`p = 1`) or
//! `w[y]·2g·z` (`p = 2`), `x[y]` minus their sum, all times the incoming
//! gradient (per sample for reduction 0, else its single value).
//!
//! Every step rounds to the dtype as PyTorch's scalar CPU loops do
//! (measured on torch 2.15, float32: 0 of 720 losses and 0 of 12,372
//! gradient elements differ): `z = (margin − x[y]) + x[d]`, `z·z`, the
//! weight product, the running sum and its division by `dim`; the
//! per-sample losses of a mean/sum reduction add up in float64 (the CPU
//! accumulation type) and round once. In the backward `g` and `2·g` round
//! to the dtype, the target's entry accumulates `−h` in the dtype, and a
//! class without a hinge holds `0` times the incoming gradient (`-0.0`
//! under a negative one). The `multi-margin-in-double` fault computes in
//! float64 and leaves those zeros unsigned.

use super::common::{opt_tensor, require_floating};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a multi-margin operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.multi_margin_loss.default" => multi_margin_loss,
        "aten.multi_margin_loss_backward.default" => multi_margin_loss_backward,
        _ => return None,
    })
}

/// The validated geometry of one call.
struct Problem {
    /// Samples.
    frames: usize,
    /// Classes per sample.
    dim: usize,
    p: i64,
    margin: f64,
    reduction: i64,
}

/// PyTorch's `multi_margin_loss_shape_check` plus the `p`, target-range
/// and reduction checks; returns the geometry and the targets.
fn check(
    op: &str,
    x: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    p: f64,
    margin: f64,
    reduction: i64,
) -> Result<Problem> {
    if p != 1.0 && p != 2.0 {
        return Err(RuntimeError::shape(op, "only p == 1 and p == 2 supported"));
    }
    if !(0..=2).contains(&reduction) {
        return Err(RuntimeError::unsupported(
            op,
            format!("reduction code {reduction}"),
        ));
    }
    let shape = x.shape();
    let (frames, dim) = match shape {
        [] => (1, 1),
        [d] => (1, *d),
        [n, d] if *d != 0 => (*n, *d),
        _ => {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "Expected non-empty vector or matrix with optional 0-dim batch size, but got: {shape:?}"
                ),
            ));
        }
    };
    if target.dim() > 1 || target.numel() as i64 != frames {
        return Err(RuntimeError::shape(
            op,
            format!(
                "inconsistent target size, expected {frames} but got {:?}",
                target.shape()
            ),
        ));
    }
    if let Some(w) = weight
        && (w.dim() > 1 || w.numel() as i64 != dim)
    {
        return Err(RuntimeError::shape(
            op,
            format!(
                "inconsistent weight size, expected {dim} but got {:?}",
                w.shape()
            ),
        ));
    }
    Ok(Problem {
        frames: frames.max(0) as usize,
        dim: dim.max(0) as usize,
        p: p as i64,
        margin,
        reduction,
    })
}

/// The targets as class indices (refusing one out of range).
fn classes(op: &str, target: &Tensor, dim: usize) -> Result<Vec<usize>> {
    target
        .read_i64(op)?
        .into_iter()
        .map(|t| {
            usize::try_from(t)
                .ok()
                .filter(|&t| t < dim)
                .ok_or_else(|| RuntimeError::shape(op, "target out of range"))
        })
        .collect()
}

/// `multi_margin_loss(self, target, p=1, margin=1, weight=None,
/// reduction=Mean)`.
pub(crate) fn multi_margin_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let weight = opt_tensor(&a, 4)?;
    ctx.check(x, "self")?;
    ctx.check(target, "target")?;
    if let Some(w) = weight {
        ctx.check(w, "weight")?;
    }
    require_floating("multi_margin_loss_cpu_kernel", "self", x.dtype())?;
    let op = ctx.op;
    let pr = check(op, x, target, weight, a.scalar(2)?, a.scalar(3)?, a.int(5)?)?;
    let shape: Vec<i64> = if pr.reduction == 0 && target.dim() > 0 {
        vec![pr.frames as i64]
    } else {
        Vec::new()
    };
    let r = rounding(ctx, x.dtype());
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let xs = x.read_f64(op)?;
        let ys = classes(op, target, pr.dim)?;
        let ws = weight.map(|w| w.read_f64(op)).transpose()?;
        let margin = r(pr.margin);
        let losses: Vec<f64> = (0..pr.frames)
            .map(|i| {
                let row = &xs[i * pr.dim..(i + 1) * pr.dim];
                let y = ys[i];
                let mut sum = 0.0;
                for d in (0..pr.dim).filter(|&d| d != y) {
                    let z = r(r(margin - row[y]) + row[d]);
                    if z > 0.0 {
                        let mut h = if pr.p == 1 { z } else { r(z * z) };
                        if let Some(w) = &ws {
                            h = r(h * w[y]);
                        }
                        sum = r(sum + h);
                    }
                }
                r(sum / pr.dim as f64)
            })
            .collect();
        Ok(match pr.reduction {
            0 => losses,
            1 => vec![losses.iter().sum::<f64>() / pr.frames as f64],
            _ => vec![losses.iter().sum()],
        })
    })?;
    Ok(vec![out.into()])
}

/// Rounding to `dtype` after each step (float64 and under the
/// `multi-margin-in-double` fault: none).
fn rounding(ctx: &KernelCtx<'_>, dtype: DType) -> impl Fn(f64) -> f64 + use<> {
    let each = !ctx.faults.multi_margin_in_double && dtype != DType::Float64;
    move |v: f64| if each { cast_value(dtype, v) } else { v }
}

/// `multi_margin_loss_backward(grad_output, self, target, p, margin,
/// weight=None, reduction=Mean)`.
pub(crate) fn multi_margin_loss_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad, x, target) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let weight = opt_tensor(&a, 5)?;
    for (t, name) in [(grad, "grad_output"), (x, "self"), (target, "target")] {
        ctx.check(t, name)?;
    }
    if let Some(w) = weight {
        ctx.check(w, "weight")?;
    }
    require_floating("multi_margin_loss_backward_cpu_kernel", "self", x.dtype())?;
    let op = ctx.op;
    let pr = check(op, x, target, weight, a.scalar(3)?, a.scalar(4)?, a.int(6)?)?;
    let per_sample = pr.reduction == 0 && grad.dim() > 0;
    if per_sample && grad.numel() != pr.frames {
        return Err(RuntimeError::shape(
            op,
            format!(
                "grad_output of shape {:?} does not hold one value per sample ({})",
                grad.shape(),
                pr.frames
            ),
        ));
    }
    let sign = if ctx.faults.multi_margin_wrong_sign {
        -1.0
    } else {
        1.0
    };
    let r = rounding(ctx, x.dtype());
    let in_double = ctx.faults.multi_margin_in_double;
    let out = ctx.output(x.shape(), &contiguous_strides(x.shape()), x.dtype(), || {
        let xs = x.read_f64(op)?;
        let ys = classes(op, target, pr.dim)?;
        let ws = weight.map(|w| w.read_f64(op)).transpose()?;
        let gs = grad.read_f64(op)?;
        let margin = r(pr.margin);
        let g = r(if pr.reduction == 1 {
            1.0 / (pr.frames * pr.dim) as f64
        } else {
            1.0 / pr.dim as f64
        });
        let two_g = r(2.0 * g);
        let mut out = vec![0.0; pr.frames * pr.dim];
        for i in 0..pr.frames {
            let (row, y) = (&xs[i * pr.dim..(i + 1) * pr.dim], ys[i]);
            let upstream = if per_sample {
                gs[i]
            } else {
                gs.first().copied().unwrap_or(0.0)
            };
            let grads = &mut out[i * pr.dim..(i + 1) * pr.dim];
            let mut at_target = 0.0;
            for d in (0..pr.dim).filter(|&d| d != y) {
                let z = r(r(margin - row[y]) + row[d]);
                if z > 0.0 {
                    let mut h = if pr.p == 1 { g } else { r(two_g * z) };
                    if let Some(w) = &ws {
                        h = r(h * w[y]);
                    }
                    at_target = r(at_target - h);
                    grads[d] = r(sign * h * upstream);
                } else if !in_double {
                    grads[d] = r(0.0 * upstream);
                }
            }
            grads[y] = r(sign * at_target * upstream);
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;

    fn values(t: &IValue) -> Vec<f64> {
        t.as_tensor().expect("tensor").to_f64_vec().expect("values")
    }

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    fn targets(rt: &mut Runtime, shape: &[i64], values: &[i64]) -> Tensor {
        crate::kernels::nn::tests::i64s(rt, shape, values)
    }

    #[test]
    fn hinge_terms_per_sample_and_their_gradient() {
        let mut rt = Runtime::new();
        let x = crate::kernels::nn::tests::f32s(&mut rt, &[2, 3], &[0.5, 0.2, -1.0, 0.0, 1.0, 0.9]);
        let y = targets(&mut rt, &[2], &[0, 2]);
        let none = rt
            .call(
                "aten.multi_margin_loss.default",
                vec![
                    x.clone().into(),
                    y.clone().into(),
                    IValue::Int(1),
                    IValue::Float(1.0),
                    IValue::None,
                    IValue::Int(0),
                ],
            )
            .expect("forward");
        // Sample 0: z = 0.7, -0.5 -> 0.7/3; sample 1: z = 0.1, 1.1 -> 1.2/3.
        close(&values(&none[0]), &[0.7 / 3.0, 1.2 / 3.0]);
        let p2 = rt
            .call(
                "aten.multi_margin_loss.default",
                vec![
                    x.clone().into(),
                    y.clone().into(),
                    IValue::Int(2),
                    IValue::Float(1.0),
                    IValue::None,
                    IValue::Int(2),
                ],
            )
            .expect("p=2");
        close(&values(&p2[0]), &[(0.49 + 0.01 + 1.21) / 3.0]);
        let grad = crate::kernels::nn::tests::f32s(&mut rt, &[], &[1.0]);
        let back = rt
            .call(
                "aten.multi_margin_loss_backward.default",
                vec![
                    grad.into(),
                    x.into(),
                    y.into(),
                    IValue::Int(1),
                    IValue::Float(1.0),
                    IValue::None,
                    IValue::Int(1),
                ],
            )
            .expect("backward");
        let g = 1.0 / 6.0;
        close(&values(&back[0]), &[-g, g, 0.0, g, g, -2.0 * g]);
    }

    #[test]
    fn p_other_than_one_or_two_and_targets_out_of_range_are_refused() {
        let mut rt = Runtime::new();
        let x = crate::kernels::nn::tests::f32s(&mut rt, &[1, 3], &[0.0; 3]);
        let y = targets(&mut rt, &[1], &[3]);
        let call = |rt: &mut Runtime, p: i64| {
            rt.call(
                "aten.multi_margin_loss.default",
                vec![
                    x.clone().into(),
                    y.clone().into(),
                    IValue::Int(p),
                    IValue::Float(1.0),
                    IValue::None,
                    IValue::Int(1),
                ],
            )
            .expect_err("refused")
            .to_string()
        };
        assert!(call(&mut rt, 3).contains("only p == 1 and p == 2 supported"));
        assert!(call(&mut rt, 1).contains("target out of range"));
    }
}
