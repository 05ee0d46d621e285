//! Mutation tests of volumetric padding (`pad3d_volumes`): a reflection
//! that repeats the edge, perturbed `reflection_pad3d` /
//! `replication_pad3d` kernels and their backward, and misnamed nodes
//! (first and second order) are caught and named, free-running and
//! anchored.

use super::support::{
    assert_renamed_nodes_caught, replay, replay_anchored_with_fault, replay_perturbed,
    replay_with_fault,
};

const TRACE: &str = "pad3d_volumes.torch.ftr";

#[test]
fn the_volumetric_padding_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn a_reflection_that_repeats_the_edge_is_caught_and_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "reflection-pad-repeats-edge"),
        replay_anchored_with_fault(TRACE, "reflection-pad-repeats-edge"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.reflection_pad3d.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_pad3d_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.reflection_pad3d.default",
        "aten.replication_pad3d.default",
        "aten.reflection_pad3d_backward.default",
        "aten.replication_pad3d_backward.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}

#[test]
fn misnamed_pad3d_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "ReflectionPad3DBackward0",
            "ReplicationPad3DBackward0",
            "ReflectionPad3DBackwardBackward0",
            "ReplicationPad3DBackwardBackward0",
        ],
    );
}
