//! Mutation test on the `bf16_sgd_momentum_updates` golden: the elements
//! PyTorch's scalar loop takes in a bfloat16 `add_` with an alpha (the
//! 63-long bias's last 31, a remainder after a 32-lane vector) round the
//! product before the sum, so a runtime that rounds every element once is
//! caught at the first momentum update, anchored.

use super::support::{replay, replay_anchored_with_fault};

const TRACE: &str = "bf16_sgd_momentum_updates.torch.ftr";

#[test]
fn rounding_every_element_once_is_caught_at_the_update() {
    let (code, out) = replay_anchored_with_fault(TRACE, "reduced-add-rounds-once");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(
            "aten.add_.Tensor output 0 (expected seq 196, actual seq 196): 1 of 63 elements out of tolerance"
        ),
        "{out}"
    );
}

#[test]
fn the_updates_match() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
