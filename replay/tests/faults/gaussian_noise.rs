//! Mutation tests of `torch.normal`'s overloads on the
//! `gaussian_exploration` golden: a kernel that gives
//! `normal(float mean, Tensor std)` the default dtype instead of the
//! standard deviation's is a dispatch divergence at the float64 call, named,
//! free-running and anchored; every overload's kernel perturbed is a value
//! failure named where it happens; misnamed NormalBackward nodes are graph
//! divergences.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "gaussian_exploration.torch.ftr";

#[test]
fn the_gaussian_exploration_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

fn assert_default_dtype_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_else(|| panic!("no first divergence in {out}"));
    assert!(first.contains("aten.normal.float_Tensor"), "{first}");
    assert!(first.contains("float64"), "{first}");
}

#[test]
fn a_normal_result_of_the_default_dtype_is_caught_naming_the_op() {
    let (code, out) = replay_with_fault(TRACE, "normal-result-default-dtype");
    assert_default_dtype_is_named(code, &out);
}

#[test]
fn a_normal_result_of_the_default_dtype_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "normal-result-default-dtype");
    assert_default_dtype_is_named(code, &out);
}

#[test]
fn perturbed_normal_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.normal.Tensor_float",
            "aten.normal.float_Tensor",
            "aten.normal.Tensor_Tensor",
            "aten.normal.float_float",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_normal_backward_nodes_are_caught() {
    assert_renamed_nodes_caught(
        TRACE,
        &["NormalBackward1", "NormalBackward2", "NormalBackward3"],
    );
}
