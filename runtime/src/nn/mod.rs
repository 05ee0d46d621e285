//! `torch.nn` for native FrankenTorch programs: modules, losses and their
//! state dicts.
//!
//! A native program written against this module must leave the same trace
//! as its PyTorch twin — the same operator calls with the same arguments,
//! api events, autograd nodes and ReadyQueue schedule — so every module
//! does exactly what PyTorch's does at the dispatcher: [`Linear`]'s forward
//! is `t` then `addmm`, its construction `empty` then `uniform_` under
//! `no_grad` with `kaiming_uniform_`'s bound, [`BatchNorm2d`] counts its
//! batches with `add_` before `native_batch_norm`, and so on.
//!
//! Two conventions make that possible:
//!
//! * **Lifetimes.** A tensor the program lets go of is handed to
//!   [`Runtime::drop_tensor`]; its api `release` is written once the runtime,
//!   too, holds no reference — as PyTorch's capture sees a tensor die.
//!   Modules do this for their own temporaries; programs for what they
//!   hold.
//! * **Random values.** PyTorch's generator is not reimplemented. A native
//!   program that must reproduce a PyTorch run takes the outputs of
//!   PyTorch's random operators (parameter initialisation, `randn` data,
//!   dropout masks) from the recording of its twin with [`RecordedRandom`],
//!   and makes the runtime refuse any random draw without recorded values.
//!
//! State dicts are ordered `(name, tensor)` lists with PyTorch's key names
//! (`0.weight`, `bn.running_mean`, `bn.num_batches_tracked`);
//! [`Module::load_state_dict`] reports missing, unexpected and mis-sized
//! entries with PyTorch's messages.

mod activation;
mod container;
mod conv;
mod embedding;
mod linear;
mod loss;
mod norm;
mod program;
mod random;
mod state;
#[cfg(test)]
mod tests;

pub use activation::{Dropout, Gelu, MaxPool2d, Relu, Sigmoid, Tanh};
pub use container::{ModuleList, Sequential};
pub use conv::{Conv2d, Conv2dOptions};
pub use embedding::Embedding;
pub use linear::Linear;
pub use loss::{CrossEntropyLoss, MseLoss, Reduction};
pub use norm::{BatchNorm2d, LayerNorm};
pub use program::NativeTrace;
pub use random::RecordedRandom;
pub use state::{IncompatibleKeys, NnError, StateDict};

use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// A `torch.nn.Module`: parameters, buffers and submodules by name, a
/// training flag, and a forward pass over one tensor.
pub trait Module {
    /// The class name PyTorch prints (`Linear`, `Sequential`).
    fn type_name(&self) -> &'static str;

    /// `forward(input)`. Temporaries are dropped through
    /// [`Runtime::drop_tensor`]; the caller owns the result.
    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor>;

    /// This module's own parameters, in registration order.
    fn local_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        Vec::new()
    }

    /// This module's own buffers, in registration order.
    fn local_buffers(&self) -> Vec<(&'static str, &Tensor)> {
        Vec::new()
    }

    /// The direct submodules, in registration order.
    fn children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }

    /// The direct submodules, mutably.
    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        Vec::new()
    }

    /// `self.training`.
    fn is_training(&self) -> bool;

    /// Sets this module's own training flag (not its children's).
    fn set_local_training(&mut self, training: bool);

    /// `train(mode)`: this module and every submodule.
    fn train(&mut self, mode: bool) {
        self.set_local_training(mode);
        for (_, child) in self.children_mut() {
            child.train(mode);
        }
    }

    /// `eval()`.
    fn eval(&mut self) {
        self.train(false);
    }

    /// Local state entries a state dict may leave out without being
    /// reported missing (BatchNorm's `num_batches_tracked`, which PyTorch
    /// fills in for state dicts without version metadata).
    fn local_optional_keys(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// `named_parameters()`: own parameters first, then each child's with
    /// its name as prefix (`0.weight`, `layers.1.bias`).
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = owned(self.local_parameters());
        for (name, child) in self.children() {
            out.extend(prefixed(&name, child.named_parameters()));
        }
        out
    }

    /// `parameters()`, in `named_parameters` order.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// `named_buffers()`.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut out = owned(self.local_buffers());
        for (name, child) in self.children() {
            out.extend(prefixed(&name, child.named_buffers()));
        }
        out
    }

    /// `state_dict(keep_vars=True)`: per module (pre-order), its
    /// parameters then its buffers, under PyTorch's dotted names. The
    /// tensors are the module's own (parameters require grad); see
    /// [`Module::detached_state_dict`] for what `state_dict()` returns.
    fn state_dict(&self) -> StateDict {
        let mut out = owned(self.local_parameters());
        out.extend(owned(self.local_buffers()));
        for (name, child) in self.children() {
            out.extend(prefixed(&name, child.state_dict()));
        }
        out
    }

    /// `state_dict()` (`keep_vars=False`): the entries of
    /// [`Module::state_dict`], each `detach()`ed as `_save_to_state_dict`
    /// does — one `aten.detach` per entry in state-dict order — so they
    /// share the module's storage but do not require grad (what
    /// `torch.save` then records as `requires_grad=False`). The caller
    /// owns the detached tensors (and drops them).
    fn detached_state_dict(&self, rt: &mut Runtime) -> Result<StateDict> {
        self.state_dict()
            .into_iter()
            .map(|(name, t)| {
                let d = call1(rt, "aten.detach.default", vec![(&t).into()])?;
                Ok((name, d))
            })
            .collect()
    }

    /// Every module's prefix in pre-order (`""` for this one, `"0"`,
    /// `"0.bn"`, ...), with its optional keys.
    fn module_prefixes(&self) -> Vec<(String, Vec<&'static str>)> {
        let mut out = vec![(String::new(), self.local_optional_keys())];
        for (name, child) in self.children() {
            for (p, keys) in child.module_prefixes() {
                let full = if p.is_empty() {
                    name.clone()
                } else {
                    format!("{name}.{p}")
                };
                out.push((full, keys));
            }
        }
        out
    }

    /// `load_state_dict(state_dict, strict)`: copies each matching entry
    /// into the module's tensor with `copy_` under `no_grad`; see
    /// [`StateDict`] for the rules and PyTorch's error text.
    fn load_state_dict(
        &self,
        rt: &mut Runtime,
        state_dict: &[(String, Tensor)],
        strict: bool,
    ) -> std::result::Result<IncompatibleKeys, NnError> {
        state::load(
            self.type_name(),
            &self.state_dict(),
            &self.module_prefixes(),
            rt,
            state_dict,
            strict,
        )
    }
}

fn owned(local: Vec<(&'static str, &Tensor)>) -> Vec<(String, Tensor)> {
    local
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t.clone()))
        .collect()
}

fn prefixed(prefix: &str, entries: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    entries
        .into_iter()
        .map(|(n, t)| (format!("{prefix}.{n}"), t))
        .collect()
}

/// Runs `op` as the program calls it ([`Runtime::call`]) and returns its
/// first tensor result.
pub fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    first(op, rt.call(op, args)?)
}

/// [`call1`] entered as C++ composites call factories
/// ([`Runtime::call_from_cpp`]).
pub(crate) fn call1_cpp(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    first(op, rt.call_from_cpp(op, args)?)
}

/// The tensor results of `op`.
pub(crate) fn call_n(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Vec<Tensor>> {
    Ok(rt
        .call(op, args)?
        .into_iter()
        .flat_map(IValue::into_tensors)
        .collect())
}

fn first(op: &str, out: Vec<IValue>) -> Result<Tensor> {
    out.into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

/// A tensor factory called from Python (`torch.randn(12, 6)`,
/// `torch.empty(...)`, `torch.zeros(...)`): `op` with the `leading`
/// arguments, then `dtype=None`, `layout=None` and the device and
/// `pin_memory` the Python binding fills in (`cpu`, `False`; observed in
/// torch 2.15).
pub fn factory(rt: &mut Runtime, op: &str, leading: Vec<IValue>) -> Result<Tensor> {
    factory_dtype(rt, op, leading, None)
}

/// [`factory`] with an explicit `dtype` (`torch.randint(...)` records its
/// default `int64`).
pub fn factory_dtype(
    rt: &mut Runtime,
    op: &str,
    leading: Vec<IValue>,
    dtype: Option<crate::tensor::dtype::DType>,
) -> Result<Tensor> {
    let mut args = leading;
    args.extend([
        dtype.map_or(IValue::None, IValue::Dtype),
        IValue::None,
        IValue::Device(crate::device::Device::Cpu),
        IValue::Bool(false),
    ]);
    call1(rt, op, args)
}

/// `nn.Parameter(torch.empty(shape))` as PyTorch's module constructors
/// make it: the `empty` (a Python factory) and a leaf that requires grad
/// over its storage (api `tensor` with `alias`, written when the stream
/// first names it). Returns `(empty, parameter)`: the caller drops the
/// `empty` once the parameter has been initialised, as PyTorch's
/// capture sees it go.
pub(crate) fn empty_parameter(rt: &mut Runtime, shape: &[i64]) -> Result<(Tensor, Tensor)> {
    let empty = factory(rt, "aten.empty.memory_format", vec![shape.into()])?;
    let param = rt.introduce_alias(
        &empty,
        empty.shape(),
        empty.stride(),
        empty.storage_offset(),
        true,
    )?;
    Ok((empty, param))
}

/// `init.kaiming_uniform_(w, a=math.sqrt(5))`'s bound for fan-in `fan_in`,
/// computed in PyTorch's order (gain, std, bound): `1/sqrt(fan_in)` up to
/// rounding.
pub(crate) fn kaiming_uniform_bound(rt: &Runtime, fan_in: i64) -> f64 {
    let a = 5f64.sqrt();
    let gain = (2.0 / (1.0 + a.powi(2))).sqrt();
    let std = gain / (fan_in as f64).sqrt();
    let bound = 3f64.sqrt() * std;
    if rt.faults().wrong_init_bound {
        bound * 2.0
    } else {
        bound
    }
}

/// `init.uniform_(t, -bound, bound)` under `no_grad`.
pub(crate) fn uniform_(rt: &mut Runtime, t: &Tensor, bound: f64) -> Result<()> {
    let grad = rt.grad_mode();
    rt.set_grad_mode(false, grad.1);
    let r = call1(
        rt,
        "aten.uniform_.default",
        vec![t.into(), IValue::Float(-bound), IValue::Float(bound)],
    );
    rt.set_grad_mode(grad.0, grad.1);
    r.map(|_| ())
}

/// The bias bound of Linear and Conv2d: `1 / math.sqrt(fan_in)`.
pub(crate) fn bias_bound(fan_in: i64) -> f64 {
    if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    }
}
