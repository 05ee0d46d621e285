//! The CPU's approximation instructions whose results PyTorch's math
//! libraries build on, behind a safe API.
//!
//! MKL's vector square root starts from AVX-512's reciprocal square root
//! estimate (`vrsqrt14ss`/`vrsqrt14sd`). Intel defines the estimate's
//! result bit for bit (a reference implementation, not only an error
//! bound), so the instruction of any AVX-512 CPU gives the value MKL used;
//! the runtime (`ft-runtime`, which forbids unsafe code) calls it through
//! here. Each function returns `None` where this CPU lacks the instruction:
//! the caller then falls back to an exact computation.

/// Whether this CPU has AVX-512F (the estimates) and FMA.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// AVX-512's `rsqrt14` of a float32 (relative error below 2⁻¹⁴; `+∞` for
/// `+0`, `+0` for `+∞`, NaN for a negative input), or `None` without
/// AVX-512.
pub fn rsqrt14_f32(x: f32) -> Option<f32> {
    #[cfg(target_arch = "x86_64")]
    {
        if available() {
            // SAFETY: `available` checked that the CPU has AVX-512F.
            return Some(unsafe { x86::rsqrt14_f32(x) });
        }
    }
    let _ = x;
    None
}

/// AVX-512's `rsqrt14` of a float64, or `None` without AVX-512.
pub fn rsqrt14_f64(x: f64) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        if available() {
            // SAFETY: `available` checked that the CPU has AVX-512F.
            return Some(unsafe { x86::rsqrt14_f64(x) });
        }
    }
    let _ = x;
    None
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        _mm_cvtsd_f64, _mm_cvtss_f32, _mm_rsqrt14_sd, _mm_rsqrt14_ss, _mm_set_sd, _mm_set_ss,
    };

    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn rsqrt14_f32(x: f32) -> f32 {
        let v = _mm_set_ss(x);
        _mm_cvtss_f32(_mm_rsqrt14_ss(v, v))
    }

    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn rsqrt14_f64(x: f64) -> f64 {
        let v = _mm_set_sd(x);
        _mm_cvtsd_f64(_mm_rsqrt14_sd(v, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_are_within_their_bound() {
        let Some(_) = rsqrt14_f32(1.0) else {
            assert!(!available());
            return;
        };
        for x in [1.0f32, 2.0, 3.0, 1e-30, 7.5e20, 0.123] {
            let y = rsqrt14_f32(x).expect("available");
            let exact = 1.0 / f64::from(x).sqrt();
            assert!(
                ((f64::from(y) - exact) / exact).abs() < 2f64.powi(-14),
                "rsqrt14({x})"
            );
            let y = rsqrt14_f64(f64::from(x)).expect("available");
            assert!(
                ((y - exact) / exact).abs() < 2f64.powi(-14),
                "rsqrt14({x}) in float64"
            );
        }
        assert_eq!(rsqrt14_f32(0.0), Some(f32::INFINITY));
        assert_eq!(rsqrt14_f32(f32::INFINITY), Some(0.0));
        assert!(rsqrt14_f32(-1.0).is_some_and(f32::is_nan));
    }

    #[test]
    fn the_estimate_is_the_instructions_own_value() {
        // Values of the instruction (Intel's definition): 16 significant
        // bits, not the rounded reciprocal root.
        if !available() {
            return;
        }
        assert_eq!(rsqrt14_f32(2.0).map(f32::to_bits), Some(0x3f35_0280));
        assert_eq!(rsqrt14_f32(3.0).map(f32::to_bits), Some(0x3f13_cc80));
    }
}
