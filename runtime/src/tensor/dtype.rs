//! Element types.
//!
//! The enum names every dtype a trace may mention so that replay can parse any
//! recorded argument, but only [`DType::Float32`] has kernels. Asking a kernel
//! for another dtype is a typed [`crate::RuntimeError::UnsupportedDtype`], never
//! a silent conversion. Adding a dtype means adding a `StorageData` variant and
//! teaching the kernels' element loops about it.

use std::fmt;

use crate::error::{Result, RuntimeError};

/// A tensor element type, named as PyTorch names it (without `torch.`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `torch.float32`: the only dtype with kernels.
    Float32,
    /// `torch.float64`.
    Float64,
    /// `torch.float16`.
    Float16,
    /// `torch.bfloat16`.
    BFloat16,
    /// `torch.int64`.
    Int64,
    /// `torch.int32`.
    Int32,
    /// `torch.int16`.
    Int16,
    /// `torch.int8`.
    Int8,
    /// `torch.uint8`.
    UInt8,
    /// `torch.bool`.
    Bool,
}

impl DType {
    const NAMES: [(DType, &'static str); 10] = [
        (DType::Float32, "float32"),
        (DType::Float64, "float64"),
        (DType::Float16, "float16"),
        (DType::BFloat16, "bfloat16"),
        (DType::Int64, "int64"),
        (DType::Int32, "int32"),
        (DType::Int16, "int16"),
        (DType::Int8, "int8"),
        (DType::UInt8, "uint8"),
        (DType::Bool, "bool"),
    ];

    /// PyTorch's name (`"float32"`).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(d, _)| *d == self)
            .map_or("unknown", |(_, n)| n)
    }

    /// Parses a PyTorch dtype name, with or without the `torch.` prefix.
    pub fn from_name(name: &str) -> Result<DType> {
        let bare = name.strip_prefix("torch.").unwrap_or(name);
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == bare)
            .map(|(d, _)| *d)
            .ok_or_else(|| RuntimeError::UnknownName {
                kind: "dtype",
                name: name.to_owned(),
            })
    }

    /// Whether ft-runtime has kernels for this dtype.
    pub fn is_supported(self) -> bool {
        self == DType::Float32
    }

    /// Fails with [`RuntimeError::UnsupportedDtype`] unless kernels exist.
    pub(crate) fn check_supported(self, op: &str, arg: &str) -> Result<()> {
        if self.is_supported() {
            Ok(())
        } else {
            Err(RuntimeError::UnsupportedDtype {
                op: op.to_owned(),
                arg: arg.to_owned(),
                dtype: self.name().to_owned(),
            })
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (d, n) in DType::NAMES {
            assert_eq!(d.name(), n);
            assert_eq!(DType::from_name(n).ok(), Some(d));
        }
        assert_eq!(DType::from_name("torch.float32").ok(), Some(DType::Float32));
        assert!(DType::from_name("qint8").is_err());
    }

    #[test]
    fn only_float32_is_supported() {
        assert!(DType::Float32.check_supported("op", "self").is_ok());
        let err = DType::Int64.check_supported("aten.add.Tensor", "other");
        assert!(
            matches!(err, Err(RuntimeError::UnsupportedDtype { dtype, .. }) if dtype == "int64")
        );
    }
}
