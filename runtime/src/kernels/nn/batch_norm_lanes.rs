//! The float32 batch norm backward in training, as PyTorch's CPU kernels
//! compute it (their AVX2 build, also on AVX-512 machines; measured on
//! torch 2.15 bit for bit: 15 contiguous shapes, 7 of channels innermost).
//!
//! A contiguous input with planes of more than one element ([`backward`]):
//! per channel, each batch sample's plane of `image` elements gives two
//! float32 lane sums added into float64 totals: `Σ dy` in `reduce_all`'s
//! 8-lane order ([`lane_sum`]) and `Σ (x − mean)·dy` in
//! `map2_reduce_all`'s, whose whole vectors add rounded products and whose
//! last partial vector is fused (`fma(x − mean, dy, lane)`). Then in
//! float32 `k = dot·invstd·invstd / N` and `grad_mean = sum / N` (the
//! division in float64), and `dx = (fma(−(x − mean), k, dy − grad_mean))
//! · invstd · w`; `grad_weight = dot·invstd` and `grad_bias = sum` rounded
//! from float64.

use super::softmax_grad::{fold_by_halves, lane_sum};
use crate::tensor::Tensor;
use crate::tensor::strides::channels_last_strides;

/// The kernel's float32 lanes.
const LANES: usize = 8;

/// `Σ (x_i − mean)·dy_i` of one plane in `map2_reduce_all`'s order: the
/// first vector's rounded products, each later whole vector added with
/// rounded products, the last partial vector fused, then the lanes added
/// pairwise by halves; fewer than 8 elements left to right.
fn centred_dot(x: &[f32], dy: &[f32], mean: f32) -> f32 {
    let n = x.len().min(dy.len());
    let term = |i: usize| (x[i] - mean, dy[i]);
    if n < LANES {
        return lane_sum(n, LANES, |i| {
            let (a, b) = term(i);
            a * b
        });
    }
    let mut acc: Vec<f32> = (0..LANES)
        .map(|i| {
            let (a, b) = term(i);
            a * b
        })
        .collect();
    let mut d = LANES;
    while d + LANES <= n {
        for (l, lane) in acc.iter_mut().enumerate() {
            let (a, b) = term(d + l);
            *lane += a * b;
        }
        d += LANES;
    }
    for (l, lane) in acc.iter_mut().enumerate().take(n - d) {
        let (a, b) = term(d + l);
        *lane = a.mul_add(b, *lane);
    }
    fold_by_halves(acc)
}

/// Per-channel statistics and gradients of a contiguous `[batch, channels,
/// image]` float32 input.
pub(super) struct Backward {
    pub(super) grad_input: Vec<f64>,
    pub(super) grad_weight: Vec<f64>,
    pub(super) grad_bias: Vec<f64>,
}

/// The training backward of a contiguous float32 batch norm: `xs`, `dys`
/// in memory order, `mean`/`invstd` the saved statistics, `weight` per
/// channel (1 when absent).
pub(super) fn backward(
    xs: &[f64],
    dys: &[f64],
    (channels, image): (usize, usize),
    mean: &[f64],
    invstd: &[f64],
    weight: &[f64],
) -> Backward {
    let x: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
    let dy: Vec<f32> = dys.iter().map(|&v| v as f32).collect();
    let batch = x.len().checked_div(channels * image).unwrap_or(0);
    let count = batch * image;
    let mut grad_input = vec![0.0; x.len()];
    let mut grad_weight = Vec::with_capacity(channels);
    let mut grad_bias = Vec::with_capacity(channels);
    for c in 0..channels {
        let at = |v: &[f64]| v.get(c).map_or(0.0, |&s| s as f32);
        let (m, inv, w) = (
            at(mean),
            at(invstd),
            weight.get(c).map_or(1.0, |&s| s as f32),
        );
        let plane = |n: usize| (n * channels + c) * image..(n * channels + c + 1) * image;
        let (mut sum, mut dot) = (0f64, 0f64);
        for n in 0..batch {
            let p = plane(n);
            let dyp = &dy[p.clone()];
            sum += f64::from(lane_sum(image, LANES, |i| dyp[i]));
            dot += f64::from(centred_dot(&x[p], dyp, m));
        }
        let k = (dot as f32) * inv * inv / count as f32;
        let grad_mean = (sum / count as f64) as f32;
        for n in 0..batch {
            for i in plane(n) {
                let centred = x[i] - m;
                let dx = (-centred).mul_add(k, dy[i] - grad_mean) * inv * w;
                grad_input[i] = f64::from(dx);
            }
        }
        grad_weight.push(f64::from((dot * f64::from(inv)) as f32));
        grad_bias.push(f64::from(sum as f32));
    }
    Backward {
        grad_input,
        grad_weight,
        grad_bias,
    }
}

/// The training backward of a float32 batch norm whose channels are
/// innermost in memory (`(N, C)` and `(N, C, 1, 1)` inputs, channels-last
/// images): `xs`, `dys` as `rows` rows of `channels` in memory order.
///
/// PyTorch's kernel splits the rows into `min(threads, rows)` parts of
/// `ceil(rows / parts)`; each part adds `dy` into a float32 sum per
/// channel and `(x − mean)·dy` into a float32 dot (fused); the parts' sums
/// are added in float64 (from zero, in thread order) and rounded back to
/// float32. Then per element, in float32, `k = dot·invstd·invstd / N`,
/// `grad_mean = sum / N` and `dx = (dy − grad_mean − (x − mean)·k)·invstd·w`,
/// — the product fused into the subtraction in the whole vectors of 8
/// channels, rounded first in the channels after them.
pub(super) fn channels_last_backward(
    xs: &[f64],
    dys: &[f64],
    (rows, channels): (usize, usize),
    stats: (&[f64], &[f64]),
    weight: &[f64],
    threads: usize,
) -> Backward {
    let f = |v: &[f64], i: usize| v.get(i).map_or(0.0, |&s| s as f32);
    let (mean, invstd) = stats;
    let parts = threads.clamp(1, rows.max(1));
    let chunk = rows.div_ceil(parts).max(1);
    let mut sum = vec![0f64; channels];
    let mut dot = vec![0f64; channels];
    for part in 0..parts {
        let mut part_sum = vec![0f32; channels];
        let mut part_dot = vec![0f32; channels];
        for r in part * chunk..((part + 1) * chunk).min(rows) {
            for c in 0..channels {
                let (x, dy) = (f(xs, r * channels + c), f(dys, r * channels + c));
                part_sum[c] += dy;
                part_dot[c] = (x - f(mean, c)).mul_add(dy, part_dot[c]);
            }
        }
        for c in 0..channels {
            sum[c] += f64::from(part_sum[c]);
            dot[c] += f64::from(part_dot[c]);
        }
    }
    let sum: Vec<f32> = sum.iter().map(|&s| s as f32).collect();
    let dot: Vec<f32> = dot.iter().map(|&s| s as f32).collect();
    let n = rows as f32;
    let vectorised = channels - channels % LANES;
    let mut grad_input = vec![0.0; rows * channels];
    for r in 0..rows {
        for c in 0..channels {
            let i = r * channels + c;
            let (inv, w) = (f(invstd, c), weight.get(c).map_or(1.0, |&s| s as f32));
            let k = dot[c] * inv * inv / n;
            let grad_mean = sum[c] / n;
            let centred = f(xs, i) - f(mean, c);
            let step = f(dys, i) - grad_mean;
            let dx = if c < vectorised {
                (-centred).mul_add(k, step)
            } else {
                step - centred * k
            };
            grad_input[i] = f64::from(dx * inv * w);
        }
    }
    Backward {
        grad_input,
        grad_weight: (0..channels)
            .map(|c| f64::from(dot[c] * f(invstd, c)))
            .collect(),
        grad_bias: sum.iter().map(|&s| f64::from(s)).collect(),
    }
}

/// Which of PyTorch's float32 backward kernels a batch norm input takes.
#[derive(Clone, Copy)]
pub(super) enum Layout {
    /// Contiguous with planes of `image` > 1 elements: [`backward`].
    Planes { image: usize },
    /// Channels innermost: contiguous with planes of one element, or a
    /// 4-d channels-last image ([`channels_last_backward`]).
    Rows { channels_last: bool },
}

/// The kernel layout of `x` (and its gradient `g`, laid out alike), or
/// None where PyTorch takes another path.
pub(super) fn layout(x: &Tensor, g: &Tensor) -> Option<Layout> {
    let shape = x.shape();
    let (batch, channels) = (*shape.first()?, *shape.get(1)?);
    let plane = usize::try_from(batch.checked_mul(channels)?).ok()?;
    let image = x.numel().checked_div(plane)?;
    if x.is_contiguous() && g.is_contiguous() {
        return Some(if image == 1 {
            Layout::Rows {
                channels_last: false,
            }
        } else {
            Layout::Planes { image }
        });
    }
    let nhwc = channels_last_strides(shape)?;
    let dense = |t: &Tensor| {
        shape.len() == 4
            && t.shape() == shape
            && shape
                .iter()
                .zip(t.stride())
                .zip(&nhwc)
                .all(|((&size, &s), &e)| size == 1 || s == e)
    };
    (dense(x) && dense(g)).then_some(Layout::Rows {
        channels_last: true,
    })
}

/// The logical index of each memory position of a channels-last `shape`.
fn channels_last_order(shape: &[i64]) -> Vec<usize> {
    let d = |i: usize| usize::try_from(shape[i]).unwrap_or(0);
    let (n, c, h, w) = (d(0), d(1), d(2), d(3));
    let mut order = Vec::with_capacity(n * c * h * w);
    for b in 0..n {
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    order.push(((b * c + ch) * h + y) * w + x);
                }
            }
        }
    }
    order
}

/// The values of a logical-order buffer at the memory positions `order`.
fn gather(order: &[usize], v: &[f64]) -> Vec<f64> {
    order
        .iter()
        .map(|&i| v.get(i).copied().unwrap_or(0.0))
        .collect()
}

/// The values of `xs` (logical order) in memory order, as rows of
/// channels, for an input of the channels-innermost `layout`; None for
/// contiguous planes.
pub(super) fn memory_rows(layout: Layout, xs: &[f64], shape: &[i64]) -> Option<Vec<f64>> {
    match layout {
        Layout::Planes { .. } => None,
        Layout::Rows {
            channels_last: false,
        } => Some(xs.to_vec()),
        Layout::Rows {
            channels_last: true,
        } => Some(gather(&channels_last_order(shape), xs)),
    }
}

/// The backward of a float32 batch norm in `layout`, from the values of
/// `x` and `dy` in logical order; the input gradient in logical order.
pub(super) fn run(
    layout: Layout,
    (xs, dys): (&[f64], &[f64]),
    shape: &[i64],
    stats: (&[f64], &[f64]),
    weight: &[f64],
    threads: usize,
) -> Backward {
    let channels = shape
        .get(1)
        .and_then(|&c| usize::try_from(c).ok())
        .unwrap_or(0);
    match layout {
        Layout::Planes { image } => backward(xs, dys, (channels, image), stats.0, stats.1, weight),
        Layout::Rows {
            channels_last: false,
        } => {
            let rows = xs.len().checked_div(channels).unwrap_or(0);
            channels_last_backward(xs, dys, (rows, channels), stats, weight, threads)
        }
        Layout::Rows {
            channels_last: true,
        } => {
            let order = channels_last_order(shape);
            let rows = order.len().checked_div(channels).unwrap_or(0);
            let mut out = channels_last_backward(
                &gather(&order, xs),
                &gather(&order, dys),
                (rows, channels),
                stats,
                weight,
                threads,
            );
            let mut logical = vec![0.0; out.grad_input.len()];
            for (&i, &v) in order.iter().zip(&out.grad_input) {
                if let Some(slot) = logical.get_mut(i) {
                    *slot = v;
                }
            }
            out.grad_input = logical;
            out
        }
    }
}
