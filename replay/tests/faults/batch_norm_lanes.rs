//! Mutation tests of the float32 batch norm backward's order: on the
//! `resnet_tiny` golden (contiguous activations in training) each plane's
//! `Σ dy` and `Σ (x − mean)·dy` in eight float32 lanes, on
//! `batchnorm_channels_innermost` per-thread float32 sums over rows of
//! channels; the input gradient by a fused step. Bit-identical anchored;
//! summed in float64 (fault `batch-norm-grad-in-double`) the backward is
//! listed inexact. The forward's statistics for channels innermost, summed
//! in float64 in logical order (fault `batch-norm-row-stats-in-double`),
//! are listed inexact too.

use super::support::inexact_anchored_on;

const TRACE: &str = "resnet_tiny.torch.ftr";
const OP: &str = "aten.native_batch_norm_backward.default";

#[test]
fn the_batch_norm_backward_is_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    assert!(inexact.get(OP).is_none(), "{inexact}");
}

#[test]
fn a_batch_norm_backward_summed_in_double_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("batch-norm-grad-in-double"));
    assert!(inexact.get(OP).is_some(), "{inexact}");
}

/// `(N, C)`, `(N, C, 1, 1)` and channels-last inputs: rows split between
/// threads, float32 sums per channel added in float64.
const ROWS: &str = "batchnorm_channels_innermost.torch.ftr";

#[test]
fn channels_innermost_gradients_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(ROWS, None);
    assert!(inexact.get(OP).is_none(), "{inexact}");
}

#[test]
fn channels_innermost_gradients_summed_in_double_are_listed_inexact() {
    let inexact = inexact_anchored_on(ROWS, Some("batch-norm-grad-in-double"));
    assert!(inexact.get(OP).is_some(), "{inexact}");
}

/// The forward's training statistics with the channels innermost: per
/// thread float32 row sums per channel (the squares fused), the parts added
/// in float64.
const FORWARD: &str = "aten.native_batch_norm.default";

#[test]
fn channels_innermost_statistics_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(ROWS, None);
    assert!(inexact.get(FORWARD).is_none(), "{inexact}");
}

#[test]
fn channels_innermost_statistics_summed_in_double_are_listed_inexact() {
    let inexact = inexact_anchored_on(ROWS, Some("batch-norm-row-stats-in-double"));
    assert!(inexact.get(FORWARD).is_some(), "{inexact}");
}
