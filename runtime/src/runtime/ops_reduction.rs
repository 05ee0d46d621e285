//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the reductions, factories and random operators.
//!
//! They live on [`ReductionOps`], a borrow of the runtime, so that their
//! names cannot collide with another family's helpers for the same
//! operator. Each call passes exactly the arguments PyTorch's C++ passes
//! (the rest are schema defaults), so the recorded op events match.

use super::Runtime;
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The runtime, seen through the typed calls of the reduction formulas.
pub(crate) struct ReductionOps<'a>(pub(crate) &'a mut Runtime);

impl ReductionOps<'_> {
    fn call(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        self.0
            .dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
    }

    /// `aten.expand.default(x, sizes)`.
    pub(crate) fn expand(&mut self, x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        self.call("aten.expand.default", vec![x.into(), sizes.into()])
    }

    /// `aten.unsqueeze.default(x, dim)`.
    pub(crate) fn unsqueeze(&mut self, x: &Tensor, dim: i64) -> Result<Tensor> {
        self.call("aten.unsqueeze.default", vec![x.into(), IValue::Int(dim)])
    }

    /// `aten.view.default(x, sizes)`.
    pub(crate) fn view(&mut self, x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        self.call("aten.view.default", vec![x.into(), sizes.into()])
    }

    /// `aten.div.Scalar(x, s)`.
    pub(crate) fn div_scalar(&mut self, x: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.div.Scalar", vec![x.into(), s])
    }

    /// `aten.add.Tensor(a, b)`.
    pub(crate) fn add(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.add.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.exp.default(x)`.
    pub(crate) fn exp(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.exp.default", vec![x.into()])
    }

    /// `aten.div.Tensor(a, b)`.
    pub(crate) fn div(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.div.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.mul.Tensor(a, b)`.
    pub(crate) fn mul(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.mul.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.mul.Scalar(a, s)`.
    pub(crate) fn mul_scalar(&mut self, a: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.mul.Scalar", vec![a.into(), s])
    }

    /// `aten.sub.Tensor(a, b)`.
    pub(crate) fn sub(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.sub.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.neg.default(x)`.
    pub(crate) fn neg(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.neg.default", vec![x.into()])
    }

    /// `aten.eq.Tensor(a, b)`.
    pub(crate) fn eq(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.eq.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.eq.Scalar(a, s)`.
    pub(crate) fn eq_scalar(&mut self, a: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.eq.Scalar", vec![a.into(), s])
    }

    /// `aten.isnan.default(x)`.
    pub(crate) fn isnan(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.isnan.default", vec![x.into()])
    }

    /// `aten.logical_and.default(a, b)`.
    pub(crate) fn logical_and(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.logical_and.default", vec![a.into(), b.into()])
    }

    /// `aten.logical_or.default(a, b)`.
    pub(crate) fn logical_or(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.logical_or.default", vec![a.into(), b.into()])
    }

    /// `aten.logical_or_.default(a, b)` (in place on `a`).
    pub(crate) fn logical_or_(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.logical_or_.default", vec![a.into(), b.into()])
    }

    /// `aten.masked_fill_.Scalar(x, mask, value)`.
    pub(crate) fn masked_fill_(
        &mut self,
        x: &Tensor,
        mask: &Tensor,
        value: IValue,
    ) -> Result<Tensor> {
        self.call(
            "aten.masked_fill_.Scalar",
            vec![x.into(), mask.into(), value],
        )
    }

    /// `aten.masked_fill_.Tensor(x, mask, value)`.
    pub(crate) fn masked_fill_tensor_(
        &mut self,
        x: &Tensor,
        mask: &Tensor,
        value: &Tensor,
    ) -> Result<Tensor> {
        self.call(
            "aten.masked_fill_.Tensor",
            vec![x.into(), mask.into(), value.into()],
        )
    }

    /// `aten.sum.default(x)`.
    pub(crate) fn sum(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.sum.default", vec![x.into()])
    }

    /// `aten.sum.dim_IntList(x, dims, keepdim)`.
    pub(crate) fn sum_dim(&mut self, x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        self.call(
            "aten.sum.dim_IntList",
            vec![x.into(), dims.into(), IValue::Bool(keepdim)],
        )
    }

    /// `aten.mean.default(x)`.
    pub(crate) fn mean(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.mean.default", vec![x.into()])
    }

    /// `aten.mean.dim(x, dims, keepdim)`.
    pub(crate) fn mean_dim(&mut self, x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        self.call(
            "aten.mean.dim",
            vec![x.into(), dims.into(), IValue::Bool(keepdim)],
        )
    }

    /// `aten.new_zeros.default(x, sizes)`.
    pub(crate) fn new_zeros(&mut self, x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        self.call("aten.new_zeros.default", vec![x.into(), sizes.into()])
    }

    /// `aten.new_zeros.default(x, sizes, dtype, layout, device)`: the
    /// options of `like` given explicitly (`x.new_zeros(sizes, like.options())`).
    pub(crate) fn new_zeros_like_options(
        &mut self,
        x: &Tensor,
        sizes: &[i64],
        like: &Tensor,
    ) -> Result<Tensor> {
        self.call(
            "aten.new_zeros.default",
            vec![
                x.into(),
                sizes.into(),
                IValue::Dtype(like.dtype()),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(like.device()),
            ],
        )
    }

    /// `aten.scatter.src(x, dim, index, src)`.
    pub(crate) fn scatter_src(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
    ) -> Result<Tensor> {
        self.call(
            "aten.scatter.src",
            vec![x.into(), IValue::Int(dim), index.into(), src.into()],
        )
    }

    /// `aten.flip.default(x, dims)`.
    pub(crate) fn flip(&mut self, x: &Tensor, dims: &[i64]) -> Result<Tensor> {
        self.call("aten.flip.default", vec![x.into(), dims.into()])
    }

    /// `aten.cumsum.default(x, dim)`.
    pub(crate) fn cumsum(&mut self, x: &Tensor, dim: i64) -> Result<Tensor> {
        self.call("aten.cumsum.default", vec![x.into(), IValue::Int(dim)])
    }

    /// `aten.abs.default(x)`.
    pub(crate) fn abs(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.abs.default", vec![x.into()])
    }

    /// `aten.sgn.default(x)`.
    pub(crate) fn sgn(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.sgn.default", vec![x.into()])
    }

    /// `aten.pow_.Scalar(x, exponent)` (in place).
    pub(crate) fn pow_(&mut self, x: &Tensor, exponent: f64) -> Result<Tensor> {
        self.call("aten.pow_.Scalar", vec![x.into(), IValue::Float(exponent)])
    }

    /// `aten.pow.Tensor_Scalar(x, exponent)`.
    pub(crate) fn pow(&mut self, x: &Tensor, exponent: f64) -> Result<Tensor> {
        self.call(
            "aten.pow.Tensor_Scalar",
            vec![x.into(), IValue::Float(exponent)],
        )
    }

    /// `aten.ones.default(sizes, dtype, layout, device)`: `at::ones(sizes,
    /// like.options())`.
    pub(crate) fn ones_like_options(&mut self, sizes: &[i64], like: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.ones.default",
            vec![
                sizes.into(),
                IValue::Dtype(like.dtype()),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(like.device()),
            ],
        )
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
        self.call(
            "aten.slice.Tensor",
            vec![
                x.into(),
                IValue::Int(dim),
                IValue::Int(start),
                IValue::Int(start + length),
            ],
        )
    }

    /// `x.contiguous()` of a non-contiguous `x`:
    /// `aten.clone.default(x, memory_format=contiguous_format)`.
    pub(crate) fn contiguous(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.clone.default",
            vec![
                x.into(),
                IValue::MemoryFormat(crate::tensor::options::MemoryFormat::Contiguous),
            ],
        )
    }

    /// `aten.cat.default(tensors, dim)`.
    pub(crate) fn cat(&mut self, tensors: Vec<Tensor>, dim: i64) -> Result<Tensor> {
        self.call(
            "aten.cat.default",
            vec![IValue::TensorList(tensors), IValue::Int(dim)],
        )
    }

    /// `aten.cumprod.default(x, dim)`.
    pub(crate) fn cumprod(&mut self, x: &Tensor, dim: i64) -> Result<Tensor> {
        self.call("aten.cumprod.default", vec![x.into(), IValue::Int(dim)])
    }

    /// `x.to(dtype)`: `aten._to_copy.default(x, dtype=dtype)`.
    pub(crate) fn cast(&mut self, x: &Tensor, dtype: DType) -> Result<Tensor> {
        self.call(
            "aten._to_copy.default",
            vec![x.into(), IValue::Dtype(dtype)],
        )
    }

    /// `aten.scalar_tensor.default(value, dtype, layout, device)`.
    pub(crate) fn scalar_tensor(
        &mut self,
        value: f64,
        dtype: DType,
        device: Device,
    ) -> Result<Tensor> {
        self.call(
            "aten.scalar_tensor.default",
            vec![
                IValue::Float(value),
                IValue::Dtype(dtype),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(device),
            ],
        )
    }

    /// `aten.where.self(condition, a, b)`.
    pub(crate) fn where_self(
        &mut self,
        condition: &Tensor,
        a: &Tensor,
        b: &Tensor,
    ) -> Result<Tensor> {
        self.call(
            "aten.where.self",
            vec![condition.into(), a.into(), b.into()],
        )
    }

    /// `aten.logcumsumexp.default(x, dim)`.
    pub(crate) fn logcumsumexp(&mut self, x: &Tensor, dim: i64) -> Result<Tensor> {
        self.call(
            "aten.logcumsumexp.default",
            vec![x.into(), IValue::Int(dim)],
        )
    }

    /// `aten.log.default(x)`.
    pub(crate) fn log(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.log.default", vec![x.into()])
    }

    /// `aten.gt.Scalar(x, s)`.
    pub(crate) fn gt_scalar(&mut self, x: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.gt.Scalar", vec![x.into(), s])
    }

    /// `aten.lt.Scalar(x, s)`.
    pub(crate) fn lt_scalar(&mut self, x: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.lt.Scalar", vec![x.into(), s])
    }

    /// `aten.zeros_like.default(x)`.
    pub(crate) fn zeros_like(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.zeros_like.default", vec![x.into()])
    }

    /// `aten.zeros.default(sizes, dtype, layout, device)`.
    pub(crate) fn zeros(&mut self, sizes: &[i64], dtype: DType, device: Device) -> Result<Tensor> {
        self.call(
            "aten.zeros.default",
            vec![
                sizes.into(),
                IValue::Dtype(dtype),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(device),
            ],
        )
    }

    /// `aten.masked_fill.Scalar(x, mask, value)`.
    pub(crate) fn masked_fill(&mut self, x: &Tensor, mask: &Tensor, value: f64) -> Result<Tensor> {
        self.call(
            "aten.masked_fill.Scalar",
            vec![x.into(), mask.into(), IValue::Float(value)],
        )
    }

    /// `aten.bitwise_not.default(x)`.
    pub(crate) fn bitwise_not(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.bitwise_not.default", vec![x.into()])
    }

    /// `aten.bitwise_and_.Tensor(a, b)` (in place on `a`).
    pub(crate) fn bitwise_and_(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.bitwise_and_.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.ne.Scalar(x, s)`.
    pub(crate) fn ne_scalar(&mut self, x: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.ne.Scalar", vec![x.into(), s])
    }

    /// `aten.sub.Scalar(x, s)`.
    pub(crate) fn sub_scalar(&mut self, x: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.sub.Scalar", vec![x.into(), s])
    }

    /// `aten.relu_.default(x)` (in place).
    pub(crate) fn relu_(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.relu_.default", vec![x.into()])
    }

    /// `aten.gather.default(x, dim, index)`.
    pub(crate) fn gather(&mut self, x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.gather.default",
            vec![x.into(), IValue::Int(dim), index.into()],
        )
    }

    /// The indices of `aten.max.dim(x, dim, keepdim)`.
    pub(crate) fn argmax_dim(&mut self, x: &Tensor, dim: i64, keepdim: bool) -> Result<Tensor> {
        self.0
            .dispatch(
                "aten.max.dim",
                vec![x.into(), IValue::Int(dim), IValue::Bool(keepdim)],
            )?
            .into_iter()
            .nth(1)
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported("aten.max.dim", "a call without indices"))
    }

    /// `aten._local_scalar_dense.default(x)` (`x.item()`).
    pub(crate) fn item(&mut self, x: &Tensor) -> Result<IValue> {
        self.0
            .dispatch("aten._local_scalar_dense.default", vec![x.into()])?
            .into_iter()
            .next()
            .ok_or_else(|| {
                RuntimeError::unsupported(
                    "aten._local_scalar_dense.default",
                    "a call without a result",
                )
            })
    }
}
