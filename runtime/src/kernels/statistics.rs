//! CPU kernels of the counting operators, the order statistics and the
//! scatter/index reductions.
//!
//! | submodule | operators |
//! |---|---|
//! | [`counting`] | `bincount`, `histc`, `_unique`, `_unique2`, `unique_consecutive`, `unique_dim`, `count_nonzero` (both), `tril_indices`/`triu_indices` |
//! | [`histogram`] | `histogram` (bin count and edges tensor), `_histogramdd_bin_edges`, `_histogramdd_from_bin_cts`, `_histogramdd_from_bin_tensors` |
//! | [`order`] | `kthvalue`, `median`/`nanmedian` (all-reduce and `.dim`), `mode`, `cummax`/`cummin` |
//! | [`scatter_reduce`] | `scatter_reduce.two`, `index_reduce`, `scatter.reduce`, `scatter.value_reduce` and their in-place forms |

mod counting;
mod histogram;
mod order;
mod scatter_reduce;

use super::Kernel;
use crate::error::RuntimeError;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.bincount.default" => counting::bincount,
        "aten.histc.default" => counting::histc,
        "aten.histogram.bin_ct" => histogram::histogram_bin_ct,
        "aten.histogram.bins_tensor" => histogram::histogram_bins_tensor,
        "aten._histogramdd_bin_edges.default" => histogram::histogramdd_bin_edges,
        "aten._histogramdd_from_bin_cts.default" => histogram::histogramdd_from_bin_cts,
        "aten._histogramdd_from_bin_tensors.default" => histogram::histogramdd_from_bin_tensors,
        "aten._unique.default" => counting::unique,
        "aten._unique2.default" => counting::unique2,
        "aten.unique_consecutive.default" => counting::unique_consecutive,
        "aten.unique_dim.default" => counting::unique_dim,
        "aten.count_nonzero.default" => counting::count_nonzero,
        "aten.count_nonzero.dim_IntList" => counting::count_nonzero_dims,
        "aten.tril_indices.default" => counting::tril_indices,
        "aten.triu_indices.default" => counting::triu_indices,
        "aten.kthvalue.default" => order::kthvalue,
        "aten.median.default" => order::median,
        "aten.nanmedian.default" => order::nanmedian,
        "aten.median.dim" => order::median_dim,
        "aten.nanmedian.dim" => order::nanmedian_dim,
        "aten.mode.default" => order::mode,
        "aten.cummax.default" => order::cummax,
        "aten.cummin.default" => order::cummin,
        "aten.scatter_reduce.two" => scatter_reduce::scatter_reduce_two,
        "aten.scatter_reduce_.two" => scatter_reduce::scatter_reduce_two_,
        "aten.index_reduce.default" => scatter_reduce::index_reduce,
        "aten.index_reduce_.default" => scatter_reduce::index_reduce_,
        "aten.scatter.reduce" => scatter_reduce::scatter_reduce_src,
        "aten.scatter.value_reduce" => scatter_reduce::scatter_reduce_value,
        "aten.scatter_.reduce" => scatter_reduce::scatter_reduce_src_,
        "aten.scatter_.value_reduce" => scatter_reduce::scatter_reduce_value_,
        _ => return None,
    })
}

/// PyTorch's NotImplementedError of a kernel compiled for fewer dtypes
/// (`"bincount_cpu" not implemented for 'Float'`).
fn not_implemented(ctx: &KernelCtx<'_>, kernel: &str, dtype: DType) -> RuntimeError {
    RuntimeError::KernelDtype {
        op: ctx.op.to_owned(),
        message: format!(
            "\"{kernel}\" not implemented for '{}'",
            dtype.scalar_type_name()
        ),
    }
}
