//! Mutation test on the `uint8_mask_targets` golden: PyTorch's 2-d
//! negative log-likelihood kernels raise "expected scalar type Long but
//! found Byte" for a uint8 mask that the 1-d kernel accepts. A runtime that
//! accepts it in `nll_loss2d_forward` returns a loss where the trace
//! records the error: a dispatch divergence naming the operator, both ways.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "uint8_mask_targets.torch.ftr";

#[test]
fn accepting_a_byte_target_in_2d_is_a_dispatch_divergence() {
    for (code, out) in [
        replay_with_fault(TRACE, "nll2d-accepts-byte"),
        replay_anchored_with_fault(TRACE, "nll2d-accepts-byte"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("aten.nll_loss2d_forward.default")
                && out.contains("expected scalar type Long but found Byte"),
            "{out}"
        );
    }
}

#[test]
fn the_uint8_targets_match() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
