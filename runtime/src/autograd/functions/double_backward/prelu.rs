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

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;

    fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
        rt.call(op, args).expect(op)[0]
            .as_tensor()
            .expect("tensor")
            .clone()
    }

    /// `P = Σ gx² + gw²` of `sum(prelu(x, w))`'s gradients, differentiated
    /// again: `gx = where(x >= 0, 1, w)` and `gw = Σ_{x<0} x`, so `dP/dw =
    /// 2 Σ_{x<0} gx` and `dP/dx = 2 gw` where `x < 0`; each `.grad` holds
    /// the first gradient plus the second.
    #[test]
    fn the_penalty_of_both_prelu_gradients_reaches_input_and_slope() {
        let mut rt = Runtime::new();
        let x = rt
            .introduce_tensor_f32(&[3], &[1], 0, &[-1.0, 2.0, -3.0], true)
            .expect("x");
        let w = rt
            .introduce_tensor_f32(&[1], &[1], 0, &[0.5], true)
            .expect("w");
        let y = call1(
            &mut rt,
            "aten._prelu_kernel.default",
            vec![(&x).into(), (&w).into()],
        );
        let s = call1(&mut rt, "aten.sum.default", vec![(&y).into()]);
        rt.backward(&[s], &[None], true, true)
            .expect("first backward");
        let (gx, gw) = (x.grad().expect("gx"), w.grad().expect("gw"));
        let mut penalty = Vec::new();
        for g in [&gx, &gw] {
            let sq = call1(&mut rt, "aten.mul.Tensor", vec![g.into(), g.into()]);
            penalty.push(call1(&mut rt, "aten.sum.default", vec![(&sq).into()]));
        }
        let p = call1(
            &mut rt,
            "aten.add.Tensor",
            vec![(&penalty[0]).into(), (&penalty[1]).into()],
        );
        rt.backward(&[p], &[None], false, false)
            .expect("second backward");
        let xs = x.grad().expect("x.grad").to_f32_vec().expect("values");
        assert_eq!(xs, vec![0.5 - 8.0, 1.0, 0.5 - 8.0]);
        let ws = w.grad().expect("w.grad").to_f32_vec().expect("values");
        assert_eq!(ws, vec![-4.0 + 2.0]);
    }
}
