//! Derivative table rows of the shape, view, joining and indexing operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `transpose.int` | TransposeBackward0 | self | dim0, dim1 |
//! | `permute` | PermuteBackward0 | self | dims |
//! | `_unsafe_view` | UnsafeViewBackward0 | self | self sizes |
//! | `alias` | AliasBackward0 | self | — |
//! | `slice.Tensor` | SliceBackward0 | self | self sizes, dim, start, end, step |
//! | `narrow_copy` | NarrowCopyBackward0 | self | self sizes, dim, start, length (`slice_backward` from `start` to `start + length`, step 1) |
//! | `split.Tensor` | SplitBackward0 | self | self sizes and options, dim, piece lengths |
//! | `split_with_sizes` | SplitWithSizesBackward0 | self | as split |
//! | `unsafe_split.Tensor` | UnsafeSplitBackward0 | self | as split |
//! | `unsafe_split_with_sizes` | UnsafeSplitWithSizesBackward0 | self | as split |
//! | `unbind.int` | UnbindBackward0 | self | self sizes and options, dim |
//! | `squeeze` | SqueezeBackward0 | self | self sizes |
//! | `squeeze.dims` | SqueezeBackward2 | self | self sizes, dims |
//! | `transpose_`, `t_`, `unsqueeze_`, `squeeze_.dim`, `squeeze_` | TransposeBackward1, TBackward1, UnsqueezeBackward1, SqueezeBackward4, SqueezeBackward3 | self | as the out-of-place view |
//! | `as_strided_` | AsStridedBackward1 | self | self's old geometry, size, stride, storage_offset |
//! | `cat` | CatBackward0 | every tensor of `tensors` | dim, every input's sizes |
//! | `repeat` | RepeatBackward0 | self | repeats, self sizes and options |
//! | `flip` | FlipBackward0 | self | dims |
//! | `roll` | RollBackward0 | self | shifts, dims |
//! | `unfold` | UnfoldBackward0 | self | self sizes, dimension, size, step |
//! | `diagonal` | DiagonalBackward0 | self | self sizes, offset, dim1, dim2 |
//! | `diagonal_copy` | DiagonalBackward0_copy | self | as diagonal |
//! | `diag_embed` | DiagEmbedBackward0 | self | offset, dim1, dim2 |
//! | `tril` / `triu` | TrilBackward0 / TriuBackward0 | self | diagonal |
//! | `gather` | GatherBackward0 | self | self sizes, dim, index |
//! | `scatter.src`, `scatter_.src` | ScatterBackward0 | self, src | dim, index |
//! | `scatter.value`, `scatter_.value` | ScatterBackward1 | self | dim, index |
//! | `scatter_add`, `scatter_add_` | ScatterAddBackward0 | self, src | dim, index |
//! | `index_add`, `index_add_` | IndexAddBackward0 | self, source | dim, index, source sizes, alpha |
//! | `index_copy`, `index_copy_` | IndexCopyBackward0 | self, source | dim, index, source sizes |
//! | `index_fill.int_Scalar`, `index_fill_.int_Scalar` | IndexFillBackward0 | self | dim, index |
//! | `index_fill.int_Tensor`, `index_fill_.int_Tensor` | IndexFillBackward1 | self, value | dim, index (a value that needs a gradient is refused) |
//! | `index_select` | IndexSelectBackward0 | self | self sizes, dim, index |
//! | `masked_select` | MaskedSelectBackward0 | self | self, mask |
//! | `nonzero` | not differentiable (int64 coordinates) | | |
//! | `index.Tensor` | IndexBackward0 | self | self sizes, indices |
//! | `index_put`, `index_put_` | IndexPutBackward0 | self, values | indices, accumulate, values sizes and options |
//! | `embedding` | EmbeddingBackward0 | weight | indices, num_weights, padding_idx, scale_grad_by_freq, sparse |
//! | `_pack_padded_sequence` | PackPaddedSequenceBackward0 | input | input sizes, batch_first, batch_sizes (output 1) |
//! | `_embedding_bag` | EmbeddingBagBackward0 | weight, per_sample_weights | weight, indices, offsets, per_sample_weights, the arguments, offset2bag / bag_size / max_indices (outputs 1-3) |
//!
//! `slice_backward`, `unfold_backward`, `diagonal_backward`, `masked_scatter`, `embedding_dense_backward` (reached only
//! from backward formulas here) have no rows: recording a graph through
//! them is refused.

use super::{Derivative, Differentiability, arg, derivative, int, int_list, tensor};
use crate::autograd::functions::indexing::{
    DiagEmbedBackward0, DiagonalBackward0, EmbeddingBackward0, EmbeddingBagBackward0,
    FlipBackward0, GatherBackward0, IndexAddBackward0, IndexBackward0, IndexCopyBackward0,
    IndexFillBackward0, IndexPutBackward0, IndexSelectBackward0, MaskedSelectBackward0,
    PackPaddedSequenceBackward0, RollBackward0, SavedIndices, ScatterAddBackward0, ScatterBackward,
    TriangleBackward, UnfoldBackward0,
};
use crate::autograd::functions::join::{CatBackward0, RepeatBackward0};
use crate::autograd::functions::shape::{
    AliasBackward0, PermuteBackward0, SliceBackward0, SplitBackward0, SqueezeBackward0,
    SqueezeBackward1, TBackward0, TransposeBackward0, UnbindBackward0, UnsafeViewBackward0,
    UnsqueezeBackward0,
};
use crate::autograd::functions::views::{AsStridedBackward0, Geometry};
use crate::autograd::saved::SavedVariable;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    views(op).or_else(|| joins(op)).or_else(|| indexing(op))
}

fn opt_int(a: &[IValue], i: usize) -> Option<i64> {
    match a.get(i) {
        Some(IValue::Int(v)) => Some(*v),
        _ => None,
    }
}

fn views(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.transpose.int" => D(derivative!("TransposeBackward0", &[0], |a, _| {
            Ok(Box::new(TransposeBackward0 {
                dim0: int(a, 1),
                dim1: int(a, 2),
            }))
        })),
        "aten.permute.default" => D(derivative!("PermuteBackward0", &[0], |a, _| {
            Ok(Box::new(PermuteBackward0 {
                dims: int_list(a, 1).unwrap_or_default(),
            }))
        })),
        "aten._unsafe_view.default" => D(derivative!("UnsafeViewBackward0", &[0], |a, _| {
            Ok(Box::new(UnsafeViewBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.alias.default" => D(derivative!("AliasBackward0", &[0], |_, _| Ok(Box::new(
            AliasBackward0
        )))),
        "aten.slice.Tensor" => D(derivative!("SliceBackward0", &[0], |a, _| {
            Ok(Box::new(SliceBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 1),
                start: opt_int(a, 2),
                end: opt_int(a, 3),
                step: int(a, 4),
            }))
        })),
        "aten.narrow_copy.default" => D(derivative!("NarrowCopyBackward0", &[0], |a, _| {
            let start = int(a, 2);
            Ok(Box::new(SliceBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 1),
                start: Some(start),
                end: Some(start.saturating_add(int(a, 3))),
                step: 1,
            }))
        })),
        "aten.split.Tensor" => D(derivative!("SplitBackward0", &[0], |a, _| split(a, None))),
        "aten.split_with_sizes.default" => D(derivative!(
            "SplitWithSizesBackward0",
            &[0],
            |a, _| split(a, int_list(a, 1))
        )),
        "aten.unsafe_split.Tensor" => D(derivative!("UnsafeSplitBackward0", &[0], |a, _| split(
            a, None
        ))),
        "aten.unsafe_split_with_sizes.default" => D(derivative!(
            "UnsafeSplitWithSizesBackward0",
            &[0],
            |a, _| split(a, int_list(a, 1))
        )),
        "aten.unbind.int" => D(derivative!("UnbindBackward0", &[0], |a, _| {
            let this = tensor(a, 0)?;
            Ok(Box::new(UnbindBackward0 {
                self_sizes: this.shape().to_vec(),
                dim: int(a, 1),
                dtype: this.dtype(),
                device: this.device(),
            }))
        })),
        "aten.squeeze.default" => D(derivative!("SqueezeBackward0", &[0], |a, _| {
            Ok(Box::new(SqueezeBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dims: None,
            }))
        })),
        // The in-place view operators: the formulas of their out-of-place
        // views under their own node names (torch 2.15: TransposeBackward1,
        // TBackward1, UnsqueezeBackward1, SqueezeBackward4 for `squeeze_.dim`,
        // SqueezeBackward3 for `squeeze_`, SqueezeBackward5 for `squeeze_.dims`).
        "aten.transpose_.default" => D(derivative!("TransposeBackward1", &[0], |a, _| {
            Ok(Box::new(TransposeBackward0 {
                dim0: int(a, 1),
                dim1: int(a, 2),
            }))
        })),
        "aten.t_.default" => D(derivative!("TBackward1", &[0], |_, _| Ok(Box::new(
            TBackward0
        )))),
        "aten.unsqueeze_.default" => D(derivative!("UnsqueezeBackward1", &[0], |a, _| {
            Ok(Box::new(UnsqueezeBackward0 { dim: int(a, 1) }))
        })),
        "aten.squeeze_.dim" => D(derivative!("SqueezeBackward4", &[0], |a, _| {
            Ok(Box::new(SqueezeBackward1 {
                dim: int(a, 1),
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.squeeze_.default" => D(derivative!("SqueezeBackward3", &[0], |a, _| {
            Ok(Box::new(SqueezeBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dims: None,
            }))
        })),
        "aten.squeeze_.dims" => D(derivative!("SqueezeBackward5", &[0], |a, _| {
            Ok(Box::new(SqueezeBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dims: Some(int_list(a, 1).unwrap_or_default()),
            }))
        })),
        // `as_strided_` (adaptive average pooling's 1x1 `mean` of a
        // channels-last input given channels-last strides): AsStridedBackward1,
        // `as_strided_backward` from the new geometry back to `self`'s old one.
        "aten.as_strided_.default" => D(derivative!("AsStridedBackward1", &[0], |a, _| {
            let this = tensor(a, 0)?;
            let offset = match a.get(3) {
                Some(IValue::Int(o)) => *o,
                _ => this.storage_offset(),
            };
            Ok(Box::new(AsStridedBackward0 {
                input: Geometry::of(this),
                output: Geometry {
                    sizes: int_list(a, 1).unwrap_or_default(),
                    strides: int_list(a, 2).unwrap_or_default(),
                    offset,
                },
            }))
        })),
        "aten.squeeze.dims" => D(derivative!("SqueezeBackward2", &[0], |a, _| {
            Ok(Box::new(SqueezeBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dims: Some(int_list(a, 1).unwrap_or_default()),
            }))
        })),
        _ => return None,
    })
}

/// SplitBackward0 / SplitWithSizesBackward0: the piece lengths are the
/// given sizes, or those `split(split_size)` produced.
fn split(a: &[IValue], sizes: Option<Vec<i64>>) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    let this = tensor(a, 0)?;
    let dim = int(a, 2);
    let lengths = match sizes {
        Some(s) => s,
        None => {
            let d = crate::tensor::strides::wrap_dim(dim, this.dim()).unwrap_or(0);
            let size = this.shape().get(d).copied().unwrap_or(0);
            let split_size = int(a, 1);
            if split_size <= 0 {
                vec![size]
            } else {
                // full pieces, the last one shorter (the forward checked sizes)
                (0..(size + split_size - 1) / split_size)
                    .map(|i| split_size.min(size - i * split_size))
                    .collect()
            }
        }
    };
    Ok(Box::new(SplitBackward0 {
        self_sizes: this.shape().to_vec(),
        dim,
        lengths,
        dtype: this.dtype(),
        device: this.device(),
    }))
}

fn joins(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.cat.default" => D(derivative!("CatBackward0", &[0], |a, _| {
            let sizes = match a.first() {
                Some(IValue::TensorList(ts)) => ts.iter().map(|t| t.shape().to_vec()).collect(),
                _ => {
                    return Err(RuntimeError::autograd(
                        "derivative: argument 0 is not a tensor list",
                    ));
                }
            };
            Ok(Box::new(CatBackward0 {
                dim: int(a, 1),
                sizes,
            }))
        })),
        "aten.repeat.default" => D(derivative!("RepeatBackward0", &[0], |a, _| {
            let this = tensor(a, 0)?;
            Ok(Box::new(RepeatBackward0 {
                repeats: int_list(a, 1).unwrap_or_default(),
                self_sizes: this.shape().to_vec(),
                dtype: this.dtype(),
                device: this.device(),
            }))
        })),
        "aten.flip.default" => D(derivative!("FlipBackward0", &[0], |a, _| {
            Ok(Box::new(FlipBackward0 {
                dims: int_list(a, 1).unwrap_or_default(),
            }))
        })),
        "aten.roll.default" => D(derivative!("RollBackward0", &[0], |a, _| {
            Ok(Box::new(RollBackward0 {
                shifts: int_list(a, 1).unwrap_or_default(),
                dims: int_list(a, 2).unwrap_or_default(),
            }))
        })),
        "aten.unfold.default" => D(derivative!("UnfoldBackward0", &[0], |a, _| {
            Ok(Box::new(UnfoldBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dimension: int(a, 1),
                size: int(a, 2),
                step: int(a, 3),
            }))
        })),
        "aten.diagonal.default" => D(derivative!("DiagonalBackward0", &[0], diagonal)),
        "aten.diagonal_copy.default" => D(derivative!("DiagonalBackward0_copy", &[0], diagonal)),
        "aten.diag_embed.default" => D(derivative!("DiagEmbedBackward0", &[0], |a, _| {
            Ok(Box::new(DiagEmbedBackward0 {
                offset: int(a, 1),
                dim1: int(a, 2),
                dim2: int(a, 3),
            }))
        })),
        "aten.tril.default" | "aten.tril_.default" => {
            D(derivative!("TrilBackward0", &[0], |a, _| {
                Ok(Box::new(TriangleBackward {
                    op: "aten.tril.default",
                    diagonal: int(a, 1),
                }))
            }))
        }
        "aten.triu.default" | "aten.triu_.default" => {
            D(derivative!("TriuBackward0", &[0], |a, _| {
                Ok(Box::new(TriangleBackward {
                    op: "aten.triu.default",
                    diagonal: int(a, 1),
                }))
            }))
        }
        _ => return None,
    })
}

/// DiagonalBackward0 / DiagonalBackward0_copy.
fn diagonal(a: &[IValue], _needs: &[bool]) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(DiagonalBackward0 {
        self_sizes: tensor(a, 0)?.shape().to_vec(),
        offset: int(a, 1),
        dim1: int(a, 2),
        dim2: int(a, 3),
    }))
}

fn saved(a: &[IValue], i: usize) -> Result<SavedVariable> {
    Ok(SavedVariable::input(tensor(a, i)?))
}

fn indexing(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.gather.default" => D(derivative!("GatherBackward0", &[0], |a, _| {
            Ok(Box::new(GatherBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 1),
                index: saved(a, 2)?,
                sparse_grad: matches!(a.get(3), Some(IValue::Bool(true))),
            }))
        })),
        "aten.scatter.src" | "aten.scatter_.src" => {
            D(derivative!("ScatterBackward0", &[0, 3], |a, _| {
                Ok(Box::new(ScatterBackward {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                    has_src: true,
                }))
            }))
        }
        "aten.scatter.value" | "aten.scatter_.value" => {
            D(derivative!("ScatterBackward1", &[0], |a, _| {
                Ok(Box::new(ScatterBackward {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                    has_src: false,
                }))
            }))
        }
        "aten.scatter_add.default" | "aten.scatter_add_.default" => {
            D(derivative!("ScatterAddBackward0", &[0, 3], |a, _| {
                Ok(Box::new(ScatterAddBackward0 {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                }))
            }))
        }
        "aten.index_select.default" => D(derivative!("IndexSelectBackward0", &[0], |a, _| {
            Ok(Box::new(IndexSelectBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 1),
                index: saved(a, 2)?,
            }))
        })),
        "aten.index_add.default" | "aten.index_add_.default" => {
            D(derivative!("IndexAddBackward0", &[0, 3], |a, _| {
                Ok(Box::new(IndexAddBackward0 {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                    source_sizes: tensor(a, 3)?.shape().to_vec(),
                    alpha: arg(a, 4),
                }))
            }))
        }
        "aten.index_copy.default" | "aten.index_copy_.default" => {
            D(derivative!("IndexCopyBackward0", &[0, 3], |a, _| {
                Ok(Box::new(IndexCopyBackward0 {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                    source_sizes: tensor(a, 3)?.shape().to_vec(),
                }))
            }))
        }
        "aten.index_fill.int_Scalar" | "aten.index_fill_.int_Scalar" => {
            D(derivative!("IndexFillBackward0", &[0], |a, _| {
                Ok(Box::new(IndexFillBackward0 {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                    value_edge: false,
                }))
            }))
        }
        "aten.masked_select.default" => D(derivative!("MaskedSelectBackward0", &[0], |a, _| {
            Ok(Box::new(MaskedSelectBackward0 {
                self_: saved(a, 0)?,
                mask: saved(a, 1)?,
            }))
        })),
        "aten.nonzero.default" | "aten.repeat_interleave.Tensor" => {
            Differentiability::NotDifferentiable
        }
        "aten.index_fill.int_Tensor" | "aten.index_fill_.int_Tensor" => {
            D(derivative!("IndexFillBackward1", &[0, 3], |a, _| {
                Ok(Box::new(IndexFillBackward0 {
                    dim: int(a, 1),
                    index: saved(a, 2)?,
                    value_edge: true,
                }))
            }))
        }
        "aten.index.Tensor" => D(derivative!("IndexBackward0", &[0], |a, _| {
            Ok(Box::new(IndexBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                indices: SavedIndices::of(&arg(a, 1))?,
            }))
        })),
        "aten.index_put.default" | "aten.index_put_.default" => {
            D(derivative!("IndexPutBackward0", &[0, 2], |a, _| {
                let values = tensor(a, 2)?;
                Ok(Box::new(IndexPutBackward0 {
                    indices: SavedIndices::of(&arg(a, 1))?,
                    accumulate: matches!(a.get(3), Some(IValue::Bool(true))),
                    values_sizes: values.shape().to_vec(),
                    values_dtype: values.dtype(),
                    values_device: values.device(),
                }))
            }))
        }
        "aten.embedding.default" => D(derivative!("EmbeddingBackward0", &[0], |a, _| {
            Ok(Box::new(EmbeddingBackward0 {
                indices: saved(a, 1)?,
                num_weights: tensor(a, 0)?.shape().first().copied().unwrap_or(0),
                padding_idx: int(a, 2),
                scale_grad_by_freq: matches!(a.get(3), Some(IValue::Bool(true))),
                sparse: matches!(a.get(4), Some(IValue::Bool(true))),
            }))
        })),
        "aten._pack_padded_sequence.default" => D(derivative!(
            "PackPaddedSequenceBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(PackPaddedSequenceBackward0 {
                    input_sizes: tensor(a, 0)?.shape().to_vec(),
                    batch_first: matches!(a.get(2), Some(IValue::Bool(true))),
                    result1: None,
                }))
            },
            outputs = &[true, false]
        )),
        "aten._embedding_bag.default" => D(derivative!(
            "EmbeddingBagBackward0",
            &[0, 6],
            |a, _| {
                let per_sample_weights = match a.get(6) {
                    Some(IValue::Tensor(t)) => Some(SavedVariable::input(t)),
                    _ => None,
                };
                Ok(Box::new(EmbeddingBagBackward0 {
                    weight: saved(a, 0)?,
                    indices: saved(a, 1)?,
                    offsets: saved(a, 2)?,
                    per_sample_weights,
                    num_weights: tensor(a, 0)?.shape().first().copied().unwrap_or(0),
                    scale_grad_by_freq: matches!(a.get(3), Some(IValue::Bool(true))),
                    mode: int(a, 4),
                    sparse: matches!(a.get(5), Some(IValue::Bool(true))),
                    padding_idx: int(a, 8),
                    results: None,
                }))
            },
            outputs = &[true, false, false, false]
        )),
        _ => return None,
    })
}
