//! Mutation tests of in-place operators on views: a runtime that names the
//! base's node otherwise, or whose `as_strided` (CopySlices' and
//! AsStridedBackward0's slicing of the gradient) is off, is caught on the
//! `inplace_views_grad` golden.

use super::support::{replay, replay_perturbed, replay_with_fault};

const GOLDEN: &str = "inplace_views_grad.torch.ftr";

#[test]
fn the_inplace_views_golden_matches_without_a_fault() {
    let (code, out) = replay(GOLDEN, None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_renamed_copy_slices_is_caught() {
    let (code, out) = replay_with_fault(GOLDEN, "rename-node=CopySlices:CopySlices2");
    assert_eq!(code, Some(1), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_default();
    assert!(
        first.contains("expected autograd node N7 CopySlices "),
        "{out}"
    );
    assert!(
        first.contains("actual autograd node N7 CopySlices2"),
        "{out}"
    );
}

#[test]
fn a_perturbed_as_strided_is_named_where_the_drift_starts() {
    let (code, out) = replay_perturbed(GOLDEN, "aten.as_strided.default", "0.25");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.as_strided.default"),
        "{out}"
    );
}
