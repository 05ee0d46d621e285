//! Autocast: the per-device-type state `torch.autocast` sets, and which
//! operators have a kernel at the `AutocastCPU` key.
//!
//! PyTorch keeps autocast as thread-local state per device type: whether it
//! is enabled, the lower-precision dtype and whether casts of leaf
//! parameters are cached. Enabling CPU autocast takes `AutocastCPU` out of
//! the thread's excluded keys (every key set excludes all `Autocast*` keys
//! by default, [`super::tls`]); CPU tensors carry the key, so from then on
//! every call on a CPU tensor has `AutocastCPU` in its keyset, and the walk
//! meets it first. An operator on one of autocast's lists has a kernel
//! there (it casts its floating arguments and redispatches below the key);
//! every other operator falls through. Observed in torch 2.15:
//! `torch._C._dispatch_tls_local_exclude_set()` loses `AutocastCPU` inside
//! `torch.autocast("cpu")` and regains it inside a nested `enabled=False`.
//!
//! The runtime models the keys, not the casts: a replay re-executes the
//! casts PyTorch's autocast kernels made, which the capture records as
//! ordinary top-level operators (`_to_copy`) before the operator they
//! feed. The dtype and the cache flag are kept for the trace.

use super::key::DispatchKey;
use crate::tensor::dtype::DType;

/// Every operator that has a kernel at `AutocastCPU` in torch 2.15
/// (`torch._C._dispatch_dump_table` over `_dispatch_get_all_op_names()`;
/// `scripts/tests/test_autocast.py` keeps this list equal to it), by
/// Python overload name, sorted. They are the lower-precision, float32 and
/// promote lists of PyTorch's `autocast_mode.cpp` for CPU: `addmm`, `bmm`,
/// `conv2d`, `linear`, `matmul` cast floating arguments to the autocast
/// dtype; the losses, `prod`, the 3-d pools, the pads and the linear
/// algebra cast them to float32; `cat`, `stack`, `index_copy` to the
/// widest floating dtype among them. Listing operators the registry does
/// not (yet) hold costs nothing and keeps the list whole.
pub const CPU_KERNELS: &[&str] = &[
    "aten._addmm_activation.default",
    "aten._convolution.deprecated",
    "aten._grid_sampler_2d_cpu_fallback.default",
    "aten._lu_with_info.default",
    "aten._native_multi_head_attention.default",
    "aten.adaptive_avg_pool3d.default",
    "aten.adaptive_max_pool3d.default",
    "aten.addbmm.default",
    "aten.addmm.default",
    "aten.avg_pool3d.default",
    "aten.baddbmm.default",
    "aten.binary_cross_entropy.default",
    "aten.binary_cross_entropy_with_logits.default",
    "aten.bmm.default",
    "aten.cat.default",
    "aten.cdist.default",
    "aten.cholesky_inverse.default",
    "aten.cholesky_solve.default",
    "aten.conv1d.default",
    "aten.conv1d.padding",
    "aten.conv2d.default",
    "aten.conv2d.padding",
    "aten.conv3d.default",
    "aten.conv3d.padding",
    "aten.conv_tbc.default",
    "aten.conv_transpose1d.default",
    "aten.conv_transpose2d.input",
    "aten.conv_transpose3d.input",
    "aten.cosine_embedding_loss.default",
    "aten.cross_entropy_loss.default",
    "aten.ctc_loss.IntList",
    "aten.ctc_loss.Tensor",
    "aten.fake_quantize_per_tensor_affine.default",
    "aten.fft_fft.default",
    "aten.fft_fft2.default",
    "aten.fft_fftn.default",
    "aten.fft_hfft.default",
    "aten.fft_ifft.default",
    "aten.fft_ifft2.default",
    "aten.fft_ifftn.default",
    "aten.fft_ihfft.default",
    "aten.fft_irfft.default",
    "aten.fft_irfft2.default",
    "aten.fft_irfftn.default",
    "aten.fft_rfft.default",
    "aten.fft_rfft2.default",
    "aten.fft_rfftn.default",
    "aten.fractional_max_pool2d.default",
    "aten.fractional_max_pool3d.default",
    "aten.geqrf.default",
    "aten.grid_sampler.default",
    "aten.grid_sampler_2d.default",
    "aten.grid_sampler_3d.default",
    "aten.hinge_embedding_loss.default",
    "aten.huber_loss.default",
    "aten.index_copy.default",
    "aten.inverse.default",
    "aten.kl_div.default",
    "aten.l1_loss.default",
    "aten.linalg_cholesky.default",
    "aten.linalg_cholesky_ex.default",
    "aten.linalg_cond.default",
    "aten.linalg_cond.p_str",
    "aten.linalg_eig.default",
    "aten.linalg_eigh.default",
    "aten.linalg_eigvals.default",
    "aten.linalg_eigvalsh.default",
    "aten.linalg_householder_product.default",
    "aten.linalg_inv.default",
    "aten.linalg_inv_ex.default",
    "aten.linalg_lstsq.default",
    "aten.linalg_matrix_rank.atol_rtol_float",
    "aten.linalg_matrix_rank.atol_rtol_tensor",
    "aten.linalg_matrix_rank.default",
    "aten.linalg_matrix_rank.tol_tensor",
    "aten.linalg_matrix_sqrth.default",
    "aten.linalg_qr.default",
    "aten.linalg_solve.default",
    "aten.linalg_svd.default",
    "aten.linalg_svdvals.default",
    "aten.linalg_tensorinv.default",
    "aten.linalg_tensorsolve.default",
    "aten.linalg_vecdot.default",
    "aten.linear.default",
    "aten.lu_solve.default",
    "aten.margin_ranking_loss.default",
    "aten.matmul.default",
    "aten.max_pool3d.default",
    "aten.max_unpool2d.default",
    "aten.max_unpool3d.default",
    "aten.mkldnn_rnn_layer.default",
    "aten.mm.default",
    "aten.mse_loss.default",
    "aten.multi_margin_loss.default",
    "aten.multilabel_margin_loss.default",
    "aten.multilabel_margin_loss_forward.default",
    "aten.nanquantile.default",
    "aten.nanquantile.scalar",
    "aten.nll_loss.default",
    "aten.nll_loss2d.default",
    "aten.orgqr.default",
    "aten.ormqr.default",
    "aten.pinverse.default",
    "aten.poisson_nll_loss.default",
    "aten.polar.default",
    "aten.prelu.default",
    "aten.prod.default",
    "aten.prod.dim_int",
    "aten.quantile.default",
    "aten.quantile.scalar",
    "aten.reflection_pad1d.default",
    "aten.reflection_pad2d.default",
    "aten.replication_pad1d.default",
    "aten.replication_pad2d.default",
    "aten.replication_pad3d.default",
    "aten.scaled_dot_product_attention.default",
    "aten.smooth_l1_loss.default",
    "aten.soft_margin_loss.default",
    "aten.stack.default",
    "aten.stft.center",
    "aten.stft.default",
    "aten.svd.default",
    "aten.trace.default",
    "aten.triangular_solve.default",
    "aten.triplet_margin_loss.default",
    "aten.view_as_complex.default",
];

/// Whether `key` runs a kernel for the operator `python_name`.
pub(crate) fn has_kernel(key: DispatchKey, python_name: &str) -> bool {
    key == DispatchKey::AutocastCPU && CPU_KERNELS.binary_search(&python_name).is_ok()
}

/// One device type's autocast state (api `autocast`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutocastState {
    /// `torch.is_autocast_enabled(device_type)`.
    pub enabled: bool,
    /// `torch.get_autocast_dtype(device_type)`.
    pub dtype: DType,
    /// `torch.is_autocast_cache_enabled()`.
    pub cache_enabled: bool,
}

impl Default for AutocastState {
    /// A thread's initial CPU state: disabled, bfloat16, cache enabled.
    fn default() -> AutocastState {
        AutocastState {
            enabled: false,
            dtype: DType::BFloat16,
            cache_enabled: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::registry::{Handler, Registry};

    #[test]
    fn the_list_is_sorted_so_a_regenerated_one_diffs_cleanly() {
        assert!(CPU_KERNELS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn registered_operators_take_their_handler_from_the_list() {
        let registry = Registry::builtin().expect("registry");
        let addmm = registry.get("aten.addmm.default").expect("addmm");
        assert_eq!(addmm.handler(DispatchKey::AutocastCPU), Handler::Kernel);
        let add = registry.get("aten.add.Tensor").expect("add");
        assert_eq!(add.handler(DispatchKey::AutocastCPU), Handler::Fallthrough);
        let linear = registry.get("aten.linear.default").expect("linear");
        assert_eq!(linear.handler(DispatchKey::AutocastCPU), Handler::Kernel);
    }

    #[test]
    fn only_the_cpu_key_has_kernels() {
        assert!(has_kernel(DispatchKey::AutocastCPU, "aten.addmm.default"));
        assert!(!has_kernel(DispatchKey::AutocastCUDA, "aten.addmm.default"));
        assert!(!has_kernel(DispatchKey::AutocastCPU, "aten.add.Tensor"));
    }
}
