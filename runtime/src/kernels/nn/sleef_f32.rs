//! The float32 `exp` and `log` of ATen's vectorised CPU code on this build
//! (`Vectorized<float>::exp()` and `log()`: SLEEF's 1-ulp `expf` and
//! `logf` for AVX-512), evaluated lane by lane in the same steps, fused
//! multiply-adds rounded once. Softmax kernels use them on every element
//! of a row, so reproducing them makes `_log_softmax` bit for bit.
//!
//! * `exp`: `q = rint(x·log2 e)`, the reduced argument `s = x − q·ln 2` in
//!   two fused steps (ln 2 split in an upper and a lower part), a degree-6
//!   polynomial, `1 + (s + s²·p(s))` scaled by `2^q` in two halves; 0 below
//!   −104, inf above 100.
//! * `log`: `x = m·2^e` with `m` in [0.75, 1.5) (AVX-512's `getmant`), `e`
//!   the exponent of `x·4/3`; `t = (m − 1)/(m + 1)` in double-float
//!   arithmetic (a pair of floats whose sum carries twice the precision), a
//!   cubic in `t²`, and `e·ln 2 + 2t + t³·p(t²)` summed as double-floats.
//!   0 gives −inf, a negative input or NaN gives NaN, +inf gives +inf.
//! * `log1p` (`log1p()`: SLEEF's 1-ulp `log1pf`): `1 + d = 2^e·(1 + m)`
//!   with `e` the exponent of `(1 + d)·4/3` and `m = d·2^−e + (2^−e − 1)`
//!   in one fused step (so `m` keeps the bits `1 + d` drops),
//!   `t = m/(2 + m)` in double-float arithmetic and the same cubic as `log`;
//!   above 10^38 it is `log(d)`. −1 gives −inf, below −1 or NaN gives NaN,
//!   −0 gives −0.
//! * `expm1` (`expm1()`: SLEEF's 1-ulp `expm1f`): `exp` carried as a
//!   double-float (the reduced argument and a degree-6 polynomial in
//!   double-float steps, scaled by `2^q`), then `− 1` added as a
//!   double-float and the pair summed; −1 below about −16.64, inf above
//!   about 88.72, −0 kept.

// Constants as float32 bits (SLEEF's decimal literals rounded to float).

/// `1/ln 2`, and ln 2 split in an upper part exact in a few bits and the rest.
const R_LN2: f32 = f32::from_bits(0x3fb8_aa3b);
const L2U: f32 = f32::from_bits(0x3f31_7200);
const L2L: f32 = f32::from_bits(0x35bf_be8e);

/// `exp`'s polynomial, highest degree first.
const EXP_POLYNOMIAL: [f32; 6] = [
    f32::from_bits(0x3950_2bda),
    f32::from_bits(0x3ab6_96c9),
    f32::from_bits(0x3c08_88a6),
    f32::from_bits(0x3d2a_aa7a),
    f32::from_bits(0x3e2a_aaab),
    0.5,
];

/// `log`'s cubic in `t²`, highest degree first.
const LOG_POLYNOMIAL: [f32; 3] = [
    f32::from_bits(0x3e9a_ff5c),
    f32::from_bits(0x3ecc_99ca),
    f32::from_bits(0x3f2a_aada),
];
/// ln 2 as a double-float.
const LN2_HI: f32 = f32::from_bits(0x3f31_7218);
const LN2_LO: f32 = f32::from_bits(0xb102_e308);

/// A double-float: an unevaluated sum `hi + lo`.
#[derive(Clone, Copy)]
struct Df(f32, f32);

fn pow2i(q: i32) -> f32 {
    f32::from_bits((q.wrapping_add(0x7f) as u32).wrapping_shl(23))
}

/// `d·2^e` in two steps, as SLEEF's `vldexp2`.
fn ldexp2(d: f32, e: i32) -> f32 {
    let half = e >> 1;
    d * pow2i(half) * pow2i(e - half)
}

/// `exp(x)` of one lane.
pub(crate) fn exp(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    // cvtps2dq rounds to nearest even; out of range gives i32::MIN
    let scaled = (x * R_LN2).round_ties_even();
    let q = if scaled.abs() < 2.0e9 {
        scaled as i32
    } else {
        i32::MIN
    };
    let qf = q as f32;
    let s = qf.mul_add(-L2U, x);
    let s = qf.mul_add(-L2L, s);
    let mut u = EXP_POLYNOMIAL[0];
    for c in &EXP_POLYNOMIAL[1..] {
        u = u.mul_add(s, *c);
    }
    let u = 1.0 + (s * s).mul_add(u, s);
    let u = ldexp2(u, q);
    if x < -104.0 {
        0.0
    } else if 100.0 < x {
        f32::INFINITY
    } else {
        u
    }
}

/// `exp`'s degree-3 head in double-float steps (SLEEF's `expk2f`).
const EXPK_POLYNOMIAL: [f32; 4] = [
    f32::from_bits(0x394f_b7ff),
    f32::from_bits(0x3ab6_bf7c),
    f32::from_bits(0x3c08_890d),
    f32::from_bits(0x3d2a_aa5c),
];
/// The polynomial's next coefficient (1/6), added as a double-float.
const EXPK_SIXTH: f32 = f32::from_bits(0x3e2a_aaaa);

/// `expm1(a)` of one lane.
pub(crate) fn expm1(a: f32) -> f32 {
    /// Above it the result overflows; below it, it is −1 in float32.
    const OVERFLOW: f32 = f32::from_bits(0x42b1_7217);
    const SATURATION: f32 = f32::from_bits(0xc185_1592);
    let d = df_add2_df_f(exp_df(a), -1.0);
    let x = d.0 + d.1;
    if a > OVERFLOW {
        f32::INFINITY
    } else if a < SATURATION {
        -1.0
    } else if a == 0.0 && a.is_sign_negative() {
        -0.0
    } else {
        x
    }
}

/// `exp(a)` as a double-float (SLEEF's `expk2f` of `(a, 0)`): 0 below −104.
fn exp_df(a: f32) -> Df {
    let scaled = (a * R_LN2).round_ties_even();
    let q = if scaled.abs() < 2.0e9 {
        scaled as i32
    } else {
        i32::MIN
    };
    let qf = q as f32;
    let s = df_add2_df_f(Df(a, 0.0), qf * -L2U);
    let s = df_add2_df_f(s, qf * -L2L);
    let mut u = EXPK_POLYNOMIAL[0];
    for c in &EXPK_POLYNOMIAL[1..] {
        u = u.mul_add(s.0, *c);
    }
    let t = df_add2_df_f(df_mul_df_f(s, u), EXPK_SIXTH);
    let t = df_add2_df_f(df_mul_df_df(s, t), 0.5);
    let t = df_add2_df_df(s, df_mul_df_df(df_square(s), t));
    let t = df_add_f_df(1.0, t);
    if a < -104.0 {
        return Df(0.0, 0.0);
    }
    Df(ldexp2(t.0, q), ldexp2(t.1, q))
}

fn df_add2_df_f(x: Df, y: f32) -> Df {
    let s = x.0 + y;
    let v = s - x.0;
    Df(s, ((x.0 - (s - v)) + (y - v)) + x.1)
}

fn df_add2_df_df(x: Df, y: Df) -> Df {
    let s = x.0 + y.0;
    let v = s - x.0;
    Df(s, ((x.0 - (s - v)) + (y.0 - v)) + (x.1 + y.1))
}

fn df_add_f_df(x: f32, y: Df) -> Df {
    let s = x + y.0;
    Df(s, ((x - s) + y.0) + y.1)
}

fn df_mul_df_df(x: Df, y: Df) -> Df {
    let s = x.0 * y.0;
    Df(s, x.0.mul_add(y.1, x.1.mul_add(y.0, x.0.mul_add(y.0, -s))))
}

fn df_square(x: Df) -> Df {
    let s = x.0 * x.0;
    Df(s, (x.0 + x.0).mul_add(x.1, x.0.mul_add(x.0, -s)))
}

fn df_add2_ff(x: f32, y: f32) -> Df {
    let s = x + y;
    let v = s - x;
    Df(s, (x - (s - v)) + (y - v))
}

fn df_add_df_df(x: Df, y: Df) -> Df {
    let s = x.0 + y.0;
    Df(s, (((x.0 - s) + y.0) + x.1) + y.1)
}

fn df_add_df_f(x: Df, y: f32) -> Df {
    let s = x.0 + y;
    Df(s, ((x.0 - s) + y) + x.1)
}

fn df_mul_df_f(x: Df, y: f32) -> Df {
    let s = x.0 * y;
    Df(s, x.1.mul_add(y, x.0.mul_add(y, -s)))
}

fn df_div(n: Df, d: Df) -> Df {
    let t = 1.0 / d.0;
    let s = n.0 * t;
    let u = t.mul_add(n.0, -s);
    let v = (-d.1).mul_add(t, (-d.0).mul_add(t, 1.0));
    Df(s, s.mul_add(v, n.1.mul_add(t, u)))
}

/// `log(x)` of one lane.
pub(crate) fn log(x: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        return f32::NAN;
    }
    if x == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x == f32::INFINITY {
        return f32::INFINITY;
    }
    let (m, e) = mantissa_and_exponent(x);
    let t = df_div(df_add2_ff(-1.0, m), df_add2_ff(1.0, m));
    log_of_split(e, t)
}

/// `e·ln 2 + 2t + t³·p(t²)` summed as double-floats: the logarithm of
/// `2^e·(1 + t)/(1 − t)`, the last steps of `log` and `log1p`.
fn log_of_split(e: f32, t: Df) -> f32 {
    let s = df_mul_df_f(Df(LN2_HI, LN2_LO), e);
    let t2 = t.0 * t.0;
    let mut p = LOG_POLYNOMIAL[0];
    for c in &LOG_POLYNOMIAL[1..] {
        p = p.mul_add(t2, *c);
    }
    let s = df_add_df_df(s, Df(t.0 * 2.0, t.1 * 2.0));
    let s = df_add_df_f(s, t2 * t.0 * p);
    s.0 + s.1
}

/// `log1p(d)` of one lane.
pub(crate) fn log1p(d: f32) -> f32 {
    /// Above it `1 + d` is `d`: the core's exponent split would overflow.
    const CORE_BOUND: f32 = 1.0e38;
    if d.is_nan() || d < -1.0 {
        return f32::NAN;
    }
    if d == -1.0 {
        return f32::NEG_INFINITY;
    }
    if d == 0.0 && d.is_sign_negative() {
        return -0.0;
    }
    if d > CORE_BOUND {
        return log(d);
    }
    let e = exponent_of((d + 1.0) * (1.0 / 0.75f32));
    let t = pow2_f32(-e);
    let m = d.mul_add(t, t - 1.0);
    let two_m = 2.0 + m;
    let x = df_div(Df(m, 0.0), Df(two_m, (2.0 - two_m) + m));
    log_of_split(e as f32, x)
}

/// `log(1 + exp(-|x|))` subtracted from `min(x, 0)`: the float32 log-sigmoid
/// of PyTorch's vectorised kernel (`log_sigmoid_forward`), with its buffer
/// `exp(-|x|)`.
pub(crate) fn log_sigmoid(x: f32) -> (f32, f32) {
    let z = exp(-x.abs());
    (x.min(0.0) - log1p(z), z)
}

/// `(m, e)` with `x = m·2^e`, `m` in [0.75, 1.5) (`getmant`), and `e` the
/// exponent of `x·(1/0.75)` (`getexp`) — the same split for a positive
/// finite `x`, subnormals included.
fn mantissa_and_exponent(x: f32) -> (f32, f32) {
    let scaled = x * (1.0 / 0.75f32);
    let e = exponent_of(scaled);
    let k = exponent_of(x);
    // x = frac · 2^k, frac in [1, 2)
    let frac = x / pow2_f32(k);
    let m = if frac >= 1.5 { frac / 2.0 } else { frac };
    (m, e as f32)
}

/// `floor(log2(x))` of a positive finite float, subnormals included.
fn exponent_of(x: f32) -> i32 {
    let bits = x.to_bits();
    let biased = ((bits >> 23) & 0xff) as i32;
    if biased == 0 {
        // subnormal: the position of the highest set mantissa bit
        let mantissa = bits & 0x007f_ffff;
        -127 - (mantissa.leading_zeros() as i32 - 9)
    } else {
        biased - 127
    }
}

/// `2^k` for any `k` a float32's exponent can be, subnormal powers included.
fn pow2_f32(k: i32) -> f32 {
    if k >= -126 {
        pow2i(k)
    } else {
        f32::from_bits(1 << (k + 149))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_log_are_within_an_ulp_or_two_of_the_true_values() {
        for x in [-80.0f32, -20.5, -1.0, -0.3, 0.0, 1e-7, 0.7, 5.0, 88.0] {
            let rel = (f64::from(exp(x)) - f64::from(x).exp()).abs() / f64::from(x).exp();
            assert!(rel < 2.5e-7, "exp({x}): {} (rel {rel:e})", exp(x));
        }
        for x in [
            1e-40f32, 1e-30, 0.1, 0.75, 1.0, 1.4999, 1.5, 2.0, 37.0, 3e38,
        ] {
            let truth = f64::from(x).ln();
            let err = (f64::from(log(x)) - truth).abs() / truth.abs().max(1e-30);
            assert!(err < 2.5e-7, "log({x}): {} (rel {err:e})", log(x));
        }
        assert_eq!(log(1.0), 0.0);
        assert_eq!(exp(-105.0), 0.0);
        assert_eq!(exp(101.0), f32::INFINITY);
        assert_eq!(log(0.0), f32::NEG_INFINITY);
        assert!(log(-1.0).is_nan());
    }

    #[test]
    fn log1p_is_within_an_ulp_of_the_true_value_and_keeps_the_edges() {
        for d in [
            -0.999_999_9f32,
            -0.5,
            -1e-3,
            1e-30,
            1e-7,
            0.1,
            0.4999,
            0.5,
            1.0,
            3.0,
            1e20,
            2e38,
        ] {
            let truth = f64::from(d).ln_1p();
            let err = (f64::from(log1p(d)) - truth).abs() / truth.abs();
            assert!(err < 1.5e-7, "log1p({d}): {} (rel {err:e})", log1p(d));
        }
        assert_eq!(log1p(0.0).to_bits(), 0);
        assert_eq!(log1p(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(log1p(-1.0), f32::NEG_INFINITY);
        assert!(log1p(-1.5).is_nan());
        assert_eq!(log1p(f32::INFINITY), f32::INFINITY);
        // 1 + 1e-30 is 1, yet the fused step keeps d: log1p(d) = d
        assert_eq!(log1p(1e-30), 1e-30);
    }

    /// torch 2.15's `torch.expm1` of float32 vectors (AVX-512), as bits:
    /// inputs where the C library's `expm1f` differs in the last bit.
    #[test]
    fn expm1_matches_torch_bit_for_bit() {
        for (x, bits) in [
            (0xc001_1415u32, 0xbf5d_eedfu32),
            (0xc056_6aeb, 0xbf77_0559),
            (0xbf95_fe16, 0xbf30_b0b5),
            (0xbfd9_9a4d, 0xbf51_3be9),
            (0x40e8_32bd, 0x44b0_fb4d),
            (0x4041_1b22, 0x419b_7c37),
            (0x40a4_4b3c, 0x4328_b9cb),
            // below the saturation bound: exactly -1
            (0xc187_66bc, 0xbf80_0000),
        ] {
            let x = f32::from_bits(x);
            assert_eq!(expm1(x).to_bits(), bits, "expm1({x})");
        }
        assert_eq!(expm1(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(expm1(0.0).to_bits(), 0);
        assert_eq!(expm1(89.0), f32::INFINITY);
        assert!(expm1(f32::NAN).is_nan());
    }
}
