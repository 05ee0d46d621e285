//! The float32 batch norm backward of a contiguous input in training, as
//! PyTorch's CPU kernel computes it (its AVX2 build, also on AVX-512
//! machines; measured on torch 2.15, 15 shapes bit for bit).
//!
//! Per channel, each batch sample's plane of `image` elements gives two
//! float32 lane sums added into float64 totals: `Σ dy` in `reduce_all`'s
//! 8-lane order ([`lane_sum`]) and `Σ (x − mean)·dy` in
//! `map2_reduce_all`'s, whose whole vectors add rounded products and whose
//! last partial vector is fused (`fma(x − mean, dy, lane)`). Then in
//! float32 `k = dot·invstd·invstd / N` and `grad_mean = sum / N` (the
//! division in float64), and `dx = (fma(−(x − mean), k, dy − grad_mean))
//! · invstd · w`; `grad_weight = dot·invstd` and `grad_bias = sum` rounded
//! from float64.

use super::softmax_grad::lane_sum;

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
    let mut half = LANES / 2;
    while half >= 1 {
        acc = (0..LANES).map(|i| acc[i] + acc[i ^ half]).collect();
        half /= 2;
    }
    acc[0]
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
