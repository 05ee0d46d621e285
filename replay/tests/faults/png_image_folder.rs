//! Mutation tests of torchvision's PNG decoding (`png_image_folder`): a
//! decoder that undoes the Paeth scanline filter as Up is caught at the
//! first `image.decode_image` of a file whose writer chose Paeth,
//! free-running and anchored.

use super::support::{assert_drift_starts_at_both_ways, assert_replays_to_match};

const TRACE: &str = "png_image_folder.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn paeth_undone_as_up_is_caught_at_the_first_decode() {
    assert_drift_starts_at_both_ways(TRACE, "png-paeth-as-up", "image.decode_image.default");
}
