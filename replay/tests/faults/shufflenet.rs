//! Mutation tests of channel shuffling (`shufflenet_block`): a shuffle with
//! the inverse group count, perturbed `channel_shuffle` / `pixel_shuffle` /
//! `pixel_unshuffle` kernels and misnamed shuffle nodes are caught and
//! named, free-running and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "shufflenet_block.torch.ftr";

#[test]
fn the_shufflenet_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.channel_shuffle.default:0");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_shuffle_with_the_inverse_group_count_is_caught_and_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "channel-shuffle-inverse"),
        replay_anchored_with_fault(TRACE, "channel-shuffle-inverse"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.channel_shuffle.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_shuffle_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.channel_shuffle.default",
            "aten.pixel_shuffle.default",
            "aten.pixel_unshuffle.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_shuffle_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "ChannelShuffleBackward0",
            "PixelShuffleBackward0",
            "PixelUnshuffleBackward0",
        ],
    );
}
