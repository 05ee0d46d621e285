//! float16 `convolution` and `convolution_backward` (1-d and 2-d, not
//! transposed) as PyTorch's CPU computes them on a machine without float16
//! oneDNN kernels (x86 without AVX-512-FP16 or AMX-FP16): the backend is
//! `Slow2d`, im2col one batch sample at a time and `cpublas::gemm`'s float32
//! loops, each product rounded to float16 where it is stored.
//!
//! Measured on torch 2.15 (AVX-512 without FP16), every result bit-exact:
//!
//! - forward: each output is the bias (float16, or nothing) plus a float32
//!   dot product over the patch, rounded once. A contiguous operand pair
//!   sums the patch (channel, kh, kw order) with four interleaved sums
//!   ([`interleaved_sum`]); a channels-last input or weight sums it in
//!   (kh, kw, channel) order with the vectorised dot
//!   ([`dot_with_fp32_arith`]).
//! - weight gradient: a float16 accumulator that each batch sample's GEMM
//!   updates and rounds again. `Conv2d(3, 6, 3)` on a `(4, 3, 7, 7)` input:
//!   per-sample rounding matches all 162 weights, one rounding of the float
//!   total misses 56 (70 of 162 at batch 8, 32 at batch 2). Contiguous:
//!   `round(acc + dot)` with the vectorised dot over the output positions;
//!   channels-last: the float copy of the accumulator adds each position's
//!   product in order.
//! - input gradient: per sample, the patch matrix `Wᵀ @ dy` rounded to
//!   float16 (contiguous: a float sum over output channels in order;
//!   channels-last: four interleaved sums), then scattered back into the
//!   float16 input gradient one rounded addition at a time: per channel in
//!   (kh, kw) order when contiguous, per output position with (kh, kw)
//!   inside when channels-last.
//!
//! - bias gradient: one float32 sum per channel over the batch and the
//!   output positions in order (sample-major), rounded once.
//!
//! - a dilated convolution runs `SlowDilated2d`: the same forward, weight
//!   and input gradients (measured over batches 1 to 8), but its bias
//!   gradient adds each sample's rounded float32 sum into a float16
//!   accumulator: on a `(2, 6, 9, 9)` gradient channel 0 comes out
//!   `5.2578` where one float32 sum over the batch rounds to `5.2617`.
//!
//! Groups run one convolution per group on contiguous copies of the input
//! and the group's weight, so a grouped convolution always takes the
//! contiguous loops.

use super::{Geometry, im2col, tap};
use crate::kernels::reduced_gemm::{dot_with_fp32_arith, interleaved_sum};

/// The vector width (floats) of `dot_with_fp32_arith` in PyTorch's build.
const LANES: usize = 8;

/// `v` rounded to float16, as float32.
fn round(v: f32) -> f32 {
    half::f16::from_f32(v).to_f32()
}

/// How PyTorch's loops run one float16 convolution.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// The channels-last loops (an input or weight suggesting channels-last,
    /// one group).
    pub(crate) channels_last: bool,
    /// PyTorch ran vector kernels (tree-folded lanes).
    pub(crate) vectorised: bool,
}

impl Plan {
    /// The plan for `geo` with operands suggesting channels-last or not.
    pub(crate) fn new(geo: &Geometry, channels_last: bool, vectorised: bool) -> Plan {
        Plan {
            channels_last: channels_last && geo.groups == 1,
            vectorised,
        }
    }
}

/// One group's patch matrix in float32: `patch x positions`, rows in
/// (channel, kh, kw) order.
fn patches(x: &[f64], geo: &Geometry, n: usize, g: usize) -> Vec<f32> {
    let mut cols = vec![0.0; geo.patch() * geo.positions()];
    im2col(x, geo, n, g, &mut cols);
    cols.into_iter().map(|v| v as f32).collect()
}

/// The logical patch row (channel, kh, kw order) of the `l`-th row in the
/// channels-last order (kh, kw, channel).
fn logical_row(geo: &Geometry, l: usize) -> usize {
    let cg = geo.c_group().max(1);
    let (tap_index, c) = (l / cg, l % cg);
    c * geo.kh * geo.kw + tap_index
}

/// The float16 forward values (logical NCHW order).
pub(crate) fn forward(
    geo: &Geometry,
    x: &[f64],
    w: &[f64],
    bias: Option<&[f64]>,
    plan: Plan,
) -> Vec<f64> {
    let (og, positions, patch) = (geo.o_group(), geo.positions(), geo.patch());
    let mut out = vec![0.0; geo.batch * geo.c_out * positions];
    for n in 0..geo.batch {
        for g in 0..geo.groups {
            let cols = patches(x, geo, n, g);
            for o in 0..og {
                let oc = g * og + o;
                let wrow = |l: usize| w.get(oc * patch + l).copied().unwrap_or(0.0) as f32;
                let b = bias.and_then(|b| b.get(oc)).map(|&v| v as f32);
                for p in 0..positions {
                    let col = |l: usize| cols.get(l * positions + p).copied().unwrap_or(0.0);
                    let dot = if plan.channels_last {
                        let r = |l: usize| logical_row(geo, l);
                        dot_with_fp32_arith(
                            patch,
                            |l| wrow(r(l)) * col(r(l)),
                            LANES,
                            plan.vectorised,
                        )
                    } else {
                        interleaved_sum(patch, |l| wrow(l) * col(l))
                    };
                    let v = b.map_or(dot, |b| b + dot);
                    out[(n * geo.c_out + oc) * positions + p] = f64::from(round(v));
                }
            }
        }
    }
    out
}

/// The float16 weight gradient: one rounded update per batch sample.
pub(crate) fn weight_grad(geo: &Geometry, dy: &[f64], x: &[f64], plan: Plan) -> Vec<f64> {
    let (og, positions, patch) = (geo.o_group(), geo.positions(), geo.patch());
    let mut dw = vec![0f32; geo.c_out * patch];
    for n in 0..geo.batch {
        for g in 0..geo.groups {
            let cols = patches(x, geo, n, g);
            for o in 0..og {
                let oc = g * og + o;
                let start = (n * geo.c_out + oc) * positions;
                let dyo = |p: usize| dy.get(start + p).copied().unwrap_or(0.0) as f32;
                for l in 0..patch {
                    let col = |p: usize| cols.get(l * positions + p).copied().unwrap_or(0.0);
                    let Some(acc) = dw.get_mut(oc * patch + l) else {
                        continue;
                    };
                    *acc = round(sample_update(*acc, positions, |p| col(p) * dyo(p), plan));
                }
            }
        }
    }
    dw.into_iter().map(f64::from).collect()
}

/// One sample's float update of a weight-gradient accumulator `acc` over
/// `len` products: `acc + dot` (contiguous), or the products added to
/// `acc` in order (channels-last).
fn sample_update(acc: f32, len: usize, p: impl Fn(usize) -> f32, plan: Plan) -> f32 {
    if plan.channels_last {
        (0..len).fold(acc, |s, l| s + p(l))
    } else {
        acc + dot_with_fp32_arith(len, p, LANES, plan.vectorised)
    }
}

/// The float16 input gradient: per sample and group, `Wᵀ @ dy` rounded to
/// float16, then scattered back with one rounding per addition.
pub(crate) fn input_grad(geo: &Geometry, dy: &[f64], w: &[f64], plan: Plan) -> Vec<f64> {
    let (og, positions, patch) = (geo.o_group(), geo.positions(), geo.patch());
    let mut dx = vec![0f32; geo.batch * geo.c_in * geo.h * geo.w];
    let mut cols = vec![0f32; patch * positions];
    for n in 0..geo.batch {
        for g in 0..geo.groups {
            let start = (n * geo.c_out + g * og) * positions;
            let dyo =
                |o: usize, p: usize| dy.get(start + o * positions + p).copied().unwrap_or(0.0);
            let wo = |o: usize, l: usize| w.get((g * og + o) * patch + l).copied().unwrap_or(0.0);
            for l in 0..patch {
                for p in 0..positions {
                    let prod = |o: usize| (wo(o, l) * dyo(o, p)) as f32;
                    let v = if plan.channels_last {
                        interleaved_sum(og, prod)
                    } else {
                        (0..og).fold(0f32, |s, o| s + prod(o))
                    };
                    cols[l * positions + p] = round(v);
                }
            }
            scatter(&cols, geo, (n, g), plan, &mut dx);
        }
    }
    dx.into_iter().map(f64::from).collect()
}

/// Adds each channel's float16 bias to its plane of `positions` values,
/// one float16 addition per value (a transposed convolution's bias).
pub(crate) fn add_bias(out: &mut [f64], bias: &[f64], positions: usize) {
    let channels = bias.len().max(1);
    for (plane, c) in out.chunks_mut(positions.max(1)).zip(0..) {
        let b = bias.get(c % channels).copied().unwrap_or(0.0) as f32;
        plane
            .iter_mut()
            .for_each(|v| *v = f64::from(round(*v as f32 + b)));
    }
}

/// col2im with a float16 rounding after every addition, in the order of
/// the plan's loop.
fn scatter(cols: &[f32], geo: &Geometry, (n, g): (usize, usize), plan: Plan, dx: &mut [f32]) {
    let plane = geo.h * geo.w;
    let base = (n * geo.c_in + g * geo.c_group()) * plane;
    let positions = geo.positions();
    let mut add = |c: usize, i: usize, j: usize, oy: usize, ox: usize| {
        let row = (c * geo.kh + i) * geo.kw + j;
        if let Some(at) = tap(geo, oy, ox, i, j)
            && let Some(d) = dx.get_mut(base + c * plane + at)
            && let Some(&v) = cols.get(row * positions + oy * geo.ow + ox)
        {
            *d = round(*d + v);
        }
    };
    let taps = || (0..geo.kh).flat_map(|i| (0..geo.kw).map(move |j| (i, j)));
    let outputs = || (0..geo.oh).flat_map(|oy| (0..geo.ow).map(move |ox| (oy, ox)));
    if plan.channels_last {
        for (oy, ox) in outputs() {
            for (i, j) in taps() {
                (0..geo.c_group()).for_each(|c| add(c, i, j, oy, ox));
            }
        }
    } else {
        for c in 0..geo.c_group() {
            for (i, j) in taps() {
                outputs().for_each(|(oy, ox)| add(c, i, j, oy, ox));
            }
        }
    }
}

/// The float16 bias gradient of `dy` (logical `(N, channels, positions)`):
/// per channel one float32 sum over samples and positions in order
/// (`Slow2d`), or with a dilation (`SlowDilated2d`) one float32 sum per
/// sample, rounded, and added into a float16 accumulator.
pub(crate) fn bias_grad(geo: &Geometry, dy: &[f64], channels: usize, positions: usize) -> Vec<f64> {
    let per_sample = geo.dilation != [1, 1];
    let mut db = vec![0f32; channels];
    for (chunk, i) in dy.chunks(positions.max(1)).zip(0..) {
        if let Some(d) = db.get_mut(i % channels.max(1)) {
            *d = if per_sample {
                let s = chunk.iter().fold(0f32, |s, &v| s + v as f32);
                round(*d + round(s))
            } else {
                chunk.iter().fold(*d, |s, &v| s + v as f32)
            };
        }
    }
    db.into_iter().map(|v| f64::from(round(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1-d convolution (height 1) of `batch` samples, one group.
    fn conv1d(
        batch: usize,
        (c_in, w): (usize, usize),
        (c_out, k): (usize, usize),
        dilation: usize,
    ) -> Geometry {
        Geometry {
            batch,
            c_in,
            h: 1,
            w,
            c_out,
            kh: 1,
            kw: k,
            oh: 1,
            ow: w - dilation * (k - 1),
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, dilation],
            groups: 1,
            spatial: 1,
            transposed: false,
        }
    }

    const CONTIGUOUS: Plan = Plan {
        channels_last: false,
        vectorised: true,
    };

    #[test]
    fn the_weight_gradient_is_rounded_after_every_sample() {
        // torch 2.15: convolution_backward of a (2, 1, 3) float16 input
        // around 6.5 through a kernel of 2; one rounding of the exact sum
        // would give 7.83203125 for the second tap.
        let geo = conv1d(2, (1, 3), (1, 2), 1);
        let x = [
            7.296875, 7.10546875, 7.453125, 5.54296875, 5.703125, 7.91796875,
        ];
        let dy = [-0.20166015625, 1.0673828125, 0.32470703125, -0.068359375];
        assert_eq!(
            weight_grad(&geo, &dy, &x, CONTIGUOUS),
            vec![7.5234375, 7.8359375]
        );
    }

    #[test]
    fn the_input_gradient_rounds_each_col2im_addition() {
        // torch 2.15: the middle input gets two taps, each rounded to
        // float16 before their sum is; one rounding would give -0.222900390625.
        let geo = conv1d(1, (1, 3), (2, 2), 1);
        let w = [
            1.2158203125,
            -0.8115234375,
            -0.884765625,
            -0.006992340087890625,
        ];
        let dy = [-1.76953125, -1.169921875, -0.25927734375, 0.269287109375];
        assert_eq!(
            input_grad(&geo, &dy, &w, CONTIGUOUS),
            vec![-1.921875, -0.2236328125, 0.94775390625]
        );
    }

    #[test]
    fn a_dilated_bias_gradient_accumulates_samples_in_float16() {
        // torch 2.15 (SlowDilated2d): 8.2890625; one float32 sum over the
        // batch, as an undilated convolution takes it, rounds to 8.296875.
        let dy = [
            4.55078125,
            12.1484375,
            0.57080078125,
            -9.0703125,
            9.6484375,
            -9.5546875,
        ];
        let dilated = conv1d(2, (1, 5), (1, 2), 2);
        assert_eq!(bias_grad(&dilated, &dy, 1, 3), vec![8.2890625]);
        let plain = conv1d(2, (1, 4), (1, 2), 1);
        assert_eq!(bias_grad(&plain, &dy, 1, 3), vec![8.296875]);
    }

    #[test]
    fn the_forward_adds_the_bias_to_the_float_dot_and_rounds_once() {
        // 2048 + 1 + 1 in float16 steps would stay 2048; the float dot
        // holds 2050, a float16 value.
        let geo = conv1d(1, (1, 2), (1, 2), 1);
        let out = forward(&geo, &[1.0, 1.0], &[1.0, 1.0], Some(&[2048.0]), CONTIGUOUS);
        assert_eq!(out, vec![2050.0]);
    }
}
