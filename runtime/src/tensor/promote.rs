//! Type promotion, as `torch.result_type` and `torch.promote_types` define it.
//!
//! * Categories order bool < integer < floating < complex. Within floating,
//!   float16 and bfloat16 promote together to float32; within integers,
//!   uint8 and int8 promote together to int16.
//! * Operands have three priorities: dimensioned tensors, zero-dim tensors,
//!   and wrapped Python numbers. A lower-priority group only changes the
//!   result when it is of a *higher category*: `int64_tensor * 2.5` is the
//!   default float dtype, `float16_tensor * 2.5` stays float16,
//!   `int32_tensor + zero_dim_int64` stays int32.
//! * A complex result keeps the precision of the widest real part:
//!   float64 + complex64 is complex128, float16 + complex64 is complex64.
//!   A lower-priority complex operand makes a floating higher group complex
//!   of its own precision (`float64_tensor * zero_dim_complex64` is complex128).
//! * A wrapped Python float counts as the default dtype, a Python complex as
//!   the default dtype's complex type, a Python int as int64, a Python bool
//!   as bool.
//! * In-place and `out=` results must be castable from the computed type:
//!   floating never casts to integer, and nothing but bool casts to bool.

use super::dtype::DType;
use crate::error::{Result, RuntimeError};

/// One operand of a promoting operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PromoteOperand {
    /// A tensor with this dtype and number of dimensions.
    Tensor { dtype: DType, dim: usize },
    /// A wrapped Python number (its natural dtype: bool, int64 or float64).
    Number(DType),
}

fn rank(d: DType) -> u8 {
    match d {
        DType::Bool => 0,
        DType::UInt8 | DType::Int8 => 1,
        DType::Int16 => 2,
        DType::Int32 => 3,
        DType::Int64 => 4,
        DType::Float16 | DType::BFloat16 => 5,
        DType::Float32 => 6,
        DType::Float64 => 7,
        DType::Complex64 => 8,
        DType::Complex128 => 9,
    }
}

/// `torch.promote_types(a, b)`.
pub(crate) fn promote_types(a: DType, b: DType) -> DType {
    if a == b {
        return a;
    }
    if a.is_complex() || b.is_complex() {
        let parts = promote_types(a.to_real(), b.to_real());
        return if parts == DType::Float64 {
            DType::Complex128
        } else {
            DType::Complex64
        };
    }
    match (a, b) {
        (DType::UInt8, DType::Int8) | (DType::Int8, DType::UInt8) => DType::Int16,
        (DType::Float16, DType::BFloat16) | (DType::BFloat16, DType::Float16) => DType::Float32,
        _ if rank(a) >= rank(b) => a,
        _ => b,
    }
}

fn promote_opt(a: Option<DType>, b: DType) -> DType {
    a.map_or(b, |a| promote_types(a, b))
}

/// PyTorch's `combine_categories(higher, lower)`: the lower-priority result
/// only matters when it is of a higher category.
fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_complex() {
                Some(h)
            } else if l.is_complex() {
                // a floating higher group keeps its precision
                Some(if h.is_floating() {
                    h.to_complex().unwrap_or(DType::Complex64)
                } else {
                    l
                })
            } else if h.is_floating() {
                Some(h)
            } else if h == DType::Bool || l.is_floating() {
                Some(promote_types(h, l))
            } else {
                Some(h)
            }
        }
    }
}

/// `torch.result_type` of `operands` with `default` as the default dtype.
/// `None` only when there are no operands.
pub(crate) fn result_type(operands: &[PromoteOperand], default: DType) -> Option<DType> {
    let (mut dimmed, mut zero_dim, mut wrapped) = (None, None, None);
    for op in operands {
        match *op {
            PromoteOperand::Tensor { dtype, dim } if dim > 0 => {
                dimmed = Some(promote_opt(dimmed, dtype))
            }
            PromoteOperand::Tensor { dtype, .. } => zero_dim = Some(promote_opt(zero_dim, dtype)),
            PromoteOperand::Number(d) => {
                let d = if d.is_floating() {
                    default
                } else if d.is_complex() {
                    default.to_complex().unwrap_or(DType::Complex64)
                } else {
                    d
                };
                wrapped = Some(promote_opt(wrapped, d));
            }
        }
    }
    combine(dimmed, combine(zero_dim, wrapped))
}

/// `torch.can_cast(from, to)`.
pub(crate) fn can_cast(from: DType, to: DType) -> bool {
    !(from.is_complex() && !to.is_complex()
        || from.is_floating() && to.is_integral(false)
        || from != DType::Bool && to == DType::Bool)
}

/// Fails with PyTorch's message unless a result of type `computed` can be
/// written into an in-place operator's `self` of type `out`.
pub(crate) fn check_inplace_cast(op: &str, computed: DType, out: DType) -> Result<()> {
    if can_cast(computed, out) {
        Ok(())
    } else {
        Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "result type {} can't be cast to the desired output type {}",
                computed.scalar_type_name(),
                out.scalar_type_name()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;
    use PromoteOperand::{Number, Tensor as T};

    fn t(dtype: DType) -> PromoteOperand {
        T { dtype, dim: 1 }
    }
    fn z(dtype: DType) -> PromoteOperand {
        T { dtype, dim: 0 }
    }

    #[test]
    fn promote_types_matches_torch_table() {
        // torch.promote_types, torch 2.15
        assert_eq!(promote_types(UInt8, Int8), Int16);
        assert_eq!(promote_types(Float16, BFloat16), Float32);
        assert_eq!(promote_types(Int64, Float16), Float16);
        assert_eq!(promote_types(Bool, Int8), Int8);
        assert_eq!(promote_types(UInt8, Int32), Int32);
        assert_eq!(promote_types(Float32, Float64), Float64);
        assert_eq!(promote_types(Int32, BFloat16), BFloat16);
        assert_eq!(promote_types(Float32, Complex64), Complex64);
        assert_eq!(promote_types(Float64, Complex64), Complex128);
        assert_eq!(promote_types(Complex64, Float16), Complex64);
        assert_eq!(promote_types(Int64, Complex64), Complex64);
        assert_eq!(promote_types(Complex128, Float32), Complex128);
    }

    #[test]
    fn complex_is_the_highest_category() {
        // torch.result_type, torch 2.15
        assert_eq!(
            result_type(&[t(Float64), z(Complex64)], Float32),
            Some(Complex128)
        );
        assert_eq!(
            result_type(&[t(Float32), z(Complex128)], Float32),
            Some(Complex64)
        );
        assert_eq!(
            result_type(&[t(Int64), z(Complex128)], Float32),
            Some(Complex128)
        );
        assert_eq!(
            result_type(&[t(Complex64), Number(Float64)], Float64),
            Some(Complex64)
        );
        assert_eq!(
            result_type(&[t(Float32), Number(Complex64)], Float64),
            Some(Complex64)
        );
        assert!(!can_cast(Complex64, Float64));
        assert!(can_cast(Float64, Complex64));
    }

    #[test]
    fn result_type_respects_priorities() {
        // torch.tensor([1]) * 2.5 -> float32 (default dtype)
        assert_eq!(
            result_type(&[t(Int64), Number(Float64)], Float32),
            Some(Float32)
        );
        assert_eq!(
            result_type(&[t(Int64), Number(Float64)], Float64),
            Some(Float64)
        );
        // half tensor * 2.5 stays half
        assert_eq!(
            result_type(&[t(Float16), Number(Float64)], Float32),
            Some(Float16)
        );
        // int32 tensor + python int stays int32; + 0-dim int64 too
        assert_eq!(
            result_type(&[t(Int32), Number(Int64)], Float32),
            Some(Int32)
        );
        assert_eq!(result_type(&[t(Int32), z(Int64)], Float32), Some(Int32));
        // float32 tensor + 0-dim float64 stays float32; int tensor + 0-dim float64 -> float64
        assert_eq!(
            result_type(&[t(Float32), z(Float64)], Float32),
            Some(Float32)
        );
        assert_eq!(result_type(&[t(Int64), z(Float64)], Float32), Some(Float64));
        // bool tensor + python int -> int64; bool + bool -> bool
        assert_eq!(result_type(&[t(Bool), Number(Int64)], Float32), Some(Int64));
        assert_eq!(result_type(&[t(Bool), Number(Bool)], Float32), Some(Bool));
        // two 0-dim tensors promote normally
        assert_eq!(result_type(&[z(Int32), z(Float64)], Float32), Some(Float64));
        assert_eq!(result_type(&[], Float32), None);
    }

    #[test]
    fn inplace_casts() {
        assert!(can_cast(Int64, Float32));
        assert!(!can_cast(Float32, Int64));
        assert!(!can_cast(Int64, Bool));
        assert!(can_cast(Bool, Bool));
        let err = check_inplace_cast("aten.add_.Tensor", Float32, Int64);
        assert!(err.is_err_and(|e| {
            e.to_string()
                .contains("result type Float can't be cast to the desired output type Long")
        }));
    }
}
