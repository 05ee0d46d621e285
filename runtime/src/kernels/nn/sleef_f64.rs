//! The float64 `exp` and `log1p` of ATen's vectorised CPU code
//! (`Vectorized<double>::exp()` and `log1p()`: SLEEF's 1-ulp `exp` and
//! `log1p` for AVX-512/AVX2 with fused multiply-adds), evaluated lane by
//! lane in the same steps. PyTorch's float64 log-sigmoid runs every element
//! through them (its loop handles the tail as a partial vector), so the
//! C library's `exp`/`log1p` differ from it in about one element in
//! seventeen.
//!
//! * `exp`: `q = rint(x·log2 e)`, `s = x − q·ln 2` in two fused steps (ln 2
//!   split in an upper and a lower part), a degree-9 polynomial evaluated
//!   in Estrin's scheme (powers `s², s⁴, s⁸`), then three fused steps
//!   `((p·s + 1/2)·s + 1)·s + 1`, scaled by `2^q` in two halves; +inf
//!   above ln(DBL_MAX), 0 below −1000.
//! * `log1p`: `1 + d = 2^e·(1 + m)` with `e` the exponent of
//!   `(1 + d)·4/3` and `m = d·2^−e + (2^−e − 1)` in one fused step,
//!   `x = m/(2 + m)` in double-double arithmetic, a degree-6 polynomial in
//!   `x²` (Estrin's scheme) and `e·ln 2 + 2x + x³·p(x²)` summed as
//!   double-doubles. −1 gives −inf, below −1 or NaN gives NaN, −0 gives −0,
//!   above 10^307 +inf (the SLEEF release PyTorch builds).

// Constants as float64 bits (SLEEF's decimal literals rounded to double).

/// `1/ln 2`, and ln 2 split in an upper part exact in a few bits and the rest.
const R_LN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
const L2U: f64 = f64::from_bits(0x3fe6_2e42_fefa_3000);
const L2L: f64 = f64::from_bits(0x3d53_de6a_f278_ece6);

/// Above it `exp` overflows: ln(DBL_MAX).
const LOG_DBL_MAX: f64 = f64::from_bits(0x4086_2e42_fe10_2c83);

/// `exp`'s polynomial, highest degree first.
const EXP_POLYNOMIAL: [f64; 10] = [
    f64::from_bits(0x3e21_e0c6_70af_ff06),
    f64::from_bits(0x3e5a_f6c3_6f75_740c),
    f64::from_bits(0x3e92_7e5d_38a2_3654),
    f64::from_bits(0x3ec7_1dde_f633_fb47),
    f64::from_bits(0x3efa_01a0_127f_883a),
    f64::from_bits(0x3f2a_01a0_1b44_21fd),
    f64::from_bits(0x3f56_c16c_16c3_396b),
    f64::from_bits(0x3f81_1111_1110_e7a5),
    f64::from_bits(0x3fa5_5555_5555_54f9),
    f64::from_bits(0x3fc5_5555_5555_555e),
];

/// `log1p`'s polynomial in `x²`, highest degree first.
const LOG1P_POLYNOMIAL: [f64; 7] = [
    f64::from_bits(0x3fc3_9c4f_5407_567e),
    f64::from_bits(0x3fc3_872e_67fe_8e84),
    f64::from_bits(0x3fc7_4735_3a50_6035),
    f64::from_bits(0x3fcc_71c0_a65e_cd8e),
    f64::from_bits(0x3fd2_4924_9a68_a245),
    f64::from_bits(0x3fd9_9999_998f_92ea),
    f64::from_bits(0x3fe5_5555_5555_57ae),
];

/// ln 2 as a double-double.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);
const LN2_LO: f64 = f64::from_bits(0x3c7a_bc9e_3b39_803f);

/// A double-double: an unevaluated sum `hi + lo`.
#[derive(Clone, Copy)]
struct Dd(f64, f64);

/// `2^q` from the exponent bits (q in the normal range after halving).
fn pow2i(q: i32) -> f64 {
    f64::from_bits(((q.wrapping_add(0x3ff) as u64) & 0x7ff) << 52)
}

/// `d·2^e` in two steps, as SLEEF's `vldexp2`.
fn ldexp2(d: f64, e: i32) -> f64 {
    let half = e >> 1;
    d * pow2i(half) * pow2i(e - half)
}

/// Estrin's scheme over coefficients highest degree first, as SLEEF's
/// `POLYn` macros nest their fused steps: the upper half times `x^(2^k)`
/// plus the lower half.
fn estrin(x: f64, coefficients: &[f64]) -> f64 {
    match coefficients.len() {
        0 => 0.0,
        1 => coefficients[0],
        2 => coefficients[0].mul_add(x, coefficients[1]),
        n => {
            // the lower part holds the largest power of two of terms below n
            let low = n.next_power_of_two() / 2;
            let (high, lower) = coefficients.split_at(n - low);
            // x^low by repeated squaring (SLEEF's x2, x4, x8)
            let mut power = x;
            let mut span = 1;
            while span < low {
                power *= power;
                span *= 2;
            }
            // `power` is x^low
            estrin(x, high).mul_add(power, estrin(x, lower))
        }
    }
}

/// `exp(d)` of one lane.
pub(crate) fn exp(d: f64) -> f64 {
    if d.is_nan() {
        return d;
    }
    let u = (d * R_LN2).round_ties_even();
    let q = if u.abs() < 2.0e9 { u as i32 } else { i32::MIN };
    let s = u.mul_add(-L2U, d);
    let s = u.mul_add(-L2L, s);
    let p = estrin(s, &EXP_POLYNOMIAL);
    let p = p.mul_add(s, 0.5);
    let p = p.mul_add(s, 1.0);
    let p = p.mul_add(s, 1.0);
    let e = ldexp2(p, q);
    if d > LOG_DBL_MAX {
        f64::INFINITY
    } else if d < -1000.0 {
        0.0
    } else {
        e
    }
}

fn dd_add_ff(x: f64, y: f64) -> Dd {
    let s = x + y;
    Dd(s, (x - s) + y)
}

fn dd_add_dd_dd(x: Dd, y: Dd) -> Dd {
    let s = x.0 + y.0;
    Dd(s, (((x.0 - s) + y.0) + x.1) + y.1)
}

fn dd_add_dd_f(x: Dd, y: f64) -> Dd {
    let s = x.0 + y;
    Dd(s, ((x.0 - s) + y) + x.1)
}

fn dd_mul_dd_f(x: Dd, y: f64) -> Dd {
    let s = x.0 * y;
    Dd(s, x.1.mul_add(y, x.0.mul_add(y, -s)))
}

fn dd_div(n: Dd, d: Dd) -> Dd {
    let t = 1.0 / d.0;
    let s = n.0 * t;
    let u = t.mul_add(n.0, -s);
    let v = (-d.1).mul_add(t, (-d.0).mul_add(t, 1.0));
    Dd(s, s.mul_add(v, n.1.mul_add(t, u)))
}

/// `log1p(d)` of one lane.
pub(crate) fn log1p(d: f64) -> f64 {
    /// Above it the SLEEF release PyTorch builds returns +inf.
    const INFINITE_BOUND: f64 = 1e307;
    if d.is_nan() || d < -1.0 {
        return f64::NAN;
    }
    if d == -1.0 {
        return f64::NEG_INFINITY;
    }
    if d == 0.0 && d.is_sign_negative() {
        return -0.0;
    }
    if d > INFINITE_BOUND {
        return f64::INFINITY;
    }
    let e = exponent_of((d + 1.0) * (1.0 / 0.75));
    let t = pow2_f64(-e);
    let m = d.mul_add(t, t - 1.0);
    let s = dd_mul_dd_f(Dd(LN2_HI, LN2_LO), f64::from(e));
    let x = dd_div(Dd(m, 0.0), dd_add_ff(2.0, m));
    let x2 = x.0 * x.0;
    let p = estrin(x2, &LOG1P_POLYNOMIAL);
    let s = dd_add_dd_dd(s, Dd(x.0 * 2.0, x.1 * 2.0));
    let s = dd_add_dd_f(s, (x2 * x.0) * p);
    s.0 + s.1
}

/// `min(x, 0) − log1p(exp(−|x|))`: the float64 log-sigmoid of PyTorch's
/// vectorised kernel (`log_sigmoid_forward`), with its buffer `exp(−|x|)`.
pub(crate) fn log_sigmoid(x: f64) -> (f64, f64) {
    let z = exp(-x.abs());
    (x.min(0.0) - log1p(z), z)
}

/// `floor(log2(x))` of a positive finite double (normal: the arguments of
/// `log1p`'s split are at least 4/3).
fn exponent_of(x: f64) -> i32 {
    let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
    biased - 1023
}

/// `2^k` for a `k` a double's exponent can be, subnormal powers included.
fn pow2_f64(k: i32) -> f64 {
    if k >= -1022 {
        pow2i(k)
    } else {
        f64::from_bits(1u64 << (k + 1074).clamp(0, 51))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estrin_nests_as_sleefs_macros() {
        // POLY7(x, x2, x4, c6..c0) = fma(x4, POLY3(c6, c5, c4), POLY4(c3..c0))
        let c = [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let x: f64 = 0.37;
        let (x2, x4) = (x * x, x * x * (x * x));
        let poly3 = x2.mul_add(7.0, x.mul_add(6.0, 5.0));
        let poly4 = x2.mul_add(x.mul_add(4.0, 3.0), x.mul_add(2.0, 1.0));
        assert_eq!(estrin(x, &c).to_bits(), x4.mul_add(poly3, poly4).to_bits());
    }

    #[test]
    fn exp_and_log1p_are_within_two_ulps_of_the_true_values() {
        for x in [-700.0f64, -30.5, -1.0, -0.3, 0.0, 1e-12, 0.7, 5.0, 700.0] {
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 4.5e-16, "exp({x}): {} (rel {rel:e})", exp(x));
        }
        for d in [
            -0.999_999f64,
            -0.5,
            -1e-3,
            1e-300,
            1e-12,
            0.1,
            0.5,
            1.0,
            3.0,
            1e20,
        ] {
            let truth = d.ln_1p();
            let err = (log1p(d) - truth).abs() / truth.abs();
            assert!(err < 4.5e-16, "log1p({d}): {} (rel {err:e})", log1p(d));
        }
        assert_eq!(exp(-1001.0), 0.0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(log1p(0.0).to_bits(), 0);
        assert_eq!(log1p(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(log1p(-1.0), f64::NEG_INFINITY);
        assert!(log1p(-1.5).is_nan());
        assert_eq!(log1p(1e-300), 1e-300);
    }

    #[test]
    fn log_sigmoid_matches_torch_bits() {
        // torch 2.15 (AVX-512) F.logsigmoid in float64 for these inputs,
        // where the C library's exp/log1p give another last bit
        for (x, bits) in LOG_SIGMOID_SAMPLES {
            assert_eq!(log_sigmoid(x).0.to_bits(), bits, "log_sigmoid({x})");
        }
    }

    const LOG_SIGMOID_SAMPLES: [(f64, u64); 8] = [
        (7.932830086485438, 0xbf37_8213_75f1_5a4c),
        (2.6855557396813827, 0xbfb0_e2b6_35bc_2172),
        (10.834551886003286, 0xbef4_a9ec_c22c_6f97),
        (0.7536917451365575, 0xbfd8_af1d_23cd_64bf),
        (2.2882641842418043, 0xbfb8_bc20_7bbb_9b3d),
        (2.3421308147261404, 0xbfb7_7ed4_d83e_7ad4),
        (0.44212024540518213, 0xbfdf_c3c7_6950_3acc),
        (7.878369400169535, 0xbf38_d2d9_8829_49d7),
    ];
}
