//! `NativeLayerNormBackwardBackward0`, the node of
//! `native_layer_norm_backward(grad_out, input, normalized_shape, mean,
//! rstd, weight, bias, output_mask)`, edges `[grad_out, input, mean, rstd,
//! weight, bias]`.
//!
//! PyTorch's `layer_norm_double_backward` takes the gradients of the three
//! results (`ggI`, `ggG`, `ggB`, any may be missing) and computes, on the
//! input viewed as `(M, N)` (`N` the normalized elements), `gI` (input),
//! `gG` (weight) and `ggO` (grad_out); `bias` gets none, and `mean` and
//! `rstd` have no formula. Observed in torch 2.15: the calls are PyTorch's,
//! chained in-place updates (`div_`, `sub_`, `add_`, `mul_`) left to right,
//! the right operand of a binary `*` / `-` before the left.

use super::super::any_defined;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::Layout;

/// `native_layer_norm_backward`'s node.
pub(crate) struct NativeLayerNormBackwardBackward0 {
    pub(crate) normalized_ndim: usize,
    pub(crate) grad_out: Option<SavedVariable>,
    pub(crate) input: Option<SavedVariable>,
    pub(crate) mean: Option<SavedVariable>,
    pub(crate) rstd: Option<SavedVariable>,
    /// `None` without an affine weight.
    pub(crate) weight: Option<SavedVariable>,
}

/// The quantities every term shares.
struct Common {
    n: i64,
    input_sub_mu: Tensor,
    /// `rstd` as the input's dtype (`sigma2_eps_neg_1_2`).
    inv: Tensor,
    inv2: Tensor,
    inv3: Tensor,
    /// `input_sub_mu * inv3`.
    isu_inv3: Tensor,
    go: Tensor,
    gamma: Tensor,
}

fn int(v: i64) -> IValue {
    IValue::Int(v)
}

/// `a.op_(b)` for an in-place binary operator.
fn inplace(ctx: &mut BackwardCtx<'_>, op: &str, a: &Tensor, b: IValue) -> Result<Tensor> {
    call(ctx, op, vec![a.into(), b])
}

/// `t.sum(dim, keepdim)`.
fn sum(ctx: &mut BackwardCtx<'_>, t: &Tensor, dim: i64, keepdim: bool) -> Result<Tensor> {
    ctx.rt.sum_dim(t, vec![dim], keepdim)
}

/// `t.to(dtype)` of the saved statistics (no call when the dtype matches).
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

impl NativeLayerNormBackwardBackward0 {
    /// `first_bwd_fn_grad_input(g, gamma)`: `(gamma * inv / N) * (N * g -
    /// g.sum(1) - isu * inv2 * (g * isu).sum(1))`.
    fn first_bwd(
        ctx: &mut BackwardCtx<'_>,
        c: &Common,
        g: &Tensor,
        gamma: &Tensor,
    ) -> Result<Tensor> {
        let h0 = ctx.rt.mul(gamma, (&c.inv).into())?;
        let h0 = inplace(ctx, "aten.div_.Scalar", &h0, int(c.n))?;
        let h1 = ctx.rt.mul_scalar(g, int(c.n))?;
        let gs = sum(ctx, g, 1, true)?;
        let h1 = inplace(ctx, "aten.sub_.Tensor", &h1, (&gs).into())?;
        let g_isu = ctx.rt.mul(g, (&c.input_sub_mu).into())?;
        let g_isu = sum(ctx, &g_isu, 1, true)?;
        let isu_inv2 = ctx.rt.mul(&c.input_sub_mu, (&c.inv2).into())?;
        let prod = ctx.rt.mul(&isu_inv2, g_isu.into())?;
        let h1 = inplace(ctx, "aten.sub_.Tensor", &h1, prod.into())?;
        ctx.rt.mul(&h0, h1.into())
    }

    /// `gI`'s term from `ggI`.
    fn grad_input_from_ggi(ctx: &mut BackwardCtx<'_>, c: &Common, ggi: &Tensor) -> Result<Tensor> {
        let n = c.n;
        let gxhat = ctx.rt.mul(&c.go, (&c.gamma).into())?;
        let t = ctx.rt.mul(&gxhat, (&c.input_sub_mu).into())?;
        let gxhat_mu_sum = sum(ctx, &t, 1, true)?;
        let gxhat_sum = sum(ctx, &gxhat, 1, true)?;
        let ggi_sum = sum(ctx, ggi, 1, true)?;
        let t = ctx.rt.mul(ggi, (&c.input_sub_mu).into())?;
        let ggi_mu_sum = sum(ctx, &t, 1, true)?;

        let all_sub = ctx.rt.mul(&ggi_sum, (&gxhat_sum).into())?;
        let all_sub = inplace(ctx, "aten.div_.Scalar", &all_sub, int(n))?;
        let t = ctx.rt.mul(ggi, (&gxhat).into())?;
        let t = sum(ctx, &t, 1, true)?;
        let all_sub = inplace(ctx, "aten.sub_.Tensor", &all_sub, t.into())?;
        let t = ctx.rt.mul(&c.inv2, (&gxhat_mu_sum).into())?;
        let t = ctx.rt.mul(&t, (&ggi_mu_sum).into())?;
        let t = inplace(ctx, "aten.mul_.Scalar", &t, IValue::Float(3.0 / n as f64))?;
        let all_sub = inplace(ctx, "aten.add_.Tensor", &all_sub, t.into())?;

        let gi0 = ctx.rt.mul(&c.isu_inv3, all_sub.into())?;
        let gi0 = inplace(ctx, "aten.div_.Scalar", &gi0, int(n))?;

        let right = ctx.rt.elementwise().div_scalar(&gxhat_sum, int(n))?;
        let right = ctx.rt.elementwise().sub(&right, &gxhat)?;
        let left = ctx.rt.mul(&ggi_mu_sum, (&c.inv3).into())?;
        let left = inplace(ctx, "aten.div_.Scalar", &left, int(n))?;
        let gi1 = ctx.rt.mul(&left, right.into())?;

        let right = ctx.rt.elementwise().div_scalar(&ggi_sum, int(n))?;
        let right = ctx.rt.elementwise().sub(&right, ggi)?;
        let left = ctx.rt.mul(&gxhat_mu_sum, (&c.inv3).into())?;
        let left = inplace(ctx, "aten.div_.Scalar", &left, int(n))?;
        let gi2 = ctx.rt.mul(&left, right.into())?;

        let gi = inplace(ctx, "aten.add_.Tensor", &gi0, gi1.into())?;
        inplace(ctx, "aten.add_.Tensor", &gi, gi2.into())
    }

    /// `gI`'s term from `ggG`.
    fn grad_input_from_ggg(ctx: &mut BackwardCtx<'_>, c: &Common, ggg: &Tensor) -> Result<Tensor> {
        let n = c.n;
        let t0 = ctx.rt.mul(&c.go, ggg.into())?;
        let t0 = ctx.rt.mul(&t0, (&c.inv).into())?;
        let t = ctx.rt.mul(&c.go, ggg.into())?;
        let t = sum(ctx, &t, 1, true)?;
        let t1 = ctx.rt.mul(&c.inv, t.into())?;
        let t1 = inplace(ctx, "aten.div_.Scalar", &t1, int(-n))?;
        let t = ctx.rt.mul(&c.go, ggg.into())?;
        let t = ctx.rt.mul(&t, (&c.input_sub_mu).into())?;
        let t = sum(ctx, &t, 1, true)?;
        let t2 = ctx.rt.mul(&c.isu_inv3, t.into())?;
        let t2 = inplace(ctx, "aten.div_.Scalar", &t2, int(-n))?;
        let t = inplace(ctx, "aten.add_.Tensor", &t0, t1.into())?;
        inplace(ctx, "aten.add_.Tensor", &t, t2.into())
    }

    /// The saved tensors viewed as `(M, N)` / `(M, 1)` / `(1, N)`, in
    /// PyTorch's order: input, grad_out, mean, rstd, then the weight (or
    /// `ones({1})` without one).
    fn reshaped(&self, ctx: &mut BackwardCtx<'_>, affine: bool) -> Result<Reshaped> {
        let input_t = unpack(ctx, &self.input)?;
        let shape = input_t.shape().to_vec();
        let axis = shape.len().saturating_sub(self.normalized_ndim);
        let m: i64 = shape[..axis].iter().product();
        let n: i64 = shape[axis..].iter().product();
        let input = ctx.rt.reshape(&input_t, &[m, n])?;
        let go_t = unpack(ctx, &self.grad_out)?;
        let go = ctx.rt.reshape(&go_t, &[m, n])?;
        let mean_t = unpack(ctx, &self.mean)?;
        let mean = ctx.rt.reshape(&mean_t, &[m, 1])?;
        let rstd_t = unpack(ctx, &self.rstd)?;
        let rstd = ctx.rt.reshape(&rstd_t, &[m, 1])?;
        let gamma = if affine {
            let w = unpack(ctx, &self.weight)?;
            ctx.rt.reshape(&w, &[1, n])?
        } else {
            let args = vec![
                IValue::IntList(vec![1]),
                IValue::Dtype(input.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(input.device()),
            ];
            call(ctx, "aten.ones.default", args)?
        };
        Ok(Reshaped {
            m,
            n,
            input_t,
            input,
            go,
            mean,
            rstd,
            gamma,
        })
    }
}

/// The saved tensors, reshaped.
struct Reshaped {
    m: i64,
    n: i64,
    input_t: Tensor,
    input: Tensor,
    go: Tensor,
    mean: Tensor,
    rstd: Tensor,
    gamma: Tensor,
}

impl Reshaped {
    /// `input - mu`, the powers of `rstd` (after the views of the incoming
    /// gradients, as PyTorch computes them).
    fn common(self, ctx: &mut BackwardCtx<'_>) -> Result<(Common, Tensor)> {
        let mu = to_dtype(ctx, self.mean, &self.input_t)?;
        let input_sub_mu = ctx.rt.elementwise().sub(&self.input, &mu)?;
        let inv = to_dtype(ctx, self.rstd, &self.input_t)?;
        let inv2 = ctx.rt.elementwise().pow_scalar(&inv, int(2))?;
        let inv3 = ctx.rt.elementwise().pow_scalar(&inv, int(3))?;
        let isu_inv3 = ctx.rt.mul(&input_sub_mu, (&inv3).into())?;
        Ok((
            Common {
                n: self.n,
                input_sub_mu,
                inv,
                inv2,
                inv3,
                isu_inv3,
                go: self.go,
                gamma: self.gamma,
            },
            self.input_t,
        ))
    }
}

impl BackwardFn for NativeLayerNormBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !any_defined(&grads) {
            return Ok(vec![None; 6]);
        }
        if ctx.needs(2) || ctx.needs(3) {
            return Err(RuntimeError::autograd(
                "the derivative for 'native_layer_norm_backward mean' is not implemented.",
            ));
        }
        let mut it = grads.into_iter();
        let (ggi, ggg, ggb) = (
            it.next().flatten(),
            it.next().flatten(),
            it.next().flatten(),
        );
        let affine = self.weight.is_some();
        let r = self.reshaped(ctx, affine)?;
        let (m, n) = (r.m, r.n);
        let view = |ctx: &mut BackwardCtx<'_>, t: &Option<Tensor>, s: &[i64]| {
            t.as_ref().map(|t| ctx.rt.reshape(t, s)).transpose()
        };
        let (ggg, ggb) = if affine {
            (view(ctx, &ggg, &[1, n])?, view(ctx, &ggb, &[1, n])?)
        } else {
            (None, None)
        };
        let ggi = view(ctx, &ggi, &[m, n])?;
        let (c, input_t) = r.common(ctx)?;

        let mut gi = match &ggi {
            Some(ggi) => Some(Self::grad_input_from_ggi(ctx, &c, ggi)?),
            None => None,
        };
        if let Some(ggg) = &ggg {
            let term = Self::grad_input_from_ggg(ctx, &c, ggg)?;
            gi = Some(match gi {
                Some(g) => inplace(ctx, "aten.add_.Tensor", &g, term.into())?,
                None => term,
            });
        }
        let gi = gi
            .map(|g| ctx.rt.reshape(&g, input_t.shape()))
            .transpose()?;

        let gg = match (&ggi, affine) {
            (Some(ggi), true) => {
                let args = vec![
                    IValue::IntList(Vec::new()),
                    IValue::Dtype(c.inv.dtype()),
                    IValue::Layout(Layout::Strided),
                    IValue::Device(c.inv.device()),
                ];
                let one = call(ctx, "aten.ones.default", args)?;
                let g = Self::first_bwd(ctx, &c, ggi, &one)?;
                let g = ctx.rt.mul(&c.go, g.into())?;
                let g = ctx.rt.sum_dim(&g, vec![0], false)?;
                let w = unpack(ctx, &self.weight)?;
                Some(ctx.rt.reshape(&g, w.shape())?)
            }
            _ => None,
        };

        let mut ggo = match &ggi {
            Some(ggi) => Some(Self::first_bwd(ctx, &c, ggi, &c.gamma)?),
            None => None,
        };
        if let Some(ggg) = &ggg {
            let t = ctx.rt.mul(ggg, (&c.input_sub_mu).into())?;
            let t = ctx.rt.mul(&t, (&c.inv).into())?;
            ggo = Some(match ggo {
                Some(o) => inplace(ctx, "aten.add_.Tensor", &o, t.into())?,
                None => t,
            });
        }
        if let Some(ggb) = ggb {
            ggo = Some(match ggo {
                Some(o) => inplace(ctx, "aten.add_.Tensor", &o, ggb.into())?,
                None => ggb,
            });
        }
        let ggo = match ggo {
            Some(o) => {
                let e = ctx.rt.expand(&o, &[m, n])?;
                Some(ctx.rt.reshape(&e, input_t.shape())?)
            }
            None => None,
        };
        Ok(vec![
            ggo.filter(|_| ctx.needs(0)),
            gi.filter(|_| ctx.needs(1)),
            None,
            None,
            gg.filter(|_| ctx.needs(4)),
            None,
        ])
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_out);
        release(&mut self.input);
        release(&mut self.mean);
        release(&mut self.rstd);
        release(&mut self.weight);
    }
}
