//! Mutation test of AccumulateGrad's steal rule: a leaf's first gradient is
//! stolen only when nobody else holds it. In the `multi_grad_readiness`
//! golden, `register_multi_grad_hook` buffers a bucket's gradients until its
//! last one arrives, so PyTorch copies the buffered ones
//! (`new_empty_strided` + `copy_`). A runtime that steals them anyway
//! dispatches `detach` there.

use super::support::{replay_anchored_with_fault, replay_with_fault};

#[test]
fn stealing_a_buffered_gradient_is_caught() {
    for anchor in [false, true] {
        let (code, out) = if anchor {
            replay_anchored_with_fault("multi_grad_readiness.torch.ftr", "steal-held-gradients")
        } else {
            replay_with_fault("multi_grad_readiness.torch.ftr", "steal-held-gradients")
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
