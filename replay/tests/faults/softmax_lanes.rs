//! Mutation tests of float32 softmax on the `softmax_lanes` golden: rows of
//! 1 to 1000 elements, causal attention scores, a fully masked row through
//! `_softmax` and through the math attention's `_safe_softmax`, bfloat16
//! scores softmaxed in float32, a transposed and a 3-d input. An anchored
//! replay that allows float32 no error at all matches every forward and
//! backward; computing the forward in float64 and rounding once (the
//! runtime's former way) is caught at the first softmax.

use super::support::{assert_replays_to_match, replay_anchored_bit_exact};

const TRACE: &str = "softmax_lanes.torch.ftr";

fn replay_float32_exactly(fault: Option<&str>) -> (Option<i32>, String) {
    replay_anchored_bit_exact(TRACE, "float32", fault)
}

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn float32_softmax_and_its_gradient_match_pytorch_bit_for_bit() {
    let (code, out) = replay_float32_exactly(None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_softmax_rounded_once_from_float64_is_caught() {
    let (code, out) = replay_float32_exactly(Some("softmax-in-double"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._softmax.default"),
        "{out}"
    );
}
