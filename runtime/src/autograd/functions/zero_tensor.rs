//! Efficient zero tensors in backward (torch 2.15, observed):
//!
//! * SgnBackward0 of a real `self`: the gradient of `sgn` is zero almost
//!   everywhere, and PyTorch's `sgn_backward` returns
//!   `_efficientzerotensor(result sizes, result options)` — a tensor with
//!   the `ZeroTensor` key and no storage of its own.
//! * The engine's sum of two gradients for one input (`InputBuffer`'s
//!   `old + new`) where either is such a tensor runs the ZeroTensor kernel
//!   of `add`, which a dispatch mode does not see; what it sees are that
//!   kernel's calls: `to(device="meta")` of each operand (the composite
//!   whole, each with its transfer), `prims.add` of the two meta tensors
//!   (the result's shape and dtype; float16 and bfloat16 operands are
//!   converted to float32 for it and the sum back), then, unless both are zero tensors,
//!   the other operand broadcast to that shape and copied:
//!   `_to_copy(expand(other, sizes), dtype, layout=strided, device)`. Two
//!   zero tensors give a new `_efficientzerotensor` of that shape.
//! * An operator without a ZeroTensor kernel (`neg`, as SubBackward0's
//!   `-grad` of such a gradient) runs the ZeroTensor fallback: the zero
//!   tensor materialized as `zeros({}, options).expand(sizes)`, then the
//!   operator.

use super::single;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;

/// SgnBackward0 of a real `self` (the complex one is
/// `ComplexSgnBackward0`): an efficient zero tensor of the result's
/// sizes and options.
pub(crate) struct SgnBackward0 {
    pub(crate) sizes: Vec<i64>,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

impl SgnBackward0 {
    /// The node of `sgn(x)` for a real `x`.
    pub(crate) fn of(x: &Tensor) -> SgnBackward0 {
        SgnBackward0 {
            sizes: x.shape().to_vec(),
            dtype: x.dtype(),
            device: x.device(),
        }
    }
}

impl BackwardFn for SgnBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if single(grads).is_none() {
            return Ok(vec![None]);
        }
        let zero = efficient_zero_tensor(ctx.rt, &self.sizes, self.dtype, self.device)?;
        Ok(vec![Some(zero)])
    }
}

fn first(op: &str, out: Vec<IValue>) -> Result<Tensor> {
    out.into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

/// `_efficientzerotensor(sizes, dtype, layout=strided, device)`.
fn efficient_zero_tensor(
    rt: &mut Runtime,
    sizes: &[i64],
    dtype: DType,
    device: Device,
) -> Result<Tensor> {
    let op = "aten._efficientzerotensor.default";
    let out = rt.dispatch(
        op,
        vec![
            IValue::IntList(sizes.to_vec()),
            IValue::Dtype(dtype),
            IValue::Layout(Layout::Strided),
            IValue::Device(device),
        ],
    )?;
    first(op, out)
}

/// `t.to(device="meta")`, seen whole.
fn to_meta(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    let op = "aten.to.dtype_layout";
    let out = rt.call_composite_whole(
        op,
        vec![
            t.into(),
            IValue::None,
            IValue::None,
            IValue::Device(Device::Meta),
        ],
    )?;
    first(op, out)
}

/// The ZeroTensor fallback's stand-in for the efficient zero tensor `t`:
/// `zeros({}, t's options).expand(t's sizes)`.
pub(crate) fn materialize(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    let op = "aten.zeros.default";
    let zero = first(
        op,
        rt.dispatch(
            op,
            vec![
                IValue::IntList(Vec::new()),
                IValue::Dtype(t.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(t.device()),
            ],
        )?,
    )?;
    let op = "aten.expand.default";
    first(
        op,
        rt.dispatch(op, vec![zero.into(), IValue::IntList(t.shape().to_vec())])?,
    )
}

/// `prims.add` of the two meta operands as the `add` reference runs it:
/// float16 and bfloat16 operands (of one dtype) are added in float32,
/// each converted by `to(float32)` first and the sum converted back.
fn meta_add(rt: &mut Runtime, a: Tensor, b: Tensor) -> Result<Tensor> {
    let reduced = a.dtype() == b.dtype() && matches!(a.dtype(), DType::Float16 | DType::BFloat16);
    if !reduced || rt.faults().zero_tensor_add_reduced_in_place {
        let op = "prims.add.default";
        return first(op, rt.dispatch(op, vec![a.into(), b.into()])?);
    }
    let dtype = a.dtype();
    let a = convert(rt, &a, DType::Float32)?;
    let b = convert(rt, &b, DType::Float32)?;
    let op = "prims.add.default";
    let sum = first(op, rt.dispatch(op, vec![a.into(), b.into()])?)?;
    convert(rt, &sum, dtype)
}

/// `t.to(dtype)`, seen whole.
fn convert(rt: &mut Runtime, t: &Tensor, dtype: DType) -> Result<Tensor> {
    let op = "aten.to.dtype";
    first(
        op,
        rt.call_composite_whole(
            op,
            vec![
                t.into(),
                IValue::Dtype(dtype),
                IValue::Bool(false),
                IValue::Bool(false),
            ],
        )?,
    )
}

/// `old + new` where either is an efficient zero tensor: PyTorch's
/// ZeroTensor kernel of `add` (alpha 1), call for call.
pub(crate) fn add_with_zero_tensor(rt: &mut Runtime, old: &Tensor, new: &Tensor) -> Result<Tensor> {
    // The result's device: the other operand's when `old` is on the CPU.
    let out_device = if old.device() == Device::Cpu {
        new.device()
    } else {
        old.device()
    };
    let meta_old = to_meta(rt, old)?;
    let meta_new = to_meta(rt, new)?;
    let meta_out = meta_add(rt, meta_old, meta_new)?;
    let sizes = meta_out.shape().to_vec();
    let like = match (old.is_zero_tensor(), new.is_zero_tensor()) {
        (true, true) => {
            return efficient_zero_tensor(rt, &sizes, meta_out.dtype(), out_device);
        }
        (true, false) => new,
        _ => old,
    };
    let op = "aten.expand.default";
    let expanded = first(
        op,
        rt.dispatch(op, vec![like.into(), IValue::IntList(sizes)])?,
    )?;
    let op = "aten._to_copy.default";
    first(
        op,
        rt.dispatch(
            op,
            vec![
                expanded.into(),
                IValue::Dtype(meta_out.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(out_device),
            ],
        )?,
    )
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
        rt.call(op, args).expect(op)[0]
            .as_tensor()
            .expect("a tensor")
            .clone()
    }

    #[test]
    fn sgn_times_self_has_the_sign_as_gradient_through_the_zero_tensor_sum() {
        // y = sgn(x) * x = |x|; dy/dx = sgn(x) + x * d sgn/dx, whose second
        // term is PyTorch's efficient zero tensor, summed into x's buffer.
        for (sgn_first, dtype) in [(true, DType::Float32), (false, DType::Float64)] {
            let mut rt = Runtime::new();
            let x = Tensor::from_f64("test", &[4], &[1], dtype, &[-1.5, 0.0, 2.0, -0.25])
                .expect("tensor");
            rt.set_requires_grad(&x, true).expect("requires_grad");
            let s = call(&mut rt, "aten.sgn.default", vec![(&x).into()]);
            let y = if sgn_first {
                call(&mut rt, "aten.mul.Tensor", vec![(&s).into(), (&x).into()])
            } else {
                call(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&s).into()])
            };
            let total = call(&mut rt, "aten.sum.default", vec![(&y).into()]);
            rt.backward(std::slice::from_ref(&total), &[None], false, false)
                .expect("backward");
            let grad = x.grad().expect("grad");
            assert!(!grad.is_zero_tensor());
            assert_eq!(grad.dtype(), dtype);
            assert_eq!(
                grad.to_f64_vec().expect("values"),
                vec![-1.0, 0.0, 1.0, -1.0]
            );
        }
    }

    #[test]
    fn sgn_alone_leaves_a_zero_tensor_gradient() {
        let mut rt = Runtime::new();
        let x = Tensor::from_f64("test", &[3], &[1], DType::Float32, &[1.0, -2.0, 3.0])
            .expect("tensor");
        rt.set_requires_grad(&x, true).expect("requires_grad");
        let s = call(&mut rt, "aten.sgn.default", vec![(&x).into()]);
        let total = call(&mut rt, "aten.sum.default", vec![(&s).into()]);
        rt.backward(std::slice::from_ref(&total), &[None], false, false)
            .expect("backward");
        let grad = x.grad().expect("grad");
        assert!(grad.is_zero_tensor());
        assert_eq!(grad.to_f64_vec().expect("values"), vec![0.0; 3]);
    }
}
