//! Backward functions of the rearranging and indexing operators: `tril`,
//! `triu`, `flip`, `roll`, `unfold`, `diagonal(_copy)`, `diag_embed`, `gather`, `scatter` (`src`, `value`), `scatter_add`,
//! `index_select`, `index_add`, `index_copy`, `index_fill`, `masked_select`, `index.Tensor`, `index_put`,
//! `embedding`.
//!
//! Index tensors are saved as inputs (a later in-place change of one makes
//! backward fail, as in PyTorch). Where a node has two differentiable
//! inputs, `self`'s gradient is computed before the other's (observed in
//! torch 2.15: ScatterBackward0 `self` then `src`, IndexPutBackward0
//! `self` then `values`).

use super::{one_to_one, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// `tril(diagonal)` / `triu(diagonal)` (TrilBackward0 / TriuBackward0): the
/// same triangle of the gradient, `op` being `aten.tril.default` or
/// `aten.triu.default`.
pub(crate) struct TriangleBackward {
    pub(crate) op: &'static str,
    pub(crate) diagonal: i64,
}

impl BackwardFn for TriangleBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.triangle(self.op, &g, self.diagonal)
        })
    }
}

/// `flip(dims)`: `grad.flip(dims)`.
pub(crate) struct FlipBackward0 {
    pub(crate) dims: Vec<i64>,
}

impl BackwardFn for FlipBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, g| ctx.rt.flip(&g, &self.dims))
    }
}

/// `roll(shifts, dims)`: the gradient rolled back — PyTorch walks the
/// dims in reverse order with negated shifts (observed: `roll((1, -1),
/// (0, 1))` backward is `roll(grad, [1, -1], [1, 0])`).
pub(crate) struct RollBackward0 {
    pub(crate) shifts: Vec<i64>,
    pub(crate) dims: Vec<i64>,
}

impl BackwardFn for RollBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let shifts: Vec<i64> = self.shifts.iter().rev().map(|s| -s).collect();
        let dims: Vec<i64> = self.dims.iter().rev().copied().collect();
        one_to_one(ctx, grads, |ctx, g| ctx.rt.roll(&g, &shifts, &dims))
    }
}

/// `unfold(dimension, size, step)`: `unfold_backward(grad, self_sizes,
/// dimension, size, step)`, the dimension as given.
pub(crate) struct UnfoldBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dimension: i64,
    pub(crate) size: i64,
    pub(crate) step: i64,
}

impl BackwardFn for UnfoldBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let window = (self.dimension, self.size, self.step);
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.unfold_backward(&g, &self.self_sizes, window)
        })
    }
}

/// `diagonal(offset, dim1, dim2)` (DiagonalBackward0) and `diagonal_copy`
/// (DiagonalBackward0_copy): `diagonal_backward(grad, self_sizes, offset,
/// dim1, dim2)`, the dims as given.
pub(crate) struct DiagonalBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) offset: i64,
    pub(crate) dim1: i64,
    pub(crate) dim2: i64,
}

impl BackwardFn for DiagonalBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let spec = (self.offset, self.dim1, self.dim2);
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.diagonal_backward(&g, &self.self_sizes, spec)
        })
    }
}

/// `diag_embed(offset, dim1, dim2)`: `grad.diagonal(offset, dim1, dim2)`.
pub(crate) struct DiagEmbedBackward0 {
    pub(crate) offset: i64,
    pub(crate) dim1: i64,
    pub(crate) dim2: i64,
}

impl BackwardFn for DiagEmbedBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let spec = (self.offset, self.dim1, self.dim2);
        one_to_one(ctx, grads, |ctx, g| ctx.rt.diagonal(&g, spec))
    }
}

/// `gather(dim, index)`: `grad.new_zeros(self_sizes).scatter_add(dim,
/// index, grad)` (`new_zeros` without explicit options, observed).
pub(crate) struct GatherBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
    pub(crate) sparse_grad: bool,
}

impl BackwardFn for GatherBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if self.sparse_grad {
            return Err(RuntimeError::unsupported(
                "aten.gather.default",
                "sparse_grad=True (sparse gradients)",
            ));
        }
        let index = self.index.unpack(ctx.node)?;
        one_to_one(ctx, grads, |ctx, g| {
            let zeros = ctx.rt.new_zeros(&g, &self.self_sizes, false)?;
            ctx.rt.scatter_add(&zeros, self.dim, &index, &g)
        })
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `scatter.src(dim, index, src)` (ScatterBackward0) and `scatter.value`
/// (ScatterBackward1, no `src` edge): `self` gets `grad.scatter(dim, index,
/// 0)`, `src` gets `grad.gather(dim, index)`.
pub(crate) struct ScatterBackward {
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
    pub(crate) has_src: bool,
}

impl BackwardFn for ScatterBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let edges = if self.has_src { 2 } else { 1 };
        let Some(g) = single(grads) else {
            return Ok(vec![None; edges]);
        };
        let index = self.index.unpack(ctx.node)?;
        let mut out = vec![None; edges];
        if ctx.needs(0) {
            out[0] = Some(ctx.rt.scatter_value(&g, self.dim, &index, IValue::Int(0))?);
        }
        if self.has_src && ctx.needs(1) {
            out[1] = Some(ctx.rt.gather(&g, self.dim, &index)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `index_fill(dim, index, value)` (IndexFillBackward0 for a Scalar value,
/// IndexFillBackward1 for a 0-dim tensor one): `self` gets
/// `grad.index_fill(dim, index, 0)`, then a tensor `value` gets
/// `grad.index_select(dim, _unique(index, sorted=False).values).sum()`, the
/// gradient at every filled position counted once (torch 2.15's CPU
/// `_unique` sorts also when not asked to).
pub(crate) struct IndexFillBackward0 {
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
    pub(crate) value_edge: bool,
}

impl BackwardFn for IndexFillBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None; 1 + usize::from(self.value_edge)]);
        };
        let index = self.index.unpack(ctx.node)?;
        let self_grad = if ctx.needs(0) {
            Some(ctx.rt.index_fill(&g, self.dim, &index, IValue::Int(0))?)
        } else {
            None
        };
        let mut out = vec![self_grad];
        if self.value_edge {
            let value_grad = if ctx.needs(1) {
                // Each filled position once, however often the index names it.
                let positions = if ctx.rt.faults().index_fill_value_grad_repeats {
                    index
                } else {
                    ctx.rt
                        .dispatch(
                            "aten._unique.default",
                            vec![index.into(), IValue::Bool(false), IValue::Bool(false)],
                        )?
                        .into_iter()
                        .next()
                        .and_then(IValue::into_tensor)
                        .ok_or_else(|| {
                            RuntimeError::autograd("aten._unique.default returned no tensor")
                        })?
                };
                let picked = ctx.rt.index_select(&g, self.dim, &positions)?;
                Some(ctx.rt.sum(&picked)?)
            } else {
                None
            };
            out.push(value_grad);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `index_add(dim, index, source, alpha)` (and `index_add_`): `self` gets
/// the gradient itself; `source` gets `maybe_multiply(grad.index_select(dim,
/// index).expand_as(source), alpha)` (for a 0-dim source the index is
/// squeezed and nothing expanded).
pub(crate) struct IndexAddBackward0 {
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
    pub(crate) source_sizes: Vec<i64>,
    pub(crate) alpha: IValue,
}

impl BackwardFn for IndexAddBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let source = if ctx.needs(1) {
            let index = self.index.unpack(ctx.node)?;
            let picked = select_for(ctx, &g, self.dim, &index, &self.source_sizes)?;
            Some(super::maybe_multiply(ctx, picked, &self.alpha)?)
        } else {
            None
        };
        Ok(vec![ctx.needs(0).then_some(g), source])
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `grad.index_select(dim, index).expand_as(source)`, or for a 0-dim
/// source `grad.index_select(dim, index.squeeze(0))`.
fn select_for(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    dim: i64,
    index: &Tensor,
    source_sizes: &[i64],
) -> Result<Tensor> {
    if source_sizes.is_empty() {
        let squeezed = ctx.rt.squeeze_dim(index, 0)?;
        return ctx.rt.index_select(g, dim, &squeezed);
    }
    let picked = ctx.rt.index_select(g, dim, index)?;
    ctx.rt.expand(&picked, source_sizes)
}

/// `index_copy(dim, index, source)` (and `index_copy_`): `self` gets
/// `grad.index_fill(dim, index, 0)`, then `source` gets
/// `grad.index_select(dim, index).expand_as(source)`.
pub(crate) struct IndexCopyBackward0 {
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
    pub(crate) source_sizes: Vec<i64>,
}

impl BackwardFn for IndexCopyBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let index = self.index.unpack(ctx.node)?;
        let this = if ctx.needs(0) {
            Some(ctx.rt.index_fill(&g, self.dim, &index, IValue::Int(0))?)
        } else {
            None
        };
        let source = if ctx.needs(1) {
            Some(select_for(ctx, &g, self.dim, &index, &self.source_sizes)?)
        } else {
            None
        };
        Ok(vec![this, source])
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `scatter_add(dim, index, src)`: `self` gets the gradient itself, `src`
/// gets `grad.gather(dim, index)`.
pub(crate) struct ScatterAddBackward0 {
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
}

impl BackwardFn for ScatterAddBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let index = self.index.unpack(ctx.node)?;
        let src = if ctx.needs(1) {
            Some(ctx.rt.gather(&g, self.dim, &index)?)
        } else {
            None
        };
        Ok(vec![ctx.needs(0).then_some(g), src])
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `index_select(dim, index)`: PyTorch's `index_select_backward` (a
/// composite): `grad.new_zeros(self_sizes, grad options)` then
/// `index_add(dim, index, grad)`, `dim` as given.
pub(crate) struct IndexSelectBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
}

impl BackwardFn for IndexSelectBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let index = self.index.unpack(ctx.node)?;
        one_to_one(ctx, grads, |ctx, g| {
            let zeros = ctx.rt.new_zeros(&g, &self.self_sizes, true)?;
            ctx.rt.index_add(&zeros, self.dim, &index, &g)
        })
    }

    fn release_variables(&mut self) {
        self.index.release();
    }
}

/// `masked_select(mask)`: PyTorch's `masked_select_backward` (a
/// composite): `zeros_like(self.expand(broadcast shape), preserve)` then
/// `masked_scatter(mask, grad)`; the engine sums a broadcast result back
/// to `self`'s shape.
pub(crate) struct MaskedSelectBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) mask: SavedVariable,
}

impl BackwardFn for MaskedSelectBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let this = self.self_.unpack(ctx.node)?;
        let mask = self.mask.unpack(ctx.node)?;
        one_to_one(ctx, grads, |ctx, g| {
            let shape = crate::tensor::strides::broadcast_shapes(this.shape(), mask.shape())
                .ok_or_else(|| RuntimeError::autograd("masked_select: shapes do not broadcast"))?;
            let expanded = ctx.rt.expand(&this, &shape)?;
            let zeros = ctx.rt.zeros_like_preserving(&expanded)?;
            ctx.rt.masked_scatter(&zeros, &mask, &g)
        })
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.mask.release();
    }
}

/// The `Tensor?[]` indices of `index` / `index_put`, saved.
pub(crate) struct SavedIndices(pub(crate) Vec<Option<SavedVariable>>);

impl SavedIndices {
    /// Saves the indices argument (a `Tensor[]` or `Tensor?[]` value).
    pub(crate) fn of(v: &IValue) -> Result<SavedIndices> {
        match v {
            IValue::TensorList(ts) => Ok(SavedIndices(
                ts.iter().map(|t| Some(SavedVariable::input(t))).collect(),
            )),
            IValue::OptionalTensorList(ts) => Ok(SavedIndices(
                ts.iter()
                    .map(|t| t.as_ref().map(SavedVariable::input))
                    .collect(),
            )),
            other => Err(RuntimeError::autograd(format!(
                "derivative: indices are a {}, not a Tensor?[]",
                other.kind()
            ))),
        }
    }

    /// The indices as an argument again (`None` entries kept).
    fn unpack(&self, node: &std::sync::Arc<crate::autograd::node::Node>) -> Result<IValue> {
        let ts = self
            .0
            .iter()
            .map(|s| s.as_ref().map(|s| s.unpack(node)).transpose())
            .collect::<Result<Vec<Option<Tensor>>>>()?;
        Ok(if ts.iter().all(Option::is_some) {
            IValue::TensorList(ts.into_iter().flatten().collect())
        } else {
            IValue::OptionalTensorList(ts)
        })
    }

    fn release(&mut self) {
        for s in self.0.iter_mut().flatten() {
            s.release();
        }
    }
}

/// `index.Tensor(indices)`: PyTorch's `index_backward` —
/// `grad.new_zeros(self_sizes, grad options)` then `index_put(indices,
/// grad, accumulate=True)`.
pub(crate) struct IndexBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) indices: SavedIndices,
}

impl BackwardFn for IndexBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let indices = self.indices.unpack(ctx.node)?;
        one_to_one(ctx, grads, |ctx, g| {
            let zeros = ctx.rt.new_zeros(&g, &self.self_sizes, true)?;
            ctx.rt.index_put(&zeros, indices, &g, true)
        })
    }

    fn release_variables(&mut self) {
        self.indices.release();
    }
}

/// `index_put(indices, values, accumulate)` and `index_put_`: `self` gets
/// the gradient itself when accumulating, else `grad.index_put(indices,
/// zeros(values sizes, values options))`; `values` gets
/// `grad.index(indices)`.
pub(crate) struct IndexPutBackward0 {
    pub(crate) indices: SavedIndices,
    pub(crate) accumulate: bool,
    pub(crate) values_sizes: Vec<i64>,
    pub(crate) values_dtype: DType,
    pub(crate) values_device: Device,
}

impl BackwardFn for IndexPutBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let indices = self.indices.unpack(ctx.node)?;
        let this = if !ctx.needs(0) {
            None
        } else if self.accumulate {
            Some(g.clone())
        } else {
            let zeros = ctx.rt.zeros_with_options(
                &self.values_sizes,
                self.values_dtype,
                self.values_device,
            )?;
            Some(ctx.rt.index_put(&g, indices.clone(), &zeros, false)?)
        };
        let values = if ctx.needs(1) {
            Some(ctx.rt.index(&g, indices)?)
        } else {
            None
        };
        Ok(vec![this, values])
    }

    fn release_variables(&mut self) {
        self.indices.release();
    }
}

/// `embedding(weight, indices, padding_idx, scale_grad_by_freq, sparse)`:
/// `embedding_backward` (a composite) dispatches
/// `embedding_dense_backward(grad, indices, num_weights, padding_idx,
/// scale_grad_by_freq)` for dense gradients and builds a sparse COO
/// gradient for `sparse=True` ([`crate::runtime::Runtime::embedding_sparse_backward`]).
pub(crate) struct EmbeddingBackward0 {
    pub(crate) indices: SavedVariable,
    pub(crate) num_weights: i64,
    pub(crate) padding_idx: i64,
    pub(crate) scale_grad_by_freq: bool,
    pub(crate) sparse: bool,
}

impl BackwardFn for EmbeddingBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let indices = self.indices.unpack(ctx.node)?;
        if self.sparse {
            return one_to_one(ctx, grads, |ctx, g| {
                ctx.rt.embedding_sparse_backward(
                    &g,
                    &indices,
                    self.num_weights,
                    self.padding_idx,
                    self.scale_grad_by_freq,
                )
            });
        }
        one_to_one(ctx, grads, |ctx, g| {
            ctx.rt.embedding_dense_backward(
                &g,
                &indices,
                self.num_weights,
                self.padding_idx,
                self.scale_grad_by_freq,
            )
        })
    }

    fn release_variables(&mut self) {
        self.indices.release();
    }
}

/// `_embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode,
/// sparse, per_sample_weights, include_last_offset, padding_idx)`: the
/// weight's gradient is one `_embedding_bag_backward` call with the
/// forward's bookkeeping outputs (`offset2bag`, `bag_size`, `max_indices`);
/// the per-sample weights' gradient (`sum` mode) is one
/// `_embedding_bag_per_sample_weights_backward` call, dispatched first.
pub(crate) struct EmbeddingBagBackward0 {
    pub(crate) weight: SavedVariable,
    pub(crate) indices: SavedVariable,
    pub(crate) offsets: SavedVariable,
    pub(crate) per_sample_weights: Option<SavedVariable>,
    pub(crate) num_weights: i64,
    pub(crate) scale_grad_by_freq: bool,
    pub(crate) mode: i64,
    pub(crate) sparse: bool,
    pub(crate) padding_idx: i64,
    /// Outputs 1..=3 of the forward, saved when it returns.
    pub(crate) results: Option<[SavedVariable; 3]>,
}

impl BackwardFn for EmbeddingBagBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let Some(results) = &self.results else {
            return Err(RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            });
        };
        let [offset2bag, bag_size, max_indices] = [
            results[0].unpack(ctx.node)?,
            results[1].unpack(ctx.node)?,
            results[2].unpack(ctx.node)?,
        ];
        let indices = self.indices.unpack(ctx.node)?;
        let offsets = self.offsets.unpack(ctx.node)?;
        let per_sample = match &self.per_sample_weights {
            Some(s) => Some(s.unpack(ctx.node)?),
            None => None,
        };
        // The per-sample weights' gradient is computed first (observed in
        // torch 2.15's dispatch order).
        let per_sample_grad = if ctx.needs(1) {
            let weight = self.weight.unpack(ctx.node)?;
            Some(ctx.rt.embedding_bag_per_sample_weights_backward(vec![
                IValue::from(&g),
                IValue::from(&weight),
                IValue::from(&indices),
                IValue::from(&offsets),
                IValue::from(&offset2bag),
                IValue::Int(self.mode),
                IValue::Int(self.padding_idx),
            ])?)
        } else {
            None
        };
        let weight_grad = if ctx.needs(0) {
            let args = vec![
                IValue::from(&g),
                IValue::from(&indices),
                IValue::from(&offsets),
                IValue::from(&offset2bag),
                IValue::from(&bag_size),
                IValue::from(&max_indices),
                IValue::Int(self.num_weights),
                IValue::Bool(self.scale_grad_by_freq),
                IValue::Int(self.mode),
                IValue::Bool(self.sparse),
                per_sample.as_ref().map_or(IValue::None, IValue::from),
                IValue::Int(self.padding_idx),
            ];
            Some(ctx.rt.embedding_bag_backward(args)?)
        } else {
            None
        };
        Ok(vec![weight_grad, per_sample_grad])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // The bookkeeping outputs have no history: saved like inputs.
        if let (Some(a), Some(b), Some(c)) = (outputs.get(1), outputs.get(2), outputs.get(3)) {
            self.results = Some([
                SavedVariable::input(a),
                SavedVariable::input(b),
                SavedVariable::input(c),
            ]);
        }
    }

    fn release_variables(&mut self) {
        self.weight.release();
        self.indices.release();
        self.offsets.release();
        if let Some(s) = &mut self.per_sample_weights {
            s.release();
        }
        if let Some(rs) = &mut self.results {
            for s in rs {
                s.release();
            }
        }
    }
}

/// `_pack_padded_sequence(input, lengths, batch_first)`: PyTorch's
/// `_pack_padded_sequence_backward` (CompositeImplicitAutograd), whose parts
/// are what dispatches: a zero `[T, B, *]` gradient, then per time step `t`
/// `copy_` of the step's packed rows into `grad_input[t][:batch_sizes[t]]`,
/// and a `transpose(0, 1)` back to batch-first.
pub(crate) struct PackPaddedSequenceBackward0 {
    pub(crate) input_sizes: Vec<i64>,
    pub(crate) batch_first: bool,
    /// The forward's `batch_sizes` (output 1).
    pub(crate) result1: Option<SavedVariable>,
}

impl BackwardFn for PackPaddedSequenceBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        let Some(saved) = &self.result1 else {
            return Err(RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            });
        };
        let batch_sizes = saved
            .unpack(ctx.node)?
            .read_i64("aten._pack_padded_sequence_backward")?;
        let mut sizes = self.input_sizes.clone();
        if self.batch_first && sizes.len() >= 2 {
            sizes.swap(0, 1);
        }
        let grad_input = ctx.rt.zeros_with_options(&sizes, g.dtype(), g.device())?;
        let mut offset = 0;
        for (t, &size) in batch_sizes.iter().enumerate() {
            let step = ctx.rt.select(&grad_input, 0, t as i64)?;
            let dst = ctx.rt.narrow(&step, 0, 0, size)?;
            let src = ctx.rt.narrow(&g, 0, offset, size)?;
            ctx.rt.copy_(&dst, &src)?;
            offset += size;
        }
        let out = if self.batch_first {
            ctx.rt.transpose(&grad_input, 0, 1)?
        } else {
            grad_input
        };
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // batch_sizes has no history: saved like an input.
        if let Some(sizes) = outputs.get(1) {
            self.result1 = Some(SavedVariable::input(sizes));
        }
    }

    fn release_variables(&mut self) {
        if let Some(s) = &mut self.result1 {
            s.release();
        }
    }
}
