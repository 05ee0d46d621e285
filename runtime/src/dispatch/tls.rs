//! Thread-local dispatch state: the include and exclude key sets.
//!
//! PyTorch keeps per-thread sets of keys to add to (include) and remove from
//! (exclude) every dispatch. We keep one [`LocalDispatchKeySet`] per runtime
//! (a runtime is single-threaded) and model the guards the PyTorch code paths
//! we reproduce install. Values observed in torch 2.15 with
//! `torch._C._dispatch_tls_local_include_set()` / `_exclude_set()`:
//!
//! | state | include | exclude |
//! |---|---|---|
//! | default (also under `no_grad`: grad mode is a flag, not a key) | BackendSelect, ADInplaceOrView | all Autocast keys |
//! | `inference_mode` | BackendSelect | all Autocast keys, all Autograd keys |
//! | `torch.autocast("cpu")` (any dtype; [`super::autocast`]) | unchanged | − AutocastCPU |
//! | a program-defined operator's kernel (`torch.library.custom_op`; PyTorch's `AutoDispatchBelowAutograd`) | unchanged | + all Autograd keys |
//! | Python tensor factories (`torch.randn`, `torch.empty`, `torch.ones_like`, …; PyTorch's `AutoDispatchBelowADInplaceOrView`) | unchanged | + all Autograd keys + ADInplaceOrView |

use super::key::DispatchKey;
use super::keyset::DispatchKeySet;

/// Include / exclude sets applied to every dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalDispatchKeySet {
    /// Keys added to every call's keyset.
    pub included: DispatchKeySet,
    /// Keys removed from every call's keyset.
    pub excluded: DispatchKeySet,
}

impl Default for LocalDispatchKeySet {
    fn default() -> LocalDispatchKeySet {
        LocalDispatchKeySet {
            included: DispatchKeySet::of(&[
                DispatchKey::BackendSelect,
                DispatchKey::ADInplaceOrView,
            ]),
            excluded: DispatchKeySet::autocast(),
        }
    }
}

impl LocalDispatchKeySet {
    /// The state inside `torch.inference_mode()`.
    pub fn inference_mode() -> LocalDispatchKeySet {
        let d = LocalDispatchKeySet::default();
        LocalDispatchKeySet {
            included: d.included.without(DispatchKey::ADInplaceOrView),
            excluded: d.excluded.union(DispatchKeySet::autograd()),
        }
    }

    /// This state with an autocast key enabled or disabled: enabling
    /// autocast for a device type takes its `Autocast<Backend>` key out of
    /// the excluded set (PyTorch's `set_autocast_enabled`).
    #[must_use]
    pub fn with_autocast(self, key: DispatchKey, enabled: bool) -> LocalDispatchKeySet {
        LocalDispatchKeySet {
            included: self.included,
            excluded: if enabled {
                self.excluded.without(key)
            } else {
                self.excluded.with(key)
            },
        }
    }

    /// This state with PyTorch's `AutoDispatchBelowAutograd` guard applied,
    /// as an operator's autograd kernel applies it before calling the
    /// operator's kernel: the autograd keys excluded, ADInplaceOrView kept.
    #[must_use]
    pub fn below_autograd(self) -> LocalDispatchKeySet {
        LocalDispatchKeySet {
            included: self.included,
            excluded: self.excluded.union(DispatchKeySet::autograd()),
        }
    }

    /// This state with PyTorch's `AutoDispatchBelowADInplaceOrView` guard
    /// applied, as the Python bindings of tensor factories do.
    #[must_use]
    pub fn below_ad_inplace_or_view(self) -> LocalDispatchKeySet {
        LocalDispatchKeySet {
            included: self.included,
            excluded: self
                .excluded
                .union(DispatchKeySet::autograd())
                .with(DispatchKey::ADInplaceOrView),
        }
    }

    /// `(tensor keys ∪ include) − exclude`.
    pub fn apply(self, tensor_keys: DispatchKeySet) -> DispatchKeySet {
        tensor_keys.union(self.included).difference(self.excluded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Device;

    #[test]
    fn default_keyset_of_a_cpu_op() {
        let tls = LocalDispatchKeySet::default();
        let ks = tls.apply(DispatchKeySet::for_tensor(Device::Cpu, false));
        assert_eq!(
            ks.names(),
            ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "CPU"]
        );
    }

    #[test]
    fn factories_run_below_autograd() {
        let tls = LocalDispatchKeySet::default().below_ad_inplace_or_view();
        assert_eq!(tls.apply(DispatchKeySet::EMPTY).names(), ["BackendSelect"]);
        let ks = tls.apply(DispatchKeySet::for_tensor(Device::Cpu, false));
        assert_eq!(ks.names(), ["BackendSelect", "CPU"]);
    }

    #[test]
    fn cpu_autocast_adds_its_key_to_cpu_calls_only() {
        let tls = LocalDispatchKeySet::default().with_autocast(DispatchKey::AutocastCPU, true);
        let ks = tls.apply(DispatchKeySet::for_tensor(Device::Cpu, false));
        assert_eq!(
            ks.names(),
            [
                "AutocastCPU",
                "AutogradCPU",
                "ADInplaceOrView",
                "BackendSelect",
                "CPU"
            ]
        );
        // A factory without tensor arguments has no autocast key.
        let below = tls.below_ad_inplace_or_view();
        assert_eq!(
            below.apply(DispatchKeySet::EMPTY).names(),
            ["BackendSelect"]
        );
        let off = tls.with_autocast(DispatchKey::AutocastCPU, false);
        assert_eq!(off, LocalDispatchKeySet::default());
    }

    #[test]
    fn inference_mode_drops_autograd() {
        let tls = LocalDispatchKeySet::inference_mode();
        let ks = tls.apply(DispatchKeySet::for_tensor(Device::Cpu, false));
        assert_eq!(ks.names(), ["ADInplaceOrView", "BackendSelect", "CPU"]);
        let ks = tls.apply(DispatchKeySet::for_tensor(Device::Cpu, true));
        assert_eq!(ks.names(), ["BackendSelect", "CPU"]);
    }
}
