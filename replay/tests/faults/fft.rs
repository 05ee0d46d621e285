//! Mutation tests of the spectral family (`fft_spectral_loss`: rfft
//! magnitudes and multi-resolution STFT losses; `fno_spectral`: a Fourier
//! neural operator layer, `fft2`'s real part, `fftn`/`ifftn`):
//!
//! * a conjugated twiddle factor is a value failure starting at the first
//!   `_fft_r2c`, free-running and anchored;
//! * an `irfft` that forgets its normalization is a value failure starting
//!   at `_fft_c2r`, free-running and anchored;
//! * an rfft backward taken as `irfft` of the onesided gradient (no zero
//!   fill) is a dispatch divergence at FftR2CBackward0's `new_zeros`;
//! * perturbed `_fft_r2c`, `_fft_c2r`, `_fft_c2c` and `hann_window`
//!   kernels are caught and named, and misnamed backward nodes are graph
//!   divergences.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const LOSS: &str = "fft_spectral_loss.torch.ftr";
const FNO: &str = "fno_spectral.torch.ftr";

#[test]
fn a_flipped_twiddle_is_a_value_failure_at_the_first_rfft() {
    for trace in [LOSS, FNO] {
        for (code, out) in [
            replay_with_fault(trace, "fft-twiddle-sign"),
            replay_anchored_with_fault(trace, "fft-twiddle-sign"),
        ] {
            assert_eq!(code, Some(3), "{out}");
            assert!(
                out.contains("drift starts at aten._fft_r2c.default"),
                "{out}"
            );
        }
    }
}

#[test]
fn an_irfft_without_normalization_is_a_value_failure_at_c2r() {
    for trace in [LOSS, FNO] {
        for (code, out) in [
            replay_with_fault(trace, "irfft-missing-normalization"),
            replay_anchored_with_fault(trace, "irfft-missing-normalization"),
        ] {
            assert_eq!(code, Some(3), "{out}");
            assert!(
                out.contains("drift starts at aten._fft_c2r.default"),
                "{out}"
            );
        }
    }
}

#[test]
fn an_rfft_backward_without_the_zero_fill_diverges_at_its_new_zeros() {
    for trace in [LOSS, FNO] {
        for (code, out) in [
            replay_with_fault(trace, "fft-r2c-backward-no-onesided-fix"),
            replay_anchored_with_fault(trace, "fft-r2c-backward-no-onesided-fix"),
        ] {
            assert_eq!(code, Some(1), "{out}");
            let first = out
                .lines()
                .find(|l| l.starts_with("first divergence"))
                .unwrap_or_default();
            assert!(
                first.contains("aten.new_zeros.default")
                    && first.contains("FftR2CBackward0")
                    && first.contains("aten._fft_c2r.default"),
                "{out}"
            );
        }
    }
}

#[test]
fn perturbed_spectral_kernels_are_caught_and_named() {
    for (trace, op) in [
        (LOSS, "aten._fft_r2c.default"),
        (LOSS, "aten._fft_c2r.default"),
        (LOSS, "aten.hann_window.default"),
        (FNO, "aten._fft_c2c.default"),
    ] {
        let (code, out) = replay_perturbed(trace, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(op), "{op}: {out}");
    }
}

#[test]
fn misnamed_spectral_backward_nodes_are_graph_divergences() {
    for (trace, rename) in [
        (LOSS, "rename-node=FftR2CBackward0:FftC2CBackward0"),
        (FNO, "rename-node=FftC2RBackward0:FftC2CBackward0"),
        (FNO, "rename-node=FftC2CBackward0:FftR2CBackward0"),
    ] {
        let (code, out) = replay(trace, Some(rename));
        assert_eq!(code, Some(1), "{rename}: {out}");
        let node = rename
            .trim_start_matches("rename-node=")
            .split(':')
            .next()
            .unwrap_or_default();
        assert!(out.contains(node), "{rename}: {out}");
    }
}
