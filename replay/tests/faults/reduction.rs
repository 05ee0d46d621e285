//! Mutation tests of the reduction, factory and random-operator corpus: a
//! deliberately broken kernel or node of this family is caught by
//! `reduction_stats` / `reduction_factories` with the right exit code,
//! naming the operator or node; and a random operator on the meta device
//! replays without recorded values.

use super::support::replay;

#[test]
fn a_perturbed_mean_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "reduction_stats.torch.ftr",
        Some("perturb=aten.mean.dim:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.mean.dim"), "{out}");
}

#[test]
fn a_perturbed_variance_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "reduction_stats.torch.ftr",
        Some("perturb=aten.var.correction:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.var.correction"), "{out}");
}

#[test]
fn a_misnamed_max_backward_is_a_graph_divergence() {
    // max.dim's node is MaxBackward0; the all-reduce max's is MaxBackward1.
    let (code, out) = replay(
        "reduction_stats.torch.ftr",
        Some("rename-node=MaxBackward0:MaxBackward1"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("MaxBackward"), "{out}");
}

#[test]
fn a_perturbed_dropout_mask_is_a_value_failure_naming_the_op() {
    // The mask's values are PyTorch's (fed to the random op); corrupting
    // what the kernel wrote is a value failure of `bernoulli_` itself (its
    // input, `empty_like`'s uninitialised output, has no value, so the
    // drift is reported as unknown rather than local).
    let (code, out) = replay(
        "reduction_factories.torch.ftr",
        Some("perturb=aten.bernoulli_.float:0.5"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("aten.bernoulli_.float output 0"), "{out}");
}

#[test]
fn random_operators_on_meta_need_no_recorded_values() {
    let (code, out) = replay("reduction_factories.torch.ftr", None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn a_perturbed_logcumsumexp_is_a_value_failure_naming_the_op() {
    // The forward scan and the flipped scans inside LogcumsumexpBackward0
    // share the kernel; the first drift is the forward one.
    let (code, out) = replay(
        "logcumsumexp_scan.torch.ftr",
        Some("perturb=aten.logcumsumexp.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.logcumsumexp.default"),
        "{out}"
    );
}

#[test]
fn a_misnamed_logcumsumexp_backward_is_a_graph_divergence() {
    let (code, out) = replay(
        "logcumsumexp_scan.torch.ftr",
        Some("rename-node=LogcumsumexpBackward0:CumsumBackward0"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("LogcumsumexpBackward0"), "{out}");
}
