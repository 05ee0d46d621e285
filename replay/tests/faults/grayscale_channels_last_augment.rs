//! Mutation tests on the `grayscale_channels_last_augment` golden (uint8
//! images augmented in channels-last): a `flip` laid out as a pointwise
//! result (contiguous for a one-channel NHWC image) and a `roll` that
//! always returns a contiguous result each diverge at their first call on
//! the grayscale batch, free-running and anchored.

use super::support::assert_first_dispatch_change_both_ways;

const TRACE: &str = "grayscale_channels_last_augment.torch.ftr";

#[test]
fn a_pointwise_layout_flip_diverges_at_the_grayscale_flip() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "flip-pointwise-layout",
        &["expected seq 148", "aten.flip.default"],
    );
}

#[test]
fn a_contiguous_roll_diverges_at_the_grayscale_roll() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "roll-contiguous",
        &["expected seq 151", "aten.roll.default"],
    );
}
