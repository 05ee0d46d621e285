//! Mutation tests of double backward: a runtime whose backward-time
//! operators record no history, or whose double-backward node has another
//! name, is caught on the `double_backward` golden.

use super::support::replay_with_fault;

#[test]
fn backward_time_ops_without_history_cannot_run_the_second_backward() {
    // The gradient of the first backward has no grad_fn, so the program's
    // second backward cannot run and the replay stops there. The verdict is
    // the cause, before it: the first backward-time operator whose result
    // does not require grad (exit 1); the halt follows, named.
    let (code, out) = replay_with_fault("double_backward.torch.ftr", "drop-backward-history");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch changed] expected seq 19")
            && out.contains("aten.pow.Tensor_Scalar(T1[3])")
            && out.contains("`rg1 v0> keys=")
            && out.contains("`rg0 v0> keys="),
        "{out}"
    );
    assert!(
        out.contains("then stopped: the runtime could not execute expected seq 42")
            && out.contains("backward() (torch seq 42)")
            && out.contains("does not require grad"),
        "{out}"
    );
}

#[test]
fn a_renamed_double_backward_node_is_a_graph_divergence() {
    let (code, out) = replay_with_fault(
        "double_backward.torch.ftr",
        "rename-node=TanhBackwardBackward0:TanhBackwardBackward1",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL graph"), "{out}");
    assert!(
        out.contains("first divergence: [stream changed] expected seq 28"),
        "{out}"
    );
    assert!(
        out.contains("expected autograd node N7 TanhBackwardBackward0"),
        "{out}"
    );
}

#[test]
fn a_perturbed_threshold_backward_inside_a_penalty_is_named() {
    let (code, out) = replay_with_fault(
        "double_backward.torch.ftr",
        "perturb=aten.threshold_backward.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.threshold_backward.default"),
        "{out}"
    );
}

#[test]
fn a_gradient_penalty_without_backward_time_history_diverges_at_its_first_node() {
    // torch.autograd.grad(create_graph=True) returns a gradient the runtime
    // gave no history: the penalty's graph loses every backward-time node,
    // so the first formula op that should have recorded one differs.
    let (code, out) = replay_with_fault("gradient_penalty.torch.ftr", "drop-backward-history");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL graph"), "{out}");
    assert!(
        out.contains("expected dispatch op aten.t.default(")
            && out.contains("· node N18 AddmmBackward0"),
        "{out}"
    );
}

#[test]
fn a_hessian_vector_product_without_backward_time_history_cannot_take_its_second_grad() {
    let (code, out) = replay_with_fault("hessian_vector.torch.ftr", "drop-backward-history");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch changed] expected seq 22")
            && out.contains("aten.mul.Tensor(T7[4], T3[4])"),
        "{out}"
    );
    assert!(
        out.contains("then stopped:") && out.contains("torch.autograd.grad (torch seq 51)"),
        "{out}"
    );
}
