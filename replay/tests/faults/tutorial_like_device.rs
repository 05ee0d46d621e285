//! Mutation tests of the TensorOptions `device` of the `*_like` / `new_*`
//! factories on the `meta_init_to_empty` golden: a runtime that leaves
//! `empty_like(meta_tensor, device="cpu")`'s result on the meta backend
//! its tensor argument selected (what `Module.to_empty(device="cpu")` of a
//! model built under `torch.device("meta")` calls) is stopped at that
//! `empty_like`, whose output lands on another device than PyTorch's,
//! free-running and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "meta_init_to_empty.torch.ftr";

#[test]
fn the_meta_init_to_empty_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn a_like_factory_ignoring_its_device_is_caught_at_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "like-device-ignored"),
        replay_anchored_with_fault(TRACE, "like-device-ignored"),
    ] {
        assert_ne!(code, Some(0), "{out}");
        assert!(out.contains("aten.empty_like.default"), "{out}");
        assert!(
            out.contains("output 0 is on meta where PyTorch's is on cpu"),
            "{out}"
        );
    }
}
