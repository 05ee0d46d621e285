//! Double backward of the shape and indexing backward kernels, each linear
//! in its only differentiable input `grad_output` (observed in torch 2.15):
//!
//! * `SliceBackwardBackward0`: `grad.slice(dim, start, end, step)`;
//! * `SelectBackwardBackward0`: `grad.select(dim, index)`;
//! * `EmbeddingDenseBackwardBackward0`: the incoming gradient's rows at the
//!   indices — `index_select(0, indices.reshape(-1))`, the padding row's
//!   entries zeroed in place (`masked_fill_` of `(indices == padding_idx)
//!   .reshape(-1, 1)`), viewed as `indices.shape + [-1]`.

use super::super::one_to_one;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `t.reshape(sizes)` with one size `-1` inferred: a `view` that keeps the
/// `-1` when the strides allow it (observed in torch 2.15: `view(size=[-1])`),
/// a copy otherwise.
fn reshape(ctx: &mut BackwardCtx<'_>, t: &Tensor, sizes: &[i64]) -> Result<Tensor> {
    let known: i64 = sizes.iter().filter(|&&s| s != -1).product();
    let numel = t.numel() as i64;
    let inferred: Vec<i64> = sizes
        .iter()
        .map(|&s| {
            if s == -1 && known != 0 {
                numel / known
            } else {
                s
            }
        })
        .collect();
    if crate::tensor::strides::view_strides(t.shape(), t.stride(), &inferred).is_some() {
        return ctx.rt.view(t, sizes);
    }
    ctx.rt.reshape(t, &inferred)
}

/// `SliceBackwardBackward0` / `SelectBackwardBackward0`: the view op again
/// on the incoming gradient.
pub(crate) struct ViewAgain {
    /// `aten.slice.Tensor` or `aten.select.int`.
    pub(crate) op: &'static str,
    /// Its arguments after `self` (dim, start, end, step / dim, index).
    pub(crate) params: Vec<IValue>,
}

impl BackwardFn for ViewAgain {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let (op, params) = (self.op, self.params.clone());
        one_to_one(ctx, grads, |ctx, g| {
            let mut args = vec![(&g).into()];
            args.extend(params);
            call(ctx, op, args)
        })
    }
}

/// `embedding_dense_backward(grad_output, indices, num_weights,
/// padding_idx, scale_grad_by_freq)`.
pub(crate) struct EmbeddingDenseBackwardBackward0 {
    pub(crate) indices: Option<SavedVariable>,
    pub(crate) padding_idx: i64,
}

impl BackwardFn for EmbeddingDenseBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let indices = unpack(ctx, &self.indices)?;
        let padding_idx = self.padding_idx;
        one_to_one(ctx, grads, |ctx, g| {
            let flat = reshape(ctx, &indices, &[-1])?;
            let rows = ctx.rt.index_select(&g, 0, &flat)?;
            if padding_idx >= 0 {
                let is_pad = ctx.rt.elementwise().binary(
                    "aten.eq.Scalar",
                    &indices,
                    IValue::Int(padding_idx),
                )?;
                let mask = reshape(ctx, &is_pad, &[-1, 1])?;
                let args = vec![(&rows).into(), (&mask).into(), IValue::Int(0)];
                call(ctx, "aten.masked_fill_.Scalar", args)?;
            }
            let mut size = indices.shape().to_vec();
            size.push(-1);
            ctx.rt.view(&rows, &size)
        })
    }

    fn release_variables(&mut self) {
        release(&mut self.indices);
    }
}

/// `MaskedScatterBackward0`, the node of `masked_scatter(self, mask,
/// source)` (masked_select's formula dispatches it under `create_graph`):
/// `self` gets `grad.masked_fill(mask, 0)`, `source`
/// `masked_scatter_backward(grad, mask, source sizes)` (observed in torch
/// 2.15), `self` first.
pub(crate) struct MaskedScatterBackward0 {
    pub(crate) mask: Option<SavedVariable>,
    pub(crate) source_sizes: Vec<i64>,
}

impl BackwardFn for MaskedScatterBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = super::super::single(grads) else {
            return Ok(vec![None, None]);
        };
        let mask = unpack(ctx, &self.mask)?;
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let args = vec![(&g).into(), (&mask).into(), IValue::Int(0)];
            out[0] = Some(call(ctx, "aten.masked_fill.Scalar", args)?);
        }
        if ctx.needs(1) {
            let args = vec![
                (&g).into(),
                (&mask).into(),
                IValue::IntList(self.source_sizes.clone()),
            ];
            out[1] = Some(call(ctx, "aten.masked_scatter_backward.default", args)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        release(&mut self.mask);
    }
}

/// `MaskedScatterBackwardBackward0`, the node of `masked_scatter_backward`
/// under `create_graph` (edge `[grad_output]`; `mask` is not
/// differentiable). Its formula (a `masked_scatter` of the incoming
/// gradient into zeros) is not observed yet: running it is an
/// unsupported-operation error.
pub(crate) struct MaskedScatterBackwardBackward0;

impl BackwardFn for MaskedScatterBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None]);
        }
        Err(crate::error::RuntimeError::unsupported(
            ctx.node.name(),
            "the third derivative of masked_select",
        ))
    }
}
