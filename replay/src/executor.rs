//! Replays a PyTorch trace on the FrankenTorch runtime.
//!
//! Only what the program itself did is re-executed: api events (tensor
//! introductions with their recorded values, grad mode, seeds, marks,
//! `.grad` resets, `backward()`) and top-level operator calls. Everything
//! PyTorch did on its own — backward-time dispatches, graph construction,
//! ReadyQueue scheduling, device switches — is left for the runtime to
//! reproduce; that is what the diff then checks.
//!
//! Tensors are mapped from PyTorch ids to runtime tensors as they appear.
//! A tensor that backward produced (a parameter's `.grad` used by a
//! hand-written SGD step) is found by role — "the gradient accumulated into
//! leaf N" — not by position, so a divergence inside backward cannot derail
//! the rest of the replay. Random operators get PyTorch's recorded outputs.
//!
//! The program's backward hooks are registered as runtime hooks that
//! re-execute, when the runtime calls them, what the recorded hook did
//! ([`crate::callbacks`]); the main loop steps over those ranges.
//!
//! A top-level call enters the runtime's dispatcher as it entered PyTorch's,
//! which the recorded keyset states: a keyset without ADInplaceOrView and
//! without Autograd keys was made below them (a Python factory binding such
//! as `torch.randn`, `torch.tensor`'s `lift_fresh`), any other with the
//! thread's TLS (every other op, and factories that PyTorch's C++ composites
//! call at top level: dropout's `empty_like`, batch norm's `empty`). The
//! runtime's own guess from the operator alone ([`Runtime::call`]) cannot
//! tell those apart (docs/CAPTURE.md §7).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ft_runtime::{CpuProfile, Faults, IValue, Runtime, RuntimeError, Tensor};
use ft_trace::{
    ApiEvent, AutogradEvent, Context, DispatchEvent, Event, EventBody, OpCall, OpError, TensorRef,
    TraceError, TraceMeta, Value, ValuePolicy,
};

use crate::anchor_book::AnchorBook;
use crate::blob_store::BlobStore;
use crate::callbacks::{Bindings, Callbacks};
use crate::checks::values::Tolerances;
use crate::error::ReplayError;
use crate::node_anchor::{NodeAnchors, anchor_value};
use crate::precision::Precision;
use crate::progress::Progress;
use crate::recording::{Judge, Recording};
use crate::trace_data::{TraceData, value_index};

mod conj;
mod data;
mod function;
pub(crate) mod grad;
mod node_hook;

/// Options of a replay.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// Deliberate runtime faults (tests of the checks themselves).
    pub faults: Faults,
    /// Record real timestamps in the runtime's trace.
    pub timestamps: bool,
    /// Stream the runtime's trace, with every value, to this file.
    pub out: Option<PathBuf>,
    /// The tolerances values are judged with as the runtime produces them
    /// (those of the diff that follows).
    pub tolerances: Tolerances,
    /// Bytes of runtime values kept for the diff beyond those judged as
    /// produced (see [`crate::recording`]).
    pub value_memory: usize,
    /// Anchored replay: before each top-level operator, put PyTorch's
    /// recorded value of every tensor argument into the runtime's tensor, so
    /// each operator's value check is local and drift cannot accumulate.
    pub anchor: bool,
}

/// How the runtime's values relate to PyTorch's during a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplayMode {
    /// The runtime computes every value from the program's inputs: drift
    /// accumulates over the run, as it would in real use.
    FreeRunning,
    /// Every top-level operator runs on PyTorch's recorded argument values.
    Anchored,
}

impl ReplayMode {
    /// The mode a replay with these options runs in.
    pub fn of(options: &ReplayOptions) -> ReplayMode {
        if options.anchor {
            ReplayMode::Anchored
        } else {
            ReplayMode::FreeRunning
        }
    }

    /// The mode a runtime trace records in its `replay_mode` attribute
    /// (free running when absent).
    pub fn of_trace(meta: &TraceMeta) -> ReplayMode {
        match meta.attrs.iter().find(|(k, _)| k == "replay_mode") {
            Some((_, v)) if v == "anchored" => ReplayMode::Anchored,
            _ => ReplayMode::FreeRunning,
        }
    }

    /// Its name in traces and reports.
    pub fn name(self) -> &'static str {
        match self {
            ReplayMode::FreeRunning => "free-running",
            ReplayMode::Anchored => "anchored",
        }
    }
}

/// Default for [`ReplayOptions::value_memory`]: 64 MiB.
pub const DEFAULT_VALUE_MEMORY: usize = 64 << 20;

impl Default for ReplayOptions {
    fn default() -> ReplayOptions {
        ReplayOptions {
            faults: Faults::default(),
            timestamps: false,
            out: None,
            tolerances: Tolerances::new(None, None),
            value_memory: DEFAULT_VALUE_MEMORY,
            anchor: false,
        }
    }
}

/// Parses `--inject-fault` values into runtime faults.
///
/// Accepted: `reverse-ready-queue`, `fifo-ties`, `swap-input-buffer-sum`,
/// `skip-saved-version-check`,
/// `skip-hooks`, `drop-node-holds`, `stale-saved-tensors`, `unpack-without-detach`,
/// `unnumbered-dropped-node`,
/// `build-order-saved-tensors`, `integer-arithmetic-in-double`, `integer-numbers-unwrapped`,
/// `complex-log-atan`, `reduced-addend-unrounded`,
/// `cumprod-grad-reads-result`,
/// `right-shift-without-sign-fill`, `take-in-storage-order`, `put-first-write-wins`,
/// `numbers-as-iterator-inputs`, `numbers-in-double`, `tanh-backward-unfused`,
/// `compare-inplace-self-first`,
/// `mse-backward-rounded-once`, `pow-by-general-power`, `complex-mul-in-double`,
/// `pool-gradient-in-double`, `sparse-coalesce-in-f64`, `sparse-coalesce-reversed`,
/// `sparse-bag-unscaled-mean`, `embedding-bag-rne-bf16`, `embedding-bag-grad-in-double`,
/// `complex-angle-keeps-layout`, `trilinear-rounded-once`,
/// `amp-unscale-checks-found-inf-first`,
/// `sparse-to-dense-overwrites`, `to-sparse-indices-contiguous`,
/// `to-sparse-keeps-negative-zero`, `values-grad-uncoalesced`,
/// `sparse-add-empty-ignores-alpha`, `sparse-mask-keeps-index-strides`, `sparse-clone-contiguous`,
/// `sparse-neg-coalesced`, `sparse-embedding-keeps-padding`, `foreach-addc-uncast`,
/// `foreach-lerp-unfused`, `nearest-backward-in-double`,
/// `sparse-softmax-wrong-dim`, `sparse-sum-backward-drops-index`,
/// `softmax-grad-in-double`, `contiguous-pad-crop`,
/// `layer-norm-exact-moments`, `group-norm-exact-statistics`, `nan-clamped-to-zero`,
/// `embedding-grad-rounded-once`, `promote-types-by-size`,
/// `complex-item-conjugated`, `reduced-add-rounds-once`, `reduced-matmul-in-double`, `reduced-mv-in-order`,
/// `bessel-reduced-tail-in-float`, `bessel-chebyshev-unfused`,
/// `mm-dtype-message-scalar-names`, `gather-index-int64-only`, `conv-dtype-message-ignores-backend`,
/// `sum-in-double`,
/// `topk-position-order`,
/// `symmetric-windows`, `nll2d-accepts-byte`,
/// `ignore-exec-info`, `reverse-hooks`, `drop-node-hook-results`,
/// `ignore-grad-mode`,
/// `rnn-eval-gate-order`,
/// `reverse-function-grads`, `flat-reentrant-depth`, `shared-data-version`,
/// `set-data-keeps-dtype`, `inplace-view-rebases`, `contiguous-pool-gradient`,
/// `rms-norm-rounds-before-weight`,
/// `mha-wrong-scale`, `unflatten-copies`, `to-always-copies`, `sparse-size-past-end`, `max-other-as-minimum`, `nested-mask-gaps-only`, `nested-attends-padding`, `attention-rounds-once`, `lstm-reduced-state-unrounded`, `weight-norm-no-projection`, `bicubic-wrong-a`,
/// `grid-sample-flipped-align-corners`, `multi-margin-wrong-sign`, `multi-margin-in-double`,
/// `smooth-l1-backward-one-loop`, `loss-cascade-contiguous-only`,
/// `embedding-renorm-no-scale`, `cdist-inf-norm-as-l1`, `cdist-grad-negated`,
/// `complex-mul-no-cross-terms`, `mul-backward-conj-dropped`, `complex-mm-no-conj`,
/// `baddbmm-grad-unconjugated-scalars`, `mul-scalar-grad-unconjugated`,
/// `trig-grad-unconjugated`, `prod-grad-unconjugated`, `complex-var-drops-imag`,
/// `inv-grad-unconjugated`,
/// `complex-div-backward-no-conj`, `real-grad-takes-imag`, `complex-cat-conjugates`,
/// `polar-backward-negative-unit`, `trapezoid-skips-half`, `pad-reflect-as-replicate`,
/// `same-padding-extra-before`,
/// `label-smoothing-drops-uniform`, `quantile-rounds-above-down`,
/// `margin-ranking-drops-margin`, `ctc-loss-keeps-infinity`, `kron-factors-swapped`,
/// `fft-norm-wrong-side`, `complex-pad-drops-imag`, `dropout-mask-inverted`,
/// `matrix-norm-nuc-as-spectral`, `stft-window-unshifted`,
/// `pdist-grad-one-sided`, `cross-sign-flipped`, `digamma-off-by-one-shift`, `polygamma-inplace-skips-write`, `ldexp-inplace-casts-into-integer`, `nextafter-grad-mask-ge`, `ldexp-result-read-when-needed`, `ctc-skip-repeat-transition`, `ctc-grad-ignores-zero-infinity`,
/// `attention-reduced-as-float`, `qr-sign-flipped`, `solve-triangular-right-transposed`,
/// `triangular-solve-transpose-ignored`, `triangular-solve-grad-other-triangle`,
/// `ldl-factor-without-pivoting`,
/// `lu-pivot-without-max`,
/// `svd-u-sign-without-vh`, `eigh-values-descending`, `eig-unnormalised-vectors`,
/// `geqrf-tau-negated`, `householder-product-reversed`, `ormqr-ignores-transpose`,
/// `matrix-exp-skips-squaring`, `triangle-inplace-ignores-offset`,
/// `autocast-key-dropped`, `below-autograd-ignored`, `anomaly-check-skipped`, `anomaly-nan-unreported`,
/// `anomaly-switch-in-hook-ignored`, `function-raise-dropped`,
/// `anomaly-parent-dropped`,
/// `generator-key-dropped`, `normal-result-default-dtype`,
/// `like-device-ignored`, `scatter-0d-index-at-origin` (tutorial-like-device),
/// `complex-inplace-drops-imag` (tutorial-complex-inplace),
/// `antialias-cubic-keys-a`, `resample-u8-truncates`, `grid-sample-cubic-keys-half`,
/// `grid-sample-3d-yz-swapped`,
/// `adaptive-max-pool3d-floor-end`,
/// `bincount-drops-last-bin`, `histogram-last-edge-open`, `median-upper-of-two`,
/// `median-all-by-position`, `grid-sample-reduced-in-float`,
/// `relu-zero-sign-dropped`, `rank-one-product-accumulated`,
/// `addmm-single-term-unfused`, `bmm-rank-one-accumulated`,
/// `max-min-tie-lanes-ignored`, `max-min-tie-lanes-out-of-place-only`,
/// `fmax-zero-tie-unordered`,
/// `grid-sample-3d-reduced-in-float`, `linspace-reduced-as-float`,
/// `block-diag-backward-skips-frozen`, `real-of-conj-unresolved`,
/// `png-paeth-as-up`,
/// `roi-align-half-pixel`, `deform-conv-bilinear-swapped`,
/// `gamma-grad-wrong-series`, `dirichlet-grad-sign`, `renorm-ignores-maxnorm`,
/// `softshrink-no-shift`, `fake-quant-rounds-half-away`, `soft-margin-log-without-1p`,
/// `conv-transpose3d-drops-output-padding`, `pool-exact-channels-last`,
/// `max-pool3d-contiguous`, `conv3d-contiguous-channels-last`,
/// `nearest3d-backward-channels-last`, `avg-pool3d-reduced-float`,
/// `antialias-reduced-float`, `flip-pointwise-layout`, `roll-contiguous`,
/// `adaptive-avg-pool3d-reduced-in-f64`, `cast-copy-contiguous`,
/// `flash-attention-max-skips-nan`, `sigmoid-backward-bf16-stepwise`,
/// `glu-backward-unrounded-sigmoid`, `reduced-inverse-root-rounded-once`,
/// `batch-norm-grad-like-output`, `prelu-double-backward-swaps-grads`, `recorded-solve-reuses-lu`,
/// `copy-slices-unmarked-view-edge`, `group-norm-grad-mode-drops-mean-term`,
/// `cdist-double-backward-keeps-x2-sign`, `logit-double-backward-open-band`,
/// `bce-target-grad-not-averaged`, `conv-slow2d-channels-last-weight-grad`,
/// `bicubic-reduced-weights-in-float`, `bicubic-backward-channels-last`,
/// `upsample-linear-reduced-in-double`, `upsample-linear-backward-reduced-in-double`,
/// `half-conv-ignores-onednn`,
/// `multilabel-margin-counts-targets`, `reflection-pad-repeats-edge`,
/// `scatter-amax-gradient-not-split`, `fft-twiddle-sign`,
/// `irfft-missing-normalization`, `fft-r2c-backward-no-onesided-fix`,
/// `as-strided-backward-keeps-unit-dims`, `isin-ignores-last-test-element`,
/// `channel-shuffle-inverse`, `rrelu-noise-not-written`,
/// `fractional-pool-samples-swapped`, `fractional-pool-reduced-in-float`,
/// `frexp-reduced-refused`, `frexp-without-backward`, `neg-view-unresolved`,
/// `strided-sum-in-double`, `strided-sum-one-loop`, `complex-sum-in-double`,
/// `log-sigmoid-in-double`, `log-sigmoid-f64-libm`, `loss-reduction-in-double`,
/// `complex-mean-divided-in-double`, `elu-expm1-of-one-loop`,
/// `softmax-columns-in-double`, `logsumexp-in-double`,
/// `group-norm-backward-sums-in-sequence`,
/// `repeat-interleave-reversed`,
/// `int64-search-through-double`, `search-in-double`, `addr-beta-zero-reads-self`, `integer-matmul-in-double`,
/// `integer-index-reduce-in-double`, `out-resize-contiguous`,
/// `out-reduction-in-input-dtype`, `reduced-batch-norm-exact-stats`,
/// `running-stats-blend-in-double`, `composite-out-uncounted-write`,
/// `half-conv-float-accumulation`, `half-conv-scatter-in-double`,
/// `view-dtype-casts`, `scatter-view-grads-swapped`, `narrow-copy-shifted`,
/// `zero-tensor-sum-materialized`, `steal-held-gradients`,
/// `set-keeps-grad-accumulator`, `vdot-grads-self-first`,
/// `complex-vdot-no-conj`,
/// `fill-tensor-saturates`, `pad-backward-sums-in-double`,
/// `dist-ignores-p`,
/// `lstsq-solution-unpermuted`,
/// `cholesky-inverse-transposed-product`,
/// `eye-out-shifted-diagonal`, `detach-flags-coalesced`,
/// `cauchy-accepts-zero-sigma`, `logspace-unrounded-ends`, `igamma-is-complement`,
/// `chebyshev-plain-recurrence`, `bessel-quotient-without-result`,
/// `resize-restrides-same-shape`, `resize-grows-from-zeros`,
/// `dot-through-conj-fallback`, `index-fill-value-grad-repeats`,
/// `complex-neg-keeps-imag`, `col2im-sums-in-double`,
/// `index-put-accumulates-in-double`, `scatter-reduce-half-steps-rounded`,
/// `index-add-sums-in-double`, `mvlgamma-domain-check`, `logsumexp-max-skips-nan`,
/// `nan-grads-scalar-loop`, `hardswish-backward-closed-range`,
/// `logit-backward-bounds-in-float`, `logcumsumexp-grad-min-float32`,
/// `remainder-number-unrounded`, `gelu-float-inf-finite`,
/// `gelu-aten-formula-on-onednn-path`, `gelu-onednn-for-every-layout`,
/// `log-softmax-in-double`, `softmax-in-double`, `nll-sum-in-double`,
/// `rsqrt-rounded-once`, `sqrt-correctly-rounded`, `sigmoid-exp-of-one-loop`,
/// `sigmoid-f64-exp-of-one-loop`,
/// `elementwise-loop-one-run`, `vector-norm-in-double`, `weight-norm-in-double`,
/// `batch-norm-grad-in-double`, `batch-norm-row-stats-in-double`,
/// `zero-tensor-add-reduced-in-place`, `prod-in-double`,
/// `rounded-division-in-double`, `reduced-steps-in-float`,
/// `weight-norm-half-norms-in-dtype`,
/// `rename-node=OLD:NEW`, `perturb=OP:DELTA`; and the faults of native
/// programs' `nn` and `optim` (they change no replayed operator):
/// `wrong-init-bound`, `adam-skip-bias-correction`, `adamw-decay-as-l2`,
/// `nonstrict-load-copies-nothing`.
pub fn parse_faults(specs: &[String]) -> Result<Faults, ReplayError> {
    let mut faults = Faults::default();
    for spec in specs {
        let bad = |why: &str| ReplayError::Usage(format!("--inject-fault {spec:?}: {why}"));
        match spec.split_once('=') {
            None if spec == "reverse-ready-queue" => faults.reverse_ready_queue = true,
            None if spec == "fifo-ties" => faults.fifo_ties = true,
            None if spec == "swap-input-buffer-sum" => faults.swap_input_buffer_sum = true,
            None if spec == "drop-backward-history" => faults.drop_backward_history = true,
            None if spec == "skip-saved-version-check" => faults.skip_saved_version_check = true,
            None if spec == "skip-hooks" => faults.skip_hooks = true,
            None if spec == "drop-node-holds" => faults.drop_node_holds = true,
            None if spec == "stale-saved-tensors" => faults.stale_saved_tensors = true,
            None if spec == "unpack-without-detach" => faults.unpack_without_detach = true,
            None if spec == "unnumbered-dropped-node" => faults.unnumbered_dropped_node = true,
            None if spec == "build-order-saved-tensors" => {
                faults.build_order_saved_tensors = true;
            }
            None if spec == "integer-arithmetic-in-double" => {
                faults.integer_arithmetic_in_double = true;
            }
            None if spec == "integer-numbers-unwrapped" => {
                faults.integer_numbers_unwrapped = true;
            }
            None if spec == "complex-log-atan" => faults.complex_log_atan = true,
            None if spec == "cumprod-grad-reads-result" => faults.cumprod_grad_reads_result = true,
            None if spec == "reduced-addend-unrounded" => faults.reduced_addend_unrounded = true,
            None if spec == "right-shift-without-sign-fill" => {
                faults.right_shift_without_sign_fill = true;
            }
            None if spec == "numbers-as-iterator-inputs" => {
                faults.numbers_as_iterator_inputs = true;
            }
            None if spec == "numbers-in-double" => faults.numbers_in_double = true,
            None if spec == "tanh-backward-unfused" => faults.tanh_backward_unfused = true,
            None if spec == "compare-inplace-self-first" => {
                faults.compare_inplace_self_first = true;
            }
            None if spec == "mse-backward-rounded-once" => {
                faults.mse_backward_rounded_once = true;
            }
            None if spec == "pow-by-general-power" => faults.pow_by_general_power = true,
            None if spec == "complex-mul-in-double" => faults.complex_mul_in_double = true,
            None if spec == "take-in-storage-order" => faults.take_in_storage_order = true,
            None if spec == "pool-gradient-in-double" => faults.pool_gradient_in_double = true,
            None if spec == "sparse-coalesce-in-f64" => faults.sparse_coalesce_in_f64 = true,
            None if spec == "sparse-coalesce-reversed" => faults.sparse_coalesce_reversed = true,
            None if spec == "sparse-bag-unscaled-mean" => faults.sparse_bag_unscaled_mean = true,
            None if spec == "embedding-bag-rne-bf16" => faults.embedding_bag_rne_bf16 = true,
            None if spec == "embedding-bag-grad-in-double" => {
                faults.embedding_bag_grad_in_double = true;
            }
            None if spec == "complex-angle-keeps-layout" => {
                faults.complex_angle_keeps_layout = true;
            }
            None if spec == "trilinear-rounded-once" => faults.trilinear_rounded_once = true,
            None if spec == "amp-unscale-checks-found-inf-first" => {
                faults.amp_unscale_checks_found_inf_first = true
            }
            None if spec == "sparse-to-dense-overwrites" => {
                faults.sparse_to_dense_overwrites = true
            }
            None if spec == "to-sparse-indices-contiguous" => {
                faults.to_sparse_indices_contiguous = true
            }
            None if spec == "to-sparse-keeps-negative-zero" => {
                faults.to_sparse_keeps_negative_zero = true
            }
            None if spec == "values-grad-uncoalesced" => faults.values_grad_uncoalesced = true,
            None if spec == "sparse-add-empty-ignores-alpha" => {
                faults.sparse_add_empty_ignores_alpha = true
            }
            None if spec == "sparse-mask-keeps-index-strides" => {
                faults.sparse_mask_keeps_index_strides = true
            }
            None if spec == "sparse-clone-contiguous" => faults.sparse_clone_contiguous = true,
            None if spec == "sparse-neg-coalesced" => faults.sparse_neg_coalesced = true,
            None if spec == "foreach-addc-uncast" => faults.foreach_addc_uncast = true,
            None if spec == "foreach-lerp-unfused" => faults.foreach_lerp_unfused = true,
            None if spec == "nearest-backward-in-double" => {
                faults.nearest_backward_in_double = true;
            }
            None if spec == "sparse-embedding-keeps-padding" => {
                faults.sparse_embedding_keeps_padding = true
            }
            None if spec == "sparse-softmax-wrong-dim" => faults.sparse_softmax_wrong_dim = true,
            None if spec == "sparse-sum-backward-drops-index" => {
                faults.sparse_sum_backward_drops_index = true
            }
            None if spec == "layer-norm-exact-moments" => faults.layer_norm_exact_moments = true,
            None if spec == "group-norm-exact-statistics" => {
                faults.group_norm_exact_statistics = true;
            }
            None if spec == "nan-clamped-to-zero" => faults.nan_clamped_to_zero = true,
            None if spec == "embedding-grad-rounded-once" => {
                faults.embedding_grad_rounded_once = true;
            }
            None if spec == "promote-types-by-size" => faults.promote_types_by_size = true,
            None if spec == "complex-item-conjugated" => faults.complex_item_conjugated = true,
            None if spec == "reduced-add-rounds-once" => faults.reduced_add_rounds_once = true,
            None if spec == "bessel-reduced-tail-in-float" => {
                faults.bessel_reduced_tail_in_float = true;
            }
            None if spec == "bessel-chebyshev-unfused" => faults.bessel_chebyshev_unfused = true,
            None if spec == "topk-position-order" => faults.topk_position_order = true,
            None if spec == "symmetric-windows" => faults.symmetric_windows = true,
            None if spec == "nll2d-accepts-byte" => faults.nll2d_accepts_byte = true,
            None if spec == "reduced-matmul-in-double" => faults.reduced_matmul_in_double = true,
            None if spec == "reduced-mv-in-order" => faults.reduced_mv_in_order = true,
            None if spec == "gather-index-int64-only" => faults.gather_index_int64_only = true,
            None if spec == "conv-dtype-message-ignores-backend" => {
                faults.conv_dtype_message_ignores_backend = true
            }
            None if spec == "mm-dtype-message-scalar-names" => {
                faults.mm_dtype_message_scalar_names = true
            }
            None if spec == "sum-in-double" => faults.sum_in_double = true,
            None if spec == "softmax-grad-in-double" => faults.softmax_grad_in_double = true,
            None if spec == "contiguous-pad-crop" => faults.contiguous_pad_crop = true,
            None if spec == "put-first-write-wins" => faults.put_first_write_wins = true,
            None if spec == "ignore-exec-info" => faults.ignore_exec_info = true,
            None if spec == "reverse-hooks" => faults.reverse_hooks = true,
            None if spec == "drop-node-hook-results" => faults.drop_node_hook_results = true,
            None if spec == "ignore-grad-mode" => faults.ignore_grad_mode = true,
            None if spec == "reverse-function-grads" => faults.reverse_function_grads = true,
            None if spec == "flat-reentrant-depth" => faults.flat_reentrant_depth = true,
            None if spec == "shared-data-version" => faults.shared_data_version = true,
            None if spec == "set-data-keeps-dtype" => faults.set_data_keeps_dtype = true,
            None if spec == "contiguous-pool-gradient" => faults.contiguous_pool_gradient = true,
            None if spec == "rms-norm-rounds-before-weight" => {
                faults.rms_norm_rounds_before_weight = true;
            }
            None if spec == "mha-wrong-scale" => faults.mha_wrong_scale = true,
            None if spec == "complex-neg-keeps-imag" => faults.complex_neg_keeps_imag = true,
            None if spec == "col2im-sums-in-double" => faults.col2im_sums_in_double = true,
            None if spec == "index-add-sums-in-double" => faults.index_add_sums_in_double = true,
            None if spec == "mvlgamma-domain-check" => faults.mvlgamma_domain_check = true,
            None if spec == "logsumexp-max-skips-nan" => faults.logsumexp_max_skips_nan = true,
            None if spec == "nan-grads-scalar-loop" => faults.nan_grads_scalar_loop = true,
            None if spec == "hardswish-backward-closed-range" => {
                faults.hardswish_backward_closed_range = true;
            }
            None if spec == "logit-backward-bounds-in-float" => {
                faults.logit_backward_bounds_in_float = true;
            }
            None if spec == "logcumsumexp-grad-min-float32" => {
                faults.logcumsumexp_grad_min_float32 = true;
            }
            None if spec == "remainder-number-unrounded" => {
                faults.remainder_number_unrounded = true;
            }
            None if spec == "gelu-float-inf-finite" => faults.gelu_float_inf_finite = true,
            None if spec == "gelu-aten-formula-on-onednn-path" => {
                faults.gelu_aten_formula_on_onednn_path = true;
            }
            None if spec == "gelu-onednn-for-every-layout" => {
                faults.gelu_onednn_for_every_layout = true;
            }
            None if spec == "log-softmax-in-double" => faults.log_softmax_in_double = true,
            None if spec == "softmax-in-double" => faults.softmax_in_double = true,
            None if spec == "nll-sum-in-double" => faults.nll_sum_in_double = true,
            None if spec == "rsqrt-rounded-once" => faults.rsqrt_rounded_once = true,
            None if spec == "sqrt-correctly-rounded" => faults.sqrt_correctly_rounded = true,
            None if spec == "sigmoid-exp-of-one-loop" => {
                faults.sigmoid_exp_of_one_loop = true;
            }
            None if spec == "sigmoid-f64-exp-of-one-loop" => {
                faults.sigmoid_f64_exp_of_one_loop = true;
            }
            None if spec == "elementwise-loop-one-run" => {
                faults.elementwise_loop_one_run = true;
            }
            None if spec == "vector-norm-in-double" => faults.vector_norm_in_double = true,
            None if spec == "weight-norm-in-double" => faults.weight_norm_in_double = true,
            None if spec == "batch-norm-grad-in-double" => {
                faults.batch_norm_grad_in_double = true;
            }
            None if spec == "batch-norm-row-stats-in-double" => {
                faults.batch_norm_row_stats_in_double = true;
            }
            None if spec == "prod-in-double" => faults.prod_in_double = true,
            None if spec == "reduced-steps-in-float" => faults.reduced_steps_in_float = true,
            None if spec == "weight-norm-half-norms-in-dtype" => {
                faults.weight_norm_half_norms_in_dtype = true;
            }
            None if spec == "rounded-division-in-double" => {
                faults.rounded_division_in_double = true;
            }
            None if spec == "zero-tensor-add-reduced-in-place" => {
                faults.zero_tensor_add_reduced_in_place = true;
            }
            None if spec == "scatter-reduce-half-steps-rounded" => {
                faults.scatter_reduce_half_steps_rounded = true;
            }
            None if spec == "index-put-accumulates-in-double" => {
                faults.index_put_accumulates_in_double = true;
            }
            None if spec == "index-fill-value-grad-repeats" => {
                faults.index_fill_value_grad_repeats = true;
            }
            None if spec == "unflatten-copies" => faults.unflatten_copies = true,
            None if spec == "to-always-copies" => faults.to_always_copies = true,
            None if spec == "sparse-size-past-end" => faults.sparse_size_past_end = true,
            None if spec == "max-other-as-minimum" => faults.max_other_as_minimum = true,
            None if spec == "nested-mask-gaps-only" => faults.nested_mask_gaps_only = true,
            None if spec == "nested-attends-padding" => faults.nested_attends_padding = true,
            None if spec == "attention-rounds-once" => faults.attention_rounds_once = true,
            None if spec == "lstm-forget-bias-ignored" => faults.lstm_forget_bias_ignored = true,
            None if spec == "lstm-cell-grad-dropped" => faults.lstm_cell_grad_dropped = true,
            None if spec == "lstm-reduced-state-unrounded" => {
                faults.lstm_reduced_state_unrounded = true;
            }
            None if spec == "rnn-eval-gate-order" => faults.rnn_eval_gate_order = true,
            None if spec == "weight-norm-no-projection" => faults.weight_norm_no_projection = true,
            None if spec == "bicubic-wrong-a" => faults.bicubic_wrong_a = true,
            None if spec == "grid-sample-flipped-align-corners" => {
                faults.grid_sample_flipped_align_corners = true;
            }
            None if spec == "multi-margin-wrong-sign" => faults.multi_margin_wrong_sign = true,
            None if spec == "multi-margin-in-double" => faults.multi_margin_in_double = true,
            None if spec == "smooth-l1-backward-one-loop" => {
                faults.smooth_l1_backward_one_loop = true;
            }
            None if spec == "loss-cascade-contiguous-only" => {
                faults.loss_cascade_contiguous_only = true;
            }
            None if spec == "cdist-inf-norm-as-l1" => faults.cdist_wrong_inf_norm = true,
            None if spec == "cdist-grad-negated" => faults.cdist_grad_negated = true,
            None if spec == "complex-mul-no-cross-terms" => {
                faults.complex_mul_no_cross_terms = true;
            }
            None if spec == "mul-backward-conj-dropped" => {
                faults.mul_backward_conj_dropped = true;
            }
            None if spec == "complex-mm-no-conj" => faults.complex_mm_no_conj = true,
            None if spec == "baddbmm-grad-unconjugated-scalars" => {
                faults.baddbmm_grad_unconjugated_scalars = true;
            }
            None if spec == "mul-scalar-grad-unconjugated" => {
                faults.mul_scalar_grad_unconjugated = true;
            }
            None if spec == "trig-grad-unconjugated" => faults.trig_grad_unconjugated = true,
            None if spec == "prod-grad-unconjugated" => faults.prod_grad_unconjugated = true,
            None if spec == "complex-var-drops-imag" => faults.complex_var_drops_imag = true,
            None if spec == "inv-grad-unconjugated" => faults.inv_grad_unconjugated = true,
            None if spec == "complex-div-backward-no-conj" => {
                faults.complex_div_backward_no_conj = true;
            }
            None if spec == "real-grad-takes-imag" => faults.real_grad_takes_imag = true,
            None if spec == "trapezoid-skips-half" => faults.trapezoid_skips_half = true,
            None if spec == "pad-reflect-as-replicate" => faults.pad_reflect_as_replicate = true,
            None if spec == "same-padding-extra-before" => faults.same_padding_extra_before = true,
            None if spec == "margin-ranking-drops-margin" => {
                faults.margin_ranking_drops_margin = true;
            }
            None if spec == "ctc-loss-keeps-infinity" => faults.ctc_loss_keeps_infinity = true,
            None if spec == "kron-factors-swapped" => faults.kron_factors_swapped = true,
            None if spec == "fft-norm-wrong-side" => faults.fft_norm_wrong_side = true,
            None if spec == "complex-pad-drops-imag" => faults.complex_pad_drops_imag = true,
            None if spec == "dropout-mask-inverted" => faults.dropout_mask_inverted = true,
            None if spec == "matrix-norm-nuc-as-spectral" => {
                faults.matrix_norm_nuc_as_spectral = true;
            }
            None if spec == "stft-window-unshifted" => faults.stft_window_unshifted = true,
            None if spec == "label-smoothing-drops-uniform" => {
                faults.label_smoothing_drops_uniform_term = true;
            }
            None if spec == "quantile-rounds-above-down" => {
                faults.quantile_rounds_above_down = true
            }
            None if spec == "complex-cat-conjugates" => faults.complex_cat_conjugates = true,
            None if spec == "polar-backward-negative-unit" => {
                faults.polar_backward_negative_unit = true;
            }
            None if spec == "pdist-grad-one-sided" => faults.pdist_grad_one_sided = true,
            None if spec == "cross-sign-flipped" => faults.cross_sign_flipped = true,
            None if spec == "digamma-off-by-one-shift" => faults.digamma_off_by_one_shift = true,
            None if spec == "polygamma-inplace-skips-write" => {
                faults.polygamma_inplace_skips_write = true;
            }
            None if spec == "ldexp-inplace-casts-into-integer" => {
                faults.ldexp_inplace_casts_into_integer = true;
            }
            None if spec == "nextafter-grad-mask-ge" => faults.nextafter_grad_mask_ge = true,
            None if spec == "ldexp-result-read-when-needed" => {
                faults.ldexp_result_read_when_needed = true;
            }
            None if spec == "ctc-skip-repeat-transition" => {
                faults.ctc_skip_repeat_transition = true;
            }
            None if spec == "ctc-grad-ignores-zero-infinity" => {
                faults.ctc_grad_ignores_zero_infinity = true;
            }
            None if spec == "embedding-renorm-no-scale" => faults.embedding_renorm_no_scale = true,
            None if spec == "attention-reduced-as-float" => {
                faults.attention_reduced_as_float = true;
            }
            None if spec == "qr-sign-flipped" => faults.qr_sign_flipped = true,
            None if spec == "lu-pivot-without-max" => faults.lu_pivot_without_max = true,
            None if spec == "svd-u-sign-without-vh" => faults.svd_u_sign_without_vh = true,
            None if spec == "eigh-values-descending" => faults.eigh_values_descending = true,
            None if spec == "eig-unnormalised-vectors" => {
                faults.eig_unnormalised_vectors = true;
            }
            None if spec == "geqrf-tau-negated" => faults.geqrf_tau_negated = true,
            None if spec == "householder-product-reversed" => {
                faults.householder_product_reversed = true;
            }
            None if spec == "ormqr-ignores-transpose" => faults.ormqr_ignores_transpose = true,
            None if spec == "matrix-exp-skips-squaring" => {
                faults.matrix_exp_skips_squaring = true;
            }
            None if spec == "triangle-inplace-ignores-offset" => {
                faults.triangle_inplace_ignores_offset = true;
            }
            None if spec == "solve-triangular-right-transposed" => {
                faults.solve_triangular_right_transposed = true;
            }
            None if spec == "triangular-solve-transpose-ignored" => {
                faults.triangular_solve_transpose_ignored = true;
            }
            None if spec == "triangular-solve-grad-other-triangle" => {
                faults.triangular_solve_grad_other_triangle = true;
            }
            None if spec == "ldl-factor-without-pivoting" => {
                faults.ldl_factor_without_pivoting = true;
            }
            None if spec == "inplace-view-rebases" => faults.inplace_view_rebases = true,
            None if spec == "autocast-key-dropped" => faults.autocast_key_dropped = true,
            None if spec == "below-autograd-ignored" => faults.below_autograd_ignored = true,
            None if spec == "anomaly-check-skipped" => faults.anomaly_check_skipped = true,
            None if spec == "anomaly-switch-in-hook-ignored" => {
                faults.anomaly_switch_in_hook_ignored = true;
            }
            None if spec == "function-raise-dropped" => faults.function_raise_dropped = true,
            None if spec == "anomaly-nan-unreported" => faults.anomaly_nan_unreported = true,
            None if spec == "anomaly-parent-dropped" => faults.anomaly_parent_dropped = true,
            None if spec == "generator-key-dropped" => faults.generator_key_dropped = true,
            // tutorial-like-device, tutorial-scatter-0d
            None if spec == "like-device-ignored" => faults.like_device_ignored = true,
            // tutorial-complex-inplace
            None if spec == "complex-inplace-drops-imag" => {
                faults.complex_inplace_drops_imag = true;
            }
            None if spec == "scatter-0d-index-at-origin" => {
                faults.scatter_0d_index_at_origin = true;
            }
            None if spec == "normal-result-default-dtype" => {
                faults.normal_result_default_dtype = true;
            }
            None if spec == "antialias-cubic-keys-a" => faults.antialias_cubic_keys_a = true,
            None if spec == "resample-u8-truncates" => faults.resample_u8_truncates = true,
            None if spec == "grid-sample-cubic-keys-half" => {
                faults.grid_sample_cubic_keys_half = true;
            }
            None if spec == "grid-sample-3d-yz-swapped" => faults.grid_sample_3d_yz_swapped = true,
            None if spec == "adaptive-max-pool3d-floor-end" => {
                faults.adaptive_max_pool3d_floor_end = true;
            }
            None if spec == "wrong-init-bound" => faults.wrong_init_bound = true,
            None if spec == "adam-skip-bias-correction" => faults.adam_skip_bias_correction = true,
            None if spec == "adamw-decay-as-l2" => faults.adamw_decay_as_l2 = true,
            None if spec == "nonstrict-load-copies-nothing" => {
                faults.nonstrict_load_copies_nothing = true;
            }
            None if spec == "bincount-drops-last-bin" => faults.bincount_drops_last_bin = true,
            None if spec == "png-paeth-as-up" => faults.png_paeth_as_up = true,
            None if spec == "batch-norm-grad-like-output" => {
                faults.batch_norm_grad_like_output = true;
            }
            None if spec == "prelu-double-backward-swaps-grads" => {
                faults.prelu_double_backward_swaps_grads = true;
            }
            None if spec == "recorded-solve-reuses-lu" => faults.recorded_solve_reuses_lu = true,
            None if spec == "copy-slices-unmarked-view-edge" => {
                faults.copy_slices_unmarked_view_edge = true;
            }
            None if spec == "group-norm-grad-mode-drops-mean-term" => {
                faults.group_norm_grad_mode_drops_mean_term = true;
            }
            None if spec == "cdist-double-backward-keeps-x2-sign" => {
                faults.cdist_double_backward_keeps_x2_sign = true;
            }
            None if spec == "logit-double-backward-open-band" => {
                faults.logit_double_backward_open_band = true;
            }
            None if spec == "bce-target-grad-not-averaged" => {
                faults.bce_target_grad_not_averaged = true;
            }
            None if spec == "roi-align-half-pixel" => faults.roi_align_sample_half_pixel = true,
            None if spec == "deform-conv-bilinear-swapped" => {
                faults.deform_conv_bilinear_swapped = true;
            }
            None if spec == "histogram-last-edge-open" => faults.histogram_last_edge_open = true,
            None if spec == "median-upper-of-two" => faults.median_upper_of_two = true,
            None if spec == "median-all-by-position" => faults.median_all_by_position = true,
            None if spec == "grid-sample-reduced-in-float" => {
                faults.grid_sample_reduced_in_float = true;
            }
            None if spec == "relu-zero-sign-dropped" => faults.relu_zero_sign_dropped = true,
            None if spec == "rank-one-product-accumulated" => {
                faults.rank_one_product_accumulated = true;
            }
            None if spec == "addmm-single-term-unfused" => {
                faults.addmm_single_term_unfused = true;
            }
            None if spec == "bmm-rank-one-accumulated" => {
                faults.bmm_rank_one_accumulated = true;
            }
            None if spec == "max-min-tie-lanes-ignored" => {
                faults.max_min_tie_lanes_ignored = true;
            }
            None if spec == "max-min-tie-lanes-out-of-place-only" => {
                faults.max_min_tie_lanes_out_of_place_only = true;
            }
            None if spec == "fmax-zero-tie-unordered" => {
                faults.fmax_zero_tie_unordered = true;
            }
            None if spec == "grid-sample-3d-reduced-in-float" => {
                faults.grid_sample_3d_reduced_in_float = true;
            }
            None if spec == "linspace-reduced-as-float" => {
                faults.linspace_reduced_as_float = true;
            }
            None if spec == "block-diag-backward-skips-frozen" => {
                faults.block_diag_backward_skips_frozen = true;
            }
            None if spec == "real-of-conj-unresolved" => faults.real_of_conj_unresolved = true,
            None if spec == "gamma-grad-wrong-series" => faults.gamma_grad_wrong_series = true,
            None if spec == "dirichlet-grad-sign" => faults.dirichlet_grad_sign = true,
            None if spec == "renorm-ignores-maxnorm" => faults.renorm_ignores_maxnorm = true,
            None if spec == "softshrink-no-shift" => faults.softshrink_no_shift = true,
            None if spec == "fake-quant-rounds-half-away" => {
                faults.fake_quant_rounds_half_away = true;
            }
            None if spec == "fused-observer-skips-average" => {
                faults.fused_observer_skips_average = true;
            }
            None if spec == "soft-margin-log-without-1p" => {
                faults.soft_margin_log_without_1p = true;
            }
            None if spec == "multilabel-margin-counts-targets" => {
                faults.multilabel_margin_counts_targets = true;
            }
            None if spec == "reflection-pad-repeats-edge" => {
                faults.reflection_pad_repeats_edge = true;
            }
            None if spec == "conv-transpose3d-drops-output-padding" => {
                faults.conv_transpose3d_drops_output_padding = true;
            }
            None if spec == "pool-exact-channels-last" => {
                faults.pool_exact_channels_last = true;
            }
            None if spec == "max-pool3d-contiguous" => {
                faults.max_pool3d_contiguous = true;
            }
            None if spec == "conv3d-contiguous-channels-last" => {
                faults.conv3d_contiguous_channels_last = true;
            }
            None if spec == "nearest3d-backward-channels-last" => {
                faults.nearest3d_backward_channels_last = true;
            }
            None if spec == "avg-pool3d-reduced-float" => {
                faults.avg_pool3d_reduced_float = true;
            }
            None if spec == "antialias-reduced-float" => {
                faults.antialias_reduced_float = true;
            }
            None if spec == "flip-pointwise-layout" => {
                faults.flip_pointwise_layout = true;
            }
            None if spec == "roll-contiguous" => {
                faults.roll_contiguous = true;
            }
            None if spec == "adaptive-avg-pool3d-reduced-in-f64" => {
                faults.adaptive_avg_pool3d_reduced_in_f64 = true;
            }
            None if spec == "cast-copy-contiguous" => {
                faults.cast_copy_contiguous = true;
            }
            None if spec == "flash-attention-max-skips-nan" => {
                faults.flash_attention_max_skips_nan = true;
            }
            None if spec == "sigmoid-backward-bf16-stepwise" => {
                faults.sigmoid_backward_bf16_stepwise = true;
            }
            None if spec == "glu-backward-unrounded-sigmoid" => {
                faults.glu_backward_unrounded_sigmoid = true;
            }
            None if spec == "reduced-inverse-root-rounded-once" => {
                faults.reduced_inverse_root_rounded_once = true;
            }
            None if spec == "scatter-amax-gradient-not-split" => {
                faults.scatter_amax_gradient_not_split = true;
            }
            None if spec == "fft-twiddle-sign" => faults.fft_twiddle_sign = true,
            None if spec == "irfft-missing-normalization" => {
                faults.irfft_missing_normalization = true;
            }
            None if spec == "fft-r2c-backward-no-onesided-fix" => {
                faults.fft_r2c_backward_no_onesided_fix = true;
            }
            None if spec == "as-strided-backward-keeps-unit-dims" => {
                faults.as_strided_backward_keeps_unit_dims = true;
            }
            None if spec == "isin-ignores-last-test-element" => {
                faults.isin_ignores_last_test_element = true;
            }
            None if spec == "channel-shuffle-inverse" => faults.channel_shuffle_inverse = true,
            None if spec == "rrelu-noise-not-written" => faults.rrelu_noise_not_written = true,
            None if spec == "fractional-pool-samples-swapped" => {
                faults.fractional_pool_samples_swapped = true;
            }
            None if spec == "fractional-pool-reduced-in-float" => {
                faults.fractional_pool_reduced_in_float = true;
            }
            None if spec == "frexp-reduced-refused" => faults.frexp_reduced_refused = true,
            None if spec == "frexp-without-backward" => faults.frexp_without_backward = true,
            None if spec == "neg-view-unresolved" => faults.neg_view_unresolved = true,
            None if spec == "strided-sum-in-double" => faults.strided_sum_in_double = true,
            None if spec == "strided-sum-one-loop" => faults.strided_sum_one_loop = true,
            None if spec == "complex-sum-in-double" => faults.complex_sum_in_double = true,
            None if spec == "log-sigmoid-in-double" => faults.log_sigmoid_in_double = true,
            None if spec == "log-sigmoid-f64-libm" => faults.log_sigmoid_f64_libm = true,
            None if spec == "complex-mean-divided-in-double" => {
                faults.complex_mean_divided_in_double = true;
            }
            None if spec == "loss-reduction-in-double" => {
                faults.loss_reduction_in_double = true;
            }
            None if spec == "elu-expm1-of-one-loop" => faults.elu_expm1_of_one_loop = true,
            None if spec == "softmax-columns-in-double" => {
                faults.softmax_columns_in_double = true;
            }
            None if spec == "logsumexp-in-double" => faults.logsumexp_in_double = true,
            None if spec == "group-norm-backward-sums-in-sequence" => {
                faults.group_norm_backward_sums_in_sequence = true;
            }
            None if spec == "repeat-interleave-reversed" => {
                faults.repeat_interleave_reversed = true;
            }
            None if spec == "search-in-double" => faults.search_in_double = true,
            None if spec == "addr-beta-zero-reads-self" => {
                faults.addr_beta_zero_reads_self = true;
            }
            None if spec == "int64-search-through-double" => {
                faults.int64_search_through_double = true;
            }
            None if spec == "integer-matmul-in-double" => {
                faults.integer_matmul_in_double = true;
            }
            None if spec == "integer-index-reduce-in-double" => {
                faults.integer_index_reduce_in_double = true;
            }
            None if spec == "out-resize-contiguous" => {
                faults.out_resize_contiguous = true;
            }
            None if spec == "out-reduction-in-input-dtype" => {
                faults.out_reduction_in_input_dtype = true;
            }
            None if spec == "reduced-batch-norm-exact-stats" => {
                faults.reduced_batch_norm_exact_stats = true;
            }
            None if spec == "running-stats-blend-in-double" => {
                faults.running_stats_blend_in_double = true;
            }
            None if spec == "composite-out-uncounted-write" => {
                faults.composite_out_uncounted_write = true;
            }
            None if spec == "bicubic-backward-channels-last" => {
                faults.bicubic_backward_channels_last = true;
            }
            None if spec == "bicubic-reduced-weights-in-float" => {
                faults.bicubic_reduced_weights_in_float = true;
            }
            None if spec == "upsample-linear-reduced-in-double" => {
                faults.upsample_linear_reduced_in_double = true;
            }
            None if spec == "upsample-linear-backward-reduced-in-double" => {
                faults.upsample_linear_backward_reduced_in_double = true;
            }
            None if spec == "conv-slow2d-channels-last-weight-grad" => {
                faults.conv_slow2d_channels_last_weight_grad = true;
            }
            None if spec == "half-conv-ignores-onednn" => {
                faults.half_conv_ignores_onednn = true;
            }
            None if spec == "half-conv-float-accumulation" => {
                faults.half_conv_float_accumulation = true;
            }
            None if spec == "half-conv-scatter-in-double" => {
                faults.half_conv_scatter_in_double = true;
            }
            None if spec == "view-dtype-casts" => {
                faults.view_dtype_casts = true;
            }
            None if spec == "scatter-view-grads-swapped" => {
                faults.scatter_view_grads_swapped = true;
            }
            None if spec == "narrow-copy-shifted" => faults.narrow_copy_shifted = true,
            None if spec == "zero-tensor-sum-materialized" => {
                faults.zero_tensor_sum_materialized = true;
            }
            None if spec == "steal-held-gradients" => faults.steal_held_gradients = true,
            None if spec == "set-keeps-grad-accumulator" => {
                faults.set_keeps_grad_accumulator = true;
            }
            None if spec == "vdot-grads-self-first" => faults.vdot_grads_self_first = true,
            None if spec == "complex-vdot-no-conj" => faults.complex_vdot_no_conj = true,
            None if spec == "fill-tensor-saturates" => faults.fill_tensor_saturates = true,
            None if spec == "pad-backward-sums-in-double" => {
                faults.pad_backward_sums_in_double = true;
            }
            None if spec == "dist-ignores-p" => faults.dist_ignores_p = true,
            None if spec == "lstsq-solution-unpermuted" => {
                faults.lstsq_solution_unpermuted = true;
            }
            None if spec == "cholesky-inverse-transposed-product" => {
                faults.cholesky_inverse_transposed_product = true;
            }
            None if spec == "eye-out-shifted-diagonal" => {
                faults.eye_out_shifted_diagonal = true;
            }
            None if spec == "detach-flags-coalesced" => faults.detach_flags_coalesced = true,
            None if spec == "cauchy-accepts-zero-sigma" => faults.cauchy_accepts_zero_sigma = true,
            None if spec == "logspace-unrounded-ends" => faults.logspace_unrounded_ends = true,
            None if spec == "igamma-is-complement" => faults.igamma_is_complement = true,
            None if spec == "chebyshev-plain-recurrence" => {
                faults.chebyshev_plain_recurrence = true;
            }
            None if spec == "bessel-quotient-without-result" => {
                faults.bessel_quotient_without_result = true;
            }
            None if spec == "resize-restrides-same-shape" => {
                faults.resize_restrides_same_shape = true;
            }
            None if spec == "resize-grows-from-zeros" => faults.resize_grows_from_zeros = true,
            None if spec == "dot-through-conj-fallback" => {
                faults.dot_through_conj_fallback = true;
            }
            Some(("rename-node", arg)) => {
                let (old, new) = arg
                    .split_once(':')
                    .ok_or_else(|| bad("expected rename-node=OLD:NEW"))?;
                faults.rename_node = Some((old.to_owned(), new.to_owned()));
            }
            Some(("perturb", arg)) => {
                let (op, delta) = arg
                    .rsplit_once(':')
                    .ok_or_else(|| bad("expected perturb=OP:DELTA"))?;
                let delta: f32 = delta.parse().map_err(|_| bad("DELTA is not a number"))?;
                faults.perturb = Some((op.to_owned(), delta));
            }
            _ => return Err(bad("unknown fault")),
        }
    }
    Ok(faults)
}

/// The runtime's recording of a replay.
pub struct ReplayRun {
    recording: Recording,
    meta: TraceMeta,
    halt: Option<Halt>,
}

/// Where a replay stopped because the runtime could not execute one of
/// PyTorch's events (a kernel it lacks, or an error PyTorch did not raise).
/// The recording then ends where that event began: everything the runtime
/// ran before it, nothing of it.
#[derive(Debug)]
pub struct Halt {
    /// The seq of the event the runtime could not execute (a top-level
    /// event: the operators a `backward()` runs belong to it).
    pub seq: u64,
    /// Why.
    pub error: ReplayError,
}

impl ReplayRun {
    /// Metadata for the runtime's trace.
    pub fn meta(&self) -> &TraceMeta {
        &self.meta
    }

    /// The runtime's events.
    pub fn events(&self) -> &[Event] {
        self.recording.events()
    }

    /// Where the replay stopped early, taken out of the run.
    pub fn take_halt(&mut self) -> Option<Halt> {
        self.halt.take()
    }

    /// The recording as diffable data (moved, not copied).
    pub fn into_trace_data(self) -> TraceData {
        let (events, retained, produced) = self.recording.into_parts();
        TraceData {
            label: "FrankenTorch runtime".into(),
            meta: self.meta,
            events,
            blobs: BlobStore::in_memory(retained.into_iter().collect()),
            produced,
        }
    }
}

/// The CPU a trace was recorded on, from its META attributes (this
/// machine's for what they leave out); a malformed one is a corrupt META.
pub fn cpu_profile_of(torch: &TraceData) -> Result<CpuProfile, ReplayError> {
    CpuProfile::from_attrs(&torch.meta.attrs).map_err(|e| {
        ReplayError::Trace(TraceError::Decode {
            path: torch.label.clone().into(),
            offset: ft_trace::format::HEADER_LEN,
            detail: e.to_string(),
        })
    })
}

/// Replays `torch` on a fresh runtime and returns the runtime's recording;
/// an event the runtime cannot execute is the error.
pub fn replay(torch: &TraceData, options: &ReplayOptions) -> Result<ReplayRun, ReplayError> {
    let mut run = replay_until_halt(torch, options)?;
    match run.take_halt() {
        Some(halt) => Err(halt.error),
        None => Ok(run),
    }
}

/// Replays `torch` on a fresh runtime; an event the runtime cannot execute
/// ends the replay there with a [`Halt`], and the recording of what ran
/// before it is kept (a divergence before the halt is the better verdict:
/// an error the runtime raises is often the symptom of an earlier
/// difference). A trace that cannot be read or is inconsistent is still
/// the error.
pub fn replay_until_halt(
    torch: &TraceData,
    options: &ReplayOptions,
) -> Result<ReplayRun, ReplayError> {
    // Values are recorded where the diff can compare them: under PyTorch's
    // own value policy, or every value when the runtime's trace is written.
    let policy = if options.out.is_some() {
        ValuePolicy::All
    } else {
        ValuePolicy::parse(&torch.meta.value_policy).unwrap_or(ValuePolicy::All)
    };
    let meta = TraceMeta {
        producer: format!("ft-runtime {}", ft_runtime::VERSION),
        program: torch.meta.program.clone(),
        value_policy: policy.name().into(),
        attrs: vec![
            ("replay_of".into(), torch.label.clone()),
            ("replay_mode".into(), ReplayMode::of(options).name().into()),
        ],
    };
    let expected_values = value_index(&torch.events);
    let anchors = options.anchor.then(AnchorBook::default);
    let mut recording = Recording::new(policy, options.timestamps, options.value_memory);
    recording.reserve(torch.events.len());
    recording.judge_with(Judge {
        expected: expected_values,
        blobs: torch.blobs.clone(),
        tolerances: options.tolerances.clone(),
        precision: match ReplayMode::of(options) {
            ReplayMode::Anchored => Precision::exact(),
            ReplayMode::FreeRunning => Precision::from_events(&torch.events),
        },
    });
    if let Some(path) = &options.out {
        recording
            .stream_to(path, &meta)
            .map_err(|e| output_error(path, e))?;
    }
    let sink = Rc::new(RefCell::new(recording));
    let mut runtime = Runtime::with_sink(Box::new(Rc::clone(&sink)));
    runtime.set_faults(options.faults.clone());
    if options.anchor {
        runtime.set_node_anchor(Box::new(NodeAnchors::new(torch)));
    }
    // PyTorch behaves slightly differently under the capture's dispatch mode
    // (it sums a second gradient into an input buffer with `add`, not `add_`);
    // replaying a capture means reproducing PyTorch as it was observed.
    runtime.set_dispatch_mode_active(torch.meta.producer.starts_with("capture_torch.py"));
    // Kernels whose rounding depends on the CPU reproduce the capture's.
    runtime.set_cpu_profile(cpu_profile_of(torch)?);
    let mut replayer = Replayer {
        torch,
        runtime,
        tensors: HashMap::new(),
        storage_of: HashMap::new(),
        missing_grads: HashMap::new(),
        pending_clones: Vec::new(),
        conj_sources: HashMap::new(),
        grad_results: Vec::new(),
        hooks: ReplayedHooks::default(),
        anchors,
    };
    let mut progress = Progress::new("replaying", torch.events.len() as u64);
    let mut stopped = false;
    let mut halt = None;
    for event in &torch.events {
        let recorded = sink.borrow().events().len();
        match replayer.step(event) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop) => {
                stopped = true;
                break;
            }
            Err(error @ ReplayError::Unsupported { .. }) => {
                halt = Some((
                    recorded,
                    Halt {
                        seq: event.seq,
                        error,
                    },
                ));
                break;
            }
            Err(e) => return Err(e),
        }
        progress.update(event.seq + 1);
    }
    if !stopped && halt.is_none() {
        replayer.runtime.end_program();
    }
    drop(progress);
    drop(replayer);
    let mut recording = match Rc::try_unwrap(sink) {
        Ok(cell) => cell.into_inner(),
        Err(_) => {
            return Err(ReplayError::Usage(
                "the runtime still holds its recording after the replay".into(),
            ));
        }
    };
    if let Some(path) = &options.out {
        recording
            .finish_output()
            .map_err(|e| output_error(path, e))?;
    }
    torch.check_values_readable()?;
    let halt = halt.map(|(recorded, halt)| {
        recording.truncate_events(recorded);
        halt
    });
    Ok(ReplayRun {
        recording,
        meta,
        halt,
    })
}

fn output_error(path: &Path, e: impl std::fmt::Display) -> ReplayError {
    ReplayError::Output {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

struct Replayer<'a> {
    torch: &'a TraceData,
    runtime: Runtime,
    /// PyTorch tensor id → runtime tensor, while the program holds it.
    tensors: HashMap<u64, Tensor>,
    /// PyTorch tensor id → PyTorch storage id, for every tensor bound so far.
    storage_of: HashMap<u64, u64>,
    /// PyTorch gradient ids whose leaf got no gradient in the runtime.
    missing_grads: HashMap<u64, u64>,
    /// Recorded original-`self` clones the next in-place call dispatches.
    pending_clones: Vec<TensorRef>,
    /// The output id of a deferred Conjugate-fallback clone → the id of the
    /// conjugate tensor it stands for until bound ([`conj`]).
    conj_sources: HashMap<u64, u64>,
    /// What the runtime's last `torch.autograd.grad` returned, until its
    /// `grad_result` binds it.
    grad_results: Vec<Option<Tensor>>,
    /// The program's backward hooks, replayed from their recorded runs.
    hooks: ReplayedHooks,
    /// Anchored replay: PyTorch's values by `(tensor id, version)`.
    anchors: Option<AnchorBook>,
}

/// The replayer's side of the program's hooks.
#[derive(Default)]
struct ReplayedHooks {
    /// Built at the first `register_hook` (a trace without hooks needs none).
    callbacks: Option<Callbacks>,
    /// Trace hook id → the runtime's handle.
    handles: HashMap<u64, ft_runtime::HookHandle>,
    /// Nesting of `hook_begin` … `hook_end` while the main loop steps over
    /// the ranges the hooks replayed.
    depth: usize,
}

impl Replayer<'_> {
    fn step(&mut self, event: &Event) -> Result<Flow, ReplayError> {
        let flow = self.step_event(event)?;
        if let Some(anchors) = &mut self.anchors {
            // An argument is anchored to the value PyTorch recorded for it
            // most recently before the call, while that value is current.
            anchors.observe(event);
        }
        Ok(flow)
    }

    fn step_event(&mut self, event: &Event) -> Result<Flow, ReplayError> {
        let seq = event.seq;
        // What a hook did was replayed when the runtime called the hook.
        match &event.body {
            EventBody::Autograd(AutogradEvent::HookBegin(_)) => self.hooks.depth += 1,
            EventBody::Autograd(AutogradEvent::HookEnd(_) | AutogradEvent::HookResult(_)) => {
                self.hooks.depth = self.hooks.depth.saturating_sub(1);
                return Ok(Flow::Continue);
            }
            // A hook that raised has no hook_end: its backward ends here.
            EventBody::Autograd(AutogradEvent::GraphTaskError(_)) => self.hooks.depth = 0,
            _ => {}
        }
        if self.hooks.depth > 0 || self.hooks.callbacks.as_ref().is_some_and(|c| c.in_run(seq)) {
            return Ok(Flow::Continue);
        }
        match &event.body {
            EventBody::Api(api) => return self.api(seq, api),
            EventBody::Dispatch(DispatchEvent::Op(op)) if op.context == Context::TopLevel => {
                if data::is_assignment_check(&self.torch.events, seq, op) {
                    // The runtime's `set_data` made this call.
                } else if conj::is_fallback_clone(&self.torch.events, seq, op) {
                    self.defer_fallback_clone(op);
                } else if self.is_original_self_clone(seq, op) {
                    // The in-place operator that follows dispatches it itself.
                    self.pending_clones
                        .extend(op.outputs.iter().flat_map(|v| v.tensors()).cloned());
                } else {
                    self.op(seq, op)?;
                }
            }
            EventBody::Dispatch(DispatchEvent::OpError(op)) if op.context == Context::TopLevel => {
                self.op_error(seq, op)?;
            }
            EventBody::Autograd(AutogradEvent::Accumulate(acc)) => {
                // Role: the tensor PyTorch stored in leaf.grad is, in the runtime,
                // whatever the runtime's backward stored in the same leaf.
                let leaf = self.lookup(seq, acc.tensor)?;
                match leaf.grad() {
                    Some(grad) => self.bind(&acc.grad, grad),
                    None => {
                        self.missing_grads.insert(acc.grad.id, acc.tensor);
                    }
                }
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn api(&mut self, seq: u64, api: &ApiEvent) -> Result<Flow, ReplayError> {
        match api {
            ApiEvent::Tensor(intro) => {
                let t = &intro.tensor;
                let tensor = if intro.alias {
                    let base = self.tensor_on_storage(t.storage).ok_or_else(|| {
                        self.inconsistent(
                            seq,
                            format!("alias of storage S{} that no live tensor holds", t.storage),
                        )
                    })?;
                    self.runtime.introduce_alias_at_version(
                        &base,
                        &t.dtype,
                        &t.shape,
                        &t.stride,
                        t.offset,
                        t.requires_grad,
                        t.version,
                    )
                } else if t.value.is_none() && t.device.as_str() == "meta" {
                    // A meta tensor has no value to record (tutorial-like-device).
                    self.runtime.introduce_meta_tensor(
                        &t.dtype,
                        &t.shape,
                        &t.stride,
                        t.offset,
                        t.requires_grad,
                    )
                } else {
                    let digest = t.value.ok_or_else(|| {
                        self.inconsistent(
                            seq,
                            format!("tensor T{} introduced without a value", t.id),
                        )
                    })?;
                    let blob = self.torch.blobs.get(&digest).ok_or_else(|| {
                        self.inconsistent(
                            seq,
                            format!(
                                "value {} of T{} is not in the trace",
                                digest.short(16),
                                t.id
                            ),
                        )
                    })?;
                    self.runtime.introduce_tensor(
                        &t.dtype,
                        &t.shape,
                        &t.stride,
                        t.offset,
                        &blob.data,
                        t.requires_grad,
                    )
                }
                .map_err(|e| unsupported(seq, "tensor introduction", &e))?;
                if !intro.alias {
                    self.runtime.set_introduced_version(&tensor, t.version);
                }
                self.bind(t, tensor);
            }
            ApiEvent::SetRequiresGrad(s) => {
                let t = self.lookup(seq, s.tensor)?;
                // A tensor with history that stops requiring grad was
                // detached in place (`detach_`, CAPTURE.md §5).
                if !s.requires_grad && !t.is_leaf() {
                    self.runtime
                        .detach_(&t)
                        .map_err(|e| unsupported(seq, "detach_", &e))?;
                } else {
                    self.runtime
                        .set_requires_grad(&t, s.requires_grad)
                        .map_err(|e| unsupported(seq, "requires_grad_", &e))?;
                }
            }
            ApiEvent::Backward(b) => {
                let roots = b
                    .roots
                    .iter()
                    .map(|&r| self.lookup(seq, r))
                    .collect::<Result<Vec<_>, _>>()?;
                let grads = b
                    .grads
                    .iter()
                    .map(|g| g.map(|g| self.lookup(seq, g)).transpose())
                    .collect::<Result<Vec<_>, _>>()?;
                let result = self
                    .with_hooks(|rt| rt.backward(&roots, &grads, b.retain_graph, b.create_graph));
                if let Err(e) = result {
                    // A backward PyTorch also saw raise is part of the program
                    // (it caught the error, or the trace ends there): the
                    // runtime's graph_task_error is diffed with PyTorch's.
                    if e.is_capability_gap() || !self.backward_raised(seq) {
                        return Err(unsupported(seq, "backward()", &e));
                    }
                }
            }
            ApiEvent::Grad(g) => self.grad_call(seq, g)?,
            ApiEvent::GradResult(r) => self.grad_result(r),
            ApiEvent::GradMode(g) => self.runtime.set_grad_mode(g.grad_enabled, g.inference_mode),
            ApiEvent::ManualSeed(s) => self.runtime.manual_seed(s.seed),
            ApiEvent::MarkBegin(m) => self.runtime.mark_begin(&m.name),
            ApiEvent::MarkEnd(m) => self.runtime.mark_end(&m.name),
            ApiEvent::SetGrad(s) => {
                let t = self.lookup(seq, s.tensor)?;
                let grad = s.grad.map(|g| self.lookup(seq, g)).transpose()?;
                self.runtime
                    .set_grad(&t, grad)
                    .map_err(|e| unsupported(seq, ".grad assignment", &e))?;
            }
            ApiEvent::Release(r) => {
                // Only tensors the program could reach are released; dropping
                // our handle lets the runtime free what PyTorch freed (a
                // finished step's graph, and with it its AccumulateGrad nodes).
                if let Some(tensor) = self.tensors.remove(&r.tensor) {
                    self.runtime.release(tensor);
                }
            }
            ApiEvent::DefaultDtype(d) => {
                let dtype = ft_runtime::DType::from_name(&d.dtype)
                    .map_err(|e| unsupported(seq, "torch.set_default_dtype", &e))?;
                self.runtime
                    .set_default_dtype(dtype)
                    .map_err(|e| unsupported(seq, "torch.set_default_dtype", &e))?;
            }
            ApiEvent::Autocast(a) => {
                let dtype = ft_runtime::DType::from_name(&a.dtype)
                    .map_err(|e| unsupported(seq, "torch.autocast", &e))?;
                let state = ft_runtime::dispatch::autocast::AutocastState {
                    enabled: a.enabled,
                    dtype,
                    cache_enabled: a.cache_enabled,
                };
                self.runtime
                    .set_autocast(&a.device_type, state)
                    .map_err(|e| unsupported(seq, "torch.autocast", &e))?;
            }
            ApiEvent::BelowAutograd(b) => self.runtime.set_below_autograd(b.enabled),
            ApiEvent::AnomalyMode(a) => {
                self.runtime
                    .set_anomaly_mode(ft_runtime::autograd::anomaly::AnomalyMode {
                        enabled: a.enabled,
                        check_nan: a.check_nan,
                    });
            }
            ApiEvent::RegisterHook(h) => self.register_hook(seq, h)?,
            ApiEvent::RegisterNodeHook(h) => self.register_node_hook(seq, h)?,
            ApiEvent::Function(f) => self.function(seq, f)?,
            ApiEvent::Data(d) => self.data_access(seq, d)?,
            ApiEvent::SavedTensorsHooks(h) => {
                let torch = self.torch;
                self.hooks
                    .callbacks
                    .get_or_insert_with(|| Callbacks::scan(torch))
                    .saved_tensors_hooks(&mut self.runtime, h.hook, h.enter);
            }
            ApiEvent::RemoveHook(h) => {
                if let Some(handle) = self.hooks.handles.remove(&h.hook) {
                    self.runtime.remove_hook(handle);
                }
            }
            ApiEvent::RetainGrad(r) => {
                let t = self.lookup(seq, r.tensor)?;
                self.runtime
                    .retain_grad(&t)
                    .map_err(|e| unsupported(seq, "retain_grad()", &e))?;
            }
            ApiEvent::ProgramError(p) => {
                self.runtime.end_program();
                self.runtime.program_error(&p.message);
                return Ok(Flow::Stop);
            }
            _ => {
                return Err(ReplayError::Unsupported {
                    what: "api event".into(),
                    seq,
                    detail: "this build does not know how to replay it".into(),
                });
            }
        }
        Ok(Flow::Continue)
    }

    fn op(&mut self, seq: u64, op: &OpCall) -> Result<(), ReplayError> {
        let args = op
            .args
            .iter()
            .map(|(_, v)| self.ivalue(seq, v))
            .collect::<Result<Vec<_>, _>>()?;
        if ft_trace::op_class::is_random(&op.op) || ft_trace::op_class::is_external_input(&op.op) {
            self.provide_random(seq, op)?;
        }
        self.anchor_arguments(op);
        let gauged = self.provide_gauge_reference(seq, op)?;
        let outputs = if entered_below_ad_inplace_or_view(&op.keyset) {
            self.runtime.call_below_ad_inplace_or_view(&op.op, args)
        } else {
            self.runtime.call_from_cpp(&op.op, args)
        };
        if gauged {
            self.runtime
                .provide_gauge_reference(&op.op, None)
                .map_err(|e| unsupported(seq, &op.op, &e))?;
        }
        let outputs = outputs.map_err(|e| unsupported(seq, &op.op, &e))?;
        let expected: Vec<&TensorRef> = op.outputs.iter().flat_map(|v| v.tensors()).collect();
        let produced: Vec<Tensor> = outputs.into_iter().flat_map(IValue::into_tensors).collect();
        if expected.len() != produced.len() {
            return Err(ReplayError::Unsupported {
                what: op.op.to_string(),
                seq,
                detail: format!(
                    "runtime returned {} tensors where PyTorch returned {}",
                    produced.len(),
                    expected.len()
                ),
            });
        }
        for (k, (t, tensor)) in expected.into_iter().zip(produced).enumerate() {
            // A result on another device than PyTorch's is no drift: every
            // later operator reading it fails or skips its data, so it is
            // named here, at the operator that placed it (tutorial-like-device).
            let device = tensor.device().name();
            if device != t.device.as_str() {
                return Err(ReplayError::Unsupported {
                    what: op.op.to_string(),
                    seq,
                    detail: format!(
                        "runtime's output {k} is on {device} where PyTorch's is on {}",
                        t.device
                    ),
                });
            }
            self.bind(t, tensor);
        }
        // Arguments the kernel resized in place: the same tensors, new handles.
        for (index, tensor) in self.runtime.take_resized_arguments() {
            if let Some(t) = op
                .args
                .get(index)
                .and_then(|(_, v)| v.tensors().into_iter().next())
            {
                self.bind(t, tensor);
            }
        }
        let clones = self.runtime.take_original_selves();
        let recorded = std::mem::take(&mut self.pending_clones);
        for (t, tensor) in recorded.iter().zip(clones) {
            self.conj_sources.remove(&t.id);
            self.bind(t, tensor);
        }
        Ok(())
    }

    /// Anchored replay: puts PyTorch's recorded value of each tensor
    /// argument (at the version the call saw) into the runtime's tensor.
    ///
    /// Anchoring removes drift, never substance: the recorded value replaces
    /// the runtime's only when the two agree within tolerance. A value that
    /// changed since PyTorch recorded it without a new version (a write
    /// through an alias with its own version counter) therefore keeps the
    /// runtime's own value, as does an argument PyTorch recorded no value
    /// for or one that does not fit the runtime's tensor (the streams
    /// diverged; the structural checks report that). A runtime value beyond
    /// tolerance was already reported at the operator that produced it.
    fn anchor_arguments(&mut self, op: &OpCall) {
        let Some(anchors) = &self.anchors else {
            return;
        };
        for t in op.args.iter().flat_map(|(_, v)| v.tensors()) {
            let Some(tensor) = self.tensors.get(&t.id) else {
                continue;
            };
            // A nested argument's value is its buffer's.
            let (recorded, tensor) = match (&t.nested, tensor.nested_buffer()) {
                (Some(parts), Some(buffer)) => (&parts.buffer, buffer),
                _ => (t, tensor.clone()),
            };
            let Some(digest) = anchors.get(recorded.id, recorded.version) else {
                continue;
            };
            if let Some(blob) = self.torch.blobs.get(&digest) {
                anchor_value(&tensor, &blob);
            }
        }
    }

    /// Registers a hook that replays what the program's hook did each time
    /// the runtime calls it (see [`crate::callbacks`]).
    fn register_hook(&mut self, seq: u64, h: &ft_trace::RegisterHook) -> Result<(), ReplayError> {
        let t = self.lookup(seq, h.tensor)?;
        let torch = self.torch;
        let callbacks = self
            .hooks
            .callbacks
            .get_or_insert_with(|| Callbacks::scan(torch));
        let handle = match h.kind.as_str() {
            "tensor" => {
                let hook = callbacks.tensor_hook(h.hook);
                self.runtime.register_hook(&t, hook)
            }
            "post_accumulate_grad" => {
                let hook = callbacks.post_accumulate_hook(h.hook);
                self.runtime.register_post_accumulate_grad_hook(&t, hook)
            }
            other => {
                return Err(ReplayError::Unsupported {
                    what: format!("{other} hook"),
                    seq,
                    detail: "this build replays tensor and post_accumulate_grad hooks".into(),
                });
            }
        }
        .map_err(|e| unsupported(seq, "register_hook", &e))?;
        self.hooks.handles.insert(h.hook, handle);
        Ok(())
    }

    /// Runs `f` (which may run the engine) with the replayer's bindings lent
    /// to the hooks, and takes them back with what the hooks kept.
    fn with_hooks<T>(&mut self, f: impl FnOnce(&mut Runtime) -> T) -> T {
        let Some(callbacks) = &self.hooks.callbacks else {
            return f(&mut self.runtime);
        };
        callbacks.lend(Bindings {
            tensors: std::mem::take(&mut self.tensors),
            storage_of: std::mem::take(&mut self.storage_of),
        });
        let out = f(&mut self.runtime);
        let back = callbacks.reclaim();
        self.tensors = back.tensors;
        self.storage_of = back.storage_of;
        out
    }

    /// Re-executes a top-level call that raised in PyTorch (dispatch
    /// `op_error`). The runtime is expected to raise too; its own op_error
    /// event (or, when it did not raise, its op event) is diffed with
    /// PyTorch's. A runtime that lacks the operator fails the replay as
    /// any unsupported call does.
    fn op_error(&mut self, seq: u64, op: &OpError) -> Result<(), ReplayError> {
        let args = op
            .args
            .iter()
            .map(|(_, v)| self.ivalue(seq, v))
            .collect::<Result<Vec<_>, _>>()?;
        let result = if entered_below_ad_inplace_or_view(&op.keyset) {
            self.runtime.call_below_ad_inplace_or_view(&op.op, args)
        } else {
            self.runtime.call_from_cpp(&op.op, args)
        };
        match result {
            Err(e) if e.is_capability_gap() => Err(unsupported(seq, &op.op, &e)),
            // Raised (as PyTorch did), or returned results PyTorch never
            // produced: nothing to bind either way.
            _ => Ok(()),
        }
    }

    /// Whether PyTorch's `backward()` at `seq` raised: the first
    /// `graph_task_end` or `graph_task_error` that closes it (FORMAT §3.4)
    /// is an error.
    fn backward_raised(&self, seq: u64) -> bool {
        let start = self.torch.events.partition_point(|e| e.seq <= seq);
        let mut depth = 0usize;
        for e in &self.torch.events[start..] {
            match &e.body {
                EventBody::Autograd(AutogradEvent::GraphTaskBegin(_)) => depth += 1,
                EventBody::Autograd(AutogradEvent::GraphTaskEnd(_)) => {
                    if depth <= 1 {
                        return false;
                    }
                    depth -= 1;
                }
                EventBody::Autograd(AutogradEvent::GraphTaskError(_)) => {
                    if depth <= 1 {
                        return true;
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
        false
    }

    /// Whether the top-level `clone` at `seq` is the copy of `self` that
    /// the next in-place operator's autograd kernel dispatched before its
    /// own kernel (PyTorch saves the original `self` that way when the
    /// gradient needs it: `x.mul_(w)` with `w` requiring grad, `clamp_`,
    /// `abs_`, ...). The capture sees it as a top-level op; it is told apart
    /// from a program's own `clone` by sequence numbers: the in-place node
    /// took its number first, so the clone's CloneBackward0 has the next one.
    fn is_original_self_clone(&self, seq: u64, op: &OpCall) -> bool {
        if op.op != "aten.clone.default" {
            return false;
        }
        let Some(out) = op.outputs.iter().flat_map(|v| v.tensors()).next() else {
            return false;
        };
        let Some(source) = op
            .args
            .first()
            .and_then(|(_, v)| v.tensors().into_iter().next())
        else {
            return false;
        };
        let start = self.torch.events.partition_point(|e| e.seq <= seq);
        let rest = &self.torch.events[start..];
        let clone_seq_nr = node_seq_nr_before_next_op(rest, out.id);
        let Some(next) = rest.iter().position(|e| {
            matches!(&e.body, EventBody::Dispatch(DispatchEvent::Op(o)) if o.context == Context::TopLevel)
        }) else {
            return false;
        };
        let EventBody::Dispatch(DispatchEvent::Op(inplace)) = &rest[next].body else {
            return false;
        };
        let is_inplace = inplace
            .op
            .split('.')
            .nth(1)
            .is_some_and(|name| name.ends_with('_') && !name.starts_with('_'));
        let same_self = inplace
            .args
            .first()
            .and_then(|(_, v)| v.tensors().into_iter().next())
            .is_some_and(|t| t.id == source.id);
        // The in-place op's own node is recorded on `self`; on a view it is
        // wrapped in the base's CopySlices, which numbers right after it
        // (op node, clone, CopySlices).
        let after = &rest[next + 1..];
        if !(is_inplace && same_self) {
            return false;
        }
        let Some(clone_seq_nr) = clone_seq_nr else {
            // A `self` that needs no gradient: its clone records no node,
            // but the in-place op records one on it when another input
            // needs a gradient (`x.mul_(w)` with only `w` requiring grad).
            // The clone is the autograd kernel's when that op, with those
            // inputs needing gradients, saves the original `self`.
            return node_before_next_op(after, source.id).is_some_and(|n| {
                let needs: Vec<bool> = n.next.iter().map(|e| e.node.is_some()).collect();
                needs.first() == Some(&false) && Runtime::clones_original_self(&inplace.op, &needs)
            });
        };
        node_seq_nr_before_next_op(after, source.id).is_some_and(|n| n + 1 == clone_seq_nr)
            || copy_slices_seq_nr_before_next_op(after).is_some_and(|n| n == clone_seq_nr + 1)
    }

    /// Hands the runtime PyTorch's recorded outputs of a spectral
    /// decomposition (`_linalg_svd`, `_linalg_eigh`) so that its singular or
    /// eigen vectors take PyTorch's gauge (sign, rotation within a cluster
    /// of equal values); whether any were given. Without recorded values
    /// (`--values none`) the runtime keeps its own convention.
    fn provide_gauge_reference(&mut self, seq: u64, op: &OpCall) -> Result<bool, ReplayError> {
        if !matches!(
            op.op.as_str(),
            "aten._linalg_svd.default" | "aten._linalg_eigh.default"
        ) {
            return Ok(false);
        }
        let mut outputs = Vec::new();
        for t in op.outputs.iter().flat_map(|v| v.tensors()) {
            let Some(blob) = t.value.and_then(|d| self.torch.blobs.get(&d)) else {
                return Ok(false);
            };
            outputs.push(blob);
        }
        let views: Vec<(&str, &[u8])> = outputs
            .iter()
            .map(|b| (b.dtype.as_str(), b.data.as_ref()))
            .collect();
        self.runtime
            .provide_gauge_reference(&op.op, Some(&views))
            .map_err(|e| unsupported(seq, &op.op, &e))?;
        Ok(true)
    }

    /// Queues the recorded output of random operator `op` for the runtime.
    /// A random operator whose output lives on the meta device draws
    /// nothing (the runtime's kernel computes only the geometry there), so
    /// there is no value to feed.
    fn provide_random(&mut self, seq: u64, op: &OpCall) -> Result<(), ReplayError> {
        let Some(output) = op.outputs.iter().flat_map(|v| v.tensors()).next() else {
            return Ok(());
        };
        if output.device == "meta" {
            return Ok(());
        }
        let digest = output.value.ok_or_else(|| ReplayError::Unsupported {
            what: op.op.to_string(),
            seq,
            detail: "random op without a recorded output (capture with --values all or inputs)"
                .into(),
        })?;
        let blob = self.torch.blobs.get(&digest).ok_or_else(|| {
            self.inconsistent(
                seq,
                format!("value {} is not in the trace", digest.short(16)),
            )
        })?;
        self.runtime
            .provide_random_values(&blob.dtype, &blob.data)
            .map_err(|e| unsupported(seq, &op.op, &e))
    }

    /// Converts a recorded argument, resolving its tensors first (by id or role).
    fn ivalue(&self, seq: u64, value: &Value) -> Result<IValue, ReplayError> {
        let mut resolved: HashMap<u64, Tensor> = HashMap::new();
        for t in value.tensors() {
            resolved.insert(t.id, self.lookup(seq, t.id)?);
        }
        IValue::from_trace_value(value, &mut |t: &TensorRef| {
            resolved
                .get(&t.id)
                .cloned()
                .ok_or_else(|| RuntimeError::Unsupported {
                    op: "replay".into(),
                    what: format!("tensor T{} was not resolved", t.id),
                })
        })
        .map_err(|e| unsupported(seq, &format!("argument {value}"), &e))
    }

    fn bind(&mut self, t: &TensorRef, tensor: Tensor) {
        self.storage_of.insert(t.id, t.storage);
        self.tensors.insert(t.id, tensor);
    }

    /// A live runtime tensor on PyTorch storage `storage` (lowest id first).
    fn tensor_on_storage(&self, storage: u64) -> Option<Tensor> {
        self.tensors
            .iter()
            .filter(|(id, _)| self.storage_of.get(id) == Some(&storage))
            .min_by_key(|(id, _)| **id)
            .map(|(_, t)| t.clone())
    }

    fn lookup(&self, seq: u64, id: u64) -> Result<Tensor, ReplayError> {
        if let Some(t) = self.tensors.get(&id) {
            return Ok(t.clone());
        }
        if let Some(&source) = self.conj_sources.get(&id) {
            return self.lookup(seq, source);
        }
        if let Some(leaf) = self.missing_grads.get(&id) {
            return Err(ReplayError::Unsupported {
                what: format!("gradient T{id} of leaf T{leaf}"),
                seq,
                detail: "the runtime's backward stored no gradient in that leaf".into(),
            });
        }
        Err(self.inconsistent(
            seq,
            format!("tensor T{id} is used before any replayed event produced it"),
        ))
    }

    fn inconsistent(&self, seq: u64, detail: String) -> ReplayError {
        ReplayError::Inconsistent {
            path: self.torch.label.clone(),
            seq,
            detail,
        }
    }
}

/// The sequence number of the node recorded for tensor `id` among the
/// autograd events before the next top-level op of `events`.
fn node_seq_nr_before_next_op(events: &[Event], id: u64) -> Option<u64> {
    for e in events {
        match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(o)) if o.context == Context::TopLevel => {
                return None;
            }
            EventBody::Autograd(AutogradEvent::Node(n)) if n.tensors.contains(&id) => {
                return Some(n.seq_nr);
            }
            _ => {}
        }
    }
    None
}

/// The node recorded on tensor `id` among the autograd events before the
/// next top-level op of `events`.
fn node_before_next_op(events: &[Event], id: u64) -> Option<&ft_trace::NodeCreated> {
    for e in events {
        match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(o)) if o.context == Context::TopLevel => {
                return None;
            }
            EventBody::Autograd(AutogradEvent::Node(n)) if n.tensors.contains(&id) => {
                return Some(n);
            }
            _ => {}
        }
    }
    None
}

/// The sequence number of the CopySlices node among the autograd events
/// before the next top-level op of `events` (an in-place op on a view).
fn copy_slices_seq_nr_before_next_op(events: &[Event]) -> Option<u64> {
    for e in events {
        match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(o)) if o.context == Context::TopLevel => {
                return None;
            }
            EventBody::Autograd(AutogradEvent::Node(n)) if n.name == "CopySlices" => {
                return Some(n.seq_nr);
            }
            _ => {}
        }
    }
    None
}

/// Whether a recorded top-level call entered the dispatcher below autograd
/// and ADInplaceOrView: its keyset has neither. The TLS state on entry is
/// the only way a call's keyset loses those keys (every tensor a program
/// holds has them outside inference mode, and the normal state includes
/// ADInplaceOrView); where neither state would give them (inference mode and
/// inference tensors) both walks are the same.
pub(crate) fn entered_below_ad_inplace_or_view(keyset: &[ft_trace::Name]) -> bool {
    !keyset
        .iter()
        .any(|k| k == "ADInplaceOrView" || k.starts_with("Autograd"))
}

fn unsupported(seq: u64, what: &str, e: &RuntimeError) -> ReplayError {
    ReplayError::Unsupported {
        what: what.to_owned(),
        seq,
        detail: e.to_string(),
    }
}
