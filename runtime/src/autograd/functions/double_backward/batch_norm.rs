//! `NativeBatchNormBackwardBackward0`, the node of
//! `native_batch_norm_backward(grad_out, input, weight, running_mean,
//! running_var, save_mean, save_invstd, train, eps, output_mask)`, edges
//! `[grad_out, input, weight, save_mean, save_invstd]`.
//!
//! PyTorch's `batchnorm_double_backward` works per channel (dim 1): sums over
//! every other dim (`sum_exclude_dim1`: dim 0, then the trailing dims from
//! the last, keepdim), statistics unsqueezed to broadcast against the input,
//! the weight and the weight's incoming gradients unsqueezed and expanded to
//! the input's shape. In training it uses the saved batch statistics, in
//! evaluation `running_mean` and `(running_var + eps)^-1/2`. It computes `gI`
//! (input), `gG` (weight) and `ggO` (grad_out) from whichever of `ggI`,
//! `ggG`, `ggB` exist; `save_mean` and `save_invstd` have no formula.
//! Observed in torch 2.15: the calls in PyTorch's order, chained in-place
//! updates left to right, the right operand of a binary `*` / `-` first.

use super::super::any_defined;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::Layout;

/// `native_batch_norm_backward`'s node.
pub(crate) struct NativeBatchNormBackwardBackward0 {
    pub(crate) train: bool,
    pub(crate) eps: IValue,
    pub(crate) grad_out: Option<SavedVariable>,
    pub(crate) input: Option<SavedVariable>,
    /// `None` without an affine weight.
    pub(crate) weight: Option<SavedVariable>,
    pub(crate) running_mean: Option<SavedVariable>,
    pub(crate) running_var: Option<SavedVariable>,
    pub(crate) save_mean: Option<SavedVariable>,
    pub(crate) save_invstd: Option<SavedVariable>,
}

/// What every term shares.
struct Terms {
    m: i64,
    go: Tensor,
    isu: Tensor,
    inv: Tensor,
    inv2: Tensor,
    inv3: Tensor,
    isu_inv3: Tensor,
    go_isu_sum: Tensor,
    go_sum: Tensor,
}

fn int(v: i64) -> IValue {
    IValue::Int(v)
}

fn inplace(ctx: &mut BackwardCtx<'_>, op: &str, a: &Tensor, b: IValue) -> Result<Tensor> {
    call(ctx, op, vec![a.into(), b])
}

/// `at::ones({}, like.options())`.
fn ones_scalar(ctx: &mut BackwardCtx<'_>, like: &Tensor) -> Result<Tensor> {
    let args = vec![
        IValue::IntList(Vec::new()),
        IValue::Dtype(like.dtype()),
        IValue::Layout(Layout::Strided),
        IValue::Device(like.device()),
    ];
    call(ctx, "aten.ones.default", args)
}

/// `sum_exclude_dim1(t, keepdim)`: dim 0, then the trailing dims from the
/// last down to 2 (keepdim) or 1.
fn sum_exclude_dim1(ctx: &mut BackwardCtx<'_>, t: &Tensor, keepdim: bool) -> Result<Tensor> {
    let mut r = ctx.rt.sum_dim(t, vec![0], keepdim)?;
    let start = usize::from(keepdim);
    let mut dim = r.dim();
    while dim > start + 1 {
        dim -= 1;
        r = ctx.rt.sum_dim(&r, vec![dim as i64], keepdim)?;
    }
    Ok(r)
}

/// `unsqueeze_dim1(src, target)`: unsqueezed at 1 until one dim short of
/// `target`, then at 0.
fn unsqueeze_dim1(ctx: &mut BackwardCtx<'_>, src: Tensor, target_dim: usize) -> Result<Tensor> {
    let mut s = src;
    while s.dim() + 1 < target_dim {
        s = ctx.rt.unsqueeze(&s, 1)?;
    }
    if s.dim() + 1 == target_dim {
        s = ctx.rt.unsqueeze(&s, 0)?;
    }
    Ok(s)
}

/// `expand_as_dim1(src, target)`: unsqueezed at 1, then expanded.
fn expand_as_dim1(ctx: &mut BackwardCtx<'_>, src: &Tensor, target: &Tensor) -> Result<Tensor> {
    let mut s = src.clone();
    while s.dim() + 1 < target.dim() {
        s = ctx.rt.unsqueeze(&s, 1)?;
    }
    ctx.rt.expand(&s, target.shape())
}

/// `t.to(dtype)` (no call when the dtype matches).
fn to_dtype(ctx: &mut BackwardCtx<'_>, t: Tensor, like: &Tensor) -> Result<Tensor> {
    if t.dtype() == like.dtype() {
        return Ok(t);
    }
    call(
        ctx,
        "aten._to_copy.default",
        vec![(&t).into(), IValue::Dtype(like.dtype())],
    )
}

impl Terms {
    /// `first_back_grad_input(g, gamma)`: `(gamma * inv / M) * (M * g -
    /// sum(g) - isu * inv2 * sum(g * isu))`.
    fn first_back(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor, gamma: &Tensor) -> Result<Tensor> {
        let h0 = ctx.rt.mul(gamma, (&self.inv).into())?;
        let h0 = inplace(ctx, "aten.div_.Scalar", &h0, int(self.m))?;
        let h1 = ctx.rt.mul_scalar(g, int(self.m))?;
        let gs = sum_exclude_dim1(ctx, g, true)?;
        let h1 = inplace(ctx, "aten.sub_.Tensor", &h1, gs.into())?;
        let t = ctx.rt.mul(g, (&self.isu).into())?;
        let t = sum_exclude_dim1(ctx, &t, true)?;
        let isu_inv2 = ctx.rt.mul(&self.isu, (&self.inv2).into())?;
        let t = ctx.rt.mul(&isu_inv2, t.into())?;
        let h1 = inplace(ctx, "aten.sub_.Tensor", &h1, t.into())?;
        ctx.rt.mul(&h0, h1.into())
    }

    /// `gI` from `ggI` in training, before the weight's factor.
    fn grad_input(&self, ctx: &mut BackwardCtx<'_>, ggi: &Tensor) -> Result<Tensor> {
        let m = self.m;
        let ggi_sum = sum_exclude_dim1(ctx, ggi, true)?;
        let t = ctx.rt.mul(ggi, (&self.isu).into())?;
        let ggi_isu_sum = sum_exclude_dim1(ctx, &t, true)?;
        let all_sub = ctx.rt.mul(&ggi_sum, (&self.go_sum).into())?;
        let all_sub = inplace(ctx, "aten.div_.Scalar", &all_sub, int(m))?;
        let t = ctx.rt.mul(&self.go, ggi.into())?;
        let t = sum_exclude_dim1(ctx, &t, true)?;
        let all_sub = inplace(ctx, "aten.sub_.Tensor", &all_sub, t.into())?;
        let t = ctx.rt.mul(&self.inv2, (&self.go_isu_sum).into())?;
        let t = ctx.rt.mul(&t, (&ggi_isu_sum).into())?;
        let t = inplace(ctx, "aten.mul_.Scalar", &t, IValue::Float(3.0 / m as f64))?;
        let all_sub = inplace(ctx, "aten.add_.Tensor", &all_sub, t.into())?;
        let gi0 = ctx.rt.mul(&self.isu_inv3, all_sub.into())?;
        let gi0 = inplace(ctx, "aten.div_.Scalar", &gi0, int(m))?;

        let right = ctx.rt.elementwise().div_scalar(&self.go_sum, int(m))?;
        let right = ctx.rt.elementwise().sub(&right, &self.go)?;
        let left = ctx.rt.mul(&ggi_isu_sum, (&self.inv3).into())?;
        let left = inplace(ctx, "aten.div_.Scalar", &left, int(m))?;
        let gi1 = ctx.rt.mul(&left, right.into())?;

        let right = ctx.rt.elementwise().div_scalar(&ggi_sum, int(m))?;
        let right = ctx.rt.elementwise().sub(&right, ggi)?;
        let left = ctx.rt.mul(&self.go_isu_sum, (&self.inv3).into())?;
        let left = inplace(ctx, "aten.div_.Scalar", &left, int(m))?;
        let gi2 = ctx.rt.mul(&left, right.into())?;

        let gi = inplace(ctx, "aten.add_.Tensor", &gi0, gi1.into())?;
        inplace(ctx, "aten.add_.Tensor", &gi, gi2.into())
    }

    /// `gI`'s term from `ggG`.
    fn grad_input_from_ggg(
        &self,
        ctx: &mut BackwardCtx<'_>,
        ggg: &Tensor,
        train: bool,
    ) -> Result<Tensor> {
        if !train {
            let t = ctx.rt.mul(ggg, (&self.inv).into())?;
            return ctx.rt.mul(&t, (&self.go).into());
        }
        let m = self.m;
        let t0 = ctx.rt.mul(&self.go, (&self.inv).into())?;
        let t1 = ctx.rt.mul(&self.inv, (&self.go_sum).into())?;
        let t1 = inplace(ctx, "aten.div_.Scalar", &t1, int(-m))?;
        let t = ctx.rt.mul(&self.go, (&self.isu).into())?;
        let t = sum_exclude_dim1(ctx, &t, true)?;
        let t2 = ctx.rt.mul(&self.isu_inv3, t.into())?;
        let t2 = inplace(ctx, "aten.div_.Scalar", &t2, int(-m))?;
        let t = inplace(ctx, "aten.add_.Tensor", &t0, t1.into())?;
        let t = inplace(ctx, "aten.add_.Tensor", &t, t2.into())?;
        ctx.rt.mul(ggg, t.into())
    }
}

impl NativeBatchNormBackwardBackward0 {
    /// The statistics and the sums every term shares, in PyTorch's order.
    fn terms(&self, ctx: &mut BackwardCtx<'_>, input: Tensor, go: Tensor) -> Result<Terms> {
        let dims = input.dim();
        let m: i64 = input.shape().first().copied().unwrap_or(1)
            * input
                .shape()
                .get(2..)
                .unwrap_or(&[])
                .iter()
                .product::<i64>();
        // Observed in torch 2.15: in evaluation `(running_var + eps)^-1/2`
        // (`add.Scalar`, then `pow_`) comes before the mean is unsqueezed.
        let raw_inv = if self.train {
            None
        } else {
            let v = unpack(ctx, &self.running_var)?;
            let v = ctx.rt.elementwise().add_scalar(&v, self.eps.clone())?;
            Some(inplace(ctx, "aten.pow_.Scalar", &v, IValue::Float(-0.5))?)
        };
        let mean = if self.train {
            let s = unpack(ctx, &self.save_mean)?;
            to_dtype(ctx, s, &input)?
        } else {
            unpack(ctx, &self.running_mean)?
        };
        let mu = unsqueeze_dim1(ctx, mean, dims)?;
        let isu = ctx.rt.elementwise().sub(&input, &mu)?;
        let inv = match raw_inv {
            Some(inv) => inv,
            None => {
                let s = unpack(ctx, &self.save_invstd)?;
                to_dtype(ctx, s, &input)?
            }
        };
        let inv = unsqueeze_dim1(ctx, inv, dims)?;
        let inv2 = ctx.rt.elementwise().pow_scalar(&inv, int(2))?;
        let inv3 = ctx.rt.elementwise().pow_scalar(&inv, int(3))?;
        let isu_inv3 = ctx.rt.mul(&isu, (&inv3).into())?;
        let t = ctx.rt.mul(&go, (&isu).into())?;
        let go_isu_sum = sum_exclude_dim1(ctx, &t, true)?;
        let go_sum = sum_exclude_dim1(ctx, &go, true)?;
        Ok(Terms {
            m,
            go,
            isu,
            inv,
            inv2,
            inv3,
            isu_inv3,
            go_isu_sum,
            go_sum,
        })
    }
}

impl BackwardFn for NativeBatchNormBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !any_defined(&grads) {
            return Ok(vec![None; 5]);
        }
        if ctx.needs(3) || ctx.needs(4) {
            return Err(RuntimeError::autograd(
                "the derivative for 'native_batch_norm_backward save_mean' is not implemented.",
            ));
        }
        let mut it = grads.into_iter();
        let (ggi, ggg, ggb) = (
            it.next().flatten(),
            it.next().flatten(),
            it.next().flatten(),
        );
        let input = unpack(ctx, &self.input)?;
        let go = unpack(ctx, &self.grad_out)?;
        let affine = self.weight.is_some();
        let (gamma, ggg, ggb) = if affine {
            let w = unpack(ctx, &self.weight)?;
            let gamma = expand_as_dim1(ctx, &w, &input)?;
            let ggg = ggg.map(|g| expand_as_dim1(ctx, &g, &input)).transpose()?;
            let ggb = ggb.map(|g| expand_as_dim1(ctx, &g, &input)).transpose()?;
            (gamma, ggg, ggb)
        } else {
            (ones_scalar(ctx, &input)?, None, None)
        };
        let t = self.terms(ctx, input, go)?;

        let mut gi = match (&ggi, self.train) {
            (Some(ggi), true) => {
                let inner = t.grad_input(ctx, ggi)?;
                Some(ctx.rt.mul(&gamma, inner.into())?)
            }
            _ => None,
        };
        if let Some(ggg) = &ggg {
            let term = t.grad_input_from_ggg(ctx, ggg, self.train)?;
            gi = Some(match gi {
                Some(g) => inplace(ctx, "aten.add_.Tensor", &g, term.into())?,
                None => term,
            });
        }

        let gg = match (&ggi, affine) {
            (Some(ggi), true) if self.train => {
                let one = ones_scalar(ctx, &t.inv)?;
                let f = t.first_back(ctx, &t.go, &one)?;
                let g = ctx.rt.mul(ggi, f.into())?;
                Some(sum_exclude_dim1(ctx, &g, false)?)
            }
            (Some(ggi), true) => {
                let g = ctx.rt.mul(ggi, (&t.go).into())?;
                let g = ctx.rt.mul(&g, (&t.inv).into())?;
                Some(sum_exclude_dim1(ctx, &g, false)?)
            }
            _ => None,
        };

        let mut ggo = match &ggi {
            Some(ggi) if self.train => Some(t.first_back(ctx, ggi, &gamma)?),
            Some(ggi) => {
                let o = ctx.rt.mul(ggi, (&t.inv).into())?;
                Some(ctx.rt.mul(&o, (&gamma).into())?)
            }
            None => None,
        };
        if let Some(ggg) = &ggg {
            let o = ctx.rt.mul(ggg, (&t.isu).into())?;
            let o = ctx.rt.mul(&o, (&t.inv).into())?;
            ggo = Some(match ggo {
                Some(prev) => inplace(ctx, "aten.add_.Tensor", &prev, o.into())?,
                None => o,
            });
        }
        if let Some(ggb) = ggb {
            ggo = Some(match ggo {
                Some(prev) => inplace(ctx, "aten.add_.Tensor", &prev, ggb.into())?,
                None => ggb,
            });
        }
        Ok(vec![
            ggo.filter(|_| ctx.needs(0)),
            gi.filter(|_| ctx.needs(1)),
            gg.filter(|_| ctx.needs(2)),
            None,
            None,
        ])
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_out);
        release(&mut self.input);
        release(&mut self.weight);
        release(&mut self.running_mean);
        release(&mut self.running_var);
        release(&mut self.save_mean);
        release(&mut self.save_invstd);
    }
}
