//! A row's mean and biased variance exactly as PyTorch's CPU kernels
//! compute them (`RowwiseMoments`, used by layer norm): Welford updates in
//! vector lanes over chunks of 16 vectors, the chunks' moments combined by a
//! cascade (pairwise) stack, a scalar Welford pass over the elements past
//! the last whole vector, then the lanes folded into that scalar state one
//! by one.
//!
//! The constants are those of the AVX2 kernels torch 2.15 runs on x86-64
//! CPUs (observed bit for bit, also on AVX-512 machines): a float32 vector
//! holds 8 lanes, a float64 vector 4, and a float16/bfloat16 vector 16
//! elements, converted to two float32 vectors of 8 lanes that keep separate
//! Welford states within a chunk. The compiled kernel contracts every
//! `a·b + c` of the updates into one fused multiply-add; so does this
//! module. In float32 over inputs with a large common offset (`300 ± 0.05`)
//! these moments are far from the exact ones (the variance by 1e-4
//! relative), so a kernel that normalises with exact statistics does not
//! reproduce PyTorch's result within its tolerance.

use std::ops::{Add, Div, Mul, Sub};

/// Vectors per Welford chunk.
const CHUNK: usize = 16;

/// The floating-point type the moments are accumulated in.
pub(crate) trait Accumulator:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    /// `n` as this type (exact for any row length in use).
    fn count(n: usize) -> Self;
    /// `self · a + b` rounded once.
    fn fused(self, a: Self, b: Self) -> Self;
}

impl Accumulator for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn count(n: usize) -> Self {
        n as f32
    }
    fn fused(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
}

impl Accumulator for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn count(n: usize) -> Self {
        n as f64
    }
    fn fused(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
}

/// The vector geometry of one kernel: elements per loaded vector and
/// accumulator lanes (equal, except for float16/bfloat16 loads that widen
/// into two float32 vectors).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes {
    pub(crate) load: usize,
    pub(crate) acc: usize,
}

impl Lanes {
    /// float32 rows: 8 lanes.
    pub(crate) const FLOAT: Self = Self { load: 8, acc: 8 };
    /// float64 rows: 4 lanes.
    pub(crate) const DOUBLE: Self = Self { load: 4, acc: 4 };
    /// float16/bfloat16 rows, widened to float32: 16 elements per load.
    pub(crate) const REDUCED: Self = Self { load: 16, acc: 8 };
}

/// Count, mean and sum of squared deviations of a vector of lanes.
#[derive(Clone)]
struct LaneMoments<T> {
    count: usize,
    mean: Vec<T>,
    m2: Vec<T>,
}

impl<T: Accumulator> LaneMoments<T> {
    fn zero(lanes: usize) -> Self {
        Self {
            count: 0,
            mean: vec![T::ZERO; lanes],
            m2: vec![T::ZERO; lanes],
        }
    }

    /// Fold `other` (each lane holding `count` elements) into `self`.
    fn absorb(&mut self, count: usize, mean: &[T], m2: &[T]) {
        let total = self.count + count;
        let c = if total == 0 {
            T::ZERO
        } else {
            T::count(count) / T::count(total)
        };
        let before = T::count(self.count);
        for l in 0..self.mean.len() {
            let delta = mean[l] - self.mean[l];
            self.mean[l] = c.fused(delta, self.mean[l]);
            self.m2[l] = self.m2[l] + (delta * delta * c).fused(before, m2[l]);
        }
        self.count = total;
    }

    fn take(&mut self) -> Self {
        let lanes = self.mean.len();
        std::mem::replace(self, Self::zero(lanes))
    }
}

/// Smallest `d` with `2^d ≥ m`, at least 1 (ATen's `CeilLog2`).
fn ceil_log2(m: usize) -> usize {
    if m <= 2 {
        1
    } else {
        (usize::BITS - (m - 1).leading_zeros()) as usize
    }
}

/// Mean and biased variance (`Σ(x − mean)² / N`) of `row` as PyTorch's
/// `RowwiseMoments` computes them with the vector geometry `lanes`.
pub(crate) fn rowwise_moments<T: Accumulator>(row: &[T], lanes: Lanes) -> (T, T) {
    let n_vec = row.len() / lanes.load;
    let chunks = n_vec.div_ceil(CHUNK);
    let depth = ceil_log2(chunks);
    let halves = lanes.load / lanes.acc;
    let reciprocal: Vec<T> = (1..=CHUNK).map(|k| T::ONE / T::count(k)).collect();
    let mut stack: Vec<LaneMoments<T>> = vec![LaneMoments::zero(lanes.acc); depth];
    for i in 0..chunks {
        let vectors = CHUNK.min(n_vec - i * CHUNK);
        let base = i * CHUNK * lanes.load;
        let mut parts = vec![LaneMoments::zero(lanes.acc); halves];
        for (j, c) in reciprocal.iter().enumerate().take(vectors) {
            for (h, part) in parts.iter_mut().enumerate() {
                let start = base + j * lanes.load + h * lanes.acc;
                for (l, &x) in row[start..start + lanes.acc].iter().enumerate() {
                    let delta = x - part.mean[l];
                    part.mean[l] = delta.fused(*c, part.mean[l]);
                    part.m2[l] = delta.fused(x - part.mean[l], part.m2[l]);
                }
            }
        }
        for part in &parts {
            stack[0].absorb(vectors, &part.mean, &part.m2);
        }
        let mut mask = i + 1;
        let mut level = 1;
        while level < depth && mask & 1 == 0 {
            let below = stack[level - 1].take();
            stack[level].absorb(below.count, &below.mean, &below.m2);
            mask >>= 1;
            level += 1;
        }
    }
    for level in 1..depth {
        let upper = stack[level].clone();
        stack[0].absorb(upper.count, &upper.mean, &upper.m2);
    }
    let (mut count, mut mean, mut m2) = (0usize, T::ZERO, T::ZERO);
    for &x in &row[n_vec * lanes.load..] {
        let delta = x - mean;
        count += 1;
        mean = mean + delta / T::count(count);
        m2 = delta.fused(x - mean, m2);
    }
    let per_lane = n_vec * lanes.load / lanes.acc;
    let lanes_state = &stack[0];
    for l in 0..lanes.acc {
        let total = count + per_lane;
        let c = if total == 0 {
            T::ZERO
        } else {
            T::count(per_lane) / T::count(total)
        };
        let delta = lanes_state.mean[l] - mean;
        mean = c.fused(delta, mean);
        m2 = m2 + (delta * delta * c).fused(T::count(count), lanes_state.m2[l]);
        count = total;
    }
    (mean, m2 / T::count(row.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_rows_are_a_scalar_welford_pass() {
        let row = [300.018_22_f32, 300.014_7, 300.001_43];
        let (mean, var) = rowwise_moments(&row, Lanes::FLOAT);
        // torch 2.15: mean 300.011474609375, rstd 126.5688705444336.
        assert_eq!(mean, 300.011_47);
        assert_eq!(1.0 / (var + 1e-5f32).sqrt(), 126.568_87);
    }

    /// `300 + 0.05·sin(0.7·i)` rounded to float32.
    fn offset_row(len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (300.0 + 0.05 * (i as f64 * 0.7).sin()) as f32)
            .collect()
    }

    /// torch 2.15's `native_layer_norm` mean and rstd of the same rows
    /// (exact statistics give a variance 1e-4 away in float32).
    #[test]
    fn vectorised_rows_match_torch_bit_for_bit() {
        for (len, mean, rstd) in [
            (100, 300.000_03_f32, 28.339_384_f32),
            (1000, 300.000_12, 28.168_413),
        ] {
            let (m, var) = rowwise_moments(&offset_row(len), Lanes::FLOAT);
            assert_eq!(m, mean, "mean of {len}");
            assert_eq!(1.0 / (var + 1e-5f32).sqrt(), rstd, "rstd of {len}");
        }
        let row: Vec<f64> = offset_row(37).into_iter().map(f64::from).collect();
        let (m, var) = rowwise_moments(&row, Lanes::DOUBLE);
        assert_eq!(m, 300.000_051_137_563_33);
        assert_eq!(1.0 / (var + 1e-5).sqrt(), 28.587_419_724_597_243);
    }

    #[test]
    fn ceil_log2_is_at_least_one() {
        assert_eq!([0, 1, 2, 3, 4, 5, 9].map(ceil_log2), [1, 1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn exact_statistics_of_a_constant_row() {
        let row = vec![2.5f64; 1000];
        assert_eq!(rowwise_moments(&row, Lanes::DOUBLE), (2.5, 0.0));
    }
}
