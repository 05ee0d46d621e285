//! What the decomposition tests share: tensors from values and calls of a
//! composite as a dispatch mode under `inference_mode` sees it (whole).

use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// A contiguous tensor of `shape` holding `values`.
pub(super) fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
    Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
}

/// A runtime with a dispatch mode active: composites run whole.
pub(super) fn runtime() -> Runtime {
    let mut rt = Runtime::new();
    rt.set_dispatch_mode_active(true);
    rt
}

/// `op`'s first (tensor) result on `rt`, or its error.
pub(super) fn try_call_on(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    rt.call(op, args).map(|out| {
        out.into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor result")
    })
}

/// `op`'s first (tensor) result on a fresh runtime seeing it whole.
pub(super) fn call(op: &str, args: Vec<IValue>) -> Tensor {
    try_call_on(&mut runtime(), op, args).expect("call")
}
