//! Mutation tests of the audio classifier and enhancer evaluated under
//! `torch.inference_mode()` (`inference_audio_stft`): a window shorter
//! than `n_fft` padded on the right only instead of centred is caught at
//! the first `stft` with such a window — anchored as the drift's start;
//! free-running the classifier's own float drift starts earlier, and the
//! anchored re-check names the `stft` as the first operator that is wrong.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "inference_audio_stft.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn an_unshifted_stft_window_is_caught_at_the_stft() {
    let (code, out) = replay_anchored_with_fault(TRACE, "stft-window-unshifted");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.stft.default"), "{out}");
    let (code, out) = replay_with_fault(TRACE, "stft-window-unshifted");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.stft.default")
            || out.contains("fail anchored elsewhere, the first at aten.stft.default ("),
        "{out}"
    );
}
