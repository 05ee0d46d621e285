//! Mutation tests of the soft-margin and multi-label margin losses
//! (`multilabel_margin`): a `soft_margin_loss` taking `log` for `log1p`, a
//! multi-label hinge that also runs over the other target classes,
//! perturbed forward and backward kernels, and misnamed nodes are caught and
//! named, free-running and anchored.

use super::support::{
    assert_renamed_nodes_caught, replay, replay_anchored_with_fault, replay_perturbed,
    replay_with_fault,
};

const TRACE: &str = "multilabel_margin.torch.ftr";

#[test]
fn the_margin_loss_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn broken_margin_losses_are_caught_and_named() {
    for (fault, op) in [
        (
            "soft-margin-log-without-1p",
            "aten.soft_margin_loss.default",
        ),
        (
            "multilabel-margin-counts-targets",
            "aten.multilabel_margin_loss_forward.default",
        ),
    ] {
        for (code, out) in [
            replay_with_fault(TRACE, fault),
            replay_anchored_with_fault(TRACE, fault),
        ] {
            assert_eq!(code, Some(3), "{fault}: {out}");
            assert!(
                out.contains(&format!("drift starts at {op}")),
                "{fault}: {out}"
            );
        }
    }
}

#[test]
fn perturbed_margin_loss_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.soft_margin_loss.default",
        "aten.soft_margin_loss_backward.default",
        "aten.multilabel_margin_loss_forward.default",
        "aten.multilabel_margin_loss_backward.default",
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
fn misnamed_margin_loss_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &["SoftMarginLossBackward0", "MultilabelMarginLossBackward0"],
    );
}
