//! Mutation tests of channels-last pooling (`channels_last_pooling`: a
//! channels-last conv net with a ConvNeXt-style block and an
//! `AdaptiveAvgPool2d(1)` head, whose `mean` is restrided in place by
//! `as_strided_`):
//!
//! * an `as_strided_backward` that keeps the output's size-1 dimensions is
//!   a dispatch divergence inside AsStridedBackward1 (`new_zeros` where
//!   PyTorch squeezes), free-running and anchored;
//! * a perturbed `as_strided_` kernel is caught and named, free-running and
//!   anchored;
//! * AsStridedBackward1 misnamed AsStridedBackward0 is a graph divergence.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "channels_last_pooling.torch.ftr";

#[test]
fn the_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn an_as_strided_backward_keeping_unit_dims_diverges_inside_as_strided_backward1() {
    for (code, out) in [
        replay_with_fault(TRACE, "as-strided-backward-keeps-unit-dims"),
        replay_anchored_with_fault(TRACE, "as-strided-backward-keeps-unit-dims"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        let first = out
            .lines()
            .find(|l| l.starts_with("first divergence"))
            .unwrap_or_default();
        assert!(
            first.contains("aten.squeeze.dim") && first.contains("AsStridedBackward1"),
            "{out}"
        );
    }
}

#[test]
fn a_perturbed_inplace_as_strided_is_caught_and_named() {
    let op = "aten.as_strided_.default";
    for (code, out) in [
        replay_perturbed(TRACE, op, "0.01"),
        replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.01")),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains(op), "{out}");
    }
}

#[test]
fn a_misnamed_as_strided_backward1_is_a_graph_divergence() {
    let (code, out) = replay(
        TRACE,
        Some("rename-node=AsStridedBackward1:AsStridedBackward0"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("AsStridedBackward"), "{out}");
}
