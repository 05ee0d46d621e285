//! Keyset computation and the dispatcher's walk (packet FT-P2C-002).
//!
//! For a call, the keyset is `(∪ keys of the tensor arguments ∪ TLS include)
//! − TLS exclude`. The dispatcher then walks the keys from the highest
//! priority down, recording each `[key, handler]`:
//!
//! * `autograd` and ADInplaceOrView / BackendSelect `kernel`s do their work
//!   and redispatch to the next key;
//! * `fallthrough` keys are skipped;
//! * a backend `kernel` or a `math` kernel ends the walk;
//! * after a BackendSelect kernel the walk continues at the backend the
//!   TensorOptions name — the highest of the `device` argument's backend and
//!   the tensor arguments' backends (PyTorch's BackendSelect kernels combine both).
//!
//! For example an operator on CPU tensors walks
//! `AutogradCPU[autograd] → ADInplaceOrView[fallthrough] → BackendSelect[fallthrough] → CPU[kernel]`
//! and `torch.randn(...)` from Python walks `BackendSelect[kernel] → CPU[kernel]`.
//! A sparse COO argument contributes `SparseCPU` instead of `CPU`; a walk
//! that reaches a `SparseCPU` kernel ends there.
//! PyTorch itself never visits fallthrough keys (it masks them out); the chain
//! is the derived walk FORMAT §3.3 asks for.

use super::key::DispatchKey;
use super::keyset::DispatchKeySet;
use super::registry::{Handler, OpEntry};
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::options::Layout;

/// One step of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The key.
    pub key: DispatchKey,
    /// How it handled the call.
    pub handler: Handler,
}

/// The backend a call's TensorOptions name (its `device` and `layout`
/// arguments), which a BackendSelect kernel combines with the tensors'.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionsBackend {
    /// The `device` argument, when the call gives one.
    pub device: Option<Device>,
    /// Whether the `layout` argument is `sparse_coo`.
    pub sparse: bool,
}

impl OptionsBackend {
    /// What a call's bound `args` name: its `device` and `layout` arguments
    /// where the schema has them.
    pub fn of(entry: &OpEntry, args: &[IValue]) -> OptionsBackend {
        let argument = |name: &str| entry.schema.argument_index(name).and_then(|i| args.get(i));
        OptionsBackend {
            device: match argument("device") {
                Some(IValue::Device(d)) => Some(*d),
                _ => None,
            },
            sparse: matches!(argument("layout"), Some(IValue::Layout(Layout::SparseCoo))),
        }
    }
}

/// The keyset of a call and the walk through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The computed keyset.
    pub keyset: DispatchKeySet,
    /// Steps in order.
    pub chain: Vec<Step>,
}

impl Plan {
    /// Walks `keyset` for `entry`. `options` is the backend the call's
    /// TensorOptions name (used after a BackendSelect kernel).
    pub fn walk(entry: &OpEntry, keyset: DispatchKeySet, options: OptionsBackend) -> Result<Plan> {
        let mut chain = Vec::new();
        for key in keyset.iter() {
            let handler = entry.handler(key);
            chain.push(Step { key, handler });
            match handler {
                Handler::Math => return Ok(Plan { keyset, chain }),
                Handler::Kernel if key.is_dense_backend() || key.is_layout_backend() => {
                    return Ok(Plan { keyset, chain });
                }
                Handler::Kernel if key == DispatchKey::BackendSelect => {
                    let from_tensors = keyset.iter().find(|k| k.is_dense_backend());
                    let device = options.device.unwrap_or(Device::Cpu);
                    let backend = match from_tensors {
                        // A sparse_coo layout option outranks the dense
                        // tensors' backend: the walk goes on at SparseCPU
                        // (the sparse constructors, composites included).
                        _ if options.sparse && device == Device::Cpu => DispatchKey::SparseCPU,
                        Some(k) => k.max(device.backend_key()),
                        None => device.backend_key(),
                    };
                    chain.push(Step {
                        key: backend,
                        handler: entry.handler(backend),
                    });
                    return Ok(Plan { keyset, chain });
                }
                _ => {}
            }
        }
        if keyset.iter().all(|k| !k.is_dense_backend()) && !chain.is_empty() {
            // No tensor argument and every key fell through: PyTorch's walk
            // ends at the table's first slot (observed in torch 2.15 for
            // `_conj` of a Python complex, whose wrapped-number tensor runs
            // on the CPU), with the composite's decomposition if it has one
            // (`promote_types`: `Undefined` `math`).
            chain.push(Step {
                key: DispatchKey::Undefined,
                handler: if entry.is_composite_implicit() {
                    Handler::Math
                } else {
                    Handler::Kernel
                },
            });
            return Ok(Plan { keyset, chain });
        }
        Err(RuntimeError::unsupported(
            &entry.python_name,
            format!("dispatch with keyset {keyset:?}: no kernel handles it"),
        ))
    }

    /// Whether the walk passes an autograd kernel.
    pub fn has_autograd(&self) -> bool {
        self.chain.iter().any(|s| s.handler == Handler::Autograd)
    }

    /// Whether ADInplaceOrView runs its kernel (version bump, view setup).
    pub fn has_inplace_or_view_kernel(&self) -> bool {
        self.chain
            .iter()
            .any(|s| s.key == DispatchKey::ADInplaceOrView && s.handler == Handler::Kernel)
    }

    /// Whether the walk ends in a decomposition.
    pub fn is_math(&self) -> bool {
        self.chain
            .last()
            .is_some_and(|s| s.handler == Handler::Math)
    }

    /// The backend whose kernel runs (the CPU for a walk ending at the
    /// table's first slot: a call on Python numbers alone).
    pub fn backend(&self) -> Option<DispatchKey> {
        self.chain
            .last()
            .map(|s| s.key)
            .map(|k| {
                if k == DispatchKey::Undefined {
                    DispatchKey::CPU
                } else {
                    k
                }
            })
            .filter(|k| k.is_dense_backend() || k.is_layout_backend())
    }

    /// `[key, handler]` names, as written into op events.
    pub fn chain_names(&self) -> Vec<(&'static str, &'static str)> {
        self.chain
            .iter()
            .map(|s| (s.key.name(), s.handler.name()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::registry::Registry;
    use crate::dispatch::tls::LocalDispatchKeySet;

    fn walk(op: &str, tensors: DispatchKeySet, tls: LocalDispatchKeySet, device: Device) -> Plan {
        let entry = Registry::builtin().and_then(|r| r.get(op)).expect("op");
        let options = OptionsBackend {
            device: Some(device),
            sparse: false,
        };
        Plan::walk(entry, tls.apply(tensors), options).expect("walk")
    }

    fn cpu() -> DispatchKeySet {
        DispatchKeySet::for_tensor(Device::Cpu, false)
    }

    #[test]
    fn pointwise_on_cpu() {
        let p = walk(
            "aten.mul.Tensor",
            cpu(),
            LocalDispatchKeySet::default(),
            Device::Cpu,
        );
        assert_eq!(
            p.keyset.names(),
            ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "CPU"]
        );
        assert_eq!(
            p.chain_names(),
            [
                ("AutogradCPU", "autograd"),
                ("ADInplaceOrView", "fallthrough"),
                ("BackendSelect", "fallthrough"),
                ("CPU", "kernel")
            ]
        );
    }

    #[test]
    fn inplace_has_a_real_ad_inplace_or_view_kernel() {
        let p = walk(
            "aten.add_.Tensor",
            cpu(),
            LocalDispatchKeySet::default(),
            Device::Cpu,
        );
        assert_eq!(p.chain[1].handler, Handler::Kernel);
        assert!(p.has_inplace_or_view_kernel());
    }

    #[test]
    fn python_factory_runs_below_autograd() {
        let tls = LocalDispatchKeySet::default().below_ad_inplace_or_view();
        let p = walk(
            "aten.randn.default",
            DispatchKeySet::EMPTY,
            tls,
            Device::Cpu,
        );
        assert_eq!(p.keyset.names(), ["BackendSelect"]);
        assert_eq!(
            p.chain_names(),
            [("BackendSelect", "kernel"), ("CPU", "kernel")]
        );
        let p = walk("aten.ones_like.default", cpu(), tls, Device::Cpu);
        assert_eq!(p.keyset.names(), ["BackendSelect", "CPU"]);
        assert_eq!(
            p.chain_names(),
            [("BackendSelect", "fallthrough"), ("CPU", "kernel")]
        );
    }

    #[test]
    fn factory_from_cpp_has_no_autograd_key() {
        // No tensor argument, so no Autograd key: ADInplaceOrView is the top.
        let p = walk(
            "aten.zeros.default",
            DispatchKeySet::EMPTY,
            LocalDispatchKeySet::default(),
            Device::Meta,
        );
        assert_eq!(
            p.chain_names(),
            [
                ("ADInplaceOrView", "fallthrough"),
                ("BackendSelect", "kernel"),
                ("Meta", "kernel")
            ]
        );
    }

    #[test]
    fn meta_and_inference() {
        let meta = DispatchKeySet::for_tensor(Device::Meta, false);
        let p = walk(
            "aten.mul.Tensor",
            meta,
            LocalDispatchKeySet::default(),
            Device::Cpu,
        );
        assert_eq!(
            p.chain.first().map(|s| s.key),
            Some(DispatchKey::AutogradMeta)
        );
        assert_eq!(p.backend(), Some(DispatchKey::Meta));
        let inf = DispatchKeySet::for_tensor(Device::Cpu, true);
        let p = walk(
            "aten.mul.Tensor",
            inf,
            LocalDispatchKeySet::inference_mode(),
            Device::Cpu,
        );
        assert_eq!(
            p.chain_names(),
            [("BackendSelect", "fallthrough"), ("CPU", "kernel")]
        );
    }

    #[test]
    fn to_copy_selects_the_higher_backend() {
        let p = walk(
            "aten._to_copy.default",
            cpu(),
            LocalDispatchKeySet::default(),
            Device::Meta,
        );
        assert_eq!(
            p.chain_names(),
            [
                ("AutogradCPU", "autograd"),
                ("ADInplaceOrView", "fallthrough"),
                ("BackendSelect", "kernel"),
                ("Meta", "kernel")
            ]
        );
    }

    #[test]
    fn composite_implicit_decomposes_at_autograd() {
        let p = walk(
            "aten.linear.default",
            cpu(),
            LocalDispatchKeySet::default(),
            Device::Cpu,
        );
        assert_eq!(p.chain_names(), [("AutogradCPU", "math")]);
        assert!(p.is_math());
    }
}
