//! SelectScatterBackward0, SliceScatterBackward0 and
//! DiagonalScatterBackward0: the gradient of `self` is the gradient with
//! the scattered view zeroed (`zeros(src sizes)` scattered in, the same
//! `*_scatter` call), the gradient of `src` is the gradient's view
//! (`select.int` / `slice.Tensor` / `diagonal`), in that order, as torch
//! 2.15 dispatches them.

use super::single;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;

/// The backward of a `*_scatter` of a view.
pub(crate) struct ScatterViewBackward {
    /// The scatter operator (`aten.select_scatter.default`).
    pub(crate) scatter_op: &'static str,
    /// The view operator (`aten.select.int`).
    pub(crate) view_op: &'static str,
    /// The view's arguments after the tensor (dim, index / dim, start,
    /// end, step / offset, dim1, dim2).
    pub(crate) view_args: Vec<IValue>,
    /// `src`'s sizes, dtype and device.
    pub(crate) src_sizes: Vec<i64>,
    pub(crate) src_dtype: DType,
    pub(crate) src_device: Device,
}

fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

impl ScatterViewBackward {
    /// `scatter(grad, zeros(src sizes), view args...)`.
    fn self_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        let zeros = call(
            ctx,
            "aten.zeros.default",
            vec![
                IValue::IntList(self.src_sizes.clone()),
                IValue::Dtype(self.src_dtype),
                IValue::Layout(Layout::Strided),
                IValue::Device(self.src_device),
            ],
        )?;
        let mut args = vec![IValue::from(g.clone()), IValue::from(zeros)];
        args.extend(self.view_args.iter().cloned());
        call(ctx, self.scatter_op, args)
    }

    /// `view(grad, view args...)`.
    fn src_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        let mut args = vec![IValue::from(g.clone())];
        args.extend(self.view_args.iter().cloned());
        call(ctx, self.view_op, args)
    }
}

impl BackwardFn for ScatterViewBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let swapped = ctx.rt.faults().scatter_view_grads_swapped;
        let mut src_grad = None;
        if swapped && ctx.needs(1) {
            src_grad = Some(self.src_grad(ctx, &g)?);
        }
        let self_grad = if ctx.needs(0) {
            Some(self.self_grad(ctx, &g)?)
        } else {
            None
        };
        if !swapped && ctx.needs(1) {
            src_grad = Some(self.src_grad(ctx, &g)?);
        }
        Ok(vec![self_grad, src_grad])
    }
}
