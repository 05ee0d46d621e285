//! Square roots as PyTorch's float32/float64 `sqrt` kernels get them on a
//! CPU with AVX-512: from MKL's vector math (`vsSqrt`/`vdSqrt`), which
//! is not the correctly rounded square root.
//!
//! Measured against torch (12 million float32 and 5 million float64
//! inputs over every exponent, denormals included, every element
//! identical): MKL starts from the AVX-512 reciprocal square root
//! estimate `y = rsqrt14(x)` (in float64 refined once, `y + (y/2)·(1 −
//! x·y·y)`), takes `s = x·y` and `h = y/2`, and corrects once with the
//! residual, `s + (x − s²)·h`, each step a fused multiply-add. The result is always within one ulp, and one ulp low
//! where the true root lies just above a rounding midpoint (about 0.6% of
//! random inputs). Inputs too small for the residual to stay normal
//! (below 2⁻⁶⁴ in float32, 2⁻⁵¹² in float64, denormals included) are
//! scaled by an even power of two first, which the estimate and every
//! step carry exactly. Zeros keep their sign, `+∞` stays `+∞`, a NaN
//! propagates, and every other negative input gives the positive quiet
//! NaN.
//!
//! The estimate is the CPU's instruction, whose results Intel defines
//! bit for bit; without AVX-512 here the correctly rounded root stands in
//! (within one ulp of PyTorch's). float16/bfloat16 `sqrt` is not MKL's:
//! PyTorch rounds the float32 root, which is correctly rounded. MKL picks
//! its code by the CPU: its AVX2 code gives the correctly rounded root, and
//! other AVX-512 generations may give yet another; the capture probes which
//! one it saw (META `vml_sqrt`, [`crate::cpu::VML_SQRT_ATTR`]).

use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

/// The element function of PyTorch's `sqrt` for results of `dtype` on the
/// trace's CPU: MKL's AVX-512 root for float32/float64 where the trace says
/// PyTorch computed it (unless the fault `sqrt-correctly-rounded` is
/// injected), the correctly rounded root otherwise.
pub(crate) fn sqrt_of(ctx: &KernelCtx<'_>, dtype: DType) -> fn(f64) -> f64 {
    let mkl = ctx.cpu.vml_sqrt_rsqrt14 && !ctx.faults.sqrt_correctly_rounded;
    match dtype {
        DType::Float32 if mkl => |x| f64::from(sqrt_f32(x as f32)),
        DType::Float64 if mkl => sqrt_f64,
        _ => f64::sqrt,
    }
}

/// `sqrt` of a float32 element as MKL computes it (module doc).
pub(crate) fn sqrt_f32(x: f32) -> f32 {
    if let Some(special) = special_f32(x) {
        return special;
    }
    const TINY: f32 = 5.421_011e-20; // 2^-64
    if x < TINY {
        const UP: f32 = 18_446_744_073_709_551_616.0; // 2^64
        const DOWN: f32 = 2.328_306_4e-10; // 2^-32
        return corrected_root_f32(x * UP).map_or(x.sqrt(), |root| root * DOWN);
    }
    corrected_root_f32(x).unwrap_or(x.sqrt())
}

/// `sqrt` of a float64 element as MKL computes it (module doc).
pub(crate) fn sqrt_f64(x: f64) -> f64 {
    if let Some(special) = special_f64(x) {
        return special;
    }
    let tiny = f64::from_bits(0x1ff0_0000_0000_0000); // 2^-512
    if x < tiny {
        let up = f64::from_bits(0x5ff0_0000_0000_0000); // 2^512
        let down = f64::from_bits(0x2ff0_0000_0000_0000); // 2^-256
        return corrected_root_f64(x * up).map_or(x.sqrt(), |root| root * down);
    }
    corrected_root_f64(x).unwrap_or(x.sqrt())
}

fn special_f32(x: f32) -> Option<f32> {
    if x.is_nan() || x == 0.0 || x == f32::INFINITY {
        Some(x.sqrt())
    } else if x < 0.0 {
        Some(f32::NAN)
    } else {
        None
    }
}

fn special_f64(x: f64) -> Option<f64> {
    if x.is_nan() || x == 0.0 || x == f64::INFINITY {
        Some(x.sqrt())
    } else if x < 0.0 {
        Some(f64::NAN)
    } else {
        None
    }
}

/// The estimate and its one correction, for a positive normal `x` whose
/// residual stays normal; `None` without the estimate.
fn corrected_root_f32(x: f32) -> Option<f32> {
    let y = ft_cpu_estimates::rsqrt14_f32(x)?;
    let s = x * y;
    let h = 0.5 * y;
    let residual = (-s).mul_add(s, x);
    Some(residual.mul_add(h, s))
}

/// As [`corrected_root_f32`] in float64, where the estimate is first
/// refined once itself: `y + (y/2)·(1 − x·y·y)`.
fn corrected_root_f64(x: f64) -> Option<f64> {
    let y0 = ft_cpu_estimates::rsqrt14_f64(x)?;
    let y = (0.5 * y0).mul_add((-(x * y0)).mul_add(y0, 1.0), y0);
    let s = x * y;
    let h = 0.5 * y;
    let residual = (-s).mul_add(s, x);
    Some(residual.mul_add(h, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs whose torch `sqrt` (2.x, MKL, AVX-512) is not the correctly
    /// rounded root, with torch's result: normal, below 2⁻¹⁰⁸, denormal.
    const FLOAT32: [(u32, u32); 12] = [
        (0x424b_ea95, 0x40e4_7a95),
        (0x4284_3d01, 0x4102_1a15),
        (0x42a1_68be, 0x410f_bcb6),
        (0x4199_fee6, 0x408c_65c0),
        (0x4221_d1c3, 0x40cb_887f),
        (0x417a_aba6, 0x407d_523c),
        (0x06b5_95f4, 0x2318_74db),
        (0x010e_556f, 0x203e_e2cb),
        (0x0712_0eb8, 0x2341_5de6),
        (0x0053_065d, 0x1fce_2d2b),
        (0x0015_d74c, 0x1f53_7edd),
        (0x0000_f276, 0x1e30_2ae3),
    ];
    const FLOAT64: [(u64, u64); 7] = [
        (0x4040_3e18_c9a5_190a, 0x4016_cc5c_d7e2_5495),
        (0x4056_be3a_b731_b109, 0x4023_136d_1b6f_5f62),
        (0x4022_f8f1_1012_393e, 0x4008_a3c7_3918_2d9c),
        (0x4050_ce18_0631_82ea, 0x4020_65c8_45f9_9e73),
        (0x0000_a223_f079_1876, 0x1fd9_7784_e6bc_ca94),
        (0x0008_551f_44fd_cc7f, 0x1ff7_17c6_2cbd_3707),
        (0x0004_144b_3fb8_cfe5, 0x1ff0_2863_856e_87ae),
    ];

    /// `got` is torch's root `want` where the runtime has the estimate,
    /// else the correctly rounded `exact`; `want` is one ulp below `exact`.
    fn check_root(x: &str, got: u64, want: u64, exact: u64) {
        let expected = if ft_cpu_estimates::available() {
            want
        } else {
            exact
        };
        assert_eq!(got, expected, "sqrt({x})");
        assert_eq!(
            want + 1,
            exact,
            "sqrt({x}): the recorded root is one ulp low"
        );
    }

    #[test]
    fn roots_are_mkls_where_they_are_not_correctly_rounded() {
        for (x, want) in FLOAT32 {
            let x = f32::from_bits(x);
            let (got, exact) = (sqrt_f32(x).to_bits(), x.sqrt().to_bits());
            check_root(&format!("{x:e}"), got.into(), want.into(), exact.into());
        }
        for (x, want) in FLOAT64 {
            let x = f64::from_bits(x);
            check_root(
                &format!("{x:e}"),
                sqrt_f64(x).to_bits(),
                want,
                x.sqrt().to_bits(),
            );
        }
    }

    #[test]
    fn special_inputs() {
        assert_eq!(sqrt_f32(0.0).to_bits(), 0);
        assert_eq!(sqrt_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(sqrt_f32(f32::INFINITY), f32::INFINITY);
        for x in [-1.0f32, f32::NEG_INFINITY, -1e-40] {
            assert_eq!(sqrt_f32(x).to_bits(), 0x7fc0_0000, "sqrt({x})");
        }
        let payload = f32::from_bits(0xffc0_0001);
        assert_eq!(sqrt_f32(payload).to_bits(), 0xffc0_0001);
        assert_eq!(sqrt_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(sqrt_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(sqrt_f64(-2.0).to_bits(), 0x7ff8_0000_0000_0000);
        assert_eq!(sqrt_f64(4.0), 2.0);
        assert_eq!(sqrt_f32(f32::from_bits(1)), f32::from_bits(1).sqrt());
    }

    #[test]
    fn within_one_ulp_across_the_range() {
        let mut bits = 1u32;
        while bits < 0x7f80_0000 {
            let x = f32::from_bits(bits);
            let (got, exact) = (sqrt_f32(x).to_bits(), x.sqrt().to_bits());
            assert!(
                got == exact || got + 1 == exact,
                "sqrt({x:e}): {got:#x} vs {exact:#x}"
            );
            bits += 9973;
        }
    }
}
