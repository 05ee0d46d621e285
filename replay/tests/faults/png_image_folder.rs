//! Mutation tests of torchvision's PNG decoding (`png_image_folder`): a
//! decoder that undoes the Paeth scanline filter as Up is caught at the
//! first `image.decode_image` of a file whose writer chose Paeth,
//! free-running and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "png_image_folder.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn paeth_undone_as_up_is_caught_at_the_first_decode() {
    let op = "image.decode_image.default";
    let (code, out) = replay_with_fault(TRACE, "png-paeth-as-up");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "png-paeth-as-up");
    assert_eq!(code, Some(3), "anchored: {out}");
    assert!(
        out.contains(&format!("drift starts at {op}")),
        "anchored: {out}"
    );
}
