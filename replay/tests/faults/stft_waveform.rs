//! Mutation tests on the `stft_waveform_loss` golden: `torch.stft` of one
//! 1-d signal squeezes its complex64 result in place (`squeeze_(0)`,
//! SqueezeBackward4), an in-place view operator the runtime takes for
//! complex tensors as for real ones.

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught};

const TRACE: &str = "stft_waveform_loss.torch.ftr";

#[test]
fn a_perturbed_complex_squeeze_is_caught_both_ways() {
    assert_perturbed_ops_caught(TRACE, &["aten.squeeze_.dim"], "1e-3");
}

#[test]
fn a_renamed_squeeze_node_is_caught() {
    assert_renamed_nodes_caught(TRACE, &["SqueezeBackward4"]);
}
