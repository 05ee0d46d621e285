//! Mutation tests of fake quantization (`qat_fake_quant`): kernels that
//! round ties away from zero, perturbed per-tensor and per-channel kernels,
//! a perturbed float-to-integer copy and misnamed straight-through nodes are
//! caught and named, free-running and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "qat_fake_quant.torch.ftr";

#[test]
fn the_fake_quant_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    let (code, out) = replay_anchored_with_fault(
        TRACE,
        "perturb=aten.fake_quantize_per_tensor_affine_cachemask.default:0",
    );
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn rounding_ties_away_from_zero_is_caught_and_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "fake-quant-rounds-half-away"),
        replay_anchored_with_fault(TRACE, "fake-quant-rounds-half-away"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains("aten.fake_quantize_per"), "{out}");
    }
}

#[test]
fn perturbed_fake_quant_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.fake_quantize_per_tensor_affine_cachemask.default",
            "aten._fake_quantize_per_tensor_affine_cachemask_tensor_qparams.default",
            "aten.fake_quantize_per_channel_affine_cachemask.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_straight_through_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "FakeQuantizePerTensorAffineCachemaskBackward0",
            "FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0",
            "FakeQuantizePerChannelAffineCachemaskBackward0",
        ],
    );
}
