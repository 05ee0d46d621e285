//! Mutation test of errors as events: a runtime whose saved tensors skip
//! their version check (`--inject-fault skip-saved-version-check`) runs the
//! backward PyTorch refused, and `ft-replay` names the `graph_task_error`
//! the runtime failed to raise. The programs that raise or catch errors
//! match without a fault.

use super::support::{replay, replay_with_fault};

#[test]
fn the_error_goldens_match_without_a_fault() {
    for golden in [
        "raises_shape_error.torch.ftr",
        "errors_caught.torch.ftr",
        "inplace_error_caught.torch.ftr",
    ] {
        let (code, out) = replay(golden, None);
        assert_eq!(code, Some(0), "{golden}: {out}");
        assert!(out.contains("MATCH"), "{golden}: {out}");
    }
}

#[test]
fn a_runtime_without_the_saved_version_check_is_caught() {
    let (code, out) =
        replay_with_fault("inplace_error_caught.torch.ftr", "skip-saved-version-check");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_default();
    // The first divergence is the error PyTorch raised and the runtime did
    // not: the backward ran on instead of ending with graph_task_error.
    assert!(
        first.contains("graph_task_error RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation"),
        "{out}"
    );
    assert!(first.contains("which is output 0 of Tanh"), "{out}");
}
