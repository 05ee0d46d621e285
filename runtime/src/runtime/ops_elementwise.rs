//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the elementwise, activation, comparison and logic operators.
//!
//! They live on [`ElementwiseOps`], a borrow of the runtime, so that their
//! names cannot collide with another family's helpers. Each call passes
//! exactly the arguments PyTorch's C++ passes (the rest are schema
//! defaults), so the recorded op events match.

use super::Runtime;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::{Layout, MemoryFormat};

/// The runtime, seen through the typed calls of the elementwise formulas.
pub(crate) struct ElementwiseOps<'a>(pub(crate) &'a mut Runtime);

impl Runtime {
    /// The elementwise family's typed calls.
    pub(crate) fn elementwise(&mut self) -> ElementwiseOps<'_> {
        ElementwiseOps(self)
    }
}

impl ElementwiseOps<'_> {
    /// Dispatches `op` and returns its (single) tensor result.
    pub(crate) fn call(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        self.0
            .dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
    }

    /// `aten.div.Tensor(a, b)`; `b` may be a wrapped number.
    pub(crate) fn div(&mut self, a: &Tensor, b: IValue) -> Result<Tensor> {
        self.call("aten.div.Tensor", vec![a.into(), b])
    }

    /// `aten.div.Scalar(a, s)` (C++ `tensor / scalar`).
    pub(crate) fn div_scalar(&mut self, a: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.div.Scalar", vec![a.into(), s])
    }

    /// `aten.div.Tensor_mode(a, b, rounding_mode=mode)`.
    pub(crate) fn div_mode(&mut self, a: &Tensor, b: IValue, mode: &str) -> Result<Tensor> {
        self.call(
            "aten.div.Tensor_mode",
            vec![a.into(), b, IValue::Str(mode.to_owned())],
        )
    }

    /// `aten.div_.Tensor(a, b)`.
    pub(crate) fn div_(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.div_.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.sub.Tensor(a, b)`.
    pub(crate) fn sub(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.sub.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.sub_.Tensor(a, b)`.
    pub(crate) fn sub_(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.sub_.Tensor", vec![a.into(), b.into()])
    }

    /// `aten.add.Scalar(a, s)`.
    pub(crate) fn add_scalar(&mut self, a: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.add.Scalar", vec![a.into(), s])
    }

    /// `aten.sub.Scalar(a, s)`.
    pub(crate) fn sub_scalar(&mut self, a: &Tensor, s: IValue) -> Result<Tensor> {
        self.call("aten.sub.Scalar", vec![a.into(), s])
    }

    /// `aten.pow.Tensor_Scalar(a, exponent)`.
    pub(crate) fn pow_scalar(&mut self, a: &Tensor, exponent: IValue) -> Result<Tensor> {
        self.call("aten.pow.Tensor_Scalar", vec![a.into(), exponent])
    }

    /// `aten.pow.Tensor_Tensor(a, exponent)`.
    pub(crate) fn pow_tensor(&mut self, a: &Tensor, exponent: &Tensor) -> Result<Tensor> {
        self.call("aten.pow.Tensor_Tensor", vec![a.into(), exponent.into()])
    }

    /// A one-tensor operator such as `aten.sgn.default` or `aten.log.default`.
    pub(crate) fn unary(&mut self, op: &str, a: &Tensor) -> Result<Tensor> {
        self.call(op, vec![a.into()])
    }

    /// A two-operand operator such as `aten.gt.Scalar(a, s)` or
    /// `aten.logical_and.default(a, b)`.
    pub(crate) fn binary(&mut self, op: &str, a: &Tensor, b: IValue) -> Result<Tensor> {
        self.call(op, vec![a.into(), b])
    }

    /// `at::scalar_tensor(value, like.options())`: dtype, layout and device
    /// given explicitly.
    pub(crate) fn scalar_tensor(&mut self, value: IValue, like: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.scalar_tensor.default",
            vec![
                value,
                IValue::Dtype(like.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(like.device()),
            ],
        )
    }

    /// `at::zeros_like(t, t.options())`: dtype, layout and device explicit.
    pub(crate) fn zeros_like_options(&mut self, t: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.zeros_like.default",
            vec![
                t.into(),
                IValue::Dtype(t.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(t.device()),
            ],
        )
    }

    /// `at::zeros_like(t)`.
    pub(crate) fn zeros_like(&mut self, t: &Tensor) -> Result<Tensor> {
        self.call("aten.zeros_like.default", vec![t.into()])
    }

    /// `at::empty_like(t)` with `memory_format=preserve_format` explicit.
    pub(crate) fn empty_like_preserve(&mut self, t: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.empty_like.default",
            vec![
                t.into(),
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::MemoryFormat(MemoryFormat::Preserve),
            ],
        )
    }

    /// `aten.fill_.Scalar(t, value)`.
    pub(crate) fn fill_(&mut self, t: &Tensor, value: IValue) -> Result<Tensor> {
        self.call("aten.fill_.Scalar", vec![t.into(), value])
    }

    /// `aten.where.self(condition, a, b)`.
    pub(crate) fn where_(&mut self, condition: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.where.self",
            vec![condition.into(), a.into(), b.into()],
        )
    }

    /// `aten.masked_fill.Scalar(t, mask, value)`.
    pub(crate) fn masked_fill(
        &mut self,
        t: &Tensor,
        mask: &Tensor,
        value: IValue,
    ) -> Result<Tensor> {
        self.call(
            "aten.masked_fill.Scalar",
            vec![t.into(), mask.into(), value],
        )
    }

    /// An activation's backward operator: `op(grad, saved, params...)`.
    pub(crate) fn activation_backward(
        &mut self,
        op: &str,
        grad: &Tensor,
        saved: &Tensor,
        params: &[IValue],
    ) -> Result<Tensor> {
        let mut args = vec![grad.into(), saved.into()];
        args.extend(params.iter().cloned());
        self.call(op, args)
    }
}
