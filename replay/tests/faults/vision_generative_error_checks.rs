//! Mutation test of int32 gather/scatter indices: a runtime whose `gather`
//! and scatters take only int64 indices (`--inject-fault
//! gather-index-int64-only`) cannot run the int32 gather PyTorch ran, and
//! `ft-replay` stops there naming `gather` (exit 5), free-running and
//! anchored; a convolution printing oneDNN's dtype message on the
//! `Slow2d` path (`conv-dtype-message-ignores-backend`) is caught at its
//! caught error. Without a fault the sweep of caught errors matches.

use super::support::{assert_fault_reported_both_ways, assert_replays_to_match};

const GOLDEN: &str = "vision_generative_error_checks.torch.ftr";

#[test]
fn the_error_sweep_and_int32_gathers_match_without_a_fault() {
    assert_replays_to_match(GOLDEN);
}

#[test]
fn gather_refusing_int32_indices_is_caught() {
    assert_fault_reported_both_ways(
        GOLDEN,
        "gather-index-int64-only",
        5,
        &[
            "aten.gather.default",
            "gather(): Expected dtype int32/int64 for index",
        ],
    );
}

/// A convolution that always prints oneDNN's dtype message where PyTorch
/// runs the `Slow2d` loops (a batch-of-one float32 input under a float64
/// weight) raises the wrong caught error.
#[test]
fn a_convolution_dtype_message_ignoring_the_backend_is_caught() {
    super::support::assert_first_dispatch_change_both_ways(
        GOLDEN,
        "conv-dtype-message-ignores-backend",
        &[
            "op_error aten.convolution.default",
            "expected scalar type Float but found Double",
        ],
    );
}
