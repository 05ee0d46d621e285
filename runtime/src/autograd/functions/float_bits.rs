//! NextafterBackward0, the node of `nextafter` / `nextafter_`: the result
//! moves one representable step from `self`, so `self`'s gradient passes
//! where the step was taken, `where(self != other, grad, 0)` (`ne.Tensor`,
//! `scalar_tensor`, `where.self`), and `other` gets zeros of its geometry
//! (`zeros`), computed first (observed in torch 2.15).
//!
//! LdexpBackward0, the node of `ldexp(self, other) = self · 2^other`:
//!
//! * d/d other = `self · 2^other · ln 2`, written from the result as
//!   `grad * result * M_LN2` (`mul.Tensor` then `mul.Scalar`);
//! * d/d self = `2^other`: `grad * pow(2.0, other)` (`pow.Scalar`, which
//!   for an integer exponent gives the default float dtype).
//!
//! `other`'s gradient is computed first (alphabetical order, as PyTorch's
//! generated code does; observed in torch 2.15). An integer exponent never
//! needs one: its edge is empty.
//!
//! FrexpBackward0, the node of `frexp(self) = (mantissa, exponent)` with
//! `self = mantissa · 2^exponent`: only the mantissa is differentiable,
//! d mantissa / d self = `2^-exponent`, computed as `grad / exponent.exp2()`
//! (`exp2` of the saved int32 exponent gives float32, so a half-type
//! gradient divides into float32 and the engine casts it back; observed in
//! torch 2.15).

use super::elementwise::ZerosLike;
use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// The backward of `ldexp.Tensor`.
pub(crate) struct LdexpBackward0 {
    /// The exponent, for `self`'s gradient.
    pub(crate) other: SavedVariable,
    /// The result (for `ldexp_`, `self` as written), saved whether or not
    /// `other` needs a gradient (observed in torch 2.15: `_saved_result`
    /// is there for an integer exponent too, so a later in-place write to
    /// the result fails backward's version check).
    pub(crate) result: Option<SavedVariable>,
}

fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

impl BackwardFn for LdexpBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        // Both saved tensors are unpacked (and version-checked) before
        // either gradient, as PyTorch's generated node does: an in-place
        // write into the result fails backward even when only `self`
        // needs a gradient.
        let other = self.other.unpack(ctx.node)?;
        let result = if ctx.needs(1) || !ctx.rt.faults().ldexp_result_read_when_needed {
            Some(
                self.result
                    .as_ref()
                    .ok_or_else(|| RuntimeError::GraphFreed {
                        node: ctx.node.name().to_owned(),
                    })?
                    .unpack(ctx.node)?,
            )
        } else {
            None
        };
        let mut out = vec![None, None];
        if let (true, Some(result)) = (ctx.needs(1), &result) {
            let scaled = call(ctx, "aten.mul.Tensor", vec![(&g).into(), result.into()])?;
            out[1] = Some(call(
                ctx,
                "aten.mul.Scalar",
                vec![scaled.into(), IValue::Float(std::f64::consts::LN_2)],
            )?);
        }
        if ctx.needs(0) {
            let power = call(
                ctx,
                "aten.pow.Scalar",
                vec![IValue::Float(2.0), (&other).into()],
            )?;
            out[0] = Some(call(ctx, "aten.mul.Tensor", vec![g.into(), power.into()])?);
        }
        Ok(out)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.other.release();
        if let Some(r) = &mut self.result {
            r.release();
        }
    }
}

/// The backward of `frexp.Tensor`.
pub(crate) struct FrexpBackward0 {
    /// The exponent (output 1), saved when the node is recorded.
    pub(crate) exponent: Option<SavedVariable>,
}

impl BackwardFn for FrexpBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = grads.into_iter().next().flatten() else {
            return Ok(vec![None]);
        };
        let exponent = self
            .exponent
            .as_ref()
            .ok_or_else(|| RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            })?
            .unpack(ctx.node)?;
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        let power = call(ctx, "aten.exp2.default", vec![exponent.into()])?;
        Ok(vec![Some(call(
            ctx,
            "aten.div.Tensor",
            vec![g.into(), power.into()],
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // A non-differentiable output: unpacked without history.
        self.exponent = outputs.get(1).map(SavedVariable::input);
    }

    fn release_variables(&mut self) {
        if let Some(e) = &mut self.exponent {
            e.release();
        }
    }
}

/// The backward of `nextafter` and `nextafter_`.
pub(crate) struct NextafterBackward0 {
    /// `self` (for `nextafter_`, the clone of the original `self`).
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
    /// `other`'s geometry, for its zero gradient.
    pub(crate) other_like: ZerosLike,
}

impl BackwardFn for NextafterBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(self.other_like.zeros(ctx)?);
        }
        if ctx.needs(0) {
            let (this, other) = (self.self_.unpack(ctx.node)?, self.other.unpack(ctx.node)?);
            let moved = if ctx.rt.faults().nextafter_grad_mask_ge {
                call(ctx, "aten.ge.Tensor", vec![(&this).into(), (&other).into()])?
            } else {
                call(ctx, "aten.ne.Tensor", vec![(&this).into(), (&other).into()])?
            };
            // The formula's integer literal `0`.
            let zero = ctx.rt.elementwise().scalar_tensor(IValue::Int(0), &g)?;
            out[0] = Some(ctx.rt.elementwise().where_(&moved, &g, &zero)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
    }
}
