//! `PreluKernelBackwardBackward0`, the node of `_prelu_kernel_backward(
//! grad_output, self, weight) -> (grad_self, grad_weight)` with edges
//! `[grad_output, self, weight]`, receiving `ga` (for `grad_self`) and `gw`
//! (for `grad_weight`), with `pos = self >= 0`:
//!
//! * `grad_output`: `where(pos, ga, ga * weight + gw * self)`; without `gw`
//!   `where(pos, ga, ga * weight)`; without `ga` `where(pos, zeros({}),
//!   gw * self)`;
//! * `self`: `where(pos, zeros({}), grad_output * gw)`, else zeros of
//!   `self`'s sizes;
//! * `weight`: `where(pos, zeros({}), grad_output * ga)`, else zeros of
//!   `self`'s sizes (the engine sums it to `weight`'s shape).
//!
//! Operands are evaluated right to left, as PyTorch's generated node does.

use super::pool::ZerosLike;
use super::{release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

pub(crate) struct PreluKernelBackwardBackward0 {
    pub(crate) grad_output: Option<SavedVariable>,
    pub(crate) self_: Option<SavedVariable>,
    pub(crate) weight: Option<SavedVariable>,
}

/// `where(self >= 0, zeros({}, like's options), other)`, `other` first.
fn zero_where_positive(
    ctx: &mut BackwardCtx<'_>,
    x: &Tensor,
    like: &Tensor,
    other: &Tensor,
) -> Result<Tensor> {
    let zero = ZerosLike {
        sizes: Vec::new(),
        dtype: like.dtype(),
        device: like.device(),
    }
    .make(ctx)?;
    let mut ops = ctx.rt.elementwise();
    let pos = ops.binary("aten.ge.Scalar", x, IValue::Int(0))?;
    ops.where_(&pos, &zero, other)
}

impl BackwardFn for PreluKernelBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut it = grads.into_iter();
        let (ga, gw) = (it.next().flatten(), it.next().flatten());
        if ga.is_none() && gw.is_none() {
            return Ok(vec![None, None, None]);
        }
        let x = unpack(ctx, &self.self_)?;
        let mut out = vec![None, None, None];
        if ctx.needs(0) {
            let w = unpack(ctx, &self.weight)?;
            out[0] = Some(match (&ga, &gw) {
                (Some(ga), gw) => {
                    let other = match gw {
                        Some(gw) => {
                            let right = ctx.rt.mul(gw, (&x).into())?;
                            let left = ctx.rt.mul(ga, (&w).into())?;
                            ctx.rt.add(&left, &right)?
                        }
                        None => ctx.rt.mul(ga, (&w).into())?,
                    };
                    let mut ops = ctx.rt.elementwise();
                    let pos = ops.binary("aten.ge.Scalar", &x, IValue::Int(0))?;
                    ops.where_(&pos, ga, &other)?
                }
                (None, Some(gw)) => {
                    let go = unpack(ctx, &self.grad_output)?;
                    let other = ctx.rt.mul(gw, (&x).into())?;
                    zero_where_positive(ctx, &x, &go, &other)?
                }
                (None, None) => return Ok(out),
            });
        }
        let mut edges = [(1, &gw), (2, &ga)];
        if ctx.rt.faults().prelu_double_backward_swaps_grads {
            edges = [(1, &ga), (2, &gw)];
        }
        for (edge, incoming) in edges {
            if !ctx.needs(edge) {
                continue;
            }
            out[edge] = Some(match incoming {
                Some(g) => {
                    let go = unpack(ctx, &self.grad_output)?;
                    let other = ctx.rt.mul(&go, g.into())?;
                    let like = if edge == 1 {
                        x.clone()
                    } else {
                        unpack(ctx, &self.weight)?
                    };
                    zero_where_positive(ctx, &x, &like, &other)?
                }
                None => ZerosLike::of(&x).make(ctx)?,
            });
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.self_);
        release(&mut self.weight);
    }
}
