//! Typed operator calls made by the runtime itself.
//!
//! Backward formulas, the engine and AccumulateGrad call operators exactly as
//! PyTorch's C++ does — same overload, same explicit arguments (the rest are
//! schema defaults) — so that the recorded op events match. Each helper is
//! one dispatch.

use super::Runtime;
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::{Layout, MemoryFormat};

impl Runtime {
    fn dispatch1(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        self.dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
    }

    /// `aten.t.default(x)`.
    pub(crate) fn t(&mut self, x: &Tensor) -> Result<Tensor> {
        self.dispatch1("aten.t.default", vec![x.into()])
    }

    /// `aten.mm.default(a, b)`.
    pub(crate) fn mm(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.dispatch1("aten.mm.default", vec![a.into(), b.into()])
    }

    /// `reshape(x, sizes)` (composite): `aten.view.default` when the strides
    /// allow it, otherwise a contiguous `clone` and `aten._unsafe_view`.
    pub(crate) fn reshape(&mut self, x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        if crate::tensor::strides::view_strides(x.shape(), x.stride(), sizes).is_some() {
            return self.dispatch1("aten.view.default", vec![x.into(), sizes.into()]);
        }
        let copy = self.clone_tensor(x, MemoryFormat::Contiguous)?;
        self.dispatch1("aten._unsafe_view.default", vec![copy.into(), sizes.into()])
    }

    /// `aten.view.default(x, sizes)`.
    pub(crate) fn view(&mut self, x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        self.dispatch1("aten.view.default", vec![x.into(), sizes.into()])
    }

    /// `aten.expand.default(x, sizes)`.
    pub(crate) fn expand(&mut self, x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        self.dispatch1("aten.expand.default", vec![x.into(), sizes.into()])
    }

    /// `aten.unsqueeze.default(x, dim)`.
    pub(crate) fn unsqueeze(&mut self, x: &Tensor, dim: i64) -> Result<Tensor> {
        self.dispatch1("aten.unsqueeze.default", vec![x.into(), IValue::Int(dim)])
    }

    /// `aten.squeeze.dim(x, dim)`.
    pub(crate) fn squeeze_dim(&mut self, x: &Tensor, dim: i64) -> Result<Tensor> {
        self.dispatch1("aten.squeeze.dim", vec![x.into(), IValue::Int(dim)])
    }

    /// `aten.select.int(x, dim, index)`.
    pub(crate) fn select(&mut self, x: &Tensor, dim: i64, index: i64) -> Result<Tensor> {
        self.dispatch1(
            "aten.select.int",
            vec![x.into(), IValue::Int(dim), IValue::Int(index)],
        )
    }

    /// `aten.select_backward.default(grad, input_sizes, dim, index)`.
    pub(crate) fn select_backward(
        &mut self,
        grad: &Tensor,
        input_sizes: &[i64],
        dim: i64,
        index: i64,
    ) -> Result<Tensor> {
        self.dispatch1(
            "aten.select_backward.default",
            vec![
                grad.into(),
                input_sizes.into(),
                IValue::Int(dim),
                IValue::Int(index),
            ],
        )
    }

    /// `aten.mul.Tensor(a, b)`; `b` may be a wrapped number.
    pub(crate) fn mul(&mut self, a: &Tensor, b: IValue) -> Result<Tensor> {
        self.dispatch1("aten.mul.Tensor", vec![a.into(), b])
    }

    /// `aten.mul.Scalar(a, s)`.
    pub(crate) fn mul_scalar(&mut self, a: &Tensor, s: IValue) -> Result<Tensor> {
        self.dispatch1("aten.mul.Scalar", vec![a.into(), s])
    }

    /// `aten.neg.default(x)`; an efficient zero tensor is materialized
    /// first, as PyTorch's ZeroTensor fallback does.
    pub(crate) fn neg(&mut self, x: &Tensor) -> Result<Tensor> {
        if x.is_zero_tensor() {
            let zeros = crate::autograd::functions::zero_tensor::materialize(self, x)?;
            return self.dispatch1("aten.neg.default", vec![(&zeros).into()]);
        }
        self.dispatch1("aten.neg.default", vec![x.into()])
    }

    /// `aten.add.Tensor(a, b)`.
    pub(crate) fn add(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.dispatch1("aten.add.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.add_.Tensor(a, b)` (`a += b`); an efficient zero tensor `b`
    /// is materialized first, as PyTorch's ZeroTensor fallback does.
    pub(crate) fn add_(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        if b.is_zero_tensor() {
            let zeros = crate::autograd::functions::zero_tensor::materialize(self, b)?;
            return self.dispatch1("aten.add_.Tensor", vec![a.into(), (&zeros).into()]);
        }
        self.dispatch1("aten.add_.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.threshold_backward.default(grad, x, threshold)`.
    pub(crate) fn threshold_backward(
        &mut self,
        grad: &Tensor,
        x: &Tensor,
        threshold: IValue,
    ) -> Result<Tensor> {
        self.dispatch1(
            "aten.threshold_backward.default",
            vec![grad.into(), x.into(), threshold],
        )
    }

    /// `aten.mse_loss_backward.default(grad, x, target, reduction)`.
    pub(crate) fn mse_loss_backward(
        &mut self,
        grad: &Tensor,
        x: &Tensor,
        target: &Tensor,
        reduction: i64,
    ) -> Result<Tensor> {
        self.dispatch1(
            "aten.mse_loss_backward.default",
            vec![grad.into(), x.into(), target.into(), IValue::Int(reduction)],
        )
    }

    /// `aten.detach.default(x)`.
    pub(crate) fn detach(&mut self, x: &Tensor) -> Result<Tensor> {
        self.dispatch1("aten.detach.default", vec![x.into()])
    }

    /// `new_grad.new_empty_strided(variable.sizes(), variable.strides(),
    /// variable.options())`: dtype, layout and device given explicitly.
    pub(crate) fn new_empty_strided_like(
        &mut self,
        new_grad: &Tensor,
        variable: &Tensor,
    ) -> Result<Tensor> {
        self.dispatch1(
            "aten.new_empty_strided.default",
            vec![
                new_grad.into(),
                variable.shape().into(),
                variable.stride().into(),
                IValue::Dtype(variable.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(variable.device()),
            ],
        )
    }

    /// `aten.copy_.default(dst, src)`.
    pub(crate) fn copy_(&mut self, dst: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.dispatch1("aten.copy_.default", vec![dst.into(), src.into()])
    }

    /// `aten.clone.default(x, memory_format=...)`.
    pub(crate) fn clone_tensor(&mut self, x: &Tensor, format: MemoryFormat) -> Result<Tensor> {
        self.dispatch1(
            "aten.clone.default",
            vec![x.into(), IValue::MemoryFormat(format)],
        )
    }

    /// `x.to(options)` of a gradient: `aten._to_copy.default(x, dtype=dtype,
    /// layout=strided, device=device)` (PyTorch's `_to_copy_backward`).
    pub(crate) fn copy_to_options(
        &mut self,
        x: &Tensor,
        dtype: DType,
        device: Device,
    ) -> Result<Tensor> {
        self.dispatch1(
            "aten._to_copy.default",
            vec![
                x.into(),
                IValue::Dtype(dtype),
                IValue::Layout(Layout::Strided),
                IValue::Device(device),
            ],
        )
    }

    /// `aten.sum.default(x)`.
    pub(crate) fn sum(&mut self, x: &Tensor) -> Result<Tensor> {
        self.dispatch1("aten.sum.default", vec![x.into()])
    }

    /// `aten.sum.dim_IntList(x, dims, keepdim)`.
    pub(crate) fn sum_dim(&mut self, x: &Tensor, dims: Vec<i64>, keepdim: bool) -> Result<Tensor> {
        self.dispatch1(
            "aten.sum.dim_IntList",
            vec![x.into(), IValue::IntList(dims), IValue::Bool(keepdim)],
        )
    }

    /// PyTorch's `at::sum_to(x, shape)`: sums away leading dimensions and
    /// dimensions where `shape` has 1 (`sum.dim_IntList(keepdim=True)`), then
    /// `view`s away the leading ones. A 0-dim target is `sum()`.
    pub(crate) fn sum_to(&mut self, x: &Tensor, shape: &[i64]) -> Result<Tensor> {
        if shape.is_empty() {
            return self.sum(x);
        }
        let sizes = x.shape().to_vec();
        let leading = sizes.len().saturating_sub(shape.len());
        let mut dims: Vec<i64> = (0..leading as i64).collect();
        for i in leading..sizes.len() {
            if shape[i - leading] == 1 && sizes[i] != 1 {
                dims.push(i as i64);
            }
        }
        let mut out = x.clone();
        if !dims.is_empty() {
            out = self.sum_dim(&out, dims, true)?;
        }
        if leading > 0 {
            out = self.view(&out, shape)?;
        }
        Ok(out)
    }
}
