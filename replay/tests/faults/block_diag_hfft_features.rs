//! Mutation tests of two backward formulas (`block_diag_hfft_features`):
//! BlockDiagBackward0 slices the gradient for every block, frozen ones
//! included (`block-diag-backward-skips-frozen` drops their slices: a
//! dispatch divergence in the node), and the real part of a conjugate
//! gradient (ToCopyBackward0 of the real input `fft.hfft` casts to complex
//! and conjugates) resolves the conjugation before `view_as_real`
//! (`real-of-conj-unresolved` leaves it: the backward fails).

use super::support::{assert_replays_to_match, replay_with_fault};

const TRACE: &str = "block_diag_hfft_features.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn skipping_the_frozen_blocks_diverges_in_the_block_diag_node() {
    let (code, out) = replay_with_fault(TRACE, "block-diag-backward-skips-frozen");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("[dispatch missing]") && out.contains("BlockDiagBackward0"),
        "{out}"
    );
}

#[test]
fn an_unresolved_conjugate_real_part_fails_the_backward() {
    let (code, out) = replay_with_fault(TRACE, "real-of-conj-unresolved");
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("aten.view_as_real.default") && out.contains("unresolved conjugated"),
        "{out}"
    );
}
