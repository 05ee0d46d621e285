//! Backward of `nll_loss_forward` / `nll_loss2d_forward` and
//! `binary_cross_entropy`.
//!
//! NllLossBackward0 / NllLoss2DBackward0 have one edge (self; the target is
//! not differentiable) and call `nll_loss{,2d}_backward(grad, self, target,
//! weight, reduction, ignore_index, total_weight)` with the forward's
//! `total_weight` output. BinaryCrossEntropyBackward0 has edges (self,
//! target) and calls `binary_cross_entropy_backward(grad, self, target,
//! weight, reduction)` for self; the target's gradient is
//! `logit(self).neg_() * grad` (`* weight`, `div_(numel)` for the mean).

use crate::autograd::Node;
use crate::autograd::functions::{one_to_one, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use std::sync::Arc;

/// NllLossBackward0 (`spatial = false`) and NllLoss2DBackward0.
pub(crate) struct NllLossBackward {
    pub(crate) spatial: bool,
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    /// `None` or the weight tensor, as passed.
    pub(crate) weight: IValue,
    pub(crate) reduction: IValue,
    pub(crate) ignore_index: IValue,
    /// The forward's second output (not differentiable, saved as is).
    pub(crate) total_weight: Option<SavedVariable>,
}

impl BackwardFn for NllLossBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let x = IValue::Tensor(self.self_.unpack(ctx.node)?);
        let target = IValue::Tensor(self.target.unpack(ctx.node)?);
        let total = match &self.total_weight {
            Some(s) => s.unpack(ctx.node)?,
            None => {
                return Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        let forward = [
            &x,
            &target,
            &self.weight,
            &self.reduction,
            &self.ignore_index,
        ];
        let spatial = self.spatial;
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.nll_loss_backward(spatial, &g, forward, &total)
        })
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(total) = outputs.get(1) {
            self.total_weight = Some(SavedVariable::input(total));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
        self.total_weight
            .iter_mut()
            .for_each(SavedVariable::release);
    }
}

/// BinaryCrossEntropyBackward0: edges (self, target).
pub(crate) struct BinaryCrossEntropyBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) weight: Option<SavedVariable>,
    pub(crate) reduction: i64,
}

impl BackwardFn for BinaryCrossEntropyBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let x = self.self_.unpack(ctx.node)?;
            let target = self.target.unpack(ctx.node)?;
            let weight = match &self.weight {
                Some(w) => IValue::Tensor(w.unpack(ctx.node)?),
                None => IValue::None,
            };
            out[0] = Some(ctx.rt.binary_cross_entropy_backward(
                &g,
                &x,
                &target,
                weight,
                self.reduction,
            )?);
        }
        if ctx.needs(1) {
            out[1] = Some(self.target_grad(ctx, &g)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
        self.weight.iter_mut().for_each(SavedVariable::release);
    }
}

impl BinaryCrossEntropyBackward0 {
    /// The target's gradient (`binary_cross_entropy_target_backward`),
    /// observed in torch 2.15 with and without grad mode:
    /// `logit(self).neg_() * grad`, `* weight` when given, then
    /// `div_(target.numel())` for the mean.
    fn target_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        let x = self.self_.unpack(ctx.node)?;
        let numel = self.target.unpack(ctx.node)?.numel() as i64;
        let weight = match &self.weight {
            Some(w) => Some(w.unpack(ctx.node)?),
            None => None,
        };
        let mut ops = ctx.rt.elementwise();
        let logit = ops.unary("aten.logit.default", &x)?;
        let neg = ops.unary("aten.neg_.default", &logit)?;
        let mut out = ctx.rt.mul(&neg, g.into())?;
        if let Some(w) = &weight {
            out = ctx.rt.mul(&out, w.into())?;
        }
        if self.reduction == 1 && !ctx.rt.faults().bce_target_grad_not_averaged {
            out = ctx
                .rt
                .elementwise()
                .call("aten.div_.Scalar", vec![(&out).into(), IValue::Int(numel)])?;
        }
        Ok(out)
    }
}

/// BinaryCrossEntropyWithLogitsBackward0: edges (self, target), self's
/// gradient first. For self,
/// PyTorch's `binary_cross_entropy_with_logits_backward` formula, observed
/// in torch 2.15 under a dispatch mode (where every tensor counts as
/// subclass-like, so each step is out of place):
/// with `pos_weight`: `t = pos_weight * target`,
/// `((t + 1) - target) * sigmoid(self) - t`; without:
/// `sigmoid(self) - target`; then `* grad`, `* weight` if given, and
/// `div_(numel)` for the mean. Without a dispatch mode the intermediate
/// steps run in place (`sub_`, `mul_`), as in PyTorch.
pub(crate) struct BinaryCrossEntropyWithLogitsBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) target: SavedVariable,
    pub(crate) weight: Option<SavedVariable>,
    pub(crate) pos_weight: Option<SavedVariable>,
    pub(crate) reduction: i64,
}

impl BinaryCrossEntropyWithLogitsBackward0 {
    fn self_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        let x = self.self_.unpack(ctx.node)?;
        let target = self.target.unpack(ctx.node)?;
        let rt = &mut *ctx.rt;
        let in_place = !rt.is_dispatch_mode_active();
        let apply =
            |rt: &mut Runtime, name: &str, a: Tensor, b: IValue| step(rt, in_place, name, a, b);
        let mut grad_input = match &self.pos_weight {
            Some(pw) => {
                let pw = pw.unpack(ctx.node)?;
                let t = rt.mul(&pw, target.clone().into())?;
                let t1 = rt
                    .elementwise()
                    .call("aten.add.Scalar", vec![t.clone().into(), IValue::Int(1)])?;
                let log_weight = apply(rt, "sub", t1, target.into())?;
                let sig = rt
                    .elementwise()
                    .call("aten.sigmoid.default", vec![x.into()])?;
                let scaled = apply(rt, "mul", log_weight, sig.into())?;
                apply(rt, "sub", scaled, t.into())?
            }
            None => {
                let sig = rt
                    .elementwise()
                    .call("aten.sigmoid.default", vec![x.into()])?;
                apply(rt, "sub", sig, target.into())?
            }
        };
        grad_input = apply(rt, "mul", grad_input, g.clone().into())?;
        let numel = grad_input.numel() as i64;
        self.weighted_and_reduced(ctx.node, rt, in_place, grad_input, numel)
    }
}

impl BinaryCrossEntropyWithLogitsBackward0 {
    /// PyTorch's `binary_cross_entropy_with_logits_target_backward`
    /// (observed in torch 2.15): with `pos_weight`,
    /// `log_sigmoid(-self) - log_sigmoid(self) * pos_weight` (each
    /// `log_sigmoid` a `log_sigmoid_forward`), then `* grad`; without,
    /// `-self * grad`; `* weight` if given and `div_(target.numel())` for
    /// the mean. Under a dispatch mode every step is out of place; without
    /// one `sub_`, `mul_` run in place, as in PyTorch.
    fn target_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        let x = self.self_.unpack(ctx.node)?;
        let target = self.target.unpack(ctx.node)?;
        let rt = &mut *ctx.rt;
        let in_place = !rt.is_dispatch_mode_active();
        let apply =
            |rt: &mut Runtime, name: &str, a: Tensor, b: IValue| step(rt, in_place, name, a, b);
        let log_sigmoid = |rt: &mut Runtime, t: Tensor| -> Result<Tensor> {
            rt.call("aten.log_sigmoid_forward.default", vec![t.into()])?
                .into_iter()
                .next()
                .and_then(IValue::into_tensor)
                .ok_or_else(|| {
                    RuntimeError::unsupported(
                        "aten.log_sigmoid_forward.default",
                        "a result without an output tensor",
                    )
                })
        };
        let grad_target = match &self.pos_weight {
            Some(pw) => {
                let pw = pw.unpack(ctx.node)?;
                let neg = rt
                    .elementwise()
                    .call("aten.neg.default", vec![x.clone().into()])?;
                let ls_neg = log_sigmoid(rt, neg)?;
                let ls = log_sigmoid(rt, x)?;
                let scaled = apply(rt, "mul", ls, pw.into())?;
                let diff = apply(rt, "sub", ls_neg, scaled.into())?;
                apply(rt, "mul", diff, g.clone().into())?
            }
            None => {
                let neg = rt.elementwise().call("aten.neg.default", vec![x.into()])?;
                rt.elementwise()
                    .call("aten.mul.Tensor", vec![neg.into(), g.clone().into()])?
            }
        };
        self.weighted_and_reduced(ctx.node, rt, in_place, grad_target, target.numel() as i64)
    }

    /// Both gradients' last steps: `* weight` if given, then
    /// `div_(numel)` for the mean.
    fn weighted_and_reduced(
        &self,
        node: &Arc<Node>,
        rt: &mut Runtime,
        in_place: bool,
        mut grad: Tensor,
        numel: i64,
    ) -> Result<Tensor> {
        if let Some(w) = &self.weight {
            let w = w.unpack(node)?;
            grad = step(rt, in_place, "mul", grad, w.into())?;
        }
        if self.reduction == 1 {
            grad = rt
                .elementwise()
                .call("aten.div_.Scalar", vec![grad.into(), IValue::Int(numel)])?;
        }
        Ok(grad)
    }
}

/// `a op b` (`op` `mul`, `sub`, ...): in place on `a` when `in_place` (no
/// dispatch mode is active), else out of place.
fn step(rt: &mut Runtime, in_place: bool, name: &str, a: Tensor, b: IValue) -> Result<Tensor> {
    let op = if in_place {
        format!("aten.{name}_.Tensor")
    } else {
        format!("aten.{name}.Tensor")
    };
    rt.elementwise().call(&op, vec![a.into(), b])
}

impl BackwardFn for BinaryCrossEntropyWithLogitsBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            out[0] = Some(self.self_grad(ctx, &g)?);
        }
        if ctx.needs(1) {
            out[1] = Some(self.target_grad(ctx, &g)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.target.release();
        self.weight.iter_mut().for_each(SavedVariable::release);
        self.pos_weight.iter_mut().for_each(SavedVariable::release);
    }
}
