//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the shape, view, joining and indexing operators, with the arguments
//! PyTorch's formulas pass (observed through a dispatch mode in torch 2.15).

use super::Runtime;
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::{Layout, MemoryFormat};

impl Runtime {
    fn call1(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        self.dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
    }

    /// `aten.transpose.int(x, dim0, dim1)`.
    pub(crate) fn transpose(&mut self, x: &Tensor, dim0: i64, dim1: i64) -> Result<Tensor> {
        self.call1(
            "aten.transpose.int",
            vec![x.into(), IValue::Int(dim0), IValue::Int(dim1)],
        )
    }

    /// `aten.permute.default(x, dims)`.
    pub(crate) fn permute(&mut self, x: &Tensor, dims: &[i64]) -> Result<Tensor> {
        self.call1("aten.permute.default", vec![x.into(), dims.into()])
    }

    /// `x.narrow(dim, start, length)`: `aten.slice.Tensor(x, dim, start,
    /// start + length)` (narrow is composite).
    pub(crate) fn narrow(
        &mut self,
        x: &Tensor,
        dim: i64,
        start: i64,
        length: i64,
    ) -> Result<Tensor> {
        self.call1(
            "aten.slice.Tensor",
            vec![
                x.into(),
                IValue::Int(dim),
                IValue::Int(start),
                IValue::Int(start + length),
            ],
        )
    }

    /// `aten.slice_backward.default(grad, input_sizes, dim, start, end, step)`.
    pub(crate) fn slice_backward(
        &mut self,
        grad: &Tensor,
        input_sizes: &[i64],
        dim: i64,
        bounds: (i64, i64, i64),
    ) -> Result<Tensor> {
        let (start, end, step) = bounds;
        self.call1(
            "aten.slice_backward.default",
            vec![
                grad.into(),
                input_sizes.into(),
                IValue::Int(dim),
                IValue::Int(start),
                IValue::Int(end),
                IValue::Int(step),
            ],
        )
    }

    /// `aten.cat.default(tensors, dim)`.
    pub(crate) fn cat(&mut self, tensors: Vec<Tensor>, dim: i64) -> Result<Tensor> {
        self.call1(
            "aten.cat.default",
            vec![IValue::TensorList(tensors), IValue::Int(dim)],
        )
    }

    /// `aten.stack.default(tensors, dim)`.
    pub(crate) fn stack(&mut self, tensors: Vec<Tensor>, dim: i64) -> Result<Tensor> {
        self.call1(
            "aten.stack.default",
            vec![IValue::TensorList(tensors), IValue::Int(dim)],
        )
    }

    /// `at::zeros(sizes, options)`: `aten.zeros.default` with dtype, layout
    /// and device given explicitly.
    pub(crate) fn zeros_with_options(
        &mut self,
        sizes: &[i64],
        dtype: DType,
        device: Device,
    ) -> Result<Tensor> {
        self.call1(
            "aten.zeros.default",
            vec![
                sizes.into(),
                IValue::Dtype(dtype),
                IValue::Layout(Layout::Strided),
                IValue::Device(device),
            ],
        )
    }

    /// `grad.new_zeros(sizes)` (`with_options`: dtype, layout and device of
    /// `grad` given explicitly, as `at::zeros(sizes, grad.options())`-style
    /// C++ calls pass them).
    pub(crate) fn new_zeros(
        &mut self,
        grad: &Tensor,
        sizes: &[i64],
        with_options: bool,
    ) -> Result<Tensor> {
        let mut args = vec![grad.into(), sizes.into()];
        if with_options {
            args.extend([
                IValue::Dtype(grad.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(grad.device()),
            ]);
        }
        self.call1("aten.new_zeros.default", args)
    }

    /// `aten.zeros_like.default(x, memory_format=preserve_format)`.
    pub(crate) fn zeros_like_preserving(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call1(
            "aten.zeros_like.default",
            vec![
                x.into(),
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::MemoryFormat(MemoryFormat::Preserve),
            ],
        )
    }

    /// `aten.masked_scatter.default(x, mask, source)`.
    pub(crate) fn masked_scatter(
        &mut self,
        x: &Tensor,
        mask: &Tensor,
        source: &Tensor,
    ) -> Result<Tensor> {
        self.call1(
            "aten.masked_scatter.default",
            vec![x.into(), mask.into(), source.into()],
        )
    }

    /// `aten.gather.default(x, dim, index)`.
    pub(crate) fn gather(&mut self, x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
        self.call1(
            "aten.gather.default",
            vec![x.into(), IValue::Int(dim), index.into()],
        )
    }

    /// `aten.scatter.value(x, dim, index, value)`.
    pub(crate) fn scatter_value(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        value: IValue,
    ) -> Result<Tensor> {
        self.call1(
            "aten.scatter.value",
            vec![x.into(), IValue::Int(dim), index.into(), value],
        )
    }

    /// `aten.index_fill.int_Scalar(x, dim, index, value)`.
    pub(crate) fn index_fill(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        value: IValue,
    ) -> Result<Tensor> {
        self.call1(
            "aten.index_fill.int_Scalar",
            vec![x.into(), IValue::Int(dim), index.into(), value],
        )
    }

    /// `aten.scatter_add.default(x, dim, index, src)`.
    pub(crate) fn scatter_add(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
    ) -> Result<Tensor> {
        self.call1(
            "aten.scatter_add.default",
            vec![x.into(), IValue::Int(dim), index.into(), src.into()],
        )
    }

    /// `aten.index_select.default(x, dim, index)`.
    pub(crate) fn index_select(&mut self, x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
        self.call1(
            "aten.index_select.default",
            vec![x.into(), IValue::Int(dim), index.into()],
        )
    }

    /// `aten.index_add.default(x, dim, index, source)`.
    pub(crate) fn index_add(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        source: &Tensor,
    ) -> Result<Tensor> {
        self.call1(
            "aten.index_add.default",
            vec![x.into(), IValue::Int(dim), index.into(), source.into()],
        )
    }

    /// `aten.index.Tensor(x, indices)`.
    pub(crate) fn index(&mut self, x: &Tensor, indices: IValue) -> Result<Tensor> {
        self.call1("aten.index.Tensor", vec![x.into(), indices])
    }

    /// `aten.index_put.default(x, indices, values, accumulate)`.
    pub(crate) fn index_put(
        &mut self,
        x: &Tensor,
        indices: IValue,
        values: &Tensor,
        accumulate: bool,
    ) -> Result<Tensor> {
        self.call1(
            "aten.index_put.default",
            vec![x.into(), indices, values.into(), IValue::Bool(accumulate)],
        )
    }

    /// `aten.embedding_dense_backward.default(grad, indices, num_weights,
    /// padding_idx, scale_grad_by_freq)`.
    pub(crate) fn embedding_dense_backward(
        &mut self,
        grad: &Tensor,
        indices: &Tensor,
        num_weights: i64,
        padding_idx: i64,
        scale_grad_by_freq: bool,
    ) -> Result<Tensor> {
        self.call1(
            "aten.embedding_dense_backward.default",
            vec![
                grad.into(),
                indices.into(),
                IValue::Int(num_weights),
                IValue::Int(padding_idx),
                IValue::Bool(scale_grad_by_freq),
            ],
        )
    }

    /// `aten._embedding_bag_backward.default(grad, indices, offsets,
    /// offset2bag, bag_size, maximum_indices, num_weights,
    /// scale_grad_by_freq, mode, sparse, per_sample_weights, padding_idx)`.
    pub(crate) fn embedding_bag_backward(&mut self, args: Vec<IValue>) -> Result<Tensor> {
        self.call1("aten._embedding_bag_backward.default", args)
    }

    /// `aten._embedding_bag_per_sample_weights_backward.default(grad, weight,
    /// indices, offsets, offset2bag, mode, padding_idx)`.
    pub(crate) fn embedding_bag_per_sample_weights_backward(
        &mut self,
        args: Vec<IValue>,
    ) -> Result<Tensor> {
        self.call1(
            "aten._embedding_bag_per_sample_weights_backward.default",
            args,
        )
    }

    /// `aten.tril.default(x, diagonal)` / `aten.triu.default(x, diagonal)`.
    pub(crate) fn triangle(&mut self, op: &str, x: &Tensor, diagonal: i64) -> Result<Tensor> {
        self.call1(op, vec![x.into(), IValue::Int(diagonal)])
    }

    /// `aten.roll.default(x, shifts, dims)`.
    pub(crate) fn roll(&mut self, x: &Tensor, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
        self.call1(
            "aten.roll.default",
            vec![x.into(), shifts.into(), dims.into()],
        )
    }

    /// `aten.unfold_backward.default(grad, input_sizes, dim, size, step)`.
    pub(crate) fn unfold_backward(
        &mut self,
        grad: &Tensor,
        input_sizes: &[i64],
        window: (i64, i64, i64),
    ) -> Result<Tensor> {
        let (dim, size, step) = window;
        self.call1(
            "aten.unfold_backward.default",
            vec![
                grad.into(),
                input_sizes.into(),
                IValue::Int(dim),
                IValue::Int(size),
                IValue::Int(step),
            ],
        )
    }

    /// `aten.diagonal.default(x, offset, dim1, dim2)`.
    pub(crate) fn diagonal(&mut self, x: &Tensor, spec: (i64, i64, i64)) -> Result<Tensor> {
        let (offset, dim1, dim2) = spec;
        self.call1(
            "aten.diagonal.default",
            vec![
                x.into(),
                IValue::Int(offset),
                IValue::Int(dim1),
                IValue::Int(dim2),
            ],
        )
    }

    /// `aten.diagonal_backward.default(grad, input_sizes, offset, dim1, dim2)`.
    pub(crate) fn diagonal_backward(
        &mut self,
        grad: &Tensor,
        input_sizes: &[i64],
        spec: (i64, i64, i64),
    ) -> Result<Tensor> {
        let (offset, dim1, dim2) = spec;
        self.call1(
            "aten.diagonal_backward.default",
            vec![
                grad.into(),
                input_sizes.into(),
                IValue::Int(offset),
                IValue::Int(dim1),
                IValue::Int(dim2),
            ],
        )
    }

    /// `aten.flip.default(x, dims)`.
    pub(crate) fn flip(&mut self, x: &Tensor, dims: &[i64]) -> Result<Tensor> {
        self.call1("aten.flip.default", vec![x.into(), dims.into()])
    }
}
