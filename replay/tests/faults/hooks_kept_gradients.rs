//! Mutation test of AccumulateGrad's steal rule on gradients a tensor hook
//! keeps until the program ends. In the `hooks_kept_gradients` golden each
//! parameter's hook stores the latest gradient, so PyTorch copies it into
//! `.grad` (`new_empty_strided` + `copy_`) on every step; the last step's
//! are released only at the trace's end. A runtime that steals a held
//! gradient dispatches `detach` there.

use super::support::{replay_anchored_with_fault, replay_with_fault};

#[test]
fn stealing_a_gradient_a_hook_kept_is_caught() {
    for anchor in [false, true] {
        let (code, out) = if anchor {
            replay_anchored_with_fault("hooks_kept_gradients.torch.ftr", "steal-held-gradients")
        } else {
            replay_with_fault("hooks_kept_gradients.torch.ftr", "steal-held-gradients")
        };
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("[dispatch changed]")
                && out.contains("expected dispatch op aten.new_empty_strided.default")
                && out.contains("actual dispatch op aten.detach.default")
                && out.contains("AccumulateGrad"),
            "{out}"
        );
    }
}
