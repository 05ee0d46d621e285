//! A training batch norm's per-channel statistics and the update of its
//! running statistics, in the arithmetic PyTorch's CPU kernel uses for each
//! element and parameter type.
//!
//! Observed in torch 2.15 (contiguous and channels-last inputs, bitwise
//! over 512 channels and momenta 0.01, 0.1, 0.3):
//!
//! - float64: everything in double.
//! - float32: the mean from a double sum, rounded to float; the variance's
//!   sum of squares about that float mean, summed in double and rounded to
//!   float. With the channels innermost in memory the sums are float32 per
//!   thread and channel, added in double ([`float_row_statistics`]).
//! - bfloat16 with bfloat16 parameters: sums in float32, the mean and the
//!   sum of squares rounded to bfloat16 (see [`reduced_statistics`]).
//! - float16 with float16 parameters, and either reduced type with float32
//!   parameters: statistics in float32; float16 parameters then receive the
//!   float32 results rounded once.
//!
//! The running update is `running = m·batch + (1 − m)·running` evaluated in
//! the statistics' own type (C++ arithmetic on `c10::BFloat16` rounds after
//! every operation), with `m` the momentum converted to that type. The
//! running variance takes `var_sum / (n − 1)` in that type (a reduced float
//! divided by an integer rounds the integer first), widened to the input's
//! accumulation type (double for float32, float32 for reduced inputs)
//! before it is scaled and added.

use super::common::round_to;
use crate::tensor::dtype::DType;

/// A batch's statistics per channel, in the type they are computed in.
pub(super) struct BatchStatistics {
    pub(super) mean: Vec<f64>,
    pub(super) invstd: Vec<f64>,
    /// `Σ (x − mean)²`, as the kernel stores it.
    pub(super) var_sum: Vec<f64>,
    /// The arithmetic of the running statistics' update.
    pub(super) blend: RunningBlend,
}

/// Channel index of each element of a logical-order `(N, C, *)` buffer.
pub(super) fn channel_of(shape: &[i64], channels: usize) -> impl Fn(usize) -> usize {
    let inner: usize = shape.iter().skip(2).map(|&d| d.max(0) as usize).product();
    move |i| (i / inner.max(1)) % channels.max(1)
}

/// Per-channel mean of a logical-order buffer (summed in double).
pub(super) fn channel_means(xs: &[f64], shape: &[i64], channels: usize, count: usize) -> Vec<f64> {
    let ch = channel_of(shape, channels);
    let mut mean = vec![0f64; channels];
    for (i, v) in xs.iter().enumerate() {
        mean[ch(i)] += v;
    }
    mean.iter_mut().for_each(|m| *m /= count as f64);
    mean
}

/// Per channel, the double sum of `square(x, mean)` over its elements.
fn squared_deviations(
    xs: &[f64],
    shape: &[i64],
    mean: &[f64],
    square: impl Fn(f64, f64) -> f64,
) -> Vec<f64> {
    let ch = channel_of(shape, mean.len());
    let mut sums = vec![0f64; mean.len()];
    for (i, &x) in xs.iter().enumerate() {
        sums[ch(i)] += square(x, mean[ch(i)]);
    }
    sums
}

/// A float64 batch: mean, sum of squares and `1 / √(var + eps)` in double.
pub(super) fn double_statistics(
    xs: &[f64],
    shape: &[i64],
    channels: usize,
    eps: f64,
) -> BatchStatistics {
    let count = xs.len() / channels.max(1);
    let mean = channel_means(xs, shape, channels, count);
    let var_sum = squared_deviations(xs, shape, &mean, |x, m| (x - m) * (x - m));
    let invstd = var_sum
        .iter()
        .map(|q| 1.0 / (q / count as f64 + eps).sqrt())
        .collect();
    BatchStatistics {
        mean,
        invstd,
        var_sum,
        blend: RunningBlend::new(DType::Float64, DType::Float64),
    }
}

/// A float32 batch: the mean from a double sum, rounded to float; the
/// variance from float squares of `x − mean` (with the float mean) summed in
/// double, rounded to float and divided by the count in float;
/// `1 / √(var + eps)` in double, rounded to float.
pub(super) fn float_statistics(
    xs: &[f64],
    shape: &[i64],
    channels: usize,
    eps: f64,
) -> BatchStatistics {
    let count = xs.len() / channels.max(1);
    let mean: Vec<f64> = channel_means(xs, shape, channels, count)
        .into_iter()
        .map(|m| f64::from(m as f32))
        .collect();
    let squares = squared_deviations(xs, shape, &mean, |x, m| {
        let d = x as f32 - m as f32;
        f64::from(d * d)
    });
    float_finish(mean, &squares, count, eps)
}

/// A float32 batch whose channels are innermost in memory (`(N, C)` and
/// `(N, C, 1, 1)` inputs, channels-last images), `rows` of `channels`
/// values in memory order, as PyTorch's kernel for that layout takes it:
/// the rows split into `min(threads, rows)` parts of `ceil(rows / parts)`;
/// each part adds its rows into a float32 sum per channel, the parts are
/// added in float64 (from zero, in thread order) and divided by the count
/// in float64, then rounded to the float mean; the sum of squares again
/// per part in float32, `fma(x − mean, x − mean, sum)`, the parts added in
/// float64. The variance and `1 / √(var + eps)` as for planes.
pub(super) fn float_row_statistics(
    rows_x: &[f64],
    channels: usize,
    eps: f64,
    threads: usize,
) -> BatchStatistics {
    let rows = rows_x.len().checked_div(channels).unwrap_or(0);
    let parts = threads.clamp(1, rows.max(1));
    let chunk = rows.div_ceil(parts).max(1);
    let by_parts = |term: &dyn Fn(usize, usize, f32) -> f32| -> Vec<f64> {
        let mut total = vec![0f64; channels];
        for part in 0..parts {
            let mut sum = vec![0f32; channels];
            for r in part * chunk..((part + 1) * chunk).min(rows) {
                for (c, s) in sum.iter_mut().enumerate() {
                    *s = term(r, c, *s);
                }
            }
            for (t, s) in total.iter_mut().zip(sum) {
                *t += f64::from(s);
            }
        }
        total
    };
    let x = |r: usize, c: usize| rows_x[r * channels + c] as f32;
    let mean: Vec<f64> = by_parts(&|r, c, s| s + x(r, c))
        .iter()
        .map(|&s| f64::from((s / rows as f64) as f32))
        .collect();
    let squares = by_parts(&|r, c, s| {
        let d = x(r, c) - mean[c] as f32;
        d.mul_add(d, s)
    });
    float_finish(mean, &squares, rows, eps)
}

/// The float32 statistics from the float mean and the float64 total of
/// the squares: the sum rounded to float, the biased variance divided by
/// the count in float, `1 / √(var + eps)` in double rounded to float.
fn float_finish(mean: Vec<f64>, squares: &[f64], count: usize, eps: f64) -> BatchStatistics {
    let var_sum: Vec<f64> = squares.iter().map(|&q| f64::from(q as f32)).collect();
    let invstd = var_sum
        .iter()
        .map(|&q| {
            let var = q as f32 / count as f32;
            f64::from((1.0 / (f64::from(var) + eps).sqrt()) as f32)
        })
        .collect();
    BatchStatistics {
        mean,
        invstd,
        var_sum,
        blend: RunningBlend::new(DType::Float32, DType::Float64),
    }
}

/// A float16 or bfloat16 batch's statistics computed in `sdtype` (bfloat16,
/// or float32): sums in float32; the mean rounded to `sdtype` and the
/// variance's sum of squares, taken about the float32 mean, too. The biased
/// variance divides that rounded sum by the count in `sdtype`'s arithmetic;
/// `1 / √(var + eps)` in double, rounded to float32, then to `sdtype`. The
/// output is then `x·α + β` in float32 from the statistics rounded to the
/// saved dtype, so a channel whose mean is large against its spread carries
/// the mean's rounding into every element.
pub(super) fn reduced_statistics(
    xs: &[f64],
    shape: &[i64],
    channels: usize,
    sdtype: DType,
    eps: f64,
) -> BatchStatistics {
    let single = |v: f64| f64::from(v as f32);
    let stat = |v: f64| round_to(sdtype, single(v));
    let count = xs.len() / channels.max(1);
    let mean32: Vec<f64> = channel_means(xs, shape, channels, count)
        .into_iter()
        .map(single)
        .collect();
    let squares = squared_deviations(xs, shape, &mean32, |x, m| {
        let d = single(x - m);
        single(d * d)
    });
    let blend = RunningBlend::new(sdtype, DType::Float32);
    let var_sum: Vec<f64> = squares.iter().map(|&q| stat(q)).collect();
    BatchStatistics {
        mean: mean32.iter().map(|&m| round_to(sdtype, m)).collect(),
        invstd: var_sum
            .iter()
            .map(|&q| stat(1.0 / (blend.per(q, count) + eps).sqrt()))
            .collect(),
        var_sum,
        blend,
    }
}

/// The arithmetic of the running statistics' update: operations in the
/// statistics' type `param`, the unbiased variance widened to the input's
/// accumulation type `acc` before it is scaled.
#[derive(Clone, Copy)]
pub(super) struct RunningBlend {
    param: DType,
    acc: DType,
}

impl RunningBlend {
    pub(super) fn new(param: DType, acc: DType) -> Self {
        RunningBlend { param, acc }
    }

    /// `running_mean` after a batch of mean `batch`.
    pub(super) fn mean(&self, momentum: f64, old: f64, batch: f64) -> f64 {
        let p = |v| in_type(self.param, v);
        let m = p(momentum);
        p(p(m * batch) + p(p(1.0 - m) * old))
    }

    /// `running_var` after a batch of `count` elements per channel whose
    /// squared deviations sum to `var_sum`.
    pub(super) fn var(&self, momentum: f64, old: f64, var_sum: f64, count: usize) -> f64 {
        let (p, a) = (|v| in_type(self.param, v), |v| in_type(self.acc, v));
        let m = p(momentum);
        let unbiased = self.per(var_sum, count.saturating_sub(1));
        p(a(a(m * unbiased) + p(p(1.0 - m) * old)))
    }

    /// `sum / n` in the statistics' type (`n` converted to it first).
    pub(super) fn per(&self, sum: f64, n: usize) -> f64 {
        let p = |v| in_type(self.param, v);
        p(sum / p(n as f64))
    }
}

/// `v` as the result of an operation in `dtype`: double as is, float32
/// rounded once, a reduced type through float32 as `c10` computes it.
fn in_type(dtype: DType, v: f64) -> f64 {
    match dtype {
        DType::Float64 => v,
        DType::Float32 => f64::from(v as f32),
        other => round_to(other, f64::from(v as f32)),
    }
}

#[cfg(test)]
mod tests {
    use super::{RunningBlend, float_row_statistics};
    use crate::tensor::dtype::DType;

    /// torch 2.15: `native_batch_norm` of bfloat16 with bfloat16 running
    /// statistics, momentum 0.3 (bfloat16 0.30078125): every product and
    /// the sum round to bfloat16. Blended in double and rounded once the
    /// results would be 1.1640625 and 1.2734375.
    #[test]
    fn bfloat16_running_mean_rounds_after_each_operation() {
        let blend = RunningBlend::new(DType::BFloat16, DType::Float32);
        assert_eq!(blend.mean(0.3, 1.5, 0.375), 1.15625);
        assert_eq!(blend.mean(0.3, 2.25, -1.0), 1.265625);
        assert_eq!(blend.mean(0.3, 1.0, 2.0), 1.296875);
    }

    /// torch 2.15, float32 running statistics, momentum 0.1 (float
    /// 0.100000001490116…): products and the sum round to float. Blended in
    /// double the results would be 1.3875000476837158 and 3.25.
    #[test]
    fn float32_running_mean_is_float_arithmetic() {
        let blend = RunningBlend::new(DType::Float32, DType::Float64);
        assert_eq!(blend.mean(0.1, 1.5, 0.375), 1.387_499_928_474_426_3);
        assert_eq!(blend.mean(0.1, 3.0, 5.5), 3.249_999_761_581_421);
        let f = |v: f32| f64::from(v);
        assert_eq!(blend.mean(0.1, f(0.3), f(0.7)), f(0.34));
    }

    /// The unbiased variance divides by `n − 1` converted to the type: 363
    /// elements give 362 in float32, while bfloat16 holds 362 exactly too
    /// but 364 − 1 = 363 becomes 364.
    #[test]
    fn unbiased_divisor_is_rounded_to_the_type() {
        let bf16 = RunningBlend::new(DType::BFloat16, DType::Float32);
        assert_eq!(bf16.per(364.0, 363), 1.0);
        let f32 = RunningBlend::new(DType::Float32, DType::Float64);
        assert_eq!(f32.per(363.0, 363), 1.0);
        // Momentum 1 keeps the batch's unbiased variance alone.
        assert_eq!(bf16.var(1.0, 5.0, 364.0, 364), 1.0);
    }

    /// torch 2.15's `native_batch_norm` statistics of a `(6, 3)` float32
    /// batch near 100 with one and with two threads: the threads' float32
    /// row sums give different means and inverse deviations.
    #[test]
    fn channels_innermost_statistics_follow_the_thread_parts() {
        let x: [f32; 18] = [
            99.98474,
            99.9925,
            100.006_996,
            100.00199,
            100.00866,
            100.00244,
            99.99337,
            100.00807,
            100.004_395,
            100.01171,
            99.97755,
            99.985_535,
            100.00061,
            99.99382,
            99.99202,
            99.99868,
            99.99201,
            100.00336,
        ];
        let xs: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let one = float_row_statistics(&xs, 3, 1e-5, 1);
        let two = float_row_statistics(&xs, 3, 1e-5, 2);
        assert_eq!(one.mean[0] as f32, 99.99851_f32);
        assert_eq!(two.mean[0] as f32, 99.99852_f32);
        assert_eq!(one.invstd[0] as f32, 113.36979_f32);
        assert_eq!(two.invstd[0] as f32, 113.369_804_f32);
        assert_eq!(one.mean[1] as f32, 99.99543_f32);
        assert_eq!(one.invstd[2] as f32, 120.41292_f32);
    }
}
