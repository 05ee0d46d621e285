//! Mutation test of the layout of `angle` on the `spectral_mask_denoiser`
//! golden: the phase of an `stft` spectrum (frequency-major in memory) is
//! contiguous in PyTorch, which computes the complex angle into a complex
//! buffer and copies its real part into a result resized to the shape. A
//! result laid out like the spectrum changes the dispatch's output strides.

use super::support::assert_first_dispatch_change_both_ways;

#[test]
fn an_angle_laid_out_like_the_spectrum_is_caught_at_angle() {
    assert_first_dispatch_change_both_ways(
        "spectral_mask_denoiser.torch.ftr",
        "complex-angle-keeps-layout",
        &["aten.angle.default", "expected seq 55"],
    );
}
