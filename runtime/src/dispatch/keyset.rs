//! `DispatchKeySet`: a set of runtime keys, iterated highest priority first.
//!
//! A 128-bit mask indexed by [`DispatchKey`] discriminant, so "highest
//! priority" is "highest set bit". The dispatcher computes
//! `(∪ tensor keys ∪ TLS include) − TLS exclude` with these operations.

use std::fmt;

use super::key::DispatchKey;
use crate::device::Device;

/// A set of dispatch keys.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DispatchKeySet(u128);

impl DispatchKeySet {
    /// The empty set.
    pub const EMPTY: DispatchKeySet = DispatchKeySet(0);

    /// The set of the given keys.
    pub fn of(keys: &[DispatchKey]) -> DispatchKeySet {
        keys.iter().fold(DispatchKeySet::EMPTY, |s, &k| s.with(k))
    }

    /// All keys matching `pred`.
    pub fn matching(pred: impl Fn(DispatchKey) -> bool) -> DispatchKeySet {
        DispatchKeySet::of(
            &DispatchKey::ALL
                .iter()
                .copied()
                .filter(|&k| pred(k))
                .collect::<Vec<_>>(),
        )
    }

    /// Every autograd key (PyTorch's `autograd_dispatch_keyset`).
    pub fn autograd() -> DispatchKeySet {
        DispatchKeySet::matching(DispatchKey::is_autograd)
    }

    /// Every autocast key.
    pub fn autocast() -> DispatchKeySet {
        DispatchKeySet::matching(DispatchKey::is_autocast)
    }

    /// The keys a tensor on `device` carries (`torch._C._dispatch_keys`):
    /// backend, `ADInplaceOrView`, `Autograd<Backend>` and `Autocast<Backend>`
    /// where one exists; inference tensors keep only backend and autocast.
    pub fn for_tensor(device: Device, inference: bool) -> DispatchKeySet {
        let (backend, autograd, autocast) = match device {
            Device::Cpu => (
                DispatchKey::CPU,
                DispatchKey::AutogradCPU,
                Some(DispatchKey::AutocastCPU),
            ),
            Device::Meta => (DispatchKey::Meta, DispatchKey::AutogradMeta, None),
            Device::Cuda(_) => (
                DispatchKey::CUDA,
                DispatchKey::AutogradCUDA,
                Some(DispatchKey::AutocastCUDA),
            ),
        };
        let mut set = DispatchKeySet::of(&[backend]);
        if let Some(k) = autocast {
            set = set.with(k);
        }
        if !inference {
            set = set.with(DispatchKey::ADInplaceOrView).with(autograd);
        }
        set
    }

    /// This set plus `key`.
    #[must_use]
    pub fn with(self, key: DispatchKey) -> DispatchKeySet {
        DispatchKeySet(self.0 | (1u128 << key.bit()))
    }

    /// This set minus `key`.
    #[must_use]
    pub fn without(self, key: DispatchKey) -> DispatchKeySet {
        DispatchKeySet(self.0 & !(1u128 << key.bit()))
    }

    /// Union.
    #[must_use]
    pub fn union(self, other: DispatchKeySet) -> DispatchKeySet {
        DispatchKeySet(self.0 | other.0)
    }

    /// Difference.
    #[must_use]
    pub fn difference(self, other: DispatchKeySet) -> DispatchKeySet {
        DispatchKeySet(self.0 & !other.0)
    }

    /// Membership.
    pub fn contains(self, key: DispatchKey) -> bool {
        self.0 & (1u128 << key.bit()) != 0
    }

    /// Whether no key is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The highest-priority key.
    pub fn highest(self) -> Option<DispatchKey> {
        if self.0 == 0 {
            None
        } else {
            DispatchKey::from_bit(127 - self.0.leading_zeros())
        }
    }

    /// Keys, highest priority first.
    pub fn iter(self) -> impl Iterator<Item = DispatchKey> {
        let mut rest = self;
        std::iter::from_fn(move || {
            let k = rest.highest()?;
            rest = rest.without(k);
            Some(k)
        })
    }

    /// Key names, highest priority first (the `keyset` field of an op event).
    pub fn names(self) -> Vec<String> {
        self.iter().map(|k| k.name().to_owned()).collect()
    }
}

impl fmt::Debug for DispatchKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DispatchKeySet({})", self.names().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DispatchKey::*;

    #[test]
    fn tensor_keys_match_torch() {
        // torch._C._dispatch_keys(torch.randn(2)) == (CPU, ADInplaceOrView, AutogradCPU, AutocastCPU)
        assert_eq!(
            DispatchKeySet::for_tensor(Device::Cpu, false).names(),
            ["AutocastCPU", "AutogradCPU", "ADInplaceOrView", "CPU"]
        );
        // meta: (Meta, ADInplaceOrView, AutogradMeta)
        assert_eq!(
            DispatchKeySet::for_tensor(Device::Meta, false).names(),
            ["AutogradMeta", "ADInplaceOrView", "Meta"]
        );
        // inference tensors: (CPU, AutocastCPU)
        assert_eq!(
            DispatchKeySet::for_tensor(Device::Cpu, true).names(),
            ["AutocastCPU", "CPU"]
        );
    }

    #[test]
    fn set_algebra() {
        let s = DispatchKeySet::of(&[CPU, AutogradCPU, BackendSelect]);
        assert_eq!(s.highest(), Some(AutogradCPU));
        assert!(s.contains(BackendSelect));
        let t = s.difference(DispatchKeySet::autograd());
        assert_eq!(t.names(), ["BackendSelect", "CPU"]);
        assert!(DispatchKeySet::EMPTY.highest().is_none());
        assert_eq!(
            DispatchKeySet::of(&[PythonDispatcher]).highest(),
            Some(PythonDispatcher)
        );
    }
}
