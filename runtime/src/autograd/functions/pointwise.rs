//! Backward of pointwise operators: `add`, `add_`, `sub`, `mul`, `mul.Scalar`,
//! `neg`, `relu`.
//!
//! Gradients for broadcast operands come out in the broadcast shape; the
//! engine reduces them to the operand's shape afterwards (`sum_to` in
//! `validate_outputs`), as PyTorch does.

use super::complex::{conj_scalar, handle_r_to_c};
use super::{any_defined, maybe_multiply, one_to_one, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// A saved operand of a binary operator: a tensor, or the Python number
/// PyTorch wrapped into one (`x * 2` saves `2`, and backward calls
/// `mul.Tensor(grad, 2)`).
pub(crate) enum SavedOperand {
    Tensor(SavedVariable),
    /// A wrapped number (`x * 2`); `None` once released. PyTorch saves the
    /// wrapped-number tensor as a SavedVariable, so a second backward
    /// through it raises too (observed in torch 2.15: `(t * 2).sum()`
    /// backward twice fails in MulBackward0).
    Number(Option<IValue>),
}

impl SavedOperand {
    pub(crate) fn of(value: &IValue) -> SavedOperand {
        match value {
            IValue::Tensor(t) => SavedOperand::Tensor(SavedVariable::input(t)),
            other => SavedOperand::Number(Some(other.clone())),
        }
    }

    pub(crate) fn unpack(&self, ctx: &BackwardCtx<'_>) -> Result<IValue> {
        match self {
            SavedOperand::Tensor(s) => Ok(IValue::Tensor(s.unpack(ctx.node)?)),
            SavedOperand::Number(Some(v)) => Ok(v.clone()),
            SavedOperand::Number(None) => Err(crate::error::RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            }),
        }
    }

    pub(crate) fn release(&mut self) {
        match self {
            SavedOperand::Tensor(s) => s.release(),
            SavedOperand::Number(v) => *v = None,
        }
    }
}

/// `add(self, other, alpha)`: d/dself = grad, d/dother = alpha * grad.
/// With alpha = 1 both edges receive the *same* gradient tensor.
pub(crate) struct AddBackward0 {
    pub(crate) alpha: IValue,
    /// Whether self and other are real tensors (`handle_r_to_c`).
    pub(crate) real: [bool; 2],
}

impl BackwardFn for AddBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let self_grad = if ctx.needs(0) {
            Some(handle_r_to_c(ctx.rt, self.real[0], g.clone())?)
        } else {
            None
        };
        let other_grad = if ctx.needs(1) {
            let scaled = maybe_multiply(ctx, g, &self.alpha)?;
            Some(handle_r_to_c(ctx.rt, self.real[1], scaled)?)
        } else {
            None
        };
        Ok(vec![self_grad, other_grad])
    }
}

/// `sub(self, other, alpha)`: d/dself = grad, d/dother = -alpha * grad
/// (computed as `neg(grad)` then, unless alpha = 1, `mul.Scalar`).
pub(crate) struct SubBackward0 {
    pub(crate) alpha: IValue,
    /// Whether self and other are real tensors (`handle_r_to_c`).
    pub(crate) real: [bool; 2],
}

impl BackwardFn for SubBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let self_grad = if ctx.needs(0) {
            Some(handle_r_to_c(ctx.rt, self.real[0], g.clone())?)
        } else {
            None
        };
        let other_grad = if ctx.needs(1) {
            let negated = ctx.rt.neg(&g)?;
            let scaled = maybe_multiply(ctx, negated, &self.alpha)?;
            Some(handle_r_to_c(ctx.rt, self.real[1], scaled)?)
        } else {
            None
        };
        Ok(vec![self_grad, other_grad])
    }
}

/// `mul(self, other)`: d/dself = grad * other.conj(), d/dother =
/// grad * self.conj() (`conj` dispatches only for a complex operand).
pub(crate) struct MulBackward0 {
    /// Saved when `self` needs a gradient.
    pub(crate) other: Option<SavedOperand>,
    /// Saved when `other` needs a gradient.
    pub(crate) self_: Option<SavedOperand>,
    /// Whether self and other are real tensors (`handle_r_to_c`).
    pub(crate) real: [bool; 2],
}

impl BackwardFn for MulBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        // `other`'s gradient is computed before `self`'s (observed in torch
        // 2.15: `(x * w).sum().backward()` dispatches `mul(grad, x)` first).
        let mut out = vec![None, None];
        if ctx.needs(1)
            && let Some(this) = &self.self_
        {
            let this = this.unpack(ctx)?;
            let this = super::complex::conj_operand(ctx.rt, this)?;
            let grad = ctx.rt.mul(&g, this)?;
            out[1] = Some(handle_r_to_c(ctx.rt, self.real[1], grad)?);
        }
        if ctx.needs(0)
            && let Some(other) = &self.other
        {
            let other = other.unpack(ctx)?;
            let other = super::complex::conj_operand(ctx.rt, other)?;
            let grad = ctx.rt.mul(&g, other)?;
            out[0] = Some(handle_r_to_c(ctx.rt, self.real[0], grad)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.other.iter_mut().for_each(SavedOperand::release);
        self.self_.iter_mut().for_each(SavedOperand::release);
    }
}

/// `mul.Scalar(self, other)`: d/dself = grad * conj(other), made real
/// for a real self (observed in torch 2.15: `real * 1j`, as complex
/// `nn.Conv1d` combines its real convolutions, differentiates as
/// `mul.Scalar(grad, -1j)`, `view_as_real`, `select(-1, 0)`).
pub(crate) struct MulBackward1 {
    pub(crate) other: IValue,
    /// Whether self is a real tensor (`handle_r_to_c`).
    pub(crate) real: bool,
}

impl BackwardFn for MulBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| {
            let other = if ctx.rt.faults().mul_scalar_grad_unconjugated {
                self.other.clone()
            } else {
                conj_scalar(&self.other)
            };
            let g = ctx.rt.mul_scalar(&g, other)?;
            handle_r_to_c(ctx.rt, self.real, g)
        })
    }
}

/// `neg(self)`: d/dself = -grad.
pub(crate) struct NegBackward0;

impl BackwardFn for NegBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.neg(&g))
    }
}

/// `relu(self)`: d/dself = grad where result > 0, else 0 —
/// `threshold_backward(grad, result, 0)` on the saved *result*.
#[derive(Default)]
pub(crate) struct ReluBackward0 {
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for ReluBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !any_defined(&grads) {
            return Ok(vec![None]);
        }
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let result = match &self.result {
            Some(saved) => saved.unpack(ctx.node)?,
            None => {
                return Err(crate::error::RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        Ok(vec![Some(ctx.rt.threshold_backward(
            &g,
            &result,
            IValue::Int(0),
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        if let Some(s) = &mut self.result {
            s.release();
        }
    }
}
