//! The fast vectorised exponential PyTorch's CPU attention kernel uses for
//! bfloat16 and float16 (ATen's `fexp_u20`, AVX-512 build).
//!
//! `exp(x) = 2^(x·log2 e)`: with `t = x·log2 e` and `f = t − ⌊t⌋`, a cubic
//! in `f` (Horner, fused multiply-adds) corrects `t`, and `2²³·t + 127·2²³`
//! truncated to an integer is read back as the bits of an `f32`. Inputs
//! below `ln(f32::MIN_POSITIVE)` give 0, above `ln(f32::MAX)` infinity. Its
//! relative error reaches about 1e-4 (`fast_exp(0) = 0.99994659`), which is
//! visible in a float32 logsumexp, so the runtime reproduces it bit for bit
//! where the kernel applies it: the full 16-lane vectors of each row of a
//! key block; the remainder of the row takes the ordinary `exp`.

/// Lanes of an AVX-512 `float` vector: elements of a row past the last full
/// vector take the scalar path.
pub(crate) const VECTOR_LANES: usize = 16;

const LOG2_E: f32 = f32::from_bits(0x3fb8_aa3b);
const LN_FLT_MIN: f32 = f32::from_bits(0xc2ae_ac50);
const LN_FLT_MAX: f32 = f32::from_bits(0x42b1_7218);
const C0: f32 = 0.000_107_034_35;
const C1: f32 = 0.303_542_6;
// Given as double literals in ATen and narrowed to float there.
const C2: f32 = -0.224_338_364_786_723_56_f64 as f32;
const C3: f32 = -0.079_204_240_219_773_24_f64 as f32;
const MANTISSA_SCALE: f32 = 8_388_608.0; // 2^23
const EXPONENT_BIAS: f32 = 8_388_608.0 * 127.0;

/// `fexp_u20(x)` of one lane.
pub(crate) fn fast_exp(x: f32) -> f32 {
    if x < LN_FLT_MIN {
        return 0.0;
    }
    if x > LN_FLT_MAX {
        return f32::INFINITY;
    }
    let t = x * LOG2_E;
    let f = t - t.floor();
    let correction = f.mul_add(f.mul_add(f.mul_add(C3, C2), C1), C0);
    let bits = MANTISSA_SCALE.mul_add(t - correction, EXPONENT_BIAS);
    // Truncation toward zero, as the vector conversion does; in range for
    // every input between the two bounds.
    f32::from_bits(bits as i32 as u32)
}

/// `exp(x)` of the element at `index` of a row of `len` elements processed
/// as the kernel does: [`fast_exp`] on full vectors, `exp` on the rest.
pub(crate) fn row_exp(x: f32, index: usize, len: usize) -> f32 {
    if index < len - len % VECTOR_LANES {
        fast_exp(x)
    } else {
        (f64::from(x)).exp() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values read back from torch 2.15 on AVX-512 (an attention row of 16
    /// keys: the logsumexp of one visible key at 0 is `ln(fexp_u20(0))`),
    /// and the emulation they agree with.
    #[test]
    fn matches_aten_bit_for_bit() {
        for (x, bits) in [
            (0.0, 0x3f7f_fc80),
            (-0.25, 0x3f47_5dc0),
            (-0.5, 0x3f1b_46c0),
            (-1.0, 0x3ebc_5780),
            (-2.0, 0x3e0a_9880),
            (-4.0, 0x3c96_0d40),
            (-10.5, 0x37e7_0180),
            (-87.0, 0x00b3_3340),
            (-88.0, 0),
            (f32::NEG_INFINITY, 0),
        ] {
            assert_eq!(fast_exp(x).to_bits(), bits, "fast_exp({x})");
        }
        assert_eq!(fast_exp(89.0), f32::INFINITY);
    }

    #[test]
    fn only_full_vectors_take_the_fast_path() {
        assert_eq!(row_exp(0.0, 15, 17), fast_exp(0.0));
        assert_eq!(row_exp(0.0, 16, 17), 1.0);
        assert_eq!(row_exp(0.0, 3, 8), 1.0);
    }
}
