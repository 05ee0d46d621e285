//! `ft-runtime`: a Rust re-implementation of PyTorch's core, instrumented
//! for FrankenTorch Trace.
//!
//! The runtime executes ATen operators the way PyTorch's dispatcher does —
//! same keysets, same key walk, same backward formulas, same autograd
//! schedule — and, when given an [`ft_trace::EventSink`], records every step
//! as events that can be diffed against a trace of real PyTorch.
//!
//! | module | packet | what |
//! |---|---|---|
//! | [`tensor`] | FT-P2C-001 | TensorImpl, storage, strides, version counter |
//! | [`dispatch`] | FT-P2C-002/003 | dispatch keys, TLS, schemas, registry, key walk |
//! | [`autograd`] | FT-P2C-004 | nodes, derivatives, ReadyQueue, engine |
//! | `kernels` | FT-P2C-005 | CPU (and meta) kernels |
//! | [`device`] | FT-P2C-007 | devices and the device guard |
//! | [`serialize`] | FT-P2C-006 | state dicts: `torch.save` files and `.ftc` checkpoints |
//! | [`Runtime`] | — | the facade replay drives |
//!
//! ```
//! use ft_runtime::{IValue, Runtime};
//!
//! let mut rt = Runtime::new();
//! let x = rt.introduce_tensor_f32(&[3], &[1], 0, &[1.0, 2.0, 3.0], true)?;
//! // y = sum(x * x); dy/dx = 2x
//! let sq = rt.call("aten.mul.Tensor", vec![IValue::from(&x), IValue::from(&x)])?;
//! let y = rt.call("aten.sum.default", vec![sq[0].clone()])?;
//! let y = y[0].as_tensor().expect("tensor").clone();
//! rt.backward(&[y], &[None], false, false)?;
//! assert_eq!(x.grad().expect("grad").to_f32_vec()?, vec![2.0, 4.0, 6.0]);
//! # Ok::<(), ft_runtime::RuntimeError>(())
//! ```

pub mod autograd;
pub mod cpu;
pub mod device;
pub mod dispatch;
pub mod error;
pub mod faults;
pub mod ivalue;
pub(crate) mod kernels;
pub mod nn;
pub mod optim;
mod runtime;
pub mod serialize;
pub mod tensor;
pub(crate) mod trace;

/// The version of this crate (`ft-runtime <VERSION>` names the producer of
/// runtime traces).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use autograd::hooks::{HookHandle, NodePostHookFn, PostAccumulateHookFn, TensorHookFn};
pub use cpu::CpuProfile;
pub use device::Device;
pub use error::{Result, RuntimeError};
pub use faults::Faults;
pub use ivalue::IValue;
pub use runtime::{
    BackwardSupport, FunctionBackwardFn, GradRequest, NodeAnchor, OpSupport, PackHookFn, Runtime,
    SavedHooksHandle, UnpackHookFn, overwrite_values,
};
pub use tensor::Tensor;
pub use tensor::dtype::DType;
pub use tensor::options::{Layout, MemoryFormat};
