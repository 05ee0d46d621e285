//! Deliberate faults, for parity tests only.
//!
//! A replay parity check is only trustworthy if it catches a runtime that is
//! wrong. [`Faults`] breaks the runtime in small, named ways so tests can
//! prove each kind of divergence is detected. Everything is off by default
//! and costs one branch where it applies; production code never sets it.

/// Test faults. `Faults::default()` is a correct runtime.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Invert the ReadyQueue ordering: lowest (depth, sequence_nr) pops
    /// first. Breaks the backward schedule.
    pub reverse_ready_queue: bool,
    /// Break ReadyQueue ties first-in-first-out instead of in libstdc++ heap
    /// order. Changes the order of tied AccumulateGrad nodes (≥ 3 ties).
    pub fifo_ties: bool,
    /// Report nodes named `.0` under the name `.1` (e.g. `ReluBackward0` →
    /// `ReluBackward1`). Breaks graph isomorphism by name.
    pub rename_node: Option<(String, String)>,
    /// Add `.1` to every element of the first output tensor of operator `.0`
    /// (Python overload name, e.g. `aten.relu.default`) on CPU: the first
    /// tensor of a `Tensor[]` result, or for an in-place operator returning
    /// nothing (`_foreach_add_`) its first `self` tensor. Breaks values.
    pub perturb: Option<(String, f32)>,
    /// Sum a second gradient into a node's input buffer as `add(new, old)`
    /// instead of PyTorch's `add(old, new)` (the out-of-place sum, which is
    /// the one taken while a dispatch mode is active, i.e. when replaying a
    /// capture). Values do not change — addition commutes — so only the
    /// operands' identities betray it: breaks dataflow.
    pub swap_input_buffer_sum: bool,
    /// Skip the version check of saved tensors: a tensor modified in place
    /// after it was saved is used anyway, where PyTorch raises "one of the
    /// variables needed for gradient computation has been modified by an
    /// inplace operation". Breaks the error a backward must raise.
    pub skip_saved_version_check: bool,
    /// Ignore the pruning of a restricted backward (`torch.autograd.grad`,
    /// `backward(inputs=...)`): run every node reachable from the roots, as
    /// a plain backward does. Breaks the schedule and the ops of such traces.
    pub ignore_exec_info: bool,
    /// Never call the program's backward hooks (tensor hooks, retained
    /// gradients, post-accumulate-grad hooks). Breaks every trace that
    /// registered one: their events and operators are missing.
    pub skip_hooks: bool,
    /// Keep no reference for the program's holds on nodes
    /// (`register_node_hook` kind `hold`: `register_multi_grad_hook`'s
    /// AccumulateGrads): a held AccumulateGrad dies with its last graph.
    /// Breaks the graph of every trace whose next forward reused the held
    /// node (a new AccumulateGrad appears).
    pub drop_node_holds: bool,
    /// Never call saved-tensor unpack hooks: a node reads its hooked saved
    /// tensors as they were packed (the non-reentrant checkpoint's stale
    /// forward tensors, no recomputation). Breaks every trace with one.
    pub stale_saved_tensors: bool,
    /// Dispatch no `detach` of what an unpack hook returned when the scope
    /// runs under a program dispatch mode (`allow_mutation_on_saved_tensors`):
    /// the node uses the hook's tensor itself. Breaks every trace with such
    /// a scope whose unpacked tensor has history or requires grad: the
    /// `detach` in the node is missing.
    pub unpack_without_detach: bool,
    /// Take no sequence number for a node that is dropped before its
    /// operator runs (the operator a non-reentrant checkpoint's early stop
    /// interrupts while it saves its inputs). Breaks every trace whose
    /// checkpointed block ends in an operator that saves an input (a
    /// Linear): later nodes are numbered one lower than PyTorch's.
    pub unnumbered_dropped_node: bool,
    /// Pack a node's hooked saved tensors in the order its function saved
    /// them rather than PyTorch's (inputs by argument name, then outputs by
    /// return name). Breaks every trace whose saved-tensor hooks see a node
    /// that saves several tensors out of that order (`native_layer_norm`
    /// under a checkpoint): each unpack returns another slot's tensor.
    pub build_order_saved_tensors: bool,
    /// Compute integer `add`, `sub` and `mul` through double and cast back
    /// (exact only below 2^53). Breaks every trace with int64 arithmetic
    /// beyond 2^53 or int32 products that wrap from beyond it (hashing,
    /// index mixing, linear congruential generators).
    pub integer_arithmetic_in_double: bool,
    /// Shift right logically (zeros in from the top) instead of filling
    /// with the sign. Breaks every trace that shifts a negative integer
    /// right (hash mixing, bit tricks).
    pub right_shift_without_sign_fill: bool,
    /// Lay out the results of operators whose numbers are parameters
    /// (`pow.Tensor_Scalar`, `pow.Scalar`, `clamp`, `clamp_min`,
    /// `clamp_max`, `lerp.Scalar`) with each number as a 0-dim input, and
    /// `hardtanh`/`nan_to_num` as TensorIterator would rather than as
    /// `empty_like(self)`. Breaks the strides of such a result from a
    /// contiguous `self` with a stray size-1 stride (a Mahalanobis term of
    /// one vector, `solve_triangular` of shape `[1, d, 1]`).
    pub numbers_as_iterator_inputs: bool,
    /// Compute a float32 elementwise operator with its Python numbers (and
    /// float64 / int64 operands) in float64 instead of casting them to
    /// float32 first, as PyTorch's TensorIterator does (numbers_in_double).
    /// Puts `x * 0.9` an ulp off PyTorch's for a sixth of the elements.
    pub numbers_in_double: bool,
    /// `tanh_backward` rounds `y * y` before subtracting it from one, where
    /// PyTorch's kernel fuses `1 - y * y` into one rounding
    /// (tanh_backward_unfused). Puts a quarter of a float32 tanh's input
    /// gradients an ulp off.
    pub tanh_backward_unfused: bool,
    /// The in-place comparisons' backward (`GtBackward1`, ...) makes `self`'s
    /// zero gradient before `other`'s, where PyTorch makes `other`'s first
    /// (compare_inplace_self_first). Breaks the order of the node's two
    /// `zeros` calls.
    pub compare_inplace_self_first: bool,
    /// `mse_loss_backward` computes `norm * (self - target) * grad` in f64
    /// and rounds once, where PyTorch's float32 kernel rounds after each
    /// step (mse_backward_rounded_once). Puts about a third of the input
    /// gradients of a float32 MSE loss an ulp off.
    pub mse_backward_rounded_once: bool,
    /// `pow(x, 3)`, `pow(x, -2)` and `pow(x, -0.5)` use the general power
    /// where PyTorch's kernel multiplies, divides and takes a square root
    /// (pow_by_general_power). Puts a quarter of the elements of a cubed
    /// float32 tensor (the tanh-approximated GELU's `x ** 3`) an ulp off.
    pub pow_by_general_power: bool,
    /// A complex64 product computes its parts in f64 and rounds each once,
    /// where PyTorch's kernel rounds each partial product to float32 first
    /// (complex_mul_in_double). Puts a third of the parts an ulp off.
    pub complex_mul_in_double: bool,
    /// `take` reads positions in storage order instead of the tensor's
    /// logical order. Breaks every `take` from a non-contiguous tensor.
    pub take_in_storage_order: bool,
    /// Sum pooling gradients (max, average and adaptive, 2-d and 3-d) in
    /// float64 and round once at the end, where PyTorch rounds to the
    /// gradient's dtype after each division and addition. Breaks a float32
    /// gradient where overlapping windows or ties send several gradients of
    /// mixed sign to one input element.
    pub pool_gradient_in_double: bool,
    /// Layer norm takes each row's exact mean and variance (float64, two
    /// passes) instead of PyTorch's vectorised Welford moments in the
    /// accumulation type. Breaks float32 rows with a large common offset
    /// (raw features such as years or prices), where PyTorch's variance is
    /// off by 1e-4 relative and so is every output.
    pub layer_norm_exact_moments: bool,
    /// Group norm computes as the runtime once did: each block's exact
    /// mean and variance (float64) and the backward's plane sums and chain
    /// in float64, instead of PyTorch's vectorised Welford moments, lane
    /// sums and fused steps in the accumulation type. Breaks float32 blocks
    /// with a large common offset (raw thermal frames in kelvin).
    pub group_norm_exact_statistics: bool,
    /// The clamps at zero of a group norm's variance, of the matrix-product
    /// squared distance of `_euclidean_dist` and of the fast-path
    /// transformer's ReLU drop NaN (`f64::max`), where PyTorch keeps it:
    /// a NaN reading then yields a finite `rstd` (`1/sqrt(eps)`) and zero
    /// distances instead of NaN.
    pub nan_clamped_to_zero: bool,
    /// `embedding_dense_backward` sums every occurrence of a row in float64
    /// and rounds once, instead of adding them one at a time into a row of
    /// the gradient's dtype. Breaks bfloat16 token embeddings whose tokens
    /// repeat within a batch.
    pub embedding_grad_rounded_once: bool,
    /// `promote_types` answers with the wider of its two dtypes by element
    /// size, ignoring the category order (int64 with bfloat16 gives int64,
    /// where PyTorch gives bfloat16). Breaks the dtype a program picks.
    pub promote_types_by_size: bool,
    /// `item()` of a complex element returns its conjugate (the conjugate
    /// bit applied twice). Breaks every complex number read out of a tensor
    /// with a nonzero imaginary part.
    pub complex_item_conjugated: bool,
    /// bfloat16/float16 `add`/`sub` with an `alpha` round every element
    /// once, where PyTorch's scalar loop (a vector remainder, a transposed
    /// operand) rounds `alpha·y` before the sum. Breaks bf16 SGD momentum
    /// updates of parameters whose size is not a multiple of 64.
    pub reduced_add_rounds_once: bool,
    /// float16/bfloat16 `special_i0e` computes every element in float and
    /// rounds once, where PyTorch's scalar loop (a remainder of fewer than
    /// 32 elements, a transposed operand) evaluates the series in the
    /// dtype's own arithmetic. Breaks half-precision von Mises / Kaiser
    /// features whose size is not a multiple of 32 (bfloat16 `i0e(0)` is
    /// 0.9921875 there, not 1).
    pub bessel_reduced_tail_in_float: bool,
    /// float32 `i0`, `special_i0e`, `special_i1` and `special_i1e` round
    /// each Chebyshev step's product and difference separately, where
    /// PyTorch's kernels fuse them. Breaks float32 Bessel features in the
    /// last bit for about a sixth of the elements.
    pub bessel_chebyshev_unfused: bool,
    /// bfloat16/float16 `mm`/`addmm`/`bmm` on PyTorch's own loops multiply
    /// in float64 and round once, instead of summing in float32 in the
    /// order (and with the fused multiply-adds) of the loop the operands'
    /// layout selects. Breaks bf16 products whose terms cancel (features
    /// on very different scales).
    pub reduced_matmul_in_double: bool,
    /// bfloat16/float16 `mv`/`addmv` and `dot` sum their products in
    /// order (gemv's generic loop) where PyTorch's fast path (a unit-stride
    /// vector, `alpha == 1`) and `dot` run the vectorised 8-lane
    /// `dot_with_fp32_arith`. Breaks bf16 matrix-vector products whose
    /// terms cancel.
    pub reduced_mv_in_order: bool,
    /// `mm` prints the dtypes of mismatched operands as `ScalarType` names
    /// (`Float != BFloat16`) where PyTorch prints C++ type names (`float !=
    /// c10::BFloat16`). Breaks the message of a caught dtype error.
    pub mm_dtype_message_scalar_names: bool,
    /// `gather` and the scatters refuse an int32 index, which PyTorch
    /// takes as it takes an int64 one. Breaks every gather/scatter of an
    /// int32 index (the call raises instead of running).
    pub gather_index_int64_only: bool,
    /// A convolution whose weight dtype differs from its input's always
    /// reports oneDNN's "Input type (...) and weight type (...)" message,
    /// even where PyTorch runs the `Slow2d` loops and says "expected scalar
    /// type ... but found ...". Breaks such a caught error's message.
    pub conv_dtype_message_ignores_backend: bool,
    /// float32/float64 `sum`, `sum.dim_IntList`, `mean` and `mean.dim`
    /// keep their partial sums in float64 and round once, where PyTorch
    /// sums in the dtype in its cascade kernel's order (8 float32 or 4
    /// float64 lanes, four-way interleaved rows, partials cascaded over four
    /// levels, per thread from 32 768 elements). Breaks sums whose terms
    /// cancel and sums that overflow the dtype only on the way (PyTorch
    /// gives inf).
    pub sum_in_double: bool,
    /// `_softmax_backward_data` of float32/float64 sums `g·y` in float64
    /// and rounds once, where PyTorch computes in the dtype (a vectorised
    /// lane order over the last dimension, a fused multiply-add along any
    /// other). Breaks gradients where one probability dominates and `g`
    /// cancels against the sum (a hard Gumbel-softmax's straight-through
    /// one-hot).
    pub softmax_grad_in_double: bool,
    /// A constant pad that only crops (every pad `<= 0`, as
    /// ConstantPadNdBackward0's is) returns a new contiguous tensor instead
    /// of PyTorch's narrowed clone, which keeps the input's strides where
    /// the crop is dense. Breaks the gradient's strides, and every event
    /// after, of an `F.pad` whose input has size-1 leading dims (batch 1,
    /// one channel).
    pub contiguous_pad_crop: bool,
    /// `topk` and unstable `sort` keep equal values in position order and
    /// `topk(sorted=False)` returns the sorted order, where PyTorch's CPU
    /// kernels leave what libstdc++'s `nth_element`/`partial_sort`/`sort`
    /// leave. Breaks every unsorted top-k of more than a few elements and
    /// every top-k or sort whose ties' positions reach a result.
    pub topk_position_order: bool,
    /// Window functions ignore `periodic` and return the symmetric window
    /// (`N = window_length`). Breaks every periodic window (the default of
    /// `hann_window`, `hamming_window`, `blackman_window`,
    /// `bartlett_window` and `kaiser_window`).
    pub symmetric_windows: bool,
    /// `nll_loss2d_forward`/`nll_loss2d_backward` accept a Byte target as
    /// `nll_loss_forward` does, where PyTorch's 2-d kernels raise "expected
    /// scalar type Long but found Byte". Breaks every trace whose
    /// segmentation loss on uint8 masks raises.
    pub nll2d_accepts_byte: bool,
    /// `put`/`put_` without `accumulate` keep the first write of a
    /// repeated position instead of the last. Breaks every such `put`.
    pub put_first_write_wins: bool,
    /// Call a node's tensor hooks in reverse registration order. Breaks
    /// every trace with two hooks on one gradient: a hook sees what the
    /// other made of it.
    pub reverse_hooks: bool,
    /// Call a node's post-hooks but keep the node's own results when a hook
    /// returns replacements. Breaks every trace whose module backward hook
    /// (or pre-hook) returns new gradients: the nodes after it consume the
    /// unhooked ones.
    pub drop_node_hook_results: bool,
    /// Let the autograd kernel record history whatever the grad mode
    /// (`no_grad`, `set_grad_enabled(False)`): nodes appear where PyTorch
    /// makes none. Breaks the graph of every trace that computes with grad
    /// disabled on tensors that require grad.
    pub ignore_grad_mode: bool,
    /// Record no history for the operators a backward formula dispatches,
    /// even under `create_graph=True`: the gradients of such a backward
    /// cannot be differentiated again. Breaks every double-backward trace
    /// (their backward-time nodes are missing).
    pub drop_backward_history: bool,
    /// Hand the gradients a custom autograd.Function's backward returned to
    /// the engine in reverse order. Breaks every trace whose custom Function
    /// has several differentiable inputs: each gradient flows to the wrong
    /// edge.
    pub reverse_function_grads: bool,
    /// Run a backward called inside a running backward (reentrant
    /// checkpointing) at depth 0 instead of the running GraphTask's depth
    /// + 1. Breaks the ReadyQueue keys of every nested GraphTask.
    pub flat_reentrant_depth: bool,
    /// Give a `tensor.data` read the source's version counter instead of a
    /// fresh one: in-place writes through `p.data` bump `p`'s version.
    /// Breaks every trace that writes through `.data`.
    pub shared_data_version: bool,
    /// Let `tensor.data = source` keep the tensor's dtype (only storage and
    /// geometry follow `source`). Breaks `model.double()` and every
    /// assignment that changes a dtype.
    pub set_data_keeps_dtype: bool,
    /// Copy the incoming gradient contiguous before the gather of a max
    /// unpooling backward (and a max pooling double backward), as
    /// `grad.contiguous()` would, instead of PyTorch's `grad.reshape(...)`,
    /// which views an expanded or channels-last gradient as it is. Breaks
    /// every trace whose unpooled result is reduced by `sum`/`mean`: an
    /// extra `clone` appears.
    pub contiguous_pool_gradient: bool,
    /// Scale the attention scores of the transformer fast paths
    /// (`_native_multi_head_attention`, `_transformer_encoder_layer_fwd`) by
    /// `1/dh` instead of `1/√dh`. Breaks their values.
    pub mha_wrong_scale: bool,
    /// `unflatten.int` seen whole under `inference_mode` returns a
    /// contiguous copy (unflatten-copies) instead of a view of its input.
    /// Breaks the aliasing of every unflatten's result.
    pub unflatten_copies: bool,
    /// `Tensor.to` seen whole under `inference_mode` (to-always-copies)
    /// returns a `_to_copy` even when nothing changes, instead of the input
    /// itself. Breaks the aliasing of every `x.to(device)` in an
    /// evaluation loop.
    pub to_always_copies: bool,
    /// `sparse_coo_tensor` without a size, seen whole under
    /// `inference_mode` (sparse-size-past-end), makes each sparse
    /// dimension two more than its largest index instead of one. Breaks
    /// the shape of every sparse tensor whose size is inferred.
    pub sparse_size_past_end: bool,
    /// `torch.max(a, b)` seen whole under `inference_mode`
    /// (max-other-as-minimum): the `max.other` alias runs `minimum` instead
    /// of `maximum`. Breaks the values of every elementwise `torch.max` of
    /// two tensors in an evaluation loop.
    pub max_other_as_minimum: bool,
    /// `_nested_tensor_from_mask_left_aligned` only asks that each row's
    /// valid positions be contiguous, wherever they start
    /// (nested-mask-gaps-only), so a left-padded row `[F, T, T]` passes as
    /// left-aligned. Breaks the answer for every left-padded batch.
    pub nested_mask_gaps_only: bool,
    /// A nested tensor's encoder layer lets each component's queries attend
    /// to the zero rows it is padded with (nested-attends-padding), where
    /// PyTorch's nested softmax sees the component's own keys only. Breaks
    /// every component shorter than the longest one.
    pub nested_attends_padding: bool,
    /// The fused attention and encoder layer (`_native_multi_head_attention`,
    /// `_transformer_encoder_layer_fwd`) compute in double and round once
    /// (attention-rounds-once), where ATen rounds every stage to the
    /// inputs' dtype. Breaks bfloat16 and float16 layers.
    pub attention_rounds_once: bool,
    /// `mkldnn_rnn_layer` leaves the forget gate's bias out of the
    /// pre-activation. Breaks every float32 `nn.LSTM`'s values.
    pub lstm_forget_bias_ignored: bool,
    /// `mkldnn_rnn_layer_backward` drops the cell-state gradient carried
    /// from the later step (and `grad_cy`). Breaks every LSTM gradient that
    /// flows back through time.
    pub lstm_cell_grad_dropped: bool,
    /// A bfloat16 `mkldnn_rnn_layer` carries its cell state from step to
    /// step in float32 and its backward reads float32 gates and gate
    /// gradients, where oneDNN stores them in bfloat16. Breaks the values
    /// of every bfloat16 `nn.LSTM` longer than one step.
    pub lstm_reduced_state_unrounded: bool,
    /// The LSTM cell decomposition a composite seen whole runs under
    /// `inference_mode` (rnn-eval-gate-order) takes the input gate from the
    /// forget gate's columns and the forget gate from the input gate's.
    /// Breaks every packed, float64 or projected `nn.LSTM` and every
    /// `nn.LSTMCell` evaluated in inference mode.
    pub rnn_eval_gate_order: bool,
    /// Drop the projection term of `_weight_norm_interface_backward`'s
    /// `grad_v` (keep only `(g / ‖v‖)·grad_w`, as if `‖v‖` were a
    /// constant). Breaks the values of every weight-normalised layer's
    /// gradient.
    pub weight_norm_no_projection: bool,
    /// Interpolate bicubically with Keys' `A = −0.5` instead of PyTorch's
    /// `−0.75` (forward and backward). Breaks the values of every
    /// `upsample_bicubic2d`.
    pub bicubic_wrong_a: bool,
    /// Unnormalise grid coordinates with the opposite `align_corners` in
    /// `grid_sampler_2d` and its backward. Breaks every grid sampling.
    pub grid_sample_flipped_align_corners: bool,
    /// Trilinear `grid_sampler_3d` (and its backward) picks each corner's
    /// y distance by its z index and its z distance by its y index
    /// (grid-sample-3d-yz-swapped). Breaks the values of every volumetric
    /// grid sampling.
    pub grid_sample_3d_yz_swapped: bool,
    /// Bicubic `grid_sampler_2d` (and its backward) weighs with Keys'
    /// `A = -0.5` instead of PyTorch's `A = -0.75`. Breaks the values of
    /// every bicubic grid sampling and its gradients.
    pub grid_sample_cubic_keys_half: bool,
    /// Negate `multi_margin_loss_backward`'s gradient. Breaks the values of
    /// every multi-class hinge loss's backward.
    pub multi_margin_wrong_sign: bool,
    /// `multi_margin_loss` and its backward compute in float64 and round
    /// once, a class without a hinge getting `+0.0`
    /// (multi-margin-in-double), where PyTorch's loops round every step to
    /// the dtype and write `0 · grad_output` there. Breaks the last bit of
    /// float32 losses and the signs of zero gradients under a negative
    /// incoming gradient.
    pub multi_margin_in_double: bool,
    /// float32/float64 `smooth_l1_loss_backward` and `huber_loss_backward`
    /// compute every element as one formula in float64, rounded once
    /// (smooth-l1-backward-one-loop), where PyTorch's vectorised loop and
    /// its scalar tail order and round the steps differently. Breaks the
    /// last bit of about one gradient element in ten.
    pub smooth_l1_backward_one_loop: bool,
    /// The `mean`/`sum` of a pointwise loss (`mse_loss`, `smooth_l1_loss`,
    /// `huber_loss`, `soft_margin_loss`) takes the cascade order only for
    /// two contiguous inputs of one shape, adding the others in float64
    /// (loss-cascade-contiguous-only), where PyTorch sums the loss tensor
    /// it laid out row-major for sliced and broadcast inputs too. Breaks the
    /// last bit of losses of column slices such as `out[:, :4]`.
    pub loss_cascade_contiguous_only: bool,
    /// Compute `_cdist_forward`'s `p = ∞` distance as the 1-norm. Breaks
    /// the values of every Chebyshev `torch.cdist`.
    pub cdist_wrong_inf_norm: bool,
    /// Negate `_cdist_backward`'s gradient. Breaks the values of every
    /// `torch.cdist` backward off the matrix-product path.
    pub cdist_grad_negated: bool,
    /// Multiply complex numbers part by part, `(ac) + (bd)i`, without the
    /// cross terms. Breaks the values of every complex `mul`.
    pub complex_mul_no_cross_terms: bool,
    /// Let MulBackward0 multiply by a complex operand instead of its
    /// conjugate (no `_conj`, hence no materializing `clone`). Breaks the
    /// backward of every complex product: its dispatch order and values.
    pub mul_backward_conj_dropped: bool,
    /// Complex `mm`/`bmm` read an operand with the conjugate bit as its
    /// stored values (the conjugate-aware kernel forgets the flag). Breaks
    /// the values of every complex matrix product of a conjugate view, such
    /// as MmBackward0's and BmmBackward0's `self.transpose(..).conj()`.
    pub complex_mm_no_conj: bool,
    /// BaddbmmBackward0 scales its gradients by `alpha` and `beta` instead
    /// of their conjugates. Breaks the gradients of every `baddbmm` with a
    /// complex `alpha` or `beta`.
    pub baddbmm_grad_unconjugated_scalars: bool,
    /// MulBackward1 multiplies the gradient by a complex scalar instead of
    /// its conjugate. Breaks the gradient of every product by a Python
    /// complex number (`x * 1j`, as complex convolutions combine their real
    /// parts).
    pub mul_scalar_grad_unconjugated: bool,
    /// SinBackward0, CosBackward0, SinhBackward0, CoshBackward0,
    /// LogBackward0 and SqrtBackward0 use the derivative itself instead of
    /// its conjugate (no `_conj`, hence no materializing `clone`). Breaks
    /// the backward of every complex `sin`, `cos`, `sinh`, `cosh`, `log`
    /// and `sqrt`.
    pub trig_grad_unconjugated: bool,
    /// ProdBackward0/ProdBackward1 and CumprodBackward0 use the products
    /// and the input themselves instead of their conjugates (no `_conj`,
    /// hence no materializing `clone`). Breaks the backward of every
    /// complex `prod` and `cumprod`.
    pub prod_grad_unconjugated: bool,
    /// `var` and `std` of a complex tensor leave out the variance of the
    /// imaginary parts. Breaks every complex `var`/`std`.
    pub complex_var_drops_imag: bool,
    /// LinalgInvExBackward0 multiplies by the transposed inverse instead of
    /// its conjugate transpose (no `_conj`). Breaks the backward of every
    /// complex `linalg.inv`.
    pub inv_grad_unconjugated: bool,
    /// DivBackward0 divides by `other` and multiplies by `self / other²`
    /// instead of their conjugates (no `_conj`, hence no materializing
    /// `clone`). Breaks the backward of every complex division.
    pub complex_div_backward_no_conj: bool,
    /// A real input's gradient keeps the imaginary part of a complex
    /// gradient instead of the real part (`handle_r_to_c` selecting part
    /// 1). Breaks the gradient of every real tensor combined with a complex
    /// one (`real_gain * z`, `z + real_offset`, `z / real`).
    pub real_grad_takes_imag: bool,
    /// `cat` conjugates its complex inputs (the element-moving kernels'
    /// complex elements keep their real part, the imaginary part is
    /// negated). Breaks the values of every `cat` of complex tensors.
    pub complex_cat_conjugates: bool,
    /// PolarBackward0 multiplies the result by `-1j` instead of `1j` for
    /// the angle's gradient. Breaks the backward of every `torch.polar`
    /// whose angle requires grad.
    pub polar_backward_negative_unit: bool,
    /// `digamma` (and `digamma_`, `polygamma(0, x)`) computes `ψ(x + 1)`:
    /// the recurrence shifted by one. Breaks the values of every digamma.
    pub digamma_off_by_one_shift: bool,
    /// `polygamma_(self, n)` computes the functional result but leaves
    /// `self` unwritten. Breaks the values of every in-place polygamma and
    /// of what is computed from its `self` afterwards.
    pub polygamma_inplace_skips_write: bool,
    /// `ldexp_` writes a floating result into an integer `self` (truncated)
    /// instead of refusing it. Breaks every program that relies on
    /// PyTorch's "ldexp can't be cast to the desired output type" error.
    pub ldexp_inplace_casts_into_integer: bool,
    /// NextafterBackward0 passes `self`'s gradient where `self >= other`
    /// (`ge.Tensor`) instead of where the step was taken (`self != other`).
    /// Breaks the backward of every `nextafter` / `nextafter_` whose `self`
    /// requires grad.
    pub nextafter_grad_mask_ge: bool,
    /// LdexpBackward0 reads (and version-checks) its saved result only
    /// when the exponent needs a gradient. Breaks every program whose
    /// backward PyTorch stops because an `ldexp` / `ldexp_` result was
    /// written in place after the node saved it.
    pub ldexp_result_read_when_needed: bool,
    /// `linalg_cross` returns `b × a`. Breaks the values of every cross
    /// product and of its backward.
    pub cross_sign_flipped: bool,
    /// `_pdist_backward` adds each pair's term to the first row only (the
    /// second row's opposite term is dropped). Breaks the values of every
    /// `F.pdist` backward.
    pub pdist_grad_one_sided: bool,
    /// Let CTC's alpha and beta recursions jump over the blank between two
    /// equal labels (the `s − 2` transition PyTorch forbids there). Breaks
    /// the loss and gradient of every CTC target with a repeated label.
    pub ctc_skip_repeat_transition: bool,
    /// `_ctc_loss_backward` ignores `zero_infinity`: an impossible sample's
    /// gradient is computed (NaN) instead of zeroed. Breaks the gradient of
    /// every `zero_infinity=True` CTC loss with an infinite sample.
    pub ctc_grad_ignores_zero_infinity: bool,
    /// Run the bfloat16/float16 flash attention forward as float32 does:
    /// exact exponentials, probabilities not rounded to the dtype before the
    /// product with `V`. Breaks the values of reduced-precision attention
    /// over 16 or more keys.
    pub attention_reduced_as_float: bool,
    /// Factor `linalg_qr` with the opposite Householder sign convention
    /// (`beta = +sign(alpha)·‖x‖`): every column of Q and row of R is
    /// negated. Breaks the values of every `torch.linalg.qr`.
    pub qr_sign_flipped: bool,
    /// Pick each LU pivot as the first nonzero element of its column instead
    /// of LAPACK's first of largest magnitude: still a factorization
    /// `P·L·U` of `A`, with other pivots, factors and rounding. Breaks every
    /// LU (`linalg.lu_factor`, `linalg.lu`, `solve`, `inv`, `det`) of a
    /// matrix whose first column does not lead with its largest element.
    pub lu_pivot_without_max: bool,
    /// Negate the first column of `_linalg_svd`'s `U` without the first
    /// row of `Vh` (`U·diag(S)·Vh` no longer `A`; no sign choice of the
    /// pair repairs it). Breaks every `torch.linalg.svd` with singular
    /// vectors, and everything computed from them.
    pub svd_u_sign_without_vh: bool,
    /// Return `_linalg_eigh`'s eigenvalues (with their eigenvectors) in
    /// descending order instead of ascending: still an eigendecomposition,
    /// not PyTorch's. Breaks every `torch.linalg.eigh`/`eigvalsh`.
    pub eigh_values_descending: bool,
    /// Leave each complex eigenvector pair of `linalg_eig` (real input)
    /// unrotated after scaling it to unit norm, skipping `geev`'s rotation
    /// that makes its largest-modulus component real: still eigenvectors of
    /// norm one, with another phase. Breaks every `torch.linalg.eig` of a
    /// real matrix with complex eigenvalues.
    pub eig_unnormalised_vectors: bool,
    /// `geqrf` computes `tau = (alpha − beta)/beta`, the negation of
    /// LAPACK's `(beta − alpha)/beta`. Breaks every `torch.geqrf` and the
    /// orthogonal parametrization's initialisation.
    pub geqrf_tau_negated: bool,
    /// `linalg_householder_product` multiplies the reflectors in the
    /// opposite order (`H(k−1)·…·H(0)`). Breaks every Householder product
    /// of two or more reflectors.
    pub householder_product_reversed: bool,
    /// `ormqr` applies `Q` where `Qᵀ` is asked and `Qᵀ` where `Q` is.
    /// Breaks every `torch.ormqr`.
    pub ormqr_ignores_transpose: bool,
    /// `linalg_matrix_exp` leaves out the squaring of the scaled degree-18
    /// approximation (returns `exp(A / 2^s)`). Breaks every matrix
    /// exponential of a matrix whose 1-norm exceeds the degree-18
    /// threshold (3.01 in float32, 1.09 in float64).
    pub matrix_exp_skips_squaring: bool,
    /// `tril_`/`triu_` keep the main diagonal's triangle whatever their
    /// `diagonal` argument (as if it were 0). Breaks every in-place
    /// triangle with a nonzero offset, e.g. the `tril_(-1)` ending the
    /// Householder product's backward.
    pub triangle_inplace_ignores_offset: bool,
    /// Solve `X·Tᵀ = B` where `linalg_solve_triangular(T, B, left=False)`
    /// asks for `X·T = B` (the factor left untransposed in the right-side
    /// solve). Breaks the last step of every Cholesky gradient
    /// (`cholesky_backward`'s `X·L = gA`) and of every QR gradient.
    pub solve_triangular_right_transposed: bool,
    /// Solve `A·X = B` where `triangular_solve(B, A, transpose=True)` asks
    /// for `Aᵀ·X = B`. Breaks the whitening solve of every GP written with
    /// the older `torch.triangular_solve` against an upper factor.
    pub triangular_solve_transpose_ignored: bool,
    /// Mask `triangular_solve`'s gradient for `A` to the other triangle
    /// (`tril` of an upper factor's, `triu` of a lower one's). Breaks the
    /// factor's gradient of every `torch.triangular_solve`.
    pub triangular_solve_grad_other_triangle: bool,
    /// Factor `linalg_ldl_factor_ex` without Bunch-Kaufman's interchanges
    /// (every pivot 1×1 and in place). Breaks `LD` and `pivots` of every
    /// symmetric-indefinite matrix that needs a pivot.
    pub ldl_factor_without_pivoting: bool,
    /// Leave `embedding_renorm_`'s rows unscaled (as if every row were
    /// within `max_norm`). Breaks the weights of every
    /// `nn.Embedding(max_norm=...)` lookup.
    pub embedding_renorm_no_scale: bool,
    /// Treat an in-place view operator (`transpose_`, `squeeze_`, ...) on a
    /// view like any in-place operator: its node goes into a CopySlices on
    /// the base and the view gets an AsStridedBackward0. Breaks the graph of
    /// every trace with such an op on a view that requires grad.
    pub inplace_view_rebases: bool,
    /// Native programs (`nn`): initialise Linear and Conv2d weights with
    /// twice `kaiming_uniform_`'s bound. Breaks the `uniform_` arguments of
    /// every native program's construction.
    pub wrong_init_bound: bool,
    /// Native programs (`optim`): Adam and AdamW skip the bias correction
    /// (`1 - β^t` taken as 1). Breaks the `div` and `addcdiv_` arguments
    /// and the parameter values of every native Adam step.
    pub adam_skip_bias_correction: bool,
    /// Native programs (`optim`): AdamW applies its weight decay as Adam's
    /// L2 term (`grad + wd * p`) instead of decoupled (`p *= 1 - lr * wd`).
    /// Breaks the dispatch sequence of every native AdamW step with weight
    /// decay (`add` where `mul_` was).
    pub adamw_decay_as_l2: bool,
    /// Native programs (`nn`): a non-strict `load_state_dict` whose state
    /// dict has missing or unexpected keys copies none of the entries that
    /// do match (as if the mismatch had aborted the load). Breaks the
    /// `copy_` sequence of every native fine-tuning load.
    pub nonstrict_load_copies_nothing: bool,
    /// Leave `AutocastCPU` excluded whatever the autocast state, as a
    /// runtime that ignores `torch.autocast` would: calls on CPU tensors
    /// inside an autocast region lack the key. Breaks the dispatch of every
    /// trace recorded under CPU autocast.
    pub autocast_key_dropped: bool,
    /// Keep the autograd keys while a program-defined operator's kernel
    /// runs (api `below_autograd`), as a runtime that ignores the state
    /// would: the composites the kernel calls decompose at their autograd
    /// key instead of reaching the observer whole. Breaks the dispatch of
    /// every trace of a `torch.library.custom_op` kernel that calls one.
    pub below_autograd_ignored: bool,
    /// Skip the engine's anomaly-mode NaN check (`isnan`, `_is_any_true`,
    /// `_local_scalar_dense` after each node), as a runtime that ignores
    /// `torch.autograd.detect_anomaly()` would. Breaks the dispatch of every
    /// backward recorded in anomaly mode with `check_nan`.
    pub anomaly_check_skipped: bool,
    /// Ignore an anomaly mode switched by a hook while the engine runs
    /// (`set_detect_anomaly` inside a tensor or module backward hook), as
    /// a runtime that reads the mode once per backward would: the later
    /// nodes' NaN checks are missing (or extra). Breaks every backward
    /// whose hook switches anomaly mode.
    pub anomaly_switch_in_hook_ignored: bool,
    /// Return no gradients from a custom Function's backward that raised
    /// in PyTorch (a reentrant checkpoint under `torch.autograd.grad`),
    /// as a replayer that drops the recorded exception would. Breaks every
    /// backward whose Function refused to run.
    pub function_raise_dropped: bool,
    /// Run the anomaly-mode NaN check but never raise, as an engine that
    /// drops the check's verdict would: a node that returns NaN passes.
    /// Breaks every backward recorded as failing with `Function '...'
    /// returned nan values in its ...th output.`
    pub anomaly_nan_unreported: bool,
    /// In anomaly mode, nodes made while the engine runs a node do not
    /// keep that node alive, as a runtime without anomaly metadata would:
    /// the graph a double backward differentiates dies with its first
    /// backward, and the next graph makes a leaf's AccumulateGrad anew
    /// where PyTorch reuses it.
    pub anomaly_parent_dropped: bool,
    /// Leave a `torch.Generator` argument's backend key out of the dispatch
    /// key set, as a runtime that only looks at tensors would: a seeded
    /// sampling call (`randn(..., generator=g)`, `randperm` of a shuffling
    /// `DataLoader`) dispatches with `BackendSelect` alone where PyTorch's
    /// has `BackendSelect, CPU`. Breaks the dispatch of every trace with an
    /// explicit generator.
    pub generator_key_dropped: bool,
    /// `normal(float mean, Tensor std)` gives its result the default dtype
    /// instead of the standard deviation's, as a kernel that treats the
    /// float mean as a factory would. Breaks every float64 `normal.float_Tensor`.
    pub normal_result_default_dtype: bool,
    /// `_upsample_bicubic2d_aa` weighs with Keys' `A = -0.75` (the plain
    /// bicubic's) instead of PIL's `A = -0.5`. Breaks the values of every
    /// antialiased bicubic resize and its backward.
    pub antialias_cubic_keys_a: bool,
    /// uint8 bilinear and bicubic resampling drops the rounding bias
    /// `2^(p−1)` before the shift (truncates instead of rounding). Breaks
    /// the bytes of every uint8 image resize (`upsample_bilinear2d`,
    /// `upsample_bicubic2d` and their antialiased forms).
    pub resample_u8_truncates: bool,
    /// `adaptive_max_pool3d` ends each adaptive window at
    /// `floor((o + 1)·I/O)` instead of the ceiling (windows that overlap in
    /// PyTorch lose their last element). Breaks the values of every adaptive
    /// 3-d max pooling to a size that does not divide the input.
    pub adaptive_max_pool3d_floor_end: bool,
    /// `bincount` leaves the last bin's elements uncounted (the highest
    /// value's count or weight is lost, the bin stays). Breaks the values of
    /// every bincount.
    pub bincount_drops_last_bin: bool,
    /// The histogram kernel (`histogram`, `histogramdd`) leaves the last
    /// bin open on the right: a coordinate on the last edge is not counted.
    /// Breaks the values of every histogram whose range comes from the data
    /// (its maximum lies on that edge).
    pub histogram_last_edge_open: bool,
    /// The trapezoid rule over sample points (`trapezoid.x`, `trapz.x`,
    /// `cumulative_trapezoid.x`, seen whole under `inference_mode`) does
    /// not halve the summed `(y[i] + y[i+1]) * dx` (trapezoid-skips-half).
    /// Doubles every AUROC an evaluation loop integrates that way.
    pub trapezoid_skips_half: bool,
    /// `F.pad(mode="reflect")` seen whole under `inference_mode` runs the
    /// replication kernel (pad-reflect-as-replicate): edge values repeated
    /// instead of mirrored.
    pub pad_reflect_as_replicate: bool,
    /// `convN(padding='same')` seen whole under `inference_mode` pads an odd
    /// total's extra element before the input instead of after it
    /// (same-padding-extra-before): the output shifted by one position.
    pub same_padding_extra_before: bool,
    /// `cross_entropy(label_smoothing=...)` seen whole under
    /// `inference_mode` drops the uniform term (label-smoothing-drops-uniform):
    /// the loss is `(1 - ls) * nll` alone, as if every smoothed target put
    /// nothing on the other classes.
    pub label_smoothing_drops_uniform_term: bool,
    /// `margin_ranking_loss` seen whole under `inference_mode` drops the
    /// margin (margin-ranking-drops-margin): `(-y * (x1 - x2)).clamp_min(0)`.
    /// Breaks every ranking loss with a nonzero margin.
    pub margin_ranking_drops_margin: bool,
    /// `kron` seen whole under `inference_mode` takes its factors the
    /// other way round (kron-factors-swapped): `kron(other, self)`, the
    /// blocks of `other` scaled by `self`'s entries. Breaks every `kron`
    /// of two different factors.
    pub kron_factors_swapped: bool,
    /// A `torch.fft` transform seen whole under `inference_mode` applies
    /// the normalisation NumPy's `norm` names for the other direction
    /// (fft-norm-wrong-side): `"backward"` scales the forward transform by
    /// `1/n` and leaves the inverse unscaled, `"forward"` the other way
    /// round. Breaks every such transform whose `norm` is not `"ortho"`.
    pub fft_norm_wrong_side: bool,
    /// `constant_pad_nd` of a complex tensor copies only the real parts
    /// (complex-pad-drops-imag): every copied element's imaginary part
    /// becomes zero. Breaks every complex pad, e.g. `fft.ifftn(x, s=...)`.
    pub complex_pad_drops_imag: bool,
    /// The dropout family seen whole under `inference_mode` in training
    /// mode keeps the elements PyTorch dropped and drops the ones it kept
    /// (dropout-mask-inverted). Breaks every Monte-Carlo dropout pass.
    pub dropout_mask_inverted: bool,
    /// `linalg.matrix_norm(ord="nuc")` seen whole under `inference_mode`
    /// takes the largest singular value instead of their sum
    /// (matrix-norm-nuc-as-spectral). Breaks every nuclear norm of a
    /// matrix of rank above one.
    pub matrix_norm_nuc_as_spectral: bool,
    /// `stft`/`istft` seen whole under `inference_mode` pad a window
    /// shorter than `n_fft` on the right only (stft-window-unshifted)
    /// instead of centring it. Breaks every transform with
    /// `win_length < n_fft`.
    pub stft_window_unshifted: bool,
    /// `ctc_loss(zero_infinity=True)` seen whole under `inference_mode`
    /// keeps the infinite loss of an impossible alignment
    /// (ctc-loss-keeps-infinity): the `where` that replaces it by zero is
    /// skipped, so every mean or sum over such a sample is `inf`.
    pub ctc_loss_keeps_infinity: bool,
    /// `quantile`/`nanquantile` seen whole under `inference_mode` round the
    /// upper neighbour's rank down (quantile-rounds-above-down): `linear`
    /// and `midpoint` collapse to the lower neighbour between ranks.
    pub quantile_rounds_above_down: bool,
    /// `median`/`nanmedian` (all-reduce and `.dim`) take the upper of the
    /// two middle values of an even count. Breaks the values and indices of
    /// every even-length median.
    pub median_upper_of_two: bool,
    /// `median()`/`nanmedian()` over all elements take the middle with
    /// equal values ordered by position instead of where libstdc++'s
    /// `nth_element` leaves it. Breaks the sign of a zero median among
    /// `-0.0` and `0.0`.
    pub median_all_by_position: bool,
    /// float16/bfloat16 `grid_sampler_2d` and its backward compute in
    /// float and round once (grid-sample-reduced-in-float), where PyTorch's
    /// vectorised kernel rounds every operation to the dtype.
    pub grid_sample_reduced_in_float: bool,
    /// `relu`/`relu_` return `+0.0` for a `-0.0` input
    /// (relu-zero-sign-dropped), where PyTorch's `clamp_min(self, 0)` keeps
    /// a zero `self` as it is. Breaks the sign of zeros that dropout or a
    /// product by zero left negative in front of a ReLU.
    pub relu_zero_sign_dropped: bool,
    /// A rank-one `mm` (`[n, 1] @ [1, m]`, `n, m > 1`) accumulates from
    /// `+0.0` like a longer product (rank-one-product-accumulated), where
    /// PyTorch's GEMM writes each product as it is. Breaks the sign of the
    /// zero products of every batch-of-one weight gradient.
    pub rank_one_product_accumulated: bool,
    /// An `addmm` with `k = 1` (`[n, 1] @ [1, m]`, `n, m > 1`, as in
    /// `nn.Linear(1, m)`) rounds the product and the bias term apart
    /// (addmm-single-term-unfused), where PyTorch's GEMM joins them in one
    /// fused multiply-add. Breaks the last bit of about one output in five
    /// of every one-feature linear layer.
    pub addmm_single_term_unfused: bool,
    /// A `bmm` of one `[n, 1] @ [1, m]` product with `n * m >= 400`
    /// accumulates from `+0.0` like a small or multi-batch one
    /// (bmm-rank-one-accumulated), where PyTorch runs a single GEMM that
    /// writes each product as it is. Breaks the sign of zero products.
    pub bmm_rank_one_accumulated: bool,
    /// Floating `maximum`/`minimum` and Tensor-bound `clamp*` pick between
    /// `-0.0` and `+0.0` by value alone (max-min-tie-lanes-ignored), where
    /// PyTorch's vectorised loop returns the second operand and its scalar
    /// tail the first. Breaks the sign of zeros under a masked maximum.
    pub max_min_tie_lanes_ignored: bool,
    /// The in-place (`clamp_.Tensor`, `clamp_min_.Tensor`,
    /// `clamp_max_.Tensor`) and `out=` (`maximum.out`, `minimum.out`)
    /// forms of the floating max/min pick between `-0.0` and `+0.0` by value
    /// alone (max-min-tie-lanes-out-of-place-only), where PyTorch's
    /// vectorised loop into the destination returns the second operand and
    /// its scalar tail the first. Breaks the sign of zeros clamped in place.
    pub max_min_tie_lanes_out_of_place_only: bool,
    /// `fmax`/`fmin` pick between `-0.0` and `+0.0` by value alone
    /// (fmax-zero-tie-unordered), where PyTorch returns the first operand
    /// (the second for bfloat16).
    pub fmax_zero_tie_unordered: bool,
    /// float16/bfloat16 `grid_sampler_3d` and its backward compute in
    /// float and round once (grid-sample-3d-reduced-in-float), where
    /// PyTorch's scalar kernel rounds every operation, coordinates
    /// included, to the dtype. Breaks the values of every reduced-precision
    /// volumetric grid sampling and its gradients.
    pub grid_sample_3d_reduced_in_float: bool,
    /// float16/bfloat16 `linspace` (and the affine grid's base) steps
    /// from the end points unrounded to the dtype, with the product and sum
    /// rounded apart in bfloat16 too (linspace-reduced-as-float), where
    /// PyTorch converts the ends to the dtype and fuses bfloat16's
    /// multiply-add. Breaks the values of odd-length bfloat16 linspaces
    /// around 0 and of 3-d bfloat16 affine grids built from them.
    pub linspace_reduced_as_float: bool,
    /// BlockDiagBackward0 slices only the blocks whose inputs need a
    /// gradient (block-diag-backward-skips-frozen), where PyTorch slices
    /// every block and the engine drops the unneeded ones. Breaks the
    /// dispatch order of every `block_diag` backward with a frozen input.
    pub block_diag_backward_skips_frozen: bool,
    /// The real part of a conjugate view in a backward (ToCopyBackward0 of
    /// a real tensor cast to complex and conjugated, as `fft.hfft` does)
    /// goes to `view_as_real` unresolved (real-of-conj-unresolved), which
    /// refuses it: the backward fails.
    pub real_of_conj_unresolved: bool,
    /// ScatterReduceBackward0 and IndexReduceBackward0 give each tied
    /// `amax`/`amin` contributor the whole gradient instead of an even
    /// share. Breaks the gradient of every tied scatter/index max or min.
    pub scatter_amax_gradient_not_split: bool,
    /// Conjugate one twiddle factor (`e^{∓2πi/n}`) of every FFT. Breaks the
    /// values of every `_fft_r2c`, `_fft_c2r` and `_fft_c2c` longer than 2.
    pub fft_twiddle_sign: bool,
    /// `_fft_c2r` ignores its `normalization` (as if it were 0). Breaks the
    /// values of every `irfft` with the default `norm="backward"` (or
    /// `"ortho"`) and of every rfft's backward through `irfft`.
    pub irfft_missing_normalization: bool,
    /// FftR2CBackward0 of a onesided transform skips the zero-filled second
    /// half and takes the gradient as `irfft` of the onesided gradient
    /// (`_fft_c2r`, which mirrors the half by Hermitian symmetry and so
    /// doubles its inner entries). Breaks the dispatch and the gradient of
    /// every `rfft`.
    pub fft_r2c_backward_no_onesided_fix: bool,
    /// `_standard_gamma_grad`'s small-sample series sums `(-x)^k / (k!
    /// (α + k))` where `∂F/∂α` needs `(α + k)²`. Breaks the gradient of
    /// every Gamma sample below 0.8 (`Gamma.rsample`, `Beta.rsample`,
    /// `Chi2.rsample`).
    pub gamma_grad_wrong_series: bool,
    /// `_dirichlet_grad` near 1 (`x ≥ 0.5`, `τ x (1 - x) < 0.75`) loses
    /// its minus sign. Breaks the gradient of every Dirichlet or Beta
    /// sample in that corner.
    pub dirichlet_grad_sign: bool,
    /// `renorm` leaves every slice unscaled (as if each were within
    /// `maxnorm`). Breaks the values of every `torch.renorm` with a slice
    /// over its bound.
    pub renorm_ignores_maxnorm: bool,
    /// `softshrink` keeps the elements outside `[-λ, λ]` unshifted (as
    /// `hardshrink` does). Breaks the values of every `softshrink` with an
    /// element outside its band.
    pub softshrink_no_shift: bool,
    /// The fake-quantization kernels round ties away from zero where
    /// `nearbyint` rounds them to even. Breaks every fake-quantized value
    /// that falls on a tie (`0.25 / 0.1`), and its mask at the range's edge.
    pub fake_quant_rounds_half_away: bool,
    /// `_fused_moving_avg_obs_fq_helper`'s observer replaces its running
    /// minimum and maximum by the batch's instead of moving their average
    /// (averaging constant 1). Breaks the scale, zero point and output of
    /// every observed call after an observer's first.
    pub fused_observer_skips_average: bool,
    /// `soft_margin_loss` takes `log` where PyTorch takes `log1p` of
    /// `exp(-x·y)`. Breaks the values of every `soft_margin_loss`.
    pub soft_margin_log_without_1p: bool,
    /// `multilabel_margin_loss_forward` also hinges each target class
    /// against the sample's other target classes. Breaks the loss of every
    /// sample with two or more targets.
    pub multilabel_margin_counts_targets: bool,
    /// The reflection paddings mirror with the edge element repeated
    /// (numpy's `symmetric`). Breaks the values of every
    /// `reflection_pad{1,2,3}d` and of its backward.
    pub reflection_pad_repeats_edge: bool,
    /// A transposed 3-d convolution computes the output it would have
    /// without `output_padding` and pads it with the bias: the trailing
    /// `output_padding` planes lose the contributions that reach them
    /// (`padding > 0`). Breaks every `nn.ConvTranspose3d` with
    /// `output_padding` and padding.
    pub conv_transpose3d_drops_output_padding: bool,
    /// `as_strided_backward` (AsStridedBackward0, AsStridedBackward1) keeps
    /// the output's size-1 dimensions instead of squeezing them off the
    /// gradient first. Breaks the dispatch of every such backward whose
    /// output has a size-1 dimension (`adaptive_avg_pool2d(x, 1)` of a
    /// channels-last input): `new_zeros` where PyTorch squeezes.
    pub as_strided_backward_keeps_unit_dims: bool,
    /// `isin` never looks at the last test element. Breaks the values of
    /// every `isin` whose last test element occurs among the elements
    /// (`generate`'s end-of-sequence check of a sequence that just ended).
    pub isin_ignores_last_test_element: bool,
    /// `channel_shuffle` splits the channels into `C / groups` groups
    /// instead of `groups` (the inverse shuffle). Breaks the values of every
    /// `channel_shuffle` whose group count is not `sqrt(C)`.
    pub channel_shuffle_inverse: bool,
    /// `rrelu_with_noise` in training leaves every `noise` element at 1:
    /// the drawn slopes reach the result but not the gradient. Breaks the
    /// values of every training `rrelu_with_noise_backward` with a
    /// non-positive input.
    pub rrelu_noise_not_written: bool,
    /// `fractional_max_pool2d` reads a plane's height sample for the width
    /// and its width sample for the height. Breaks the values and indices
    /// of every 2-d fractional max pooling whose two samples give different
    /// window starts.
    pub fractional_pool_samples_swapped: bool,
    /// `repeat_interleave.Tensor` lists the repeated positions from the
    /// last to the first (same length, reversed). Breaks the values of
    /// every `repeat_interleave` with a tensor of repeats over two or more
    /// positions.
    pub repeat_interleave_reversed: bool,
    /// `searchsorted`/`bucketize` compare int64 boundaries and values as
    /// doubles, where values one apart beyond 2^53 are equal. Breaks the
    /// values of every search among such int64 neighbours.
    pub int64_search_through_double: bool,
    /// `searchsorted`/`bucketize` compare floating boundaries and values
    /// as doubles instead of in their common dtype. Breaks a Python float
    /// searched in float32 boundaries where it rounds onto a boundary
    /// (`0.2` against `float32(0.2)`).
    pub search_in_double: bool,
    /// `addr` with `beta == 0` still computes `beta * self`, where PyTorch
    /// ignores `self` (its NaNs and infinities do not propagate). Breaks
    /// every such `addr` over a `self` holding them.
    pub addr_beta_zero_reads_self: bool,
    /// Integer matrix products (`mm`, `addmm`, `bmm`, `baddbmm`, `addbmm`,
    /// `mv`, `addmv`, `dot`) multiply and accumulate in f64, where products
    /// and sums beyond 2^53 round. Breaks the values of every integer
    /// product whose terms or sums pass 2^53.
    pub integer_matmul_in_double: bool,
    /// `index_reduce` folds integer elements in f64, where products and
    /// extrema beyond 2^53 round. Breaks the values of every integer
    /// `index_reduce` over such values.
    pub integer_index_reduce_in_double: bool,
    /// An `out=` overload resizes its `out` tensor to a contiguous one
    /// instead of taking the strides the functional kernel computed
    /// (PyTorch's structured kernels restride a resized `out`). Breaks the
    /// recorded strides of every resized `out` of a pointwise operator
    /// over transposed or channels-last inputs.
    pub out_resize_contiguous: bool,
    /// A sum or product `out=` overload without `dtype` accumulates in its
    /// input's dtype and casts into `out`, where PyTorch accumulates in
    /// `out`'s dtype (`torch.sum(x_f32, 0, out=acc_f64)` adds in float64).
    /// Breaks the values of every widening reduction into `out`.
    pub out_reduction_in_input_dtype: bool,
    /// A float16 / bfloat16 batch norm in training keeps its batch mean
    /// and variance unrounded, where PyTorch rounds them to the statistics'
    /// dtype before normalising. Breaks the outputs of every channel whose
    /// mean is large against its spread.
    pub reduced_batch_norm_exact_stats: bool,
    /// A training batch norm blends its running statistics in double and
    /// rounds once, where PyTorch computes in the statistics' own type
    /// (float32 products and sums round to float, bfloat16 ones to
    /// bfloat16). Breaks `running_mean`/`running_var`
    /// by an ulp, and every evaluation that normalises with them.
    pub running_stats_blend_in_double: bool,
    /// A composite's `out=` overload seen whole (`matmul.out` under
    /// `inference_mode`) leaves the write uncounted where PyTorch's
    /// ADInplaceOrView kernel bumps `out`'s version. Breaks the version of
    /// every buffer `torch.matmul(..., out=)` fills there.
    pub composite_out_uncounted_write: bool,
    /// A float16 convolution sums each output and gradient in f64 and
    /// rounds once, where PyTorch's CPU (`Slow2d`) runs float32 GEMMs per
    /// batch sample and rounds each to float16 (the weight gradient once
    /// per sample, the input gradient at every col2im addition). Breaks
    /// float16 weight gradients of batches larger than one.
    pub half_conv_float_accumulation: bool,
    /// A float16 transposed convolution sums its columns in f64 and rounds
    /// once, instead of storing the columns as float16 and adding them into
    /// the plane one float16 addition at a time (then the bias) as
    /// PyTorch's `slow_conv_transpose2d` does. Breaks overlapping taps (a
    /// 4-wide kernel at stride 2).
    pub half_conv_scatter_in_double: bool,
    /// `view.dtype` between a float and an integer dtype converts the
    /// values instead of reinterpreting their bit patterns. Breaks every
    /// bit-level utility that reads a float's representation.
    pub view_dtype_casts: bool,
    /// `rms_norm` seen whole under `inference_mode` rounds its normalised
    /// result to the input's dtype before multiplying by the weight, where
    /// ATen multiplies in the op-math dtype (float32) and rounds once
    /// (rms-norm-rounds-before-weight). Breaks bfloat16 and float16 norms
    /// with a weight.
    pub rms_norm_rounds_before_weight: bool,
    /// SelectScatterBackward0 / SliceScatterBackward0 compute the source's
    /// gradient (the gradient's view) before `self`'s (zeros scattered into
    /// the gradient), where PyTorch computes `self`'s first. Breaks the
    /// dispatch order of every backward through a scatter of a view.
    pub scatter_view_grads_swapped: bool,
    /// AccumulateGrad steals a leaf's first gradient (`.grad = detach(new)`)
    /// even when someone else still holds it, where PyTorch copies a
    /// gradient whose `use_count()` exceeds its own reference. Breaks every
    /// trace whose hooks keep the gradients they receive
    /// (`register_multi_grad_hook`'s buffer, a list of logged gradients).
    pub steal_held_gradients: bool,
    /// `set_` keeps the leaf's AccumulateGrad, where PyTorch forgets it
    /// and the next graph over the leaf makes a new one. Breaks the graph
    /// of a parametrization removed with `leave_parametrized=True` while
    /// the last step's graph is alive.
    pub set_keeps_grad_accumulator: bool,
    /// VdotBackward0 computes `self`'s gradient before `other`'s, where
    /// PyTorch computes `other`'s first. Breaks the order in which
    /// `vdot(v, v)` sums its two gradients of `v`.
    pub vdot_grads_self_first: bool,
    /// Complex `vdot` does not conjugate its first operand (computes
    /// `dot`). Breaks every complex `vdot` value.
    pub complex_vdot_no_conj: bool,
    /// `_coalesce` sums each run of duplicate entries in float64 and
    /// rounds once, where PyTorch sums left to right in the values' dtype.
    /// Breaks the coalesced values wherever duplicates cancel (a sparse
    /// embedding gradient of a repeated index).
    pub sparse_coalesce_in_f64: bool,
    /// `_coalesce` sums each run of duplicate entries right to left (the
    /// uncoalesced entries' order reversed). Breaks the coalesced values
    /// wherever three or more duplicates round differently in another order.
    pub sparse_coalesce_reversed: bool,
    /// `_embedding_bag_backward` with `sparse=True` in `mean` mode leaves
    /// each index's gradient row unscaled, where PyTorch multiplies it by
    /// `1 / bag_size`. Breaks the sparse gradient's values of every bag of
    /// two or more indices (its indices stay right).
    pub sparse_bag_unscaled_mean: bool,
    /// `_embedding_bag` on its fast path stores a bfloat16 bag sum rounded
    /// to nearest even, where fbgemm rounds float32 half away from zero.
    /// Breaks bfloat16 bag sums (and means) that land exactly halfway
    /// between two bfloat16 values.
    pub embedding_bag_rne_bf16: bool,
    /// The dense `_embedding_bag_backward` (`sum` / `mean`) adds every
    /// scaled gradient row in float64 and rounds once, instead of running
    /// `axpy` in the gradient's dtype with the factor cast to it. Breaks
    /// reduced-precision and `mean` gradients of rows that occur in several
    /// bags.
    pub embedding_bag_grad_in_double: bool,
    /// `angle` of a complex tensor lays its real result out like the input
    /// (TensorIterator's rule for real inputs), where PyTorch returns it
    /// contiguous. Breaks the output strides of the angle of a transposed
    /// or `stft` spectrum.
    pub complex_angle_keeps_layout: bool,
    /// `_trilinear` sums the triple product in float64 and rounds once,
    /// where PyTorch contracts `i1 · i2` first (rounded to the dtype) and
    /// then that buffer with `i3`. Breaks bfloat16 `nn.Bilinear` outputs
    /// and gradients.
    pub trilinear_rounded_once: bool,
    /// `_amp_foreach_non_finite_check_and_unscale_` checks `found_inf`
    /// wholly (size, then dtype) before `inv_scale`, where PyTorch checks
    /// both sizes (`inv_scale` first) before both dtypes (`inv_scale`
    /// first). Breaks the error a scaler call with two float64 operands
    /// raises (`found_inf must be a float tensor.` instead of PyTorch's
    /// `inv_scale must be a float tensor.`).
    pub amp_unscale_checks_found_inf_first: bool,
    /// `_to_dense` writes each entry of the sparse tensor into the zeros
    /// instead of adding it, where PyTorch's `sparse_to_dense` is
    /// `zeros.add_(self)`. Breaks the dense result wherever an uncoalesced
    /// tensor holds duplicate entries (only the last one is kept).
    pub sparse_to_dense_overwrites: bool,
    /// `_to_sparse` lays every indices tensor out contiguously, where
    /// PyTorch keeps the transposed rows' strides (`[1, sparse_dim]`) when
    /// a dense dimension remains and they count as contiguous anyway (one
    /// sparse dimension, or one entry). Breaks the indices' strides of such
    /// a `to_sparse(k)` (their values stay right).
    pub to_sparse_indices_contiguous: bool,
    /// `_to_sparse` counts a `-0.0` element as an entry, where PyTorch's
    /// `dense_to_sparse` keeps the elements that compare unequal to zero.
    /// Breaks the entries of every tensor holding a negative zero.
    pub to_sparse_keeps_negative_zero: bool,
    /// ValuesBackward0 builds the gradient's sparse tensor without
    /// flagging it coalesced, where PyTorch's `values_backward` passes
    /// `is_coalesced=True` (its indices are the coalesced tensor's).
    /// Breaks every `values()` gradient of two or more entries.
    pub values_grad_uncoalesced: bool,
    /// `self + alpha * other` of sparse tensors where `self` has no
    /// entries copies `other` without scaling it by `alpha`, where
    /// PyTorch's `add_out_sparse_cpu` multiplies its values by `alpha`.
    /// Breaks every such sum with an alpha other than 1.
    pub sparse_add_empty_ignores_alpha: bool,
    /// `sparse_mask` of a dense `self` keeps the mask's index strides even
    /// when those indices are narrowed from longer ones (not dense), where
    /// PyTorch's `clone` (preserve_format) makes them contiguous. Breaks
    /// only the geometry of the result's indices (its values are right):
    /// every mask by a coalesced tensor that had duplicates.
    pub sparse_mask_keeps_index_strides: bool,
    /// `clone` of a sparse tensor copies its parts contiguous, where
    /// PyTorch's `to(copy=True)` of each part (preserve format) keeps a
    /// dense part's strides. Breaks only the geometry of the clone's
    /// indices: every clone of a sum of sparse gradients whose merge
    /// dropped entries (indices `[1, n]` with the row stride of the room,
    /// word2vec's `sparse=True` output embedding).
    pub sparse_clone_contiguous: bool,
    /// The foreach `addcmul` / `addcdiv` evaluate `self + value * t1 * t2`
    /// (`/ t2`) in float64 from the operands' own values and round once,
    /// where PyTorch's CPU foreach runs the dense kernel on each element:
    /// every input cast to the computed dtype, then its opmath formula.
    /// Breaks float16 and bfloat16 steps with a wider 0-dim coefficient
    /// tensor (ASGD's float32 `eta`).
    pub foreach_addc_uncast: bool,
    /// The foreach `lerp` evaluates `self + weight * (end - self)` (from
    /// the far end for |weight| >= 0.5) with a separate multiply and add
    /// in float64 and rounds once, where PyTorch's CPU foreach runs the
    /// dense `lerp_` on each element: one fused multiply-add in the
    /// dtype's compute precision. Moves float32 EMA weights
    /// (`torch._foreach_lerp_`, `get_ema_multi_avg_fn`) by an ulp.
    pub foreach_lerp_unfused: bool,
    /// `neg` of a sparse tensor flags its result coalesced, as PyTorch's
    /// coalescing unary operators (`sin`, `sqrt`, ...) do, where its
    /// `neg_out_sparse` keeps the input's flag. Breaks every negated
    /// uncoalesced gradient (SparseAdam with `maximize=True` then skips
    /// the `_coalesce` PyTorch runs).
    pub sparse_neg_coalesced: bool,
    /// The sparse gradient of `embedding(..., padding_idx=p, sparse=True)`
    /// keeps the entries that looked up row `p`, where PyTorch's
    /// `embedding_sparse_backward` masks them out (`indices != p`). Breaks
    /// every such gradient (its ops and its entries).
    pub sparse_embedding_keeps_padding: bool,
    /// `_sparse_softmax` / `_sparse_log_softmax` normalise each entry
    /// over the next sparse dimension instead of `dim` (rows for columns).
    /// Breaks the values of every sparse softmax of a 2-D tensor whose
    /// rows and columns group the entries differently.
    pub sparse_softmax_wrong_dim: bool,
    /// `_sparse_sum_backward` leaves the first entry whose position the
    /// gradient holds at zero, as if its index were not matched. Breaks
    /// every sparse sum gradient over a summed sparse dimension.
    pub sparse_sum_backward_drops_index: bool,
    /// `fill_.Tensor` / `fill.Tensor` saturate an integer value to a
    /// narrower integer dtype's range, where PyTorch stores it as `copy_`
    /// does (wrapping: `tensor(300)` fills an int8 with 44). Breaks every
    /// fill of an integer tensor from a value beyond its range.
    pub fill_tensor_saturates: bool,
    /// The reflection / replication padding backward kernels sum the
    /// gradients an input element receives in float64 and round once,
    /// where PyTorch adds them in the gradient's dtype in output order.
    /// Breaks float32 (and reduced-precision) pad gradients wherever three
    /// or more contributions meet (corners, rows near a mirrored edge).
    pub pad_backward_sums_in_double: bool,
    /// `dist` takes the 2-norm of the difference whatever its `p`.
    /// Breaks every `torch.dist` with `p` other than 2.
    pub dist_ignores_p: bool,
    /// `linalg_lstsq`'s `gelsy` leaves the solution's rows in the
    /// column-pivoted order (`P` not applied). Breaks every default-driver
    /// least-squares solve whose QR pivots a column.
    pub lstsq_solution_unpermuted: bool,
    /// `cholesky_inverse` treats a lower factor as an upper one (and
    /// back): `(Lᵀ·L)⁻¹` where PyTorch computes `(L·Lᵀ)⁻¹`. Breaks every
    /// `torch.cholesky_inverse` of a non-diagonal factor.
    pub cholesky_inverse_transposed_product: bool,
    /// `eye.out` / `eye.m_out` write their ones one column right of the
    /// diagonal. Breaks every `nn.init.eye_` and `torch.eye(..., out=)`.
    pub eye_out_shifted_diagonal: bool,
    /// The runtime's trace writes only the net `requires_grad` change of a
    /// tensor detached in place, as for a leaf, where PyTorch's capture
    /// writes `[t, false]` and then `[t, true]` when the program flagged it
    /// again. Breaks every `t.detach_().requires_grad_()`: both
    /// `set_requires_grad` events are missing from the runtime's stream.
    pub detach_flags_coalesced: bool,
    /// `cauchy_` draws with any `sigma`, where PyTorch refuses one that is
    /// not positive (`cauchy_ expects sigma > 0.0`). Breaks every program
    /// that relies on the refusal: the runtime runs what PyTorch raised.
    pub cauchy_accepts_zero_sigma: bool,
    /// `logspace` takes its exponents from the end points as given, where
    /// ATen first holds them in the element type (an integer dtype
    /// truncates them). Breaks integer `logspace` with fractional end
    /// points (`logspace(0.5, 6.5, 7, base=2, dtype=torch.int64)`).
    pub logspace_unrounded_ends: bool,
    /// `igamma` returns the upper regularized incomplete gamma function
    /// Q(a, x) where PyTorch's is the lower one, P(a, x). Breaks every
    /// `torch.igamma` / `torch.special.gammainc`.
    pub igamma_is_complement: bool,
    /// `special_chebyshev_polynomial_t` takes its three-term recurrence at
    /// every degree, where PyTorch takes `cos(n acos x)` above degree 6
    /// inside (−1, 1). Breaks the last bits of high-degree Chebyshev
    /// features.
    pub chebyshev_plain_recurrence: bool,
    /// The backward of `special_bessel_y1` and `special_modified_bessel_k1`
    /// multiplies `1/x` by itself where PyTorch multiplies the saved result
    /// by it (`result / x`): the same calls, the wrong quotient. Breaks
    /// every gradient through Y1 and K1.
    pub bessel_quotient_without_result: bool,
    /// `resize_`/`resize_as_` to the tensor's own shape lays it out
    /// contiguously, where PyTorch keeps its strides (a transposed tensor
    /// stays transposed). Breaks the geometry of every such resize.
    pub resize_restrides_same_shape: bool,
    /// `dot`/`vdot` go through the Conjugate fallback (a `clone` of each
    /// conjugate-bit operand first), where PyTorch lets them take the
    /// conjugate views. Breaks the dispatch of every inner product of a
    /// `.conj()` view.
    pub dot_through_conj_fallback: bool,
    /// A `resize_` that grows the storage starts the new buffer from zeros,
    /// where PyTorch keeps the elements the storage held. Breaks every
    /// value read from the kept part of a grown tensor.
    pub resize_grows_from_zeros: bool,
    /// `narrow_copy` copies the window that starts one row after `start`
    /// (when one fits), where PyTorch copies `start..start + length`. Breaks
    /// every `Tensor.narrow_copy` that does not end at the dimension's end:
    /// the right shape, the wrong rows.
    pub narrow_copy_shifted: bool,
    /// The engine sums a gradient with an efficient zero tensor (real
    /// `sgn`'s gradient) as two ordinary tensors, one `add.Tensor`, where
    /// PyTorch runs the ZeroTensor kernel of `add` (`to(meta)` of both,
    /// `prims.add`, `_to_copy(expand(...))`). Values do not change; breaks
    /// the dispatch order of every backward where such a zero meets another
    /// gradient.
    pub zero_tensor_sum_materialized: bool,
    /// A complex in-place `add_`/`sub_`/`mul_`/`div_` writes only the real
    /// parts of its result back (tutorial-complex-inplace), as a kernel
    /// that stores a complex result through a real view would. Breaks
    /// every complex parameter updated in place (`w -= lr * w.grad`).
    pub complex_inplace_drops_imag: bool,
    /// A `*_like` / `new_*` factory's TensorOptions `device` is ignored and
    /// the result lands on the backend its tensor argument selected
    /// (tutorial-like-device): `empty_like(meta_t, device="cpu")` stays on
    /// meta. Breaks every `Module.to_empty(device="cpu")` of a module built
    /// on meta: the first CPU operator reading a parameter finds meta.
    pub like_device_ignored: bool,
    /// `gather` / `scatter` / `scatter_reduce` with a 0-dim index read or
    /// write coordinate 0 along `dim` instead of the index's value
    /// (tutorial-scatter-0d): `zeros(10).scatter_(0, tensor(3), 1)` sets
    /// element 0. Breaks every one-hot target built that way.
    pub scatter_0d_index_at_origin: bool,
    /// The PNG decoder (`image.decode_png` / `decode_image`) undoes the
    /// Paeth scanline filter as Up (adds the byte above instead of the
    /// Paeth predictor). Breaks the pixels of every PNG whose encoder
    /// chose Paeth for a row (zlib-based writers often do).
    pub png_paeth_as_up: bool,
    /// torchvision's RoIAlign (`torchvision.roi_align` and its backward)
    /// shifts its boxes by half a pixel the wrong way round: by -0.5 when
    /// `aligned=False` and not at all when `aligned=True`
    /// (roi-align-half-pixel). Moves every sampling point by half a pixel.
    pub roi_align_sample_half_pixel: bool,
    /// torchvision's deformable convolution (`torchvision.deform_conv2d`
    /// and its backward) blends each sampled point's four pixels with the
    /// low and high bilinear weights swapped (deform-conv-bilinear-swapped):
    /// every fractional sample reads the far corners' share.
    pub deform_conv_bilinear_swapped: bool,
    /// Integer kernels computed in i64 (`floor_divide`, `remainder`,
    /// `fmod`, `div` with a rounding mode, bitwise and shift operators)
    /// read a Python number or a wider 0-dim operand at its own value
    /// instead of converting it to the operator's integer dtype first
    /// (integer-numbers-unwrapped). Breaks `uint8_tensor // -7` (PyTorch
    /// divides by 249) and `uint8_tensor % torch.tensor(300)` (by 44).
    pub integer_numbers_unwrapped: bool,
    /// Complex `log` takes the angle as `atan(im / re)` instead of
    /// `atan2(im, re)` (complex-log-atan): wrong by pi for every value
    /// with a negative real part (a reflection coefficient of a load below
    /// the reference impedance).
    pub complex_log_atan: bool,
    /// CumprodBackward0 reads its result where its input is saved, as an
    /// in-place `cumprod_` without its original_self clone would
    /// (cumprod-grad-reads-result). Breaks the values of every cumprod's
    /// gradient.
    pub cumprod_grad_reads_result: bool,
    /// A Python number (or a wider 0-dim tensor) added to or subtracted
    /// from a float16/bfloat16 tensor is used at float precision instead of
    /// rounded to the dtype first (reduced-addend-unrounded). Breaks
    /// `x + 0.1` in bfloat16 wherever 0.1's bfloat16 rounding
    /// (0.10009765625) moves the sum to the next value.
    pub reduced_addend_unrounded: bool,
    /// `native_batch_norm_backward` lays `grad_input` out as the forward
    /// lays its output out, whatever `grad_out`'s strides
    /// (batch-norm-grad-like-output): contiguous for an `(N, C, 1, 1)` map
    /// with NHWC strides where PyTorch, given a contiguous `grad_out`,
    /// allocates NHWC. Breaks the strides of every channels-last network's
    /// BatchNorm gradient on a 1x1 map.
    pub batch_norm_grad_like_output: bool,
    /// PreluKernelBackwardBackward0 multiplies `grad_output` by the input
    /// gradient's incoming gradient for `self` and by the weight
    /// gradient's for `weight`, swapped (prelu-double-backward-swaps-grads).
    /// Breaks the values of every penalty through a PReLU's gradients.
    pub prelu_double_backward_swaps_grads: bool,
    /// A recorded LinalgSolveExBackward0 / LinalgSlogdetBackward0 reuses
    /// the forward's LU factors (`linalg_lu_solve`) instead of solving
    /// again with `linalg_solve(Aᴴ, ·)` (recorded-solve-reuses-lu): the
    /// factors have no history, so the second derivative through them is
    /// lost. Breaks every second derivative through a solve.
    pub recorded_solve_reuses_lu: bool,
    /// A CopySlices leaves its wrapped function's first edge out of a
    /// restricted backward's exec info (copy-slices-unmarked-view-edge):
    /// the function skips its `self` gradient, so under
    /// `torch.autograd.grad(create_graph=True)` CopyBackwards dispatches no
    /// `zeros_like` and the slice keeps the incoming gradient. Breaks the
    /// ops and values of every penalty through a circular pad.
    pub copy_slices_unmarked_view_edge: bool,
    /// NativeGroupNormBackward0 under grad mode leaves the `−b'·mean` term
    /// out of the input gradient's per-group shift
    /// (group-norm-grad-mode-drops-mean-term). Breaks the values of every
    /// gradient penalty through a GroupNorm.
    pub group_norm_grad_mode_drops_mean_term: bool,
    /// CdistBackwardBackward0 (p = 2) returns `wᵀ @ gg` for `x2` without
    /// negating it (cdist-double-backward-keeps-x2-sign). Breaks every
    /// second derivative through a Euclidean `torch.cdist`.
    pub cdist_double_backward_keeps_x2_sign: bool,
    /// LogitBackward0 under grad mode keeps the gradient only strictly
    /// inside `(lo, hi)` (`gt`/`lt` where PyTorch takes `ge`/`le`)
    /// (logit-double-backward-open-band). Breaks every penalty through
    /// `torch.logit`.
    pub logit_double_backward_open_band: bool,
    /// BinaryCrossEntropyBackward0's target gradient skips the division
    /// by the number of elements under the mean reduction
    /// (bce-target-grad-not-averaged). Breaks every BCE whose target
    /// requires grad.
    pub bce_target_grad_not_averaged: bool,
    /// A channels-last convolution's backward on PyTorch's `Slow2d` loops
    /// (float64, small float32 batches) returns a channels-last weight
    /// gradient even for a weight that is already channels-last contiguous
    /// without suggesting it (conv-slow2d-channels-last-weight-grad), where
    /// PyTorch keeps it contiguous. Breaks the strides of a pointwise or
    /// depthwise weight's gradient behind a channels-last activation.
    pub conv_slow2d_channels_last_weight_grad: bool,
    /// A bfloat16 or float16 bicubic upsampling applies its per-axis
    /// weights in float (bicubic-reduced-weights-in-float), where PyTorch's
    /// kernel stores them in the tensor's dtype first. Breaks a reduced
    /// precision bicubic resize whose fractions are not dyadic (a
    /// downscale by 4/3).
    pub bicubic_reduced_weights_in_float: bool,
    /// A bfloat16 or float16 linear, bilinear or trilinear upsampling sums
    /// its corners in double with unrounded weights and rounds once
    /// (upsample-linear-reduced-in-double), where PyTorch's generic kernel
    /// stores each axis's weights in the tensor's dtype and its
    /// channels-last kernel sums float weights with fused multiply-adds.
    /// Breaks a bfloat16 audio upsampling by a non-dyadic factor.
    pub upsample_linear_reduced_in_double: bool,
    /// A bfloat16 or float16 linear upsampling's backward accumulates in
    /// double (upsample-linear-backward-reduced-in-double), where PyTorch
    /// accumulates `fma(weight, grad, acc)` in a float buffer. Breaks the
    /// input gradient of a non-dyadic bfloat16 upsampling.
    pub upsample_linear_backward_reduced_in_double: bool,
    /// Nearest (and nearest-exact) upsampling backward of float32,
    /// bfloat16 and float16 gradients sums each input element's output
    /// gradients in float64 and rounds once, where PyTorch's kernels
    /// accumulate them one by one in float. Leaves float32 gradients of a
    /// 2x nearest `interpolate` an ulp off.
    pub nearest_backward_in_double: bool,
    /// `upsample_bicubic2d_backward` returns a channels-last gradient for a
    /// channels-last output gradient (bicubic-backward-channels-last), as
    /// the nearest and linear modes do, where PyTorch's bicubic backward
    /// returns a contiguous one. Breaks the strides of the gradient of a
    /// bicubically resampled permuted grid (a ViT position embedding).
    pub bicubic_backward_channels_last: bool,
    /// Float16 convolutions run on the `Slow2d` loops (one rounding per
    /// batch sample's GEMM) even where the trace records that PyTorch ran
    /// them on oneDNN (half-conv-ignores-onednn). Breaks every float16
    /// convolution captured on a CPU with AVX-512 FP16 or AMX FP16.
    pub half_conv_ignores_onednn: bool,
    /// IndexFillBackward1 sums the gradient over the raw index instead of
    /// `_unique(index)` (index-fill-value-grad-repeats): a 0-dim fill value
    /// gets a repeated position's gradient once per repeat. Breaks the
    /// gradient of a tensor fill value whose index names a position twice.
    pub index_fill_value_grad_repeats: bool,
    /// The complex `neg` kernel negates only the real part
    /// (complex-neg-keeps-imag). Breaks `_foreach_neg` of complex gradients
    /// (`maximize=True` in the foreach optimizers) and every complex `neg`.
    pub complex_neg_keeps_imag: bool,
    /// `col2im` (`F.fold`) sums overlapping blocks in float64 and rounds
    /// once (col2im-sums-in-double), where PyTorch's CPU kernel stores
    /// every addition in the element dtype. Breaks reduced-precision folds
    /// with overlapping blocks.
    pub col2im_sums_in_double: bool,
    /// `index_put(accumulate=True)` (IndexBackward0's scatter of repeated
    /// indices) sums repeated positions in float64 and rounds once
    /// (index-put-accumulates-in-double), where PyTorch's CPU loop stores
    /// each sum in the element dtype. Breaks float16/bfloat16 accumulation.
    pub index_put_accumulates_in_double: bool,
    /// The scatter reductions round every float16/bfloat16 sum, mean or
    /// product step to the dtype (scatter-reduce-half-steps-rounded), where
    /// PyTorch's CPU kernel carries them in float32 and rounds once.
    pub scatter_reduce_half_steps_rounded: bool,
    /// `index_add` sums repeated slices in float64 and rounds once
    /// (index-add-sums-in-double), where PyTorch's CPU kernel stores each
    /// float32 sum, and each float16/bfloat16 one with `alpha` other than
    /// 1, in the element dtype.
    pub index_add_sums_in_double: bool,
    /// `mvlgamma` refuses arguments at or below `(p-1)/2` and NaN
    /// (mvlgamma-domain-check), as PyTorch releases before 2.15 did; torch
    /// 2.15 computes them (inf at lgamma's poles, NaN stays NaN).
    pub mvlgamma_domain_check: bool,
    /// `logsumexp` shifts each group by a maximum that skips NaN
    /// (logsumexp-max-skips-nan), where PyTorch's `amax` propagates it: a
    /// group of `-inf`s or a `+inf` beside a NaN gives `∓inf` instead of
    /// NaN.
    pub logsumexp_max_skips_nan: bool,
    /// The backward kernels whose vectorised and scalar CPU loops differ
    /// for a NaN input (`hardtanh_backward`, the shrink backward,
    /// `hardswish_backward`, `elu_backward`, `logit_backward` with eps) use
    /// the scalar formula everywhere (nan-grads-scalar-loop), where PyTorch
    /// runs whole vectors of contiguous elements vectorised.
    pub nan_grads_scalar_loop: bool,
    /// `hardswish_backward` uses `x/3 + 1/2` on the closed range
    /// `[-3, 3]` (hardswish-backward-closed-range), where torch 2.15 gives 0
    /// at -3 and the gradient itself at 3.
    pub hardswish_backward_closed_range: bool,
    /// `logit_backward` of bfloat16/float16 compares with `eps` and
    /// `1 - eps` in float (logit-backward-bounds-in-float), where PyTorch
    /// rounds them to the element dtype (bfloat16 `1 - 0.001` is 1).
    pub logit_backward_bounds_in_float: bool,
    /// LogcumsumexpBackward0 fills the logs of zero gradients with
    /// float32's lowest value for bfloat16/float16 too
    /// (logcumsumexp-grad-min-float32), where PyTorch uses the dtype's own
    /// `finfo.min` (its `scalar_tensor` call changes).
    pub logcumsumexp_grad_min_float32: bool,
    /// bfloat16/float16 `remainder`/`fmod` divide by a Python number as
    /// given (remainder-number-unrounded), where TensorIterator rounds it
    /// to the element dtype first.
    pub remainder_number_unrounded: bool,
    /// float32/half/bfloat16 `gelu` (erf form) of `+inf` is `+inf` on
    /// oneDNN's path (gelu-float-inf-finite), where that kernel gives NaN.
    pub gelu_float_inf_finite: bool,
    /// `gelu`/`gelu_backward` (erf form) of a contiguous float32/half/
    /// bfloat16 `self` of several elements use ATen's formula
    /// (gelu-aten-formula-on-onednn-path), where torch 2.15 runs oneDNN's
    /// kernel (its own erf and exp: other bits).
    pub gelu_aten_formula_on_onednn_path: bool,
    /// Every float `gelu`/`gelu_backward` (erf form) takes oneDNN's path
    /// (gelu-onednn-for-every-layout), where a single element or a
    /// non-contiguous `self` runs ATen's kernel (+inf stays inf there).
    pub gelu_onednn_for_every_layout: bool,
    /// float32 `_log_softmax` and `_log_softmax_backward_data` compute in
    /// float64 and round once (log-softmax-in-double), where ATen's
    /// kernels sum in float32 (over the last dimension in lane order, over
    /// another one column by column) with SLEEF's `exp` and `log`.
    pub log_softmax_in_double: bool,
    /// float32 `_softmax` and `_safe_softmax` over the last dimension
    /// compute in float64 and round once (softmax-in-double), where ATen's
    /// vectorised kernel takes SLEEF's `exp`, sums in lane order and
    /// multiplies by the float32 reciprocal of the sum.
    pub softmax_in_double: bool,
    /// A reduced `nll_loss`/`nll_loss2d` of float32 or float64 sums its
    /// rows in float64 in one pass (nll-sum-in-double), where PyTorch's
    /// kernel accumulates in the dtype through eight cascade levels of 16.
    pub nll_sum_in_double: bool,
    /// float32 `rsqrt` (and `rsqrt_` of every float dtype) computes `1/√x`
    /// in float64 and rounds once (rsqrt-rounded-once), where PyTorch's
    /// kernel rounds the square root to float32 before its reciprocal.
    pub rsqrt_rounded_once: bool,
    /// float32/float64 `sqrt` (and `_foreach_sqrt`) is the correctly
    /// rounded root (sqrt-correctly-rounded), where PyTorch on an AVX-512
    /// CPU gets MKL's, one ulp low for about 0.6% of inputs. Breaks Adam's
    /// denominators and every norm computed with `sqrt`.
    pub sqrt_correctly_rounded: bool,
    /// float32 `sigmoid`, `silu` and `silu_backward` take the C library's
    /// `exp` for every element (sigmoid-exp-of-one-loop), where PyTorch's
    /// vector loop takes SLEEF's and only its scalar tail the C library's.
    pub sigmoid_exp_of_one_loop: bool,
    /// float64 `sigmoid` takes the C library's `exp` for every element
    /// (sigmoid-f64-exp-of-one-loop), where PyTorch's vector loop takes
    /// SLEEF's double `exp` and only its scalar tail the C library's.
    pub sigmoid_f64_exp_of_one_loop: bool,
    /// The elementwise loop plan walks the whole iteration as one run
    /// (elementwise-loop-one-run), where PyTorch's inner loop starts again
    /// at every run of the coalesced innermost dimension, so each row of a
    /// strided view (a GRU's gate chunk) ends in its own scalar tail.
    pub elementwise_loop_one_run: bool,
    /// Vector 1- and 2-norms are summed in float64 and rounded once
    /// (vector-norm-in-double), where PyTorch's CPU kernel sums float32
    /// squares in eight lanes (one running sum off a contiguous run).
    pub vector_norm_in_double: bool,
    /// The fused float32 weight norm sums in float64 and rounds once
    /// (weight-norm-in-double), where PyTorch's kernel sums float32 terms
    /// in 8 lanes and fuses the gradient's last step.
    pub weight_norm_in_double: bool,
    /// The float32 batch norm backward of a contiguous input sums in
    /// float64 (batch-norm-grad-in-double), where PyTorch's kernel sums
    /// each plane in 8 float32 lanes and fuses the input gradient's step.
    pub batch_norm_grad_in_double: bool,
    /// A float32 batch norm with channels innermost takes its training
    /// statistics from float64 sums in logical order
    /// (batch-norm-row-stats-in-double), where PyTorch's kernel sums each
    /// thread's rows per channel in float32 and adds the parts in float64.
    pub batch_norm_row_stats_in_double: bool,
    /// The sum of an efficient zero gradient with another float16 or
    /// bfloat16 gradient runs its meta `prims.add` in that dtype
    /// (zero-tensor-add-reduced-in-place), where the `add` reference
    /// converts both to float32 and the sum back (two `to(float32)`, one
    /// `to(dtype)` more in the engine's dispatches).
    pub zero_tensor_add_reduced_in_place: bool,
    /// The 2-d pooling kernels take an input for channels-last only with
    /// exactly dense NHWC strides (pool-exact-channels-last), where PyTorch's
    /// `suggest_memory_format` also reads a crop or a channel chunk of a
    /// channels-last tensor as channels-last: their results come back
    /// contiguous.
    pub pool_exact_channels_last: bool,
    /// 3-d max pooling returns contiguous values, indices and input
    /// gradient for a channels_last_3d input (max-pool3d-contiguous), where
    /// PyTorch's CPU kernel keeps NDHWC.
    pub max_pool3d_contiguous: bool,
    /// A 3-d convolution on oneDNN with a channels_last_3d operand returns
    /// contiguous results and gradients (conv3d-contiguous-channels-last).
    pub conv3d_contiguous_channels_last: bool,
    /// The 3-d nearest upsampling backward follows a channels_last_3d
    /// gradient's layout (nearest3d-backward-channels-last), where
    /// PyTorch's kernel returns a contiguous input gradient.
    pub nearest3d_backward_channels_last: bool,
    /// 3-d average pooling computes float16/bfloat16 inputs
    /// (avg-pool3d-reduced-float), where PyTorch's CPU kernel refuses them
    /// (`"avg_pool3d_out_frame" not implemented for 'BFloat16'`, also
    /// reached by `LocalResponseNorm`).
    pub avg_pool3d_reduced_float: bool,
    /// Antialiased resampling computes float16/bfloat16 inputs in float
    /// (antialias-reduced-float), where PyTorch refuses them
    /// (`"compute_index_ranges_weights" not implemented for 'BFloat16'`).
    pub antialias_reduced_float: bool,
    /// `flip` lays its result out as a pointwise result of `self`
    /// (flip-pointwise-layout), where PyTorch allocates it with
    /// `empty_like(self, preserve_format)`: a dense input with size-1
    /// dimensions (a one-channel channels-last image) keeps its strides.
    pub flip_pointwise_layout: bool,
    /// `roll` returns a contiguous result (roll-contiguous), where
    /// PyTorch's `cat` of narrowed views keeps a channels-last image
    /// channels-last.
    pub roll_contiguous: bool,
    /// float16/bfloat16 `_adaptive_avg_pool3d` sums each window in f64 and
    /// divides once (adaptive-avg-pool3d-reduced-in-f64), where PyTorch's
    /// CPU kernel sums and divides in the tensor's dtype, step by step.
    pub adaptive_avg_pool3d_reduced_in_f64: bool,
    /// A pointwise operand of another dtype than the result, when it is a
    /// strided but not dense view, is laid out as a contiguous cast copy
    /// (cast-copy-contiguous), where PyTorch's `to()` keeps the view's
    /// dimension order (`infer_dense_strides`). Breaks the strides of e.g. a
    /// bfloat16 rotary half (`q[..., ::2]` of a transposed head view) times
    /// a float32 cosine table.
    pub cast_copy_contiguous: bool,
    /// The CPU flash attention kernel's running row maximum skips NaN
    /// scores (flash-attention-max-skips-nan), so a query row of NaN reads
    /// as fully masked (zeros, logsumexp 0), where PyTorch's maximum
    /// propagates NaN into the output row and its logsumexp.
    pub flash_attention_max_skips_nan: bool,
    /// bfloat16 `sigmoid_backward` rounds each step to bfloat16
    /// (sigmoid-backward-bf16-stepwise), as float16's kernel does, where
    /// PyTorch's bfloat16 kernel computes `g·(1−y)·y` in float32 and rounds
    /// once.
    pub sigmoid_backward_bf16_stepwise: bool,
    /// float16/bfloat16 `glu_backward` uses the unrounded sigmoid of the
    /// second half (glu-backward-unrounded-sigmoid), where PyTorch takes it
    /// as a tensor of the dtype first.
    pub glu_backward_unrounded_sigmoid: bool,
    /// float16/bfloat16 `rsqrt` and bfloat16 `pow(x, -0.5)` round
    /// `1 / sqrt(x)` once from float32 for every element
    /// (reduced-inverse-root-rounded-once), where PyTorch's scalar loop (the
    /// elements after the last whole vector chunk) rounds the root to the
    /// dtype first.
    pub reduced_inverse_root_rounded_once: bool,
    /// Floating `prod` multiplies each group in float64 and rounds once
    /// (prod-in-double), where PyTorch multiplies in the result's dtype in
    /// its vector kernel's order, rounding every product.
    pub prod_in_double: bool,
    /// Floating `div` with `rounding_mode` `trunc`/`floor` divides in
    /// float64 (rounded-division-in-double), where PyTorch divides float32
    /// and the half types in float32 and truncates a half-type quotient of
    /// two tensors after rounding it to the dtype.
    pub rounded_division_in_double: bool,
    /// The float16/bfloat16 kernels whose steps PyTorch rounds to the dtype
    /// one by one (`mse_loss`'s difference before squaring; `xlogy`,
    /// `xlog1py` and `special_entr`'s logarithm before the product;
    /// bfloat16 `huber_loss`, float16 `smooth_l1_loss` and the Huber
    /// gradient) compute in float and round once, and `mvlgamma` sums its
    /// `lgamma`s in the dtype rather than in float (reduced-steps-in-float).
    pub reduced_steps_in_float: bool,
    /// float16 `_weight_norm_interface` keeps its norms in float16
    /// (weight-norm-half-norms-in-dtype), where PyTorch keeps them in
    /// float32 as it does for bfloat16.
    pub weight_norm_half_norms_in_dtype: bool,
    /// bfloat16/float16 `fractional_max_pool2d` / `3d` compute their window
    /// starts and the backward's gradient sums in float32
    /// (fractional-pool-reduced-in-float), where PyTorch rounds every step
    /// to the input's type. Breaks the indices and values of every reduced
    /// fractional pooling whose starts differ in float32.
    pub fractional_pool_reduced_in_float: bool,
    /// `frexp` refuses bfloat16 and float16 inputs (frexp-reduced-refused),
    /// where PyTorch splits them as it splits float32 ones.
    pub frexp_reduced_refused: bool,
    /// `frexp` records no FrexpBackward0 (frexp-without-backward): its
    /// mantissa never requires grad. Breaks the graph of every `frexp` of a
    /// tensor requiring grad.
    pub frexp_without_backward: bool,
    /// A negative-bit view reads as its storage (neg-view-unresolved): the
    /// bit set by `_neg_view` is kept but never applied. Breaks the values
    /// of every materialized imaginary part of a conjugated tensor.
    pub neg_view_unresolved: bool,
    /// float32/float64 sums and means of a non-contiguous input (a slice of
    /// a wider matrix, a transpose, a step) or of a contiguous one reduced
    /// on both sides of a kept dimension keep their partial sums in float64
    /// and round once (strided-sum-in-double), where PyTorch sums in the
    /// dtype along the loop its kernel takes over memory. Breaks such sums
    /// whose terms cancel.
    pub strided_sum_in_double: bool,
    /// float32/float64 sums and means of a non-contiguous input (or one
    /// reduced on both sides of a kept dimension) run as one loop whatever
    /// the thread count (strided-sum-one-loop), where PyTorch shares the
    /// loop between its intra-op threads from 32 768 elements on. Breaks
    /// such sums of large inputs captured on several threads.
    pub strided_sum_one_loop: bool,
    /// complex64/complex128 `sum`s keep their partial sums in float64 and
    /// round once (complex-sum-in-double), where PyTorch sums each part in
    /// the parts' type in its cascade order (four complex64 or two
    /// complex128 elements a vector). Breaks complex sums whose terms
    /// cancel.
    pub complex_sum_in_double: bool,
    /// float32/bfloat16/float16 `log_sigmoid` (and the one inside
    /// `binary_cross_entropy_with_logits`) computes `log1p(exp(-|x|))` in
    /// float64 and rounds once (log-sigmoid-in-double), where PyTorch runs
    /// its vectorised float32 `exp` and `log1p` (SLEEF's). Breaks the last
    /// bit of about a fifth of such results.
    pub log_sigmoid_in_double: bool,
    /// float64 `log_sigmoid_forward` and the log-sigmoid of float64
    /// `binary_cross_entropy_with_logits` take the C library's `exp` and
    /// `log1p` (log-sigmoid-f64-libm), where PyTorch's vectorised kernel
    /// runs SLEEF's 1-ulp double `exp` and `log1p` on every element. Breaks
    /// the last bit of about one float64 log-sigmoid in seventeen.
    pub log_sigmoid_f64_libm: bool,
    /// A complex `mean`/`mean.dim` divides the sum's parts by `n` in
    /// float64 (complex-mean-divided-in-double), where PyTorch divides the
    /// complex sum by the scalar `n` as `c10::complex` division does: each
    /// part times the reciprocal `1/n` rounded to the part's dtype.
    pub complex_mean_divided_in_double: bool,
    /// The `mean`/`sum` reduction of `binary_cross_entropy`,
    /// `binary_cross_entropy_with_logits` and `soft_margin_loss` adds
    /// float32/float64 losses in
    /// float64 and rounds once (loss-reduction-in-double), where PyTorch
    /// reduces the loss tensor with its cascade sum in the dtype.
    pub loss_reduction_in_double: bool,
    /// float32 `elu`/`elu_`, `celu`/`celu_` and `elu_backward` (from the
    /// input) take the C
    /// library's `expm1`/`exp` for every element (elu-expm1-of-one-loop),
    /// where PyTorch's vector loop takes SLEEF's and only its scalar tail
    /// the C library's.
    pub elu_expm1_of_one_loop: bool,
    /// float32 `_softmax`/`_safe_softmax` over a dimension that is not the
    /// last compute in float64 and round once (softmax-columns-in-double),
    /// where PyTorch's kernel runs each column in float32, in vector lanes
    /// (SLEEF's `exp`) or its scalar loop (the C library's), and divides by
    /// the sum.
    pub softmax_columns_in_double: bool,
    /// float32 `logsumexp` computes in float64 and rounds once
    /// (logsumexp-in-double), where PyTorch composes it from float32
    /// tensors: the maxima, `exp(x − max)`, their cascade sum, its `log`
    /// plus the maxima.
    pub logsumexp_in_double: bool,
    /// float32 `native_group_norm_backward` adds each group's `ds·γ` and
    /// `db·γ` one channel after another with fused multiply-adds and sums
    /// the weight and bias gradients in float64
    /// (group-norm-backward-sums-in-sequence), where PyTorch's kernel adds
    /// whole vectors of 8 channels in lanes, the rest in fours and ones,
    /// and sums the parameter gradients over the batch in float32.
    pub group_norm_backward_sums_in_sequence: bool,
}

impl Faults {
    /// No faults.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Whether any fault is enabled.
    pub fn any(&self) -> bool {
        *self != Faults::default()
    }

    /// The name a node is reported under.
    pub(crate) fn node_name<'a>(&'a self, name: &'a str) -> &'a str {
        match &self.rename_node {
            Some((from, to)) if from == name => to,
            _ => name,
        }
    }
}
