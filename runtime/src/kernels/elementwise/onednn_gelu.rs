//! GELU (erf form) as torch 2.15 computes it on this machine's CPU for a
//! contiguous float32, bfloat16 or float16 `self` of more than one element:
//! through oneDNN's eltwise primitive (`gelu_erf`, oneDNN 3.13 on AVX-512),
//! not ATen's own kernel. Both formulas are evaluated in float32 step by
//! step as the vector code does, each fused multiply-add rounded once, so
//! the results are PyTorch's to the bit (bfloat16 and float16 round the
//! float32 result to nearest even).
//!
//! * Forward: erf(x/√2) is a piecewise minimax polynomial of degree 5 in
//!   |x|, picked by the high bits of |x| (25 pieces; above 5.54 erf is 1),
//!   with x's sign put back; the result is `(x · (1 + erf)) · 0.5`, so it
//!   overflows to inf above 1.7e38 where ATen's `x · 0.5 · (1 + erf)`
//!   does not, and +inf gives NaN (the polynomial's zero coefficients
//!   times inf).
//! * Backward: `0.5 + x/√(2π) · e^{-x²/2} + 0.5 · erf(x/√2)` with erf by
//!   Abramowitz and Stegun's 7.1.26 and oneDNN's own `exp` (a degree-5
//!   polynomial on the reduced argument, scaled by `2^(n-1) · 2`), times
//!   the incoming gradient.
//!
//! Which tensors take this path ([`takes_onednn_path`]) follows ATen's
//! `use_mkldnn` test of `self` alone: the gradient's layout does not
//! matter. A single element or a non-contiguous `self` runs ATen's kernel.

use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Coefficients of the forward's pieces, by degree then piece (float32
/// bits, as oneDNN's table has them). The piece index is clamped to 1..=24:
/// piece 0 is never used, piece 23 is erf = 1 above the cut-off, piece 24
/// (erf = |x|) is reached only by a NaN.
const ERF_PIECES: [[u32; 25]; 6] = [
    // degree 0
    [
        0xa6f2cb94, 0x32827792, 0x3381cc0c, 0x34523d4a, 0x351ac44d, 0x35f36d88, 0x36ee8229,
        0x37b8a3bb, 0x3867a213, 0x3940033b, 0x3a2a5a1d, 0x3ae35863, 0x3b7828f2, 0x3c08b14b,
        0x3c515ed3, 0xbb503236, 0xbd8d8e5e, 0xbe8abcd9, 0xbf0c19a2, 0xbeccb328, 0x3e176ced,
        0x3f470d99, 0x3f7abb28, 0x3f800000, 0x00000000,
    ],
    // degree 1
    [
        0x3f4c422a, 0x3f4c421f, 0x3f4c4207, 0x3f4c41cb, 0x3f4c413b, 0x3f4c3fad, 0x3f4c3a2f,
        0x3f4c2d40, 0x3f4c146a, 0x3f4bc341, 0x3f4ad08c, 0x3f48f8cf, 0x3f45fac7, 0x3f404e07,
        0x3f3b980f, 0x3f48dff3, 0x3f78b21b, 0x3fbb0704, 0x40019c32, 0x3fe536d6, 0x3f81331e,
        0x3e6c8684, 0x3c98f936, 0x00000000, 0x3f800000,
    ],
    // degree 2
    [
        0xb62173f4, 0x3735e4cf, 0x37f2ff89, 0x388c23be, 0x3917535c, 0x39ab2ab0, 0x3a60fadb,
        0x3af9b960, 0x3b6e5491, 0x3c0a4ec5, 0x3ca5aa8c, 0x3d2138d9, 0x3d8737d4, 0x3ddfb660,
        0x3e0f27ab, 0x3d94004b, 0xbe0efdeb, 0xbf1d96c3, 0xbf89db58, 0xbf6d9897, 0xbef69fb8,
        0xbdc4f8a8, 0xbbde6422, 0x00000000, 0x00000000,
    ],
    // degree 3
    [
        0xbe081a19, 0xbe084570, 0xbe08639b, 0xbe089837, 0xbe08f409, 0xbe09ab95, 0xbe0b66d0,
        0xbe0e400a, 0xbe124df8, 0xbe1bde02, 0xbe2f19c9, 0xbe4931bf, 0xbe685fbc, 0xbe89c95f,
        0xbe96cbca, 0xbe8044aa, 0xbe0550f2, 0x3dcfd6a1, 0x3e94c826, 0x3e79345f, 0x3decec91,
        0x3ca46568, 0x3aa1e00a, 0x00000000, 0x00000000,
    ],
    // degree 4
    [
        0xba3d61db, 0x39f097a3, 0x3a5845dc, 0x3ab1fa35, 0x3b0cefb8, 0x3b653ab6, 0x3bcae527,
        0x3c221712, 0x3c6c5840, 0x3cc0a703, 0x3d1dcc19, 0x3d63656d, 0x3d955907, 0x3dbf9910,
        0x3dd53f69, 0x3db7dcef, 0x3d639ebe, 0xba6ede48, 0xbd22be69, 0xbd041cf1, 0xbc64f5ab,
        0xbb097a32, 0xb8ebf380, 0x00000000, 0x00000000,
    ],
    // degree 5
    [
        0x3cb7d80c, 0x3c9b6050, 0x3c978d11, 0x3c92e850, 0x3c8d058b, 0x3c848454, 0x3c6cd623,
        0x3c4c824b, 0x3c2a7935, 0x3be0b390, 0x3b0651ac, 0xbb232f53, 0xbbd42fa0, 0xbc2c5366,
        0xbc492c9e, 0xbc2a7aa6, 0xbbd55d04, 0xba823a76, 0x3b102aa8, 0x3ae25a7e, 0x3a31f792,
        0x38b84375, 0x3689bb5a, 0x00000000, 0x00000000,
    ],
];
/// Added to |x|'s bits (as integers) before the shift that picks a piece.
const PIECE_BIAS: u32 = 0xc21f_ffff;
/// Above this |x| (5.54) erf(x/√2) is taken as 1 (piece 23).
const ERF_CUTOFF: u32 = 0x40b1_5cee;

/// Abramowitz and Stegun's `p` in `t = 1 / (1 + p·|x|)`.
const AS_P: u32 = 0x3ea7_ba05;
/// float32 1/√2 and 1/√π as the backward uses them.
const AS_ONE_OVER_SQRT_TWO: u32 = 0x3f35_04f3;
const AS_ONE_OVER_SQRT_PI: u32 = 0x3f10_6eba;
/// Abramowitz and Stegun's a1..a5.
const AS_POLYNOMIAL: [u32; 5] = [
    0x3e82_7906,
    0xbe91_a98e,
    0x3fb5_f0e3,
    0xbfba_00e3,
    0x3f87_dc22,
];

/// oneDNN's `exp`: log2(e), ln(FLT_MAX), ln(FLT_MIN), ln 2 and the
/// polynomial p1..p5 of e^r on the reduced argument.
const EXP_LOG2E: u32 = 0x3fb8_aa3b;
const EXP_LN_MAX: u32 = 0x42b1_7218;
const EXP_LN_MIN: u32 = 0xc2ae_ac50;
const EXP_LN2: u32 = 0x3f31_7218;
const EXP_POLYNOMIAL: [u32; 5] = [
    0x3f7f_fffb,
    0x3eff_fee3,
    0x3e2a_ad40,
    0x3d2b_9d0d,
    0x3c07_cfce,
];

const SIGN: u32 = 0x8000_0000;

fn f(bits: u32) -> f32 {
    f32::from_bits(bits)
}

/// x86's NaN of an invalid operation (`0 × inf`, `inf − inf`): negative.
const DEFAULT_NAN: u32 = 0xffc0_0000;
const QUIET: u32 = 0x0040_0000;

/// The NaN an x86 vector instruction gives: its first NaN operand in
/// instruction order (quieted), else the default NaN when the operation
/// itself is invalid. Spelled out so that neither a software `fma` nor the
/// compiler's constant folding (both give a positive NaN) decides it.
fn x86_nan(operands: &[f32], result: f32) -> f32 {
    match operands.iter().find(|v| v.is_nan()) {
        Some(nan) => f32::from_bits(nan.to_bits() | QUIET),
        None if result.is_nan() => f(DEFAULT_NAN),
        None => result,
    }
}

fn mul(a: f32, b: f32) -> f32 {
    x86_nan(&[a, b], a * b)
}

fn add(a: f32, b: f32) -> f32 {
    x86_nan(&[a, b], a + b)
}

fn div(a: f32, b: f32) -> f32 {
    x86_nan(&[a, b], a / b)
}

/// `vfmadd213ps`: `a·b + c` rounded once, NaN priority `a`, `b`, `c`.
fn fma(a: f32, b: f32, c: f32) -> f32 {
    x86_nan(&[a, b, c], a.mul_add(b, c))
}

/// `vfmadd231ps`: `acc + a·b` rounded once, NaN priority `acc`, `a`, `b`.
fn fma_into(acc: f32, a: f32, b: f32) -> f32 {
    x86_nan(&[acc, a, b], a.mul_add(b, acc))
}

/// Whether torch 2.15 computes `gelu`/`gelu_backward` (erf form) of `self`
/// here: float32, bfloat16 or float16, contiguous, more than one element.
pub(crate) fn takes_onednn_path(t: &Tensor) -> bool {
    matches!(t.dtype(), DType::Float32 | DType::BFloat16 | DType::Float16)
        && t.numel() > 1
        && t.is_contiguous()
}

/// x86's `minps`/`maxps` with the constant second: a NaN first operand
/// gives the constant.
fn min_or_second(x: f32, c: f32) -> f32 {
    if x < c { x } else { c }
}

fn max_or_second(x: f32, c: f32) -> f32 {
    if x > c { x } else { c }
}

/// oneDNN's vector `exp` of one float32 lane (never NaN: a NaN argument
/// is clamped to ln(FLT_MAX) as `minps` does).
fn exp(x: f32) -> f32 {
    let flushed = x < f(EXP_LN_MIN);
    let x = max_or_second(min_or_second(x, f(EXP_LN_MAX)), f(EXP_LN_MIN));
    let fx = add(mul(x, f(EXP_LOG2E)), 0.5).floor();
    let r = fma_into(x, -fx, f(EXP_LN2));
    // 2^(n-1), built in the exponent field (`fx` is integral)
    let n = (fx - 1.0) as i32;
    let scale = if flushed {
        0.0
    } else {
        f32::from_bits((n.wrapping_add(127) as u32).wrapping_shl(23))
    };
    let mut y = f(EXP_POLYNOMIAL[4]);
    for c in [
        EXP_POLYNOMIAL[3],
        EXP_POLYNOMIAL[2],
        EXP_POLYNOMIAL[1],
        EXP_POLYNOMIAL[0],
    ] {
        y = fma(y, r, f(c));
    }
    y = fma(y, r, 1.0);
    mul(mul(y, scale), 2.0)
}

/// `gelu(x)` (erf form) of one float32 lane.
pub(crate) fn gelu(x: f32) -> f32 {
    let magnitude = f32::from_bits(x.to_bits() & !SIGN);
    let shifted = (magnitude.to_bits().wrapping_add(PIECE_BIAS) as i32) >> 21;
    let mut piece = shifted.clamp(1, 24) as usize;
    if f(ERF_CUTOFF) < magnitude {
        piece = 23;
    }
    let mut erf = f(ERF_PIECES[5][piece]);
    for degree in (0..5).rev() {
        erf = fma(erf, magnitude, f(ERF_PIECES[degree][piece]));
    }
    let erf = f32::from_bits(erf.to_bits() ^ (x.to_bits() & SIGN));
    mul(mul(x, add(erf, 1.0)), 0.5)
}

/// erf(r) by Abramowitz and Stegun's formula 7.1.26 as oneDNN's kernels
/// evaluate it, given `q = exp(−r²)`: `t = 1/(1 + p·|r|)`, the polynomial in
/// `t` by fused steps, `1 − q·t·poly` in one fused step, signed like `r`.
fn abramowitz_stegun_erf(r: f32, q: f32) -> f32 {
    let t = div(1.0, fma(f(AS_P), r.abs(), 1.0));
    let mut poly = f(AS_POLYNOMIAL[4]);
    for c in [
        AS_POLYNOMIAL[3],
        AS_POLYNOMIAL[2],
        AS_POLYNOMIAL[1],
        AS_POLYNOMIAL[0],
    ] {
        poly = fma(poly, t, f(c));
    }
    let erf = fma(mul(-q, t), poly, 1.0);
    f32::from_bits(erf.to_bits() ^ (r.to_bits() & SIGN))
}

/// `gelu(x)` (erf form) of one float32 lane as oneDNN computes it below
/// AVX-512: erf(x/√2) by Abramowitz and Stegun ([`abramowitz_stegun_erf`],
/// the backward's pieces), then `x/2 + (x/2)·erf` in one fused step.
pub(crate) fn gelu_abramowitz_stegun(x: f32) -> f32 {
    let r = mul(x, f(AS_ONE_OVER_SQRT_TWO));
    let erf = abramowitz_stegun_erf(r, exp(-mul(r, r)));
    let half = mul(x, 0.5);
    fma(erf, half, half)
}

/// `gelu_backward(grad, x)` (erf form) of one float32 lane.
pub(crate) fn gelu_backward(grad: f32, x: f32) -> f32 {
    let r = mul(x, f(AS_ONE_OVER_SQRT_TWO));
    let q = exp(-mul(r, r));
    let density = mul(mul(r, f(AS_ONE_OVER_SQRT_PI)), q);
    let erf = abramowitz_stegun_erf(r, q);
    mul(fma_into(add(density, 0.5), erf, 0.5), grad)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values measured from torch 2.15 (`F.gelu` and `aten.gelu_backward`
    /// of contiguous float32 tensors of twelve elements), as bits:
    /// `(x, grad, gelu(x), gelu_backward(grad, x))`.
    const MEASURED: [(f32, f32, u32, u32); 12] = [
        (-3.0, 1.0, 0xbb84_b7c0, 0xbc43_b780),
        (-0.75, -0.5, 0xbe2e_0cc0, 0xb9ca_f400),
        (0.3, 2.0, 0x3e3d_d289, 0x3fbb_79d5),
        (1.0, 0.25, 0x3f57_625e, 0x3e8a_aa14),
        (2.5, 1.5, 0x401f_01a7, 0x3fc7_38a8),
        (6.0, -1.0, 0x40c0_0000, 0xbf80_0000),
        (-1e-3, 3.0, 0xba02_f7a9, 0x3fbf_b192),
        (2e38, 1.0, 0x7f80_0000, 0x3f80_0000),
        (f32::INFINITY, 1.0, 0xffc0_0000, 0xffc0_0000),
        (f32::NEG_INFINITY, 1.0, 0x7fc0_0000, 0xffc0_0000),
        (1e-40, 1.0, 0x0000_8b61, 0x3f00_0000),
        (-13.0, 1.0, 0x8000_0000, 0x0000_0000),
    ];

    #[test]
    fn forward_matches_torch_bits() {
        for (x, _, bits, _) in MEASURED {
            assert_eq!(gelu(x).to_bits(), bits, "gelu({x:e})");
        }
    }

    /// torch 2.15 with oneDNN capped below AVX-512
    /// (`ONEDNN_MAX_CPU_ISA=AVX2`): `F.gelu` of a contiguous float32
    /// tensor of these eight values, as `(x, gelu(x))` bits.
    const MEASURED_BELOW_AVX512: [(u32, u32); 8] = [
        (0xc040_0000, 0xbb84_b4c0),
        (0xbfc0_0000, 0xbdcd_3b5a),
        (0xbe80_0000, 0xbdcd_765f),
        (0x3f00_0000, 0x3eb1_03ae),
        (0x4000_0000, 0x3ffa_2d0e),
        (0x4080_0000, 0x407f_fdec),
        (0xc0c0_0000, 0x0000_0000),
        (0x4120_0000, 0x4120_0000),
    ];

    #[test]
    fn abramowitz_stegun_forward_matches_torch_bits() {
        for (x, bits) in MEASURED_BELOW_AVX512 {
            let x = f32::from_bits(x);
            assert_eq!(
                gelu_abramowitz_stegun(x).to_bits(),
                bits,
                "gelu({x:e}) below AVX-512"
            );
        }
    }

    #[test]
    fn backward_matches_torch_bits() {
        for (x, grad, _, bits) in MEASURED {
            assert_eq!(
                gelu_backward(grad, x).to_bits(),
                bits,
                "gelu_backward({grad}, {x:e})"
            );
        }
    }

    #[test]
    fn exp_is_close_to_the_true_exponential() {
        for x in [-80.0_f32, -10.0, -1.0, -0.125, 0.0, 0.5, 3.0, 40.0] {
            let rel = ((exp(x) as f64) - (x as f64).exp()).abs() / (x as f64).exp();
            assert!(rel < 1e-6, "exp({x}) = {} (rel {rel:e})", exp(x));
        }
        assert_eq!(exp(-200.0), 0.0);
    }
}
