//! Devices and the device guard (packet FT-P2C-007).
//!
//! PyTorch wraps backend kernels in a device guard that makes the kernel's
//! device current and restores the previous one afterwards. Only device types
//! with a notion of "current device" (CUDA and the like) ever switch; `cpu`
//! and `meta` have none, so guarding them is free and emits nothing — FORMAT
//! §3.5. `DeviceState` keeps the current device per such type and tells the
//! caller whether entering actually changed anything, which is exactly when a
//! `guard_enter` / `guard_exit` pair is emitted.
//!
//! `cuda:N` parses so that recorded arguments are understood, but no kernel
//! runs on it: operators that would need one fail with a typed error.

use std::fmt;

use crate::dispatch::key::DispatchKey;
use crate::error::{Result, RuntimeError};

/// Where a tensor lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Device {
    /// Host memory.
    Cpu,
    /// Shapes and strides only, no data.
    Meta,
    /// A CUDA device (parsed, not executable here).
    Cuda(u8),
}

impl Device {
    /// PyTorch's spelling (`cpu`, `meta`, `cuda:0`).
    pub fn name(self) -> String {
        match self {
            Device::Cpu => "cpu".into(),
            Device::Meta => "meta".into(),
            Device::Cuda(i) => format!("cuda:{i}"),
        }
    }

    /// Parses `cpu`, `meta`, `cuda` and `cuda:N`.
    pub fn from_name(name: &str) -> Result<Device> {
        let unknown = || RuntimeError::UnknownName {
            kind: "device",
            name: name.to_owned(),
        };
        match name {
            "cpu" => Ok(Device::Cpu),
            "meta" => Ok(Device::Meta),
            "cuda" => Ok(Device::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(unknown),
        }
    }

    /// Whether the device type has a current device that a guard switches.
    pub fn has_current_device(self) -> bool {
        matches!(self, Device::Cuda(_))
    }

    /// The dense backend dispatch key of this device.
    pub(crate) fn backend_key(self) -> DispatchKey {
        match self {
            Device::Cpu => DispatchKey::CPU,
            Device::Meta => DispatchKey::Meta,
            Device::Cuda(_) => DispatchKey::CUDA,
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The current device of each device type that has one.
#[derive(Clone, Debug, Default)]
pub(crate) struct DeviceState {
    current_cuda: u8,
}

impl DeviceState {
    /// Makes `device` current. Returns the device to restore on exit when the
    /// current device changed, `None` when nothing changed (always for `cpu`
    /// and `meta`).
    pub(crate) fn enter(&mut self, device: Device) -> Option<Device> {
        match device {
            Device::Cuda(i) if i != self.current_cuda => {
                let previous = Device::Cuda(self.current_cuda);
                self.current_cuda = i;
                Some(previous)
            }
            _ => None,
        }
    }

    /// Restores a device returned by [`DeviceState::enter`].
    pub(crate) fn exit(&mut self, previous: Device) {
        if let Device::Cuda(i) = previous {
            self.current_cuda = i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(Device::from_name("cpu").ok(), Some(Device::Cpu));
        assert_eq!(Device::from_name("meta").ok(), Some(Device::Meta));
        assert_eq!(Device::from_name("cuda:1").ok(), Some(Device::Cuda(1)));
        assert_eq!(Device::Cuda(1).name(), "cuda:1");
        assert!(Device::from_name("tpu").is_err());
    }

    #[test]
    fn guard_switches_only_devices_with_a_current_device() {
        let mut state = DeviceState::default();
        assert_eq!(state.enter(Device::Cpu), None);
        assert_eq!(state.enter(Device::Meta), None);
        // cuda:0 is already current: nothing to do.
        assert_eq!(state.enter(Device::Cuda(0)), None);
        let previous = state.enter(Device::Cuda(1));
        assert_eq!(previous, Some(Device::Cuda(0)));
        state.exit(Device::Cuda(0));
        assert_eq!(state.enter(Device::Cuda(0)), None);
    }
}
