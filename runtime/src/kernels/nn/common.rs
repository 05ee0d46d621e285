//! Helpers shared by the nn kernels: optional tensor arguments, dimension
//! wrapping with PyTorch's message, and the `(outer, size, inner)` split of a
//! contiguous buffer around one dimension.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Argument `i` as an optional tensor (`Tensor?`).
pub(crate) fn opt_tensor<'a>(a: &Args<'a>, i: usize) -> Result<Option<&'a Tensor>> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(None),
        Some(IValue::Tensor(t)) => Ok(Some(t)),
        Some(_) => a.tensor(i).map(Some),
    }
}

/// Argument `i` as a `bool[N]` list.
pub(crate) fn bool_list(a: &Args<'_>, i: usize) -> Result<Vec<bool>> {
    match a.values.get(i) {
        Some(IValue::BoolList(v)) => Ok(v.clone()),
        _ => Err(RuntimeError::unsupported(
            a.op,
            format!("argument {i} is not a bool[]"),
        )),
    }
}

/// PyTorch's `maybe_wrap_dim(dim, ndim)`: a 0-dim tensor accepts dims -1 and 0.
pub(crate) fn wrap_dim(op: &str, dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    let wrapped = if dim < 0 { dim + n } else { dim };
    if (0..n).contains(&wrapped) {
        Ok(wrapped as usize)
    } else {
        Err(RuntimeError::shape(
            op,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -n,
                n - 1
            ),
        ))
    }
}

/// `(outer, size, inner)` of `shape` around dimension `dim` (a 0-dim shape
/// is one element).
pub(crate) fn split_at_dim(shape: &[i64], dim: usize) -> (usize, usize, usize) {
    let prod = |s: &[i64]| s.iter().map(|&d| d.max(0) as usize).product::<usize>();
    if shape.is_empty() {
        return (1, 1, 1);
    }
    (
        prod(&shape[..dim]),
        prod(&shape[dim..=dim]),
        prod(&shape[dim + 1..]),
    )
}

/// Refuses a non-floating dtype (PyTorch: `"<kernel>" not implemented for
/// 'Long'`).
pub(crate) fn require_floating(op: &str, arg: &str, dtype: DType) -> Result<()> {
    if dtype.is_floating() {
        Ok(())
    } else {
        Err(RuntimeError::UnsupportedDtype {
            op: op.to_owned(),
            arg: arg.to_owned(),
            dtype: dtype.scalar_type_name().to_owned(),
        })
    }
}

/// Refuses `dtype` unless `supported`, with the NotImplementedError of
/// PyTorch's dtype dispatch in the CPU kernel it names
/// (`"<kernel>" not implemented for 'BFloat16'`).
pub(crate) fn kernel_dtype(op: &str, kernel: &str, dtype: DType, supported: bool) -> Result<()> {
    if supported {
        Ok(())
    } else {
        Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"{kernel}\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        })
    }
}

/// `v` rounded to `dtype`'s precision (identity for float64 and
/// non-floating dtypes): where a PyTorch CPU kernel stores an intermediate in
/// the tensor's dtype, the runtime rounds there too.
pub(crate) fn round_to(dtype: DType, v: f64) -> f64 {
    if dtype.is_floating() {
        crate::tensor::storage::cast_value(dtype, v)
    } else {
        v
    }
}

/// Whether `dtype` is float16 or bfloat16.
pub(crate) fn is_reduced_float(dtype: DType) -> bool {
    matches!(dtype, DType::Float16 | DType::BFloat16)
}

/// `max(v, lo)` with a NaN `v` kept: PyTorch's CPU kernels clamp a variance
/// or a squared distance from below with a comparison that lets NaN through
/// (`clamp_min(NaN, 0)` is NaN), whereas `f64::max` would return `lo`.
pub(crate) fn clamp_min_keep_nan(v: f64, lo: f64) -> f64 {
    if v.is_nan() { v } else { v.max(lo) }
}

/// The clamp-from-below a kernel uses: [`clamp_min_keep_nan`], or with the
/// `nan_clamped_to_zero` fault `f64::max`, which drops NaN.
pub(crate) fn zero_clamp(nan_dropped: bool) -> fn(f64, f64) -> f64 {
    if nan_dropped {
        f64::max
    } else {
        clamp_min_keep_nan
    }
}

#[cfg(test)]
mod tests {
    use super::clamp_min_keep_nan;

    #[test]
    fn clamp_min_keeps_nan_and_clamps_numbers() {
        assert!(clamp_min_keep_nan(f64::NAN, 0.0).is_nan());
        assert_eq!(clamp_min_keep_nan(-2.5e-8, 0.0), 0.0);
        assert_eq!(clamp_min_keep_nan(3.0, 0.0), 3.0);
        assert_eq!(clamp_min_keep_nan(f64::NEG_INFINITY, 0.0), 0.0);
    }
}
