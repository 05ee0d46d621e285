//! Dispatch keys, named and ordered exactly as PyTorch's runtime keys.
//!
//! The discriminant *is* the priority: a higher value is dispatched first.
//! The order (lowest first) was read off torch 2.15 with
//! `DispatchKeySet.highestPriorityTypeId()` over `_dispatch_keyset_full()`:
//! dense backends (`CPU` … `Meta`, in backend-bit order), the other backend
//! families, `BackendSelect`, `Python`, …, `ADInplaceOrView`, `AutogradOther`,
//! the per-backend `Autograd*` keys, `AutogradNestedTensor`, `Tracer`, the
//! `Autocast*` keys and the functorch / Python mode keys on top. PyTorch
//! builds runtime keys as (functionality × backend bit); we list the runtime
//! keys directly, keeping every per-backend variant for the dense, autograd
//! and autocast families and the CPU/CUDA/Meta variants of the rarer ones.

macro_rules! dispatch_keys {
    ($($key:ident),* $(,)?) => {
        /// A runtime dispatch key. Higher discriminant = higher priority.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms, missing_docs)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum DispatchKey { $($key),* }

        impl DispatchKey {
            /// Every key, lowest priority first.
            pub const ALL: &'static [DispatchKey] = &[$(DispatchKey::$key),*];

            /// PyTorch's name of the key (`AutogradCPU`).
            pub fn name(self) -> &'static str {
                match self { $(DispatchKey::$key => stringify!($key)),* }
            }
        }
    };
}

dispatch_keys! {
    // Dense backends, in backend-bit order.
    CPU, CUDA, HIP, XLA, MPS, IPU, XPU, HPU, VE, Lazy, MTIA, MAIA,
    PrivateUse1, PrivateUse2, PrivateUse3, Meta,
    FPGA, Vulkan, Metal,
    QuantizedCPU, QuantizedCUDA, QuantizedMeta,
    CustomRNGKeyId, MkldnnCPU,
    SparseCPU, SparseCUDA, SparseMeta,
    SparseCsrCPU, SparseCsrCUDA, SparseCsrMeta,
    NestedTensorCPU, NestedTensorCUDA, NestedTensorMeta,
    BackendSelect, Fake, Python, FuncTorchDynamicLayerBackMode, Functionalize,
    Conjugate, Negative, ZeroTensor, ADInplaceOrView, AutogradOther,
    // Autograd, per backend.
    AutogradCPU, AutogradCUDA, AutogradHIP, AutogradXLA, AutogradMPS, AutogradIPU,
    AutogradXPU, AutogradHPU, AutogradVE, AutogradLazy, AutogradMTIA, AutogradMAIA,
    AutogradPrivateUse1, AutogradPrivateUse2, AutogradPrivateUse3, AutogradMeta,
    AutogradNestedTensor, Tracer,
    AutocastCPU, AutocastMTIA, AutocastMAIA, AutocastXPU, AutocastIPU, AutocastHPU,
    AutocastXLA, AutocastMPS, AutocastCUDA, AutocastPrivateUse1,
    FuncTorchBatched, BatchedNestedTensor, FuncTorchVmapMode, Batched, VmapMode,
    FuncTorchGradWrapper, DeferredInit, PythonTLSSnapshot, FuncTorchDynamicLayerFrontMode,
    TESTING_ONLY_GenericWrapper, TESTING_ONLY_GenericMode, PreDispatch, PythonDispatcher,
    // Never in a keyset: the table's first slot, where the walk of a call
    // whose keys all fall through ends (a Python complex's `_conj`).
    Undefined,
}

impl DispatchKey {
    /// Bit index in a [`super::keyset::DispatchKeySet`].
    pub(crate) fn bit(self) -> u32 {
        self as u32
    }

    /// The key with this bit index.
    pub(crate) fn from_bit(bit: u32) -> Option<DispatchKey> {
        DispatchKey::ALL.get(bit as usize).copied()
    }

    /// Parses a key name.
    pub fn from_name(name: &str) -> Option<DispatchKey> {
        DispatchKey::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// An autograd key (`AutogradOther`, `Autograd<Backend>`, `AutogradNestedTensor`).
    pub fn is_autograd(self) -> bool {
        (DispatchKey::AutogradOther..=DispatchKey::AutogradNestedTensor).contains(&self)
    }

    /// An autocast key.
    pub fn is_autocast(self) -> bool {
        (DispatchKey::AutocastCPU..=DispatchKey::AutocastPrivateUse1).contains(&self)
    }

    /// A dense backend key (`CPU` … `Meta`): where real kernels live.
    pub fn is_dense_backend(self) -> bool {
        self <= DispatchKey::Meta
    }

    /// A CPU backend key of another layout (`SparseCPU`, `NestedTensorCPU`):
    /// a walk that reaches its kernel ends there, as at a dense backend.
    pub fn is_layout_backend(self) -> bool {
        matches!(self, DispatchKey::SparseCPU | DispatchKey::NestedTensorCPU)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_observed_in_torch() {
        // highest first, for a CPU tensor: AutocastCPU, AutogradCPU, ADInplaceOrView, CPU
        assert!(DispatchKey::AutocastCPU > DispatchKey::AutogradCPU);
        assert!(DispatchKey::AutogradCPU > DispatchKey::AutogradOther);
        assert!(DispatchKey::AutogradOther > DispatchKey::ADInplaceOrView);
        assert!(DispatchKey::ADInplaceOrView > DispatchKey::BackendSelect);
        assert!(DispatchKey::BackendSelect > DispatchKey::NestedTensorMeta);
        assert!(DispatchKey::Meta > DispatchKey::CPU);
        assert!(DispatchKey::AutogradMeta > DispatchKey::AutogradCPU);
        assert!(DispatchKey::Python > DispatchKey::BackendSelect);
        assert!(DispatchKey::PythonDispatcher > DispatchKey::PreDispatch);
    }

    #[test]
    fn names_round_trip_and_fit_a_u128() {
        assert!(DispatchKey::ALL.len() <= 128);
        for (i, k) in DispatchKey::ALL.iter().enumerate() {
            assert_eq!(k.bit() as usize, i);
            assert_eq!(DispatchKey::from_name(k.name()), Some(*k));
        }
        assert_eq!(DispatchKey::AutogradCPU.name(), "AutogradCPU");
    }

    #[test]
    fn families() {
        assert!(DispatchKey::AutogradMeta.is_autograd());
        assert!(DispatchKey::AutogradOther.is_autograd());
        assert!(!DispatchKey::ADInplaceOrView.is_autograd());
        assert!(DispatchKey::AutocastCUDA.is_autocast());
        assert!(DispatchKey::Meta.is_dense_backend());
        assert!(!DispatchKey::FPGA.is_dense_backend());
    }
}
