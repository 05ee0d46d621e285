//! The `finetune_hooks_prune_fuse` golden: a conv net initialised by
//! `dirac_` (its constant extra channels make the conv's bias gradients
//! sums of large cancelling terms), stepped in backward by per-parameter
//! optimizers, pruned and fused. It replays to MATCH only because the bias
//! gradient gets its summation room from the gradient alone (the weight's
//! value, written through views, is not recorded); a perturbed convolution
//! backward is still named both ways.

use super::support::{assert_perturbed_ops_caught, assert_replays_to_match};

const TRACE: &str = "finetune_hooks_prune_fuse.torch.ftr";

#[test]
fn the_golden_matches_with_room_for_cancelling_bias_gradients() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_perturbed_convolution_backward_is_caught() {
    assert_perturbed_ops_caught(TRACE, &["aten.convolution_backward.default"], "1e-3");
}
