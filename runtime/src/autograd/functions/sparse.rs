//! Backward of the sparse COO operators.
//!
//! * SparseAddmmBackward0 (`_sparse_addmm(self, mat1, mat2, beta, alpha)`,
//!   `mat1` sparse): `mat1`'s gradient is PyTorch's
//!   `mm_mat1_sparse_backward`, the dense `alpha * grad @ mat2ᵀ` masked to
//!   the pattern of `mat1.coalesce()` (`is_coalesced`, `_coalesce` when
//!   not, `t`, `mm`, `mul.Scalar` unless `alpha` is 1, `sparse_mask`);
//!   `mat2`'s is `mm_mat2_backward` (`alpha * mat1ᵀ @ grad`, the sparse
//!   transpose times the gradient); `self`'s is `beta * grad`. Computed
//!   in that order (observed in torch 2.15).
//! * CoalesceBackward0: the gradient passes through unchanged.
//! * SparseCooTensorWithDimsAndTensorsBackward0: the values' gradient is
//!   `grad.sparse_mask(result)._values()`; the indices get none.
//! * ToDenseBackward0 (`_to_dense(self, dtype, masked_grad)`, `self`
//!   sparse): `to_dense_backward(grad, self, masked_grad)`, a composite
//!   whose parts are dispatched: `grad.sparse_mask(self.coalesce())` when
//!   `masked_grad` is true or None, `grad.to_sparse(self.sparse_dim())`
//!   (`sparse_dim`, then `_to_sparse.sparse_dim`) when it is false.
//! * ToSparseBackward1 / ToSparseBackward0 (`_to_sparse` of a strided
//!   `self`, and its `sparse_dim` overload): PyTorch's `to_sparse_backward`
//!   for a strided input, the gradient made dense (`to_dense`: `_to_dense`
//!   of a sparse gradient, a strided one as it is).
//! * ValuesBackward0 (`values()` of a coalesced tensor): `values_backward`,
//!   a coalesced tensor of `self`'s sizes over `self.indices()` whose values
//!   are the gradient (`indices`, `_sparse_coo_tensor_with_dims_and_tensors`
//!   with `is_coalesced=True`).
//! * SparseSoftmaxBackward0 / SparseLogSoftmaxBackward0
//!   (`_sparse_softmax(self, dim, half_to_float)`, and log): one call of
//!   `_sparse_softmax_backward_data(grad, result, dim, self)` (or the log
//!   kernel) with the saved result and input.
//! * SparseSumBackward0 (`_sparse_sum.dim(self, dim)`): one call of
//!   `_sparse_sum_backward(grad, self, dim)`.

use super::linalg::{MatrixLayout, mat2_grad};
use super::{maybe_multiply, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<IValue> {
    ctx.rt
        .dispatch(op, args)?
        .into_iter()
        .next()
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a result"))
}

fn call_tensor(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    call(ctx, op, args)?
        .into_tensor()
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    saved.as_ref().map_or_else(
        || {
            Err(RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            })
        },
        |s| s.unpack(ctx.node),
    )
}

/// `Tensor::coalesce()`: the tensor itself when `is_coalesced`, otherwise
/// `_coalesce`.
fn coalesce(ctx: &mut BackwardCtx<'_>, t: &Tensor) -> Result<Tensor> {
    let done = call(ctx, "aten.is_coalesced.default", vec![t.into()])?;
    if matches!(done, IValue::Bool(true)) {
        return Ok(t.clone());
    }
    call_tensor(ctx, "aten._coalesce.default", vec![t.into()])
}

/// `_sparse_addmm(self, mat1, mat2, *, beta, alpha)` with a sparse `mat1`.
pub(crate) struct SparseAddmmBackward0 {
    pub(crate) beta: IValue,
    pub(crate) alpha: IValue,
    /// Saved when mat1 or mat2 needs a gradient.
    pub(crate) mat1: Option<SavedVariable>,
    /// Saved when mat1 needs a gradient.
    pub(crate) mat2: Option<SavedVariable>,
    pub(crate) mat2_layout: MatrixLayout,
}

impl BackwardFn for SparseAddmmBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mat1 = (ctx.needs(1) || ctx.needs(2))
            .then(|| unpack(ctx, &self.mat1))
            .transpose()?;
        let mat2 = ctx.needs(1).then(|| unpack(ctx, &self.mat2)).transpose()?;
        let mut out = vec![None, None, None];
        if let (Some(mat1), Some(mat2)) = (&mat1, &mat2) {
            // mm_mat1_sparse_backward.
            let pattern = coalesce(ctx, mat1)?;
            let m2t = ctx.rt.t(mat2)?;
            let dense = ctx.rt.mm(&g, &m2t)?;
            let dense = maybe_multiply(ctx, dense, &self.alpha)?;
            out[1] = Some(call_tensor(
                ctx,
                "aten.sparse_mask.default",
                vec![dense.into(), pattern.into()],
            )?);
        }
        if let (true, Some(mat1)) = (ctx.needs(2), &mat1) {
            out[2] = Some(mat2_grad(ctx, &g, mat1, &self.mat2_layout, &self.alpha)?);
        }
        if ctx.needs(0) {
            out[0] = Some(maybe_multiply(ctx, g, &self.beta)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.mat1.iter_mut().for_each(SavedVariable::release);
        self.mat2.iter_mut().for_each(SavedVariable::release);
    }
}

/// `_coalesce(self)`: `self: grad`.
pub(crate) struct CoalesceBackward0;

impl BackwardFn for CoalesceBackward0 {
    fn apply(
        &mut self,
        _ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![single(grads)])
    }
}

/// `_sparse_coo_tensor_with_dims_and_tensors(..., indices, values)`:
/// `values: grad.sparse_mask(result)._values()`.
#[derive(Default)]
pub(crate) struct SparseCooTensorWithDimsAndTensorsBackward0 {
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for SparseCooTensorWithDimsAndTensorsBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let result = unpack(ctx, &self.result)?;
        let masked = call_tensor(
            ctx,
            "aten.sparse_mask.default",
            vec![g.into(), result.into()],
        )?;
        Ok(vec![Some(call_tensor(
            ctx,
            "aten._values.default",
            vec![masked.into()],
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        self.result.iter_mut().for_each(SavedVariable::release);
    }
}

/// `_to_dense(self, dtype, masked_grad)`:
/// `self: to_dense_backward(grad, self, masked_grad)`.
pub(crate) struct ToDenseBackward0 {
    pub(crate) input: Option<SavedVariable>,
    pub(crate) masked_grad: IValue,
}

impl BackwardFn for ToDenseBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = unpack(ctx, &self.input)?;
        Ok(vec![Some(to_dense_backward(
            ctx.rt,
            &g,
            &input,
            &self.masked_grad,
        )?)])
    }

    fn release_variables(&mut self) {
        self.input.iter_mut().for_each(SavedVariable::release);
    }
}

/// `_to_sparse(self, ...)` of a strided `self`: `grad.to_dense()`.
pub(crate) struct ToSparseBackward;

impl BackwardFn for ToSparseBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let dense = call_tensor(
            ctx,
            "aten.to_dense.default",
            vec![g.into(), IValue::None, IValue::None],
        )?;
        Ok(vec![Some(dense)])
    }
}

/// PyTorch's `to_dense_backward(grad, input, masked_grad)` for a sparse COO
/// `input` (the composite's parts, dispatched).
pub(crate) fn to_dense_backward(
    rt: &mut crate::runtime::Runtime,
    grad: &Tensor,
    input: &Tensor,
    masked_grad: &IValue,
) -> Result<Tensor> {
    const OP: &str = "aten.to_dense_backward.default";
    input.sparse_parts(OP)?;
    let first = |outputs: Vec<IValue>, op: &str| {
        outputs
            .into_iter()
            .next()
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a result"))
    };
    if matches!(masked_grad, IValue::Bool(false)) {
        // `input.sparse_dim()` is a dispatched call (observed in torch 2.15).
        let sparse_dim = first(
            rt.dispatch("aten.sparse_dim.default", vec![input.into()])?,
            "aten.sparse_dim.default",
        )?;
        return first(
            rt.dispatch("aten._to_sparse.sparse_dim", vec![grad.into(), sparse_dim])?,
            "aten._to_sparse.sparse_dim",
        )?
        .into_tensor()
        .ok_or_else(|| RuntimeError::unsupported(OP, "a call without a tensor result"));
    }
    let done = first(
        rt.dispatch("aten.is_coalesced.default", vec![input.into()])?,
        "aten.is_coalesced.default",
    )?;
    let pattern = if matches!(done, IValue::Bool(true)) {
        input.clone()
    } else {
        first(
            rt.dispatch("aten._coalesce.default", vec![input.into()])?,
            "aten._coalesce.default",
        )?
        .into_tensor()
        .ok_or_else(|| RuntimeError::unsupported(OP, "a call without a tensor result"))?
    };
    first(
        rt.dispatch(
            "aten.sparse_mask.default",
            vec![grad.into(), pattern.into()],
        )?,
        "aten.sparse_mask.default",
    )?
    .into_tensor()
    .ok_or_else(|| RuntimeError::unsupported(OP, "a call without a tensor result"))
}

/// `values(self)`: `self: values_backward(grad, self)`.
pub(crate) struct ValuesBackward0 {
    pub(crate) this: Option<SavedVariable>,
}

impl BackwardFn for ValuesBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let this = unpack(ctx, &self.this)?;
        let parts = this.sparse_parts("aten.values.default")?;
        let (sparse_dim, dense_dim) = (parts.sparse_dim as i64, parts.dense_dim as i64);
        let indices = call_tensor(ctx, "aten.indices.default", vec![this.clone().into()])?;
        let grad = call_tensor(
            ctx,
            "aten._sparse_coo_tensor_with_dims_and_tensors.default",
            vec![
                IValue::Int(sparse_dim),
                IValue::Int(dense_dim),
                this.shape().into(),
                indices.into(),
                g.into(),
                IValue::Dtype(this.dtype()),
                IValue::Layout(crate::tensor::options::Layout::SparseCoo),
                IValue::Device(this.device()),
                IValue::None,
                if ctx.rt.faults().values_grad_uncoalesced {
                    IValue::None
                } else {
                    IValue::Bool(true)
                },
            ],
        )?;
        Ok(vec![Some(grad)])
    }

    fn release_variables(&mut self) {
        self.this.iter_mut().for_each(SavedVariable::release);
    }
}

/// `_sparse_softmax(self, dim, half_to_float)` (`log = false`) and
/// `_sparse_log_softmax(...)` (`log = true`):
/// `self: _sparse_(log_)softmax_backward_data(grad, result, dim, self)`.
pub(crate) struct SparseSoftmaxBackward {
    pub(crate) log: bool,
    pub(crate) dim: i64,
    pub(crate) input: Option<SavedVariable>,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for SparseSoftmaxBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = unpack(ctx, &self.input)?;
        let result = unpack(ctx, &self.result)?;
        let op = if self.log {
            "aten._sparse_log_softmax_backward_data.default"
        } else {
            "aten._sparse_softmax_backward_data.default"
        };
        Ok(vec![Some(call_tensor(
            ctx,
            op,
            vec![g.into(), result.into(), IValue::Int(self.dim), input.into()],
        )?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        self.input.iter_mut().for_each(SavedVariable::release);
        self.result.iter_mut().for_each(SavedVariable::release);
    }
}

/// `_sparse_sum.dim(self, dim)`: `self: _sparse_sum_backward(grad, self, dim)`.
pub(crate) struct SparseSumBackward0 {
    pub(crate) dim: Vec<i64>,
    pub(crate) input: Option<SavedVariable>,
}

impl BackwardFn for SparseSumBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = unpack(ctx, &self.input)?;
        Ok(vec![Some(call_tensor(
            ctx,
            "aten._sparse_sum_backward.default",
            vec![g.into(), input.into(), IValue::IntList(self.dim.clone())],
        )?)])
    }

    fn release_variables(&mut self) {
        self.input.iter_mut().for_each(SavedVariable::release);
    }
}
