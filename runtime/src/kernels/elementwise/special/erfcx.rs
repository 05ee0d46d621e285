//! The scaled complementary error function `erfcx(x) = exp(x²) erfc(x)`
//! and the log of the normal CDF built on it, `log_ndtr`.
//!
//! PyTorch evaluates erfcx with the Faddeeva package's Chebyshev fits; we
//! reach the same values (to a few ulp in double, below float32's
//! resolution) from the definitions instead:
//!
//! * `0 ≤ x < 5`: `exp(x²) · erfc(x)` directly — erfc is accurate to an
//!   ulp there and `exp(x²)` adds at most `x² · 2⁻⁵³` relative error;
//! * `x ≥ 5`: Laplace's continued fraction `erfcx(x) = (1/√π) / (x +
//!   (1/2) / (x + 1 / (x + (3/2) / (x + …))))`, evaluated backwards from
//!   a depth at which it has converged to double precision;
//! * `x < 0`: the reflection `erfcx(x) = 2 exp(x²) - erfcx(-x)`, `+∞` once
//!   `exp(x²)` overflows.
//!
//! `log_ndtr(x) = log Φ(x)` is PyTorch's formula: with `t = x / √2`,
//! `log(erfcx(-t) / 2) - t²` below -1 (where Φ underflows long before
//! its log does), `log1p(-erfc(t) / 2)` above.

/// `1/√π`.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// `erfcx(x)` in double.
pub(crate) fn erfcx(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        if x < -26.7 {
            return f64::INFINITY;
        }
        return 2.0 * (x * x).exp() - erfcx(-x);
    }
    if x < 5.0 {
        return (x * x).exp() * libm::erfc(x);
    }
    if x.is_infinite() {
        return 0.0;
    }
    // Convergents of the continued fraction: depth 60 is ample at x = 5
    // (the tail's error falls like exp(-2√(2n) x)).
    let mut tail = x;
    for k in (1..=60).rev() {
        tail = x + f64::from(k) / 2.0 / tail;
    }
    FRAC_1_SQRT_PI / tail
}

/// `erfcx(x)` in float, as PyTorch's float kernel rounds it where that
/// shows: below 0 `2 exp(x²)` is taken in float (`x²` rounded first, which
/// moves the result by up to `x² · 2⁻²⁴` relative — beyond float's own
/// tolerance near the overflow), less the positive side's value; beyond
/// 50 the continued fraction's first five terms, in float; in between the
/// double function rounded once (PyTorch's float Chebyshev fits agree with
/// it to a few ulp).
pub(crate) fn erfcx_f32(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x >= 0.0 {
        if x > 50.0 {
            let ispi = FRAC_1_SQRT_PI as f32;
            if x > 5e7 {
                return ispi / x;
            }
            let xx = x * x;
            return ispi * (xx * (xx + 4.5) + 2.0) / (x * (xx * (xx + 5.0) + 3.75));
        }
        return erfcx(f64::from(x)) as f32;
    }
    if x < -26.7 {
        return f32::INFINITY;
    }
    let doubled = 2.0 * (x * x).exp();
    if x < -6.1 {
        doubled
    } else {
        doubled - erfcx(f64::from(-x)) as f32
    }
}

/// `log Φ(x)` (the standard normal's log CDF) in double.
pub(crate) fn log_ndtr(x: f64) -> f64 {
    let t = x * std::f64::consts::FRAC_1_SQRT_2;
    if x < -1.0 {
        (erfcx(-t) / 2.0).ln() - t * t
    } else {
        (-libm::erfc(t) / 2.0).ln_1p()
    }
}

/// `log Φ(x)` in float, step by step as PyTorch's float kernel.
pub(crate) fn log_ndtr_f32(x: f32) -> f32 {
    let t = x * std::f32::consts::FRAC_1_SQRT_2;
    if x < -1.0 {
        (erfcx_f32(-t) / 2.0).ln() - t * t
    } else {
        (-libm::erfcf(t) / 2.0).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfcx_reference_points() {
        // erfcx(0) = 1; erfcx(1) = e·erfc(1); large x: the asymptotic series
        // 1/(x√π) (1 - 1/(2x²) + 3/(4x⁴) - 15/(8x⁶)), whose error is about
        // its next term, 105/(16x⁸).
        assert_eq!(erfcx(0.0), 1.0);
        let e1 = std::f64::consts::E * libm::erfc(1.0);
        assert!((erfcx(1.0) - e1).abs() < 1e-15);
        for &x in &[5.0_f64, 7.5, 30.0, 1e4] {
            let z = 1.0 / (x * x);
            let asym = FRAC_1_SQRT_PI / x * (1.0 - z * (0.5 - z * (0.75 - z * 1.875)));
            let bound = (7.0 * z.powi(4)).max(1e-15);
            assert!((erfcx(x) - asym).abs() / asym < bound, "{x}");
        }
        // The two methods agree across the switch at 5.
        let below = (25.0f64).exp() * libm::erfc(5.0);
        assert!((erfcx(5.0) - below).abs() / below < 1e-13);
        assert_eq!(erfcx(-30.0), f64::INFINITY);
        assert!((erfcx(-1.0) - (2.0 * 1f64.exp() - erfcx(1.0))).abs() < 1e-14);
    }

    #[test]
    fn log_ndtr_reference_points() {
        // Φ(0) = 1/2; far left: log Φ(x) ≈ -x²/2 - log(-x√(2π)).
        assert!((log_ndtr(0.0) + 2f64.ln()).abs() < 1e-15);
        let x: f64 = -40.0;
        let approx = -x * x / 2.0 - (-x * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((log_ndtr(x) - approx).abs() < 1e-3);
        assert!((f64::from(log_ndtr_f32(0.0)) + 2f64.ln()).abs() < 1e-7);
    }
}
