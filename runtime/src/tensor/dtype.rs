//! Element types.
//!
//! Every dtype here has storage and kernels (see `tensor::storage` for how
//! elements are read and cast, and [`crate::tensor::promote`] for PyTorch's
//! type promotion). Complex dtypes are stored as interleaved (real, imag)
//! pairs of their real dtype (`complex64`: two float32, element size 8), as
//! PyTorch lays them out. A dtype name the enum does not know (complex32,
//! quantized, float8) is a typed [`crate::RuntimeError::UnknownName`] at
//! parse time.

use std::fmt;

use crate::error::{Result, RuntimeError};

/// A tensor element type, named as PyTorch names it (without `torch.`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `torch.float32`.
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
    /// `torch.complex64` (`torch.cfloat`): two float32.
    Complex64,
    /// `torch.complex128` (`torch.cdouble`): two float64.
    Complex128,
}

impl DType {
    /// Every dtype, in PyTorch's promotion order within each category.
    pub const ALL: [DType; 12] = [
        DType::Bool,
        DType::UInt8,
        DType::Int8,
        DType::Int16,
        DType::Int32,
        DType::Int64,
        DType::Float16,
        DType::BFloat16,
        DType::Float32,
        DType::Float64,
        DType::Complex64,
        DType::Complex128,
    ];

    const NAMES: [(DType, &'static str); 12] = [
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
        (DType::Complex64, "complex64"),
        (DType::Complex128, "complex128"),
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

    /// Whether ft-runtime has kernels for this dtype (all of them do).
    pub fn is_supported(self) -> bool {
        Self::ALL.contains(&self)
    }

    /// PyTorch's C++ `ScalarType` name, as its error messages print it
    /// (`Float`, `Long`, `Bool`).
    pub fn scalar_type_name(self) -> &'static str {
        match self {
            DType::Float32 => "Float",
            DType::Float64 => "Double",
            DType::Float16 => "Half",
            DType::BFloat16 => "BFloat16",
            DType::Int64 => "Long",
            DType::Int32 => "Int",
            DType::Int16 => "Short",
            DType::Int8 => "Char",
            DType::UInt8 => "Byte",
            DType::Bool => "Bool",
            DType::Complex64 => "ComplexFloat",
            DType::Complex128 => "ComplexDouble",
        }
    }

    /// The C++ element type's name as c10's `TypeMeta` prints it, which is
    /// how messages that print `tensor.dtype()` name a dtype (`float`,
    /// `c10::BFloat16`, `long int`): PyTorch's `mm` dtype check, `baddbmm`'s
    /// input check, `lerp`'s and `histogram`'s messages.
    pub fn type_meta_name(self) -> &'static str {
        match self {
            DType::Float32 => "float",
            DType::Float64 => "double",
            DType::Float16 => "c10::Half",
            DType::BFloat16 => "c10::BFloat16",
            DType::Int64 => "long int",
            DType::Int32 => "int",
            DType::Int16 => "short int",
            DType::Int8 => "signed char",
            DType::UInt8 => "unsigned char",
            DType::Bool => "bool",
            DType::Complex64 => "c10::complex<float>",
            DType::Complex128 => "c10::complex<double>",
        }
    }

    /// The dtype's index in c10's `ScalarType` enum (`Float` 6, `Double` 7,
    /// `Bool` 11, `BFloat16` 15): how a `ScalarType` number is written.
    pub fn scalar_type_index(self) -> i64 {
        match self {
            DType::UInt8 => 0,
            DType::Int8 => 1,
            DType::Int16 => 2,
            DType::Int32 => 3,
            DType::Int64 => 4,
            DType::Float16 => 5,
            DType::Float32 => 6,
            DType::Float64 => 7,
            DType::Complex64 => 9,
            DType::Complex128 => 10,
            DType::Bool => 11,
            DType::BFloat16 => 15,
        }
    }

    /// The dtype at `index` of c10's `ScalarType` enum; None for the
    /// indices of dtypes the runtime does not have (quantized, complex32,
    /// float8).
    pub fn from_scalar_type_index(index: i64) -> Option<DType> {
        Self::ALL
            .into_iter()
            .find(|d| d.scalar_type_index() == index)
    }

    /// Bytes per element.
    pub fn element_size(self) -> usize {
        match self {
            DType::Complex128 => 16,
            DType::Float64 | DType::Int64 | DType::Complex64 => 8,
            DType::Float32 | DType::Int32 => 4,
            DType::Float16 | DType::BFloat16 | DType::Int16 => 2,
            DType::Int8 | DType::UInt8 | DType::Bool => 1,
        }
    }

    /// A floating-point dtype (the only ones autograd differentiates here).
    pub fn is_floating(self) -> bool {
        matches!(
            self,
            DType::Float32 | DType::Float64 | DType::Float16 | DType::BFloat16
        )
    }

    /// An integer dtype; `include_bool` counts bool as one.
    pub fn is_integral(self, include_bool: bool) -> bool {
        match self {
            DType::Bool => include_bool,
            other => !other.is_floating() && !other.is_complex(),
        }
    }

    /// A complex dtype (`torch.is_complex`).
    pub fn is_complex(self) -> bool {
        matches!(self, DType::Complex64 | DType::Complex128)
    }

    /// The real dtype of a complex one's parts (`complex64` → `float32`,
    /// PyTorch's `toRealValueType`); other dtypes are their own.
    pub fn to_real(self) -> DType {
        match self {
            DType::Complex64 => DType::Float32,
            DType::Complex128 => DType::Float64,
            other => other,
        }
    }

    /// The complex dtype with parts of this floating dtype (`float32` →
    /// `complex64`, `float64` → `complex128`; PyTorch's `toComplexType`,
    /// which has no complex type for float16/bfloat16 on CPU: `None`).
    pub fn to_complex(self) -> Option<DType> {
        match self {
            DType::Float32 | DType::Complex64 => Some(DType::Complex64),
            DType::Float64 | DType::Complex128 => Some(DType::Complex128),
            _ => None,
        }
    }

    /// Real scalars per element: 2 for complex dtypes (their storage holds
    /// interleaved parts), 1 otherwise.
    pub(crate) fn parts(self) -> usize {
        if self.is_complex() { 2 } else { 1 }
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
    fn scalar_type_indices_are_c10s_and_round_trip() {
        assert_eq!(DType::Float32.scalar_type_index(), 6);
        assert_eq!(DType::Float64.scalar_type_index(), 7);
        assert_eq!(DType::Complex64.scalar_type_index(), 9);
        assert_eq!(DType::Bool.scalar_type_index(), 11);
        assert_eq!(DType::BFloat16.scalar_type_index(), 15);
        for d in DType::ALL {
            assert_eq!(
                DType::from_scalar_type_index(d.scalar_type_index()),
                Some(d)
            );
        }
        assert_eq!(DType::from_scalar_type_index(8), None); // complex32
        assert_eq!(DType::from_scalar_type_index(12), None); // qint8
    }

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
    fn every_dtype_is_supported_and_classified() {
        for d in DType::ALL {
            assert!(d.is_supported());
            let kinds = [d.is_floating(), d.is_integral(true), d.is_complex()];
            assert_eq!(kinds.iter().filter(|&&k| k).count(), 1, "{d}");
        }
        assert_eq!(DType::Complex64.element_size(), 8);
        assert_eq!(DType::Complex128.element_size(), 16);
        assert_eq!(DType::Complex64.to_real(), DType::Float32);
        assert_eq!(DType::Float64.to_complex(), Some(DType::Complex128));
        assert_eq!(DType::Complex128.scalar_type_name(), "ComplexDouble");
        assert!(!DType::Bool.is_integral(false));
        assert_eq!(DType::Int64.scalar_type_name(), "Long");
    }
}
