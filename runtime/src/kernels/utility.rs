//! Tensor utilities: `linalg_cross`, `trace`, `rot90`, `equal`, `nansum`,
//! `block_diag`, `renorm`.
//!
//! Floating results are accumulated in double and rounded once (PyTorch's
//! CPU accumulate type for float32 and float64); integer and bool sums are
//! int64. Layouts are PyTorch's: `linalg_cross`, `trace` and `nansum`
//! results are contiguous, `rot90` is a flip (TensorIterator's layout)
//! followed by a transpose for odd quarter turns.

mod addr;
mod block_diag;
mod cross;
mod renorm;
mod rot90;
mod sums;

use super::Kernel;

/// The reduced dimensions of a `dim` argument (None or empty: all),
/// wrapped and sorted, for the autograd rows.
pub(crate) fn utility_dims(
    op: &str,
    dim: Option<Vec<i64>>,
    ndim: usize,
) -> crate::error::Result<Vec<usize>> {
    sums::reduced_dims(op, dim, ndim)
}

/// The kernel of `op` if it is one of these utilities.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.linalg_cross.default" => cross::linalg_cross,
        "aten.block_diag.default" => block_diag::block_diag,
        "aten.trace.default" => sums::trace,
        "aten.nansum.default" => sums::nansum,
        "aten.equal.default" => sums::equal,
        "aten.rot90.default" => rot90::rot90,
        "aten.renorm.default" => renorm::renorm,
        "aten.addr.default" => addr::addr,
        _ => return None,
    })
}
