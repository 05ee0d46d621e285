//! Linear interpolation (`upsample_linear1d`, `upsample_bilinear2d`,
//! `upsample_trilinear3d` and their backward kernels) of bfloat16 and
//! float16 tensors, rounded as PyTorch's CPU kernels round it.
//!
//! Per axis, the source position is `scale · (dst + ½) − ½` taken in
//! double and rounded once to float (clamped at zero), or `scale · dst` in
//! float with `align_corners`; equal sizes copy (weights 1 and 0). The
//! fraction `λ₁ = clamp(real − floor, 0, 1)` and `λ₀ = 1 − λ₁` are float.
//!
//! The forward runs one of two kernels, as PyTorch chooses them:
//!
//! * the generic kernel (1-d always; 2-d and 3-d otherwise) stores both
//!   weights of an axis in the tensor's dtype (`λ₁` rounded, then
//!   `λ₀ = 1 − λ₁` rounded) and evaluates the axes outermost first, each
//!   as `fma(t₀, w₀, t₁ · w₁)` in float;
//! * the channels-last kernel (2-d when the input is channels-last
//!   contiguous with more than 3 channels or the output's height plus
//!   width is at most 128; 3-d when the input is channels-last contiguous
//!   with more than 3 channels) keeps the float weights, multiplies them
//!   per corner (outermost axis first) and sums the 2^k corner terms of
//!   each channel with fused multiply-adds: channels in whole vectors of
//!   32 and then one of 16 are summed from the last corner to the first;
//!   the remaining (fewer than 16) channels from the first corner on
//!   (bfloat16 fuses the first corner onto the second's product, float16
//!   starts from the first corner's product).
//!
//! The backward accumulates `fma(w, g, acc)` into a float buffer per
//! plane, output elements in row-major order and corners in order, with
//! the float weights' product `w`, and rounds each element once.

use crate::tensor::dtype::DType;

/// One output index of an axis: the two input indices it reads and their
/// float weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Tap {
    pub i0: usize,
    pub i1: usize,
    pub l0: f32,
    pub l1: f32,
}

/// The taps of every output index of an axis of `input` elements resized
/// to `output` (`scale` is the caller's scale factor, if any).
pub(super) fn axis_taps(
    input: usize,
    output: usize,
    scale: Option<f64>,
    align_corners: bool,
) -> Vec<Tap> {
    let ratio: f32 = if align_corners {
        if output > 1 {
            input.saturating_sub(1) as f32 / (output - 1) as f32
        } else {
            0.0
        }
    } else {
        match scale {
            Some(s) if s > 0.0 => (1.0 / s) as f32,
            _ => input as f32 / output.max(1) as f32,
        }
    };
    let last = input.saturating_sub(1);
    (0..output)
        .map(|dst| {
            if input == output {
                return Tap {
                    i0: dst,
                    i1: dst,
                    l0: 1.0,
                    l1: 0.0,
                };
            }
            let real = if align_corners {
                ratio * dst as f32
            } else {
                let r = (f64::from(ratio) * (dst as f64 + 0.5) - 0.5) as f32;
                if r < 0.0 { 0.0 } else { r }
            };
            let i0 = (real.floor().max(0.0) as usize).min(last);
            let l1 = (real - i0 as f32).clamp(0.0, 1.0);
            Tap {
                i0,
                i1: if i0 < last { i0 + 1 } else { i0 },
                l0: 1.0 - l1,
                l1,
            }
        })
        .collect()
}

/// Rounds `x` to `dtype` (bfloat16 or float16) and back to float.
fn round_to(dtype: DType, x: f32) -> f32 {
    match dtype {
        DType::BFloat16 => half::bf16::from_f32(x).to_f32(),
        DType::Float16 => half::f16::from_f32(x).to_f32(),
        _ => x,
    }
}

/// Which forward kernel PyTorch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    Generic,
    ChannelsLast,
}

/// PyTorch's choice of kernel for an input of `shape`/`strides` resized to
/// `out` (spatial sizes).
pub(super) fn choose(shape: &[i64], strides: &[i64], out: &[usize]) -> Kernel {
    let channels_last = channels_last_contiguous(shape, strides) && shape[1] > 3;
    let small = out.len() == 2 && out.iter().sum::<usize>() <= 128;
    if out.len() >= 2 && (channels_last || small) {
        Kernel::ChannelsLast
    } else {
        Kernel::Generic
    }
}

/// `is_contiguous(ChannelsLast)` / `is_contiguous(ChannelsLast3d)`: the
/// channels innermost, then the spatial axes last to first, then the
/// batch, size-1 axes ignored.
fn channels_last_contiguous(shape: &[i64], strides: &[i64]) -> bool {
    let order: &[usize] = match shape.len() {
        4 => &[1, 3, 2, 0],
        5 => &[1, 4, 3, 2, 0],
        _ => return false,
    };
    let mut expected = 1i64;
    for &d in order {
        if shape[d] != 1 {
            if strides[d] != expected {
                return false;
            }
            expected = expected.saturating_mul(shape[d]);
        }
    }
    true
}

/// A resize: planes (batch · channels), channels, input and output
/// spatial sizes, and each axis's taps.
pub(super) struct Resize<'a> {
    pub planes: usize,
    pub channels: usize,
    pub input: &'a [usize],
    pub output: &'a [usize],
    pub taps: &'a [Vec<Tap>],
}

impl Resize<'_> {
    fn in_plane(&self) -> usize {
        self.input.iter().product()
    }

    fn out_plane(&self) -> usize {
        self.output.iter().product()
    }

    /// The row-major multi-indices of an output plane.
    fn out_indices(&self) -> Vec<Vec<usize>> {
        let mut all = vec![vec![]];
        for &n in self.output {
            all = all
                .into_iter()
                .flat_map(|p| {
                    (0..n).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        all
    }

    /// The corners of output index `idx`: input offset within the plane
    /// and the float product of the axes' weights (outermost first),
    /// corners ordered with the outermost axis most significant.
    fn corners(&self, idx: &[usize]) -> Vec<(usize, f32)> {
        let mut out = vec![(0usize, None::<f32>)];
        for (k, &o) in idx.iter().enumerate() {
            let tap = self.taps[k][o];
            let n = self.input[k];
            out = out
                .into_iter()
                .flat_map(|(off, w)| {
                    [(tap.i0, tap.l0), (tap.i1, tap.l1)]
                        .map(|(i, l)| (off * n + i, Some(w.map_or(l, |w| w * l))))
                })
                .collect();
        }
        out.into_iter()
            .map(|(o, w)| (o, w.unwrap_or(1.0)))
            .collect()
    }

    /// The forward of values `x` (planes of `in_plane` elements, row-major)
    /// of `dtype` on `kernel`, as float.
    pub fn forward(&self, x: &[f64], dtype: DType, kernel: Kernel) -> Vec<f64> {
        let (inp, outp) = (self.in_plane(), self.out_plane());
        let indices = self.out_indices();
        let mut out = vec![0.0; self.planes * outp];
        match kernel {
            Kernel::Generic => {
                let stored: Vec<Vec<(f32, f32)>> = self
                    .taps
                    .iter()
                    .map(|axis| {
                        axis.iter()
                            .map(|t| {
                                let l1 = round_to(dtype, t.l1);
                                (round_to(dtype, 1.0 - l1), l1)
                            })
                            .collect()
                    })
                    .collect();
                for p in 0..self.planes {
                    let plane = &x[p * inp..(p + 1) * inp];
                    for (o, idx) in indices.iter().enumerate() {
                        out[p * outp + o] = f64::from(self.generic_eval(plane, &stored, idx, 0, 0));
                    }
                }
            }
            Kernel::ChannelsLast => {
                let c = self.channels.max(1);
                let mut vector_end = c - c % 32;
                if c - vector_end >= 16 {
                    vector_end += 16;
                }
                for (o, idx) in indices.iter().enumerate() {
                    let corners = self.corners(idx);
                    for p in 0..self.planes {
                        let plane = &x[p * inp..(p + 1) * inp];
                        let terms: Vec<(f32, f32)> =
                            corners.iter().map(|&(i, w)| (plane[i] as f32, w)).collect();
                        let v = if p % c < vector_end {
                            sum_last_first(&terms)
                        } else if dtype == DType::BFloat16 {
                            sum_first_fused(&terms)
                        } else {
                            sum_first(&terms)
                        };
                        out[p * outp + o] = f64::from(v);
                    }
                }
            }
        }
        out
    }

    /// The generic kernel's value along axis `k` at `offset` (the plane
    /// offset of the outer axes' chosen indices).
    fn generic_eval(
        &self,
        plane: &[f64],
        stored: &[Vec<(f32, f32)>],
        idx: &[usize],
        k: usize,
        offset: usize,
    ) -> f32 {
        let tap = self.taps[k][idx[k]];
        let (w0, w1) = stored[k][idx[k]];
        let n = self.input[k];
        let (t0, t1) = if k + 1 == self.input.len() {
            (
                plane[offset * n + tap.i0] as f32,
                plane[offset * n + tap.i1] as f32,
            )
        } else {
            (
                self.generic_eval(plane, stored, idx, k + 1, offset * n + tap.i0),
                self.generic_eval(plane, stored, idx, k + 1, offset * n + tap.i1),
            )
        };
        t0.mul_add(w0, t1 * w1)
    }

    /// The backward of output gradients `g` (planes of `out_plane`
    /// elements): float accumulation per plane, rounded once by the caller.
    pub fn backward(&self, g: &[f64]) -> Vec<f64> {
        let (inp, outp) = (self.in_plane(), self.out_plane());
        let corners: Vec<Vec<(usize, f32)>> = self
            .out_indices()
            .iter()
            .map(|idx| self.corners(idx))
            .collect();
        let mut dx = vec![0.0; self.planes * inp];
        for p in 0..self.planes {
            let mut acc = vec![0f32; inp];
            for (o, cs) in corners.iter().enumerate() {
                let gv = g.get(p * outp + o).copied().unwrap_or(0.0) as f32;
                for &(i, w) in cs {
                    acc[i] = w.mul_add(gv, acc[i]);
                }
            }
            for (slot, a) in dx[p * inp..(p + 1) * inp].iter_mut().zip(acc) {
                *slot = f64::from(a);
            }
        }
        dx
    }
}

/// `t₀w₀ + (t₁w₁ + (… + tₙwₙ))` with fused multiply-adds (a vector lane).
fn sum_last_first(terms: &[(f32, f32)]) -> f32 {
    let mut iter = terms.iter().rev();
    let Some(&(t, w)) = iter.next() else {
        return 0.0;
    };
    iter.fold(t * w, |acc, &(t, w)| t.mul_add(w, acc))
}

/// `((t₀w₀ + t₁w₁) + …) + tₙwₙ`, each later term fused onto the sum.
fn sum_first(terms: &[(f32, f32)]) -> f32 {
    let Some((&(t, w), rest)) = terms.split_first() else {
        return 0.0;
    };
    rest.iter().fold(t * w, |acc, &(t, w)| t.mul_add(w, acc))
}

/// As [`sum_first`], the first term fused onto the second's product.
fn sum_first_fused(terms: &[(f32, f32)]) -> f32 {
    match terms {
        [(t0, w0), (t1, w1), rest @ ..] => rest
            .iter()
            .fold(t0.mul_add(*w0, t1 * w1), |acc, &(t, w)| t.mul_add(w, acc)),
        _ => sum_first(terms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_positions_round_once_from_double() {
        // 3 -> 10: scale 0.3f; dst 7 reads 0.3f * 7.5 - 0.5 = 1.75000009
        // in double, which rounds to the float just above 1.75.
        let taps = axis_taps(3, 10, None, false);
        assert_eq!(taps[7].i0, 1);
        assert!(taps[7].l1 > 0.75);
        assert_eq!(axis_taps(4, 4, None, false)[2].l1, 0.0);
    }

    #[test]
    fn kernels_follow_channels_and_output_size() {
        let contiguous = [2 * 8 * 8, 8 * 8, 8, 1];
        assert_eq!(
            choose(&[1, 2, 8, 8], &contiguous, &[16, 16]),
            Kernel::ChannelsLast
        );
        assert_eq!(
            choose(&[1, 2, 8, 8], &contiguous, &[100, 100]),
            Kernel::Generic
        );
        let nhwc = [4 * 8 * 8, 1, 8 * 4, 4];
        assert_eq!(
            choose(&[1, 4, 8, 8], &nhwc, &[100, 100]),
            Kernel::ChannelsLast
        );
        assert_eq!(choose(&[1, 4, 8], &[32, 8, 1], &[16]), Kernel::Generic);
    }

    #[test]
    fn corner_sums_differ_only_in_association() {
        let terms = [(1.0f32, 0.25f32), (2.0, 0.25), (3.0, 0.25), (4.0, 0.25)];
        assert_eq!(sum_first(&terms), 2.5);
        assert_eq!(sum_first_fused(&terms), 2.5);
        assert_eq!(sum_last_first(&terms), 2.5);
    }
}
