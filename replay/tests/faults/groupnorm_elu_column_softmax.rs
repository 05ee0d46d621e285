//! Mutation tests of float32 kernels whose last bits follow PyTorch's CPU
//! loops, on the `groupnorm_elu_column_softmax` golden (a GroupNorm + ELU
//! conv block with 12, 13, 3 and 16 channels per group, SELU, CELU and an
//! in-place ELU, a channel-attention softmax over dimension 1, a capsule
//! routing softmax over `[B, routes, classes, 1]`, a large column softmax
//! split over two threads, and mixture `logsumexp`s). Anchored, every one
//! of these operators is bit-identical; each fault below reverts one rule
//! and puts its operators among the inexact ones:
//!
//! - `elu-expm1-of-one-loop`: the C library's `expm1`/`exp` for every
//!   element instead of SLEEF's in the vector loop;
//! - `softmax-columns-in-double`: a column softmax in float64 rounded once;
//! - `logsumexp-in-double`: `logsumexp` in float64 rounded once instead of
//!   ATen's float32 steps and cascade sum;
//! - `group-norm-backward-sums-in-sequence`: the group's `Σ ds·γ` one
//!   channel after another and the parameter gradients in float64.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "groupnorm_elu_column_softmax.torch.ftr";

const ELU: [&str; 4] = [
    "aten.elu.default",
    "aten.elu_.default",
    "aten.celu.default",
    "aten.elu_backward.default",
];
const SOFTMAX: &str = "aten._softmax.default";
const LOGSUMEXP: &str = "aten.logsumexp.default";
const GROUP_NORM_BACKWARD: &str = "aten.native_group_norm_backward.default";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn the_loop_ordered_kernels_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    for op in ELU.iter().chain(&[SOFTMAX, LOGSUMEXP, GROUP_NORM_BACKWARD]) {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn one_expm1_for_both_loops_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("elu-expm1-of-one-loop"));
    for op in ELU {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}

#[test]
fn a_column_softmax_in_double_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("softmax-columns-in-double"));
    assert!(inexact.get(SOFTMAX).is_some(), "{inexact}");
}

#[test]
fn a_logsumexp_in_double_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("logsumexp-in-double"));
    assert!(inexact.get(LOGSUMEXP).is_some(), "{inexact}");
}

#[test]
fn group_norm_sums_in_sequence_are_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("group-norm-backward-sums-in-sequence"));
    assert!(inexact.get(GROUP_NORM_BACKWARD).is_some(), "{inexact}");
}

#[test]
fn existing_goldens_keep_their_column_softmax_and_group_norm_backward_exact() {
    let capsule = inexact_anchored_on("capsule_routing.torch.ftr", None);
    assert!(capsule.get(SOFTMAX).is_none(), "{capsule}");
    let ddpm = inexact_anchored_on("ddpm_unet_ema.torch.ftr", None);
    assert!(ddpm.get(GROUP_NORM_BACKWARD).is_none(), "{ddpm}");
}
