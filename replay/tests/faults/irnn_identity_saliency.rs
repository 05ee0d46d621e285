//! Mutation tests on the `irnn_identity_saliency` golden: `eye.out` /
//! `eye.m_out` (`nn.init.eye_`, `torch.eye(n, out=buf)`) must write the
//! identity, and a tensor detached in place and made to require grad again
//! (`emb.detach_().requires_grad_()`) writes both flag changes.

use super::support::{assert_anchored_value_failures, replay_with_fault, value_failures};

const TRACE: &str = "irnn_identity_saliency.torch.ftr";

#[test]
fn shifted_eye_out_is_caught_anchored() {
    assert_anchored_value_failures(
        TRACE,
        "eye-out-shifted-diagonal",
        "aten.eye.m_out output 0",
        &["aten.eye.out output 0"],
        "aten.eye.",
    );
}

#[test]
fn shifted_eye_out_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "eye-out-shifted-diagonal");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out)
            .first()
            .is_some_and(|l| l.contains("aten.eye.m_out output 0")),
        "{out}"
    );
    assert!(out.contains("drift starts at aten.eye.m_out"), "{out}");
}

#[test]
fn coalesced_detach_flags_are_caught() {
    let (code, out) = replay_with_fault(TRACE, "detach-flags-coalesced");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL stream"), "{out}");
    assert!(
        out.contains("api set_requires_grad") && out.contains("requires_grad=False is missing"),
        "{out}"
    );
}
