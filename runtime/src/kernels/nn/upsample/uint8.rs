//! Bilinear and bicubic resampling of `uint8` images (`upsample_bilinear2d`,
//! `upsample_bicubic2d`, `_upsample_bilinear2d_aa`, `_upsample_bicubic2d_aa`
//! on a Byte tensor: what torchvision's `v2.Resize` runs on decoded images),
//! as ATen's CPU kernels compute them in integers.
//!
//! Per axis the filter weights are computed in double, as for a float
//! tensor, then scaled to 16-bit integers: the precision `p` is the largest
//! (below 22) for which `round(2 · max weight · 2^p)` stays below 2^15, and
//! each weight becomes `round(w · 2^p)` (halves away from zero). An output
//! element is `clamp((2^(p−1) + Σ w_j · x_j) >> p, 0, 255)`, exact integer
//! arithmetic, so every order of summation (the AVX2 kernel's for up to four
//! channels, the generic kernel's above) gives the same bytes. Width is
//! resampled first, then height, each pass stored as bytes and skipped when
//! that size is unchanged.
//!
//! With `antialias` the windows are the antialiased ones of
//! `_compute_indices_min_size_weights_aa` (triangle, or Keys' cubic with
//! `A = −½`). Without it each output reads the fixed 2 or 4 taps of the
//! float kernels (`_compute_indices_min_size_weights`): the source index
//! `scale · (i + ½) − ½` (clamped at 0 for linear; `scale · i` with
//! `align_corners`), its floor taken in float (`floorf`), the taps that fall
//! outside the input folded onto the edge tap, and Keys' `A = −¾` for cubic.

use super::aa::Filter;
use crate::error::{Result, RuntimeError};

/// One axis of a uint8 resample: input and output sizes, the caller's
/// scale factor.
#[derive(Clone, Copy, Debug)]
pub(super) struct ByteAxis {
    pub(super) input: usize,
    pub(super) output: usize,
    pub(super) scale: Option<f64>,
}

/// Per output index the first input index and the integer weights, and the
/// weights' precision (fractional bits).
struct IntTaps {
    windows: Vec<(usize, Vec<i64>)>,
    precision: u32,
}

impl ByteAxis {
    /// `area_pixel_compute_scale<double>`.
    fn ratio(&self, align_corners: bool) -> f64 {
        if align_corners {
            if self.output > 1 {
                (self.input as f64 - 1.0) / (self.output as f64 - 1.0)
            } else {
                0.0
            }
        } else {
            match self.scale {
                Some(s) if s > 0.0 => 1.0 / s,
                _ => self.input as f64 / self.output as f64,
            }
        }
    }

    /// The antialiased windows in double, normalised by their sum, and the
    /// largest weight.
    fn antialiased(&self, filter: Filter, align_corners: bool) -> (Vec<(usize, Vec<f64>)>, f64) {
        let scale = self.ratio(align_corners);
        let half = filter.interp_size() * 0.5;
        let support = if scale >= 1.0 { half * scale } else { half };
        let max_size = (support.ceil() as i64) * 2 + 1;
        let invscale = if scale >= 1.0 { 1.0 / scale } else { 1.0 };
        let input = self.input as i64;
        let mut max_weight = 0.0f64;
        let windows = (0..self.output)
            .map(|i| {
                let center = scale * (i as f64 + 0.5);
                let xmin = ((center - support + 0.5) as i64).max(0);
                let xsize =
                    (((center + support + 0.5) as i64).min(input) - xmin).clamp(0, max_size);
                let mut weights: Vec<f64> = (0..xsize)
                    .map(|j| filter.eval(((j + xmin) as f64 - center + 0.5) * invscale, false))
                    .collect();
                let total = weights.iter().fold(0.0, |acc, &w| acc + w);
                if total != 0.0 {
                    for w in &mut weights {
                        *w /= total;
                        max_weight = max_weight.max(*w);
                    }
                }
                (xmin as usize, weights)
            })
            .collect();
        (windows, max_weight)
    }

    /// The fixed-tap windows of the plain (not antialiased) kernels, the
    /// taps outside the input added onto the edge one, and the largest
    /// (partial) weight.
    fn fixed(&self, filter: Filter, align_corners: bool) -> (Vec<(usize, Vec<f64>)>, f64) {
        let scale = self.ratio(align_corners);
        let taps = filter.interp_size() as i64;
        let cubic = taps > 2;
        let input = self.input as i64;
        let support = taps / 2;
        let mut max_weight = 0.0f64;
        let windows = (0..self.output)
            .map(|i| {
                let real = if align_corners {
                    scale * i as f64
                } else {
                    let r = scale * (i as f64 + 0.5) - 0.5;
                    if cubic { r } else { r.max(0.0) }
                };
                // guard_index_and_lambda: floorf, so the floor of the
                // float-rounded source index.
                let index = ((real as f32).floor() as i64).min(input - 1);
                let lambda = (real - index as f64).clamp(0.0, 1.0);
                let lo = index - support + 1;
                let hi = index + support + 1;
                let xmin = lo.max(0);
                let xsize = (hi.min(input) - xmin).clamp(0, taps);
                let mut weights = vec![0.0f64; taps as usize];
                let mut slot: i64 = 0;
                for j in 0..taps {
                    let w = filter.eval((j + 1 - support) as f64 - lambda, false);
                    if lo + j <= 0 {
                        slot = 0;
                    } else if lo + j >= input - 1 {
                        slot = xsize - 1;
                    }
                    if let Some(acc) = usize::try_from(slot).ok().and_then(|s| weights.get_mut(s)) {
                        *acc += w;
                        max_weight = max_weight.max(*acc);
                    }
                    slot += 1;
                }
                weights.truncate(xsize.max(0) as usize);
                (xmin as usize, weights)
            })
            .collect();
        (windows, max_weight)
    }

    /// The integer windows of this axis (`_compute_index_ranges_int16_weights`).
    fn int_taps(&self, filter: Filter, align_corners: bool, antialias: bool) -> IntTaps {
        let (windows, max_weight) = if antialias {
            self.antialiased(filter, align_corners)
        } else {
            self.fixed(filter, align_corners)
        };
        let mut precision = 0u32;
        while precision < 22 {
            let next = (0.5 + max_weight * f64::from(1u32 << (precision + 1))) as i64;
            if next >= 1 << 15 {
                break;
            }
            precision += 1;
        }
        let unit = f64::from(1u32 << precision);
        let windows = windows
            .into_iter()
            .map(|(xmin, ws)| {
                let ints = ws
                    .iter()
                    .map(|&w| {
                        let v = w * unit;
                        if v < 0.0 {
                            (v - 0.5) as i64
                        } else {
                            (v + 0.5) as i64
                        }
                    })
                    .collect();
                (xmin, ints)
            })
            .collect();
        IntTaps { windows, precision }
    }
}

/// A uint8 resample of `planes` planes of `height × width`.
pub(super) struct ByteResample {
    pub(super) planes: usize,
    pub(super) height: ByteAxis,
    pub(super) width: ByteAxis,
    pub(super) filter: Filter,
    pub(super) align_corners: bool,
    pub(super) antialias: bool,
    /// The `resample-u8-truncates` fault: no rounding bias `2^(p−1)`.
    pub(super) truncate: bool,
}

impl ByteResample {
    /// Refuses what PyTorch's generic uint8 kernel (more than four
    /// channels) computes in a way not modelled here: a resample to a width
    /// of one followed by a height pass, which that kernel's iterator
    /// collapses so that the height pass does not read the rows it weighs.
    pub(super) fn check_supported(&self, op: &str, channels: i64) -> Result<()> {
        if channels > 4 && self.width.output == 1 && self.height.input != self.height.output {
            return Err(RuntimeError::Unsupported {
                op: op.to_owned(),
                what: format!(
                    "uint8 resampling of {channels} channels to a width of 1 with a height \
                     pass (PyTorch's generic uint8 kernel collapses that height pass)"
                ),
            });
        }
        Ok(())
    }

    /// One pass over `(outer, axis.input, inner)` data along the middle axis.
    fn pass(&self, x: &[i64], outer: usize, axis: ByteAxis, inner: usize) -> Vec<i64> {
        let taps = axis.int_taps(self.filter, self.align_corners, self.antialias);
        let bias = if self.truncate || taps.precision == 0 {
            0
        } else {
            1i64 << (taps.precision - 1)
        };
        let mut out = Vec::with_capacity(outer * axis.output * inner);
        for o in 0..outer {
            let base = o * axis.input * inner;
            for (xmin, weights) in &taps.windows {
                for k in 0..inner {
                    let acc = weights.iter().enumerate().fold(bias, |acc, (j, &w)| {
                        let v = x.get(base + (xmin + j) * inner + k).copied().unwrap_or(0);
                        acc + w * v
                    });
                    out.push((acc >> taps.precision).clamp(0, 255));
                }
            }
        }
        out
    }

    /// Width first, then height; an unchanged axis is skipped.
    pub(super) fn forward(&self, x: &[f64]) -> Vec<f64> {
        let (h, w) = (self.height, self.width);
        let mut data: Vec<i64> = x.iter().map(|&v| v as i64).collect();
        if w.input != w.output {
            data = self.pass(&data, self.planes * h.input, w, 1);
        }
        if h.input != h.output {
            data = self.pass(&data, self.planes, h, w.output);
        }
        data.into_iter().map(|v| v as f64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(input: usize, output: usize) -> ByteAxis {
        ByteAxis {
            input,
            output,
            scale: None,
        }
    }

    #[test]
    fn antialiased_halving_weights_are_sixteen_bit_and_round() {
        // 4 -> 2 with the triangle: scale 2, support 2; output 0 centres at
        // 1 and reads x = 0, 1, 2 with (x − 1 + ½)/2 → ¾, ¾, ¼ over 1.75:
        // 3/7, 3/7, 1/7. The largest weight 3/7 gives precision 16
        // (round(2 · 3/7 · 2^16) = 28087 < 2^15, at 2^17 it is not), so the
        // integer weights are round(2^16 · 3/7) = 28087 and 9362.
        let t = axis(4, 2).int_taps(Filter::Triangle, false, true);
        assert_eq!(t.precision, 16);
        assert_eq!(t.windows[0], (0, vec![28087, 28087, 9362]));
        assert_eq!(t.windows[1], (1, vec![9362, 28087, 28087]));
    }

    #[test]
    fn a_plain_bilinear_doubling_blends_neighbours_and_rounds_halves_up() {
        // 2 -> 4 without antialias: source indices −¼ → 0 (clamped), ¼, ¾,
        // 1¼; [0, 255] gives 0, round(63.75) = 64, round(191.25) = 191, 255.
        let r = ByteResample {
            planes: 1,
            height: axis(1, 1),
            width: axis(2, 4),
            filter: Filter::Triangle,
            align_corners: false,
            antialias: false,
            truncate: false,
        };
        assert_eq!(r.forward(&[0.0, 255.0]), vec![0.0, 64.0, 191.0, 255.0]);
    }

    #[test]
    fn cubic_overshoot_saturates_to_the_byte_range() {
        // A step 0, 0, 255, 255 doubled with Keys' A = −¾ overshoots below 0
        // and above 255; the bytes clamp.
        let r = ByteResample {
            planes: 1,
            height: axis(1, 1),
            width: axis(4, 8),
            filter: Filter::Cubic { a: -0.75 },
            align_corners: false,
            antialias: false,
            truncate: false,
        };
        // PyTorch: 0, 0, 0, 58, 197, 255, 255, 255.
        let y = r.forward(&[0.0, 0.0, 255.0, 255.0]);
        assert_eq!(y, vec![0.0, 0.0, 0.0, 58.0, 197.0, 255.0, 255.0, 255.0]);
    }
}
