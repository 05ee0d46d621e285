//! Mutation tests of backward hooks: a runtime that never calls the
//! program's hooks, or calls a gradient's hooks in the wrong order, is
//! caught on the hooks corpus.

use super::support::replay_with_fault;

#[test]
fn skipped_post_accumulate_grad_hooks_are_missing_from_the_run() {
    let (code, out) = replay_with_fault("hooks_module.torch.ftr", "skip-hooks");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [stream missing]")
            && out.contains("hook_begin H3 N7 AccumulateGrad(T7[3])"),
        "{out}"
    );
}

#[test]
fn skipped_retain_grad_hooks_leave_no_gradient_to_read() {
    // The hook's clone of the gradient is missing first; reading the
    // retained gradient then stops the replay, named after it.
    let (code, out) = replay_with_fault("hooks_retain_grad.torch.ftr", "skip-hooks");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch missing] expected seq 33")
            && out.contains("aten.clone.default(T10[])"),
        "{out}"
    );
    assert!(
        out.contains("then stopped:") && out.contains("stored no gradient"),
        "{out}"
    );
}

#[test]
fn hooks_of_one_gradient_in_reverse_order_change_its_dataflow() {
    let (code, out) = replay_with_fault("hooks_tensor.torch.ftr", "reverse-hooks");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("[dataflow mismatch]") && out.contains("hook_begin H3 N4 TanhBackward0"),
        "{out}"
    );
}
