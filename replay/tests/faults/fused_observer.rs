//! Mutation tests of the default QAT qconfig's fused observer
//! (`qat_default_qconfig`): an observer that skips its moving average, a
//! perturbed `_fused_moving_avg_obs_fq_helper` and a misnamed
//! FusedMovingAvgObsFqHelperBackward0 are caught and named, free-running
//! and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "qat_default_qconfig.torch.ftr";
const OP: &str = "aten._fused_moving_avg_obs_fq_helper.default";

#[test]
fn the_default_qat_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.relu.default:0");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn an_observer_without_its_moving_average_is_caught_and_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "fused-observer-skips-average"),
        replay_anchored_with_fault(TRACE, "fused-observer-skips-average"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
    }
}

#[test]
fn a_perturbed_fused_observer_is_a_value_failure_naming_the_op() {
    assert_perturbed_ops_caught(TRACE, &[OP], "0.01");
}

#[test]
fn a_misnamed_fused_observer_node_is_a_graph_divergence() {
    assert_renamed_nodes_caught(TRACE, &["FusedMovingAvgObsFqHelperBackward0"]);
}
