//! Mutation tests of node post-hooks (module full backward hooks): a
//! runtime that never calls them, or ignores the gradients they return, is
//! caught on the module-backward-hooks corpus.

use super::support::replay_with_fault;

#[test]
fn skipped_module_hooks_leave_the_norms_they_logged_unproduced() {
    let (code, out) = replay_with_fault("hooks_module_backward.torch.ftr", "skip-hooks");
    assert_eq!(code, Some(4), "{out}");
    assert!(
        out.contains("is used before any replayed event produced it"),
        "{out}"
    );
}

#[test]
fn ignored_hook_results_send_the_unclipped_gradient_on() {
    let (code, out) =
        replay_with_fault("hooks_module_backward.torch.ftr", "drop-node-hook-results");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("[dataflow mismatch]") && out.contains("AddmmBackward0"),
        "{out}"
    );
}
