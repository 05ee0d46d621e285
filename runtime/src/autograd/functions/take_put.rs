//! Backward functions of `take` and `put`/`put_` (positions in the
//! tensor's logical order), with the calls torch 2.15's make:
//!
//! - TakeBackward0: `zeros_like(self)`, then `put(zeros, index, grad,
//!   accumulate=True)`;
//! - PutBackward0: `self` gets the gradient itself under `accumulate`, else
//!   `grad.put(index, zeros(source sizes, source options), False)` (the
//!   written positions get none); then `source` gets
//!   `grad.take(index).view(source sizes)` (`reshape_as` of a contiguous
//!   result).

use super::{one_to_one, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;

fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

/// `take(self, index)`.
pub(crate) struct TakeBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) index: SavedVariable,
}

impl BackwardFn for TakeBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        let index = self.index.unpack(ctx.node)?;
        one_to_one(ctx, grads, |ctx, g| {
            let zeros = call(ctx, "aten.zeros_like.default", vec![(&this).into()])?;
            call(
                ctx,
                "aten.put.default",
                vec![
                    (&zeros).into(),
                    (&index).into(),
                    g.into(),
                    IValue::Bool(true),
                ],
            )
        })
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.index.release();
    }
}

/// `put(self, index, source, accumulate)` and `put_`.
pub(crate) struct PutBackward0 {
    pub(crate) index: SavedVariable,
    pub(crate) accumulate: bool,
    pub(crate) source_sizes: Vec<i64>,
    pub(crate) source_dtype: DType,
    pub(crate) source_device: Device,
}

impl BackwardFn for PutBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let index = self.index.unpack(ctx.node)?;
        let this = match (ctx.needs(0), self.accumulate) {
            (false, _) => None,
            (true, true) => Some(g.clone()),
            (true, false) => {
                let zeros = call(
                    ctx,
                    "aten.zeros.default",
                    vec![
                        IValue::IntList(self.source_sizes.clone()),
                        IValue::Dtype(self.source_dtype),
                        IValue::Layout(Layout::Strided),
                        IValue::Device(self.source_device),
                    ],
                )?;
                Some(call(
                    ctx,
                    "aten.put.default",
                    vec![
                        (&g).into(),
                        (&index).into(),
                        zeros.into(),
                        IValue::Bool(false),
                    ],
                )?)
            }
        };
        let source = if ctx.needs(1) {
            let taken = call(ctx, "aten.take.default", vec![(&g).into(), (&index).into()])?;
            Some(ctx.rt.view(&taken, &self.source_sizes)?)
        } else {
            None
        };
        Ok(vec![this, source])
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}
