//! Mutation tests of float32 log-softmax on the `log_softmax_lanes` golden:
//! rows of 3 to 1000 elements, confident and masked rows, a transposed and
//! a 3-d input. An anchored replay that allows float32 no error at all
//! matches every forward and backward; computing them in float64 and
//! rounding once (the runtime's former way) is caught at the forward.
//! Over a dimension that is not the last (`uint8_mask_targets`'
//! segmentation losses over `(N, C, H, W)`), ATen's other kernel sums each
//! column in order, SLEEF's `exp` in vector lanes and the C library's in
//! the columns its scalar loop takes: anchored, both directions are
//! bit-identical, and the float64 form is listed inexact.

use super::support::{assert_replays_to_match, inexact_anchored_on, replay_anchored_bit_exact};

const TRACE: &str = "log_softmax_lanes.torch.ftr";

fn replay_float32_exactly(fault: Option<&str>) -> (Option<i32>, String) {
    replay_anchored_bit_exact(TRACE, "float32", fault)
}

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn float32_log_softmax_and_its_gradient_match_pytorch_bit_for_bit() {
    let (code, out) = replay_float32_exactly(None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_log_softmax_rounded_once_from_float64_is_caught() {
    let (code, out) = replay_float32_exactly(Some("log-softmax-in-double"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._log_softmax.default"),
        "{out}"
    );
}

#[test]
fn log_softmax_over_the_class_dimension_matches_pytorch_bit_for_bit() {
    const SEGMENTATION: &str = "uint8_mask_targets.torch.ftr";
    let ops = [
        "aten._log_softmax.default",
        "aten._log_softmax_backward_data.default",
    ];
    let exact = inexact_anchored_on(SEGMENTATION, None);
    let in_double = inexact_anchored_on(SEGMENTATION, Some("log-softmax-in-double"));
    for op in ops {
        assert!(exact.get(op).is_none(), "{op}: {exact}");
        assert!(in_double.get(op).is_some(), "{op}: {in_double}");
    }
}
