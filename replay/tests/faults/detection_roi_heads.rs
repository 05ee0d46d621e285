//! Mutation tests of `detection_roi_heads` (torchvision's detection
//! operators in a Faster R-CNN style second stage): a RoIAlign whose
//! half-pixel box shift goes the wrong way round (`aligned=False` boxes
//! moved by -0.5, `aligned=True` ones not at all) is caught at the first
//! `torchvision.roi_align`. Free running, the moved features change the
//! detections `nms` keeps (a structural divergence, exit 1); anchored, the
//! operator fails on PyTorch's own inputs (exit 3).

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "detection_roi_heads.torch.ftr";
const ROI_ALIGN: &str = "torchvision.roi_align.default";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn roi_align_shifted_by_half_a_pixel_is_caught_at_the_first_roi_align() {
    let (code, out) = replay_with_fault(TRACE, "roi-align-half-pixel");
    assert!(matches!(code, Some(1) | Some(3)), "{out}");
    assert!(
        out.contains(&format!("drift starts at {ROI_ALIGN}")),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, "roi-align-half-pixel");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("drift starts at {ROI_ALIGN}")),
        "{out}"
    );
    assert!(
        out.contains("torchvision._roi_align_backward.default"),
        "{out}"
    );
}
