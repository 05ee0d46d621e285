//! Floating products multiplied in the order of PyTorch's CPU `prod`
//! kernel (`prod`, `prod.dim_int`), each product rounded to the result's
//! dtype as `scalar_t * scalar_t` rounds it.
//!
//! PyTorch reduces with `binary_kernel_reduce_vec`, registered for its AVX2
//! build only (an AVX-512 machine runs the AVX2 kernel), so its vectors are
//! 32 bytes: 4 float64, 8 float32, 16 float16/bfloat16 lanes. Measured on
//! torch 2.15 bit for bit (every floating dtype, one and two threads, rows,
//! columns, whole tensors of 100 to 70,001 elements):
//!
//! - **a stretch of reduced elements at stride 1** (a row, a whole dense
//!   tensor): while four vectors are left, four lane accumulators take
//!   them — the first four vectors loaded as they are, each later block of
//!   four multiplied in lane by lane; then the accumulators combine as
//!   `(a0·a1)·(a2·a3)`, their lanes fold left to right, and the result
//!   multiplies into the running product; the stretch's last elements
//!   follow one by one;
//! - **anything else** (a column, a strided slice): one product, element by
//!   element in memory order, from 1;
//! - **a single result of at least 32,768 elements with several threads**:
//!   `min(threads, ceil(n / 32,768))` consecutive parts of `ceil(n / parts)`
//!   elements, each reduced as above from 1, then the per-thread products
//!   (1 for a thread without a part) multiplied in thread order.
//!
//! Several results reduce one by one in that order whatever the threads
//! (PyTorch splits the results among them, not a result's elements).

use super::dims::Reduction;
use super::reduced_layout::{innermost_reduced_run, memory_ordered_groups};
use crate::cpu::CpuProfile;
use crate::kernels::elementwise::common::round_to;
use crate::kernels::loop_plan::thread_parts;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Bytes of the vectors of the kernel that runs (its AVX2 build).
const VECTOR_BYTES: usize = 32;

/// How one product is multiplied: the dtype each step rounds to and the
/// lanes of its vectors.
#[derive(Clone, Copy)]
struct Multiplier {
    dtype: DType,
    lanes: usize,
}

impl Multiplier {
    fn mul(self, a: f64, b: f64) -> f64 {
        if self.dtype == DType::Float64 {
            a * b
        } else {
            // the exact product of two float32 (or narrower) values is a
            // float64: one rounding to the dtype, as the kernel rounds
            round_to(self.dtype, a * b)
        }
    }

    /// `vectorized_inner_reduction` of one stretch at stride 1 into `dst`.
    fn stretch(self, dst: f64, run: &[f64]) -> f64 {
        let lanes = self.lanes;
        let block = 4 * lanes;
        let blocks = run.len() / block;
        let mut dst = dst;
        if blocks > 0 {
            let mut acc: Vec<f64> = run[..block].to_vec();
            for later in run[block..blocks * block].chunks_exact(block) {
                for (a, &x) in acc.iter_mut().zip(later) {
                    *a = self.mul(*a, x);
                }
            }
            let folded: Vec<f64> = (0..lanes)
                .map(|k| {
                    let low = self.mul(acc[k], acc[lanes + k]);
                    let high = self.mul(acc[2 * lanes + k], acc[3 * lanes + k]);
                    self.mul(low, high)
                })
                .collect();
            let across = folded[1..].iter().fold(folded[0], |p, &x| self.mul(p, x));
            dst = self.mul(dst, across);
        }
        run[blocks * block..]
            .iter()
            .fold(dst, |p, &x| self.mul(p, x))
    }

    /// Elements `range` of a group (in memory order) into `dst`: stretches
    /// of `run` elements at stride 1 as [`Multiplier::stretch`] takes them,
    /// or one by one.
    fn serial(
        self,
        dst: f64,
        group: &[f64],
        range: std::ops::Range<usize>,
        run: Option<usize>,
    ) -> f64 {
        match run {
            Some(run) if run > 1 => {
                let mut dst = dst;
                let mut i = range.start;
                while i < range.end {
                    let row_end = ((i / run) + 1) * run;
                    let end = row_end.min(range.end);
                    dst = self.stretch(dst, &group[i..end]);
                    i = end;
                }
                dst
            }
            _ => group[range].iter().fold(dst, |p, &x| self.mul(p, x)),
        }
    }

    /// A single result's product with `threads` threads.
    fn whole(self, group: &[f64], run: Option<usize>, threads: usize) -> f64 {
        let n = group.len();
        let parts = thread_parts(n, threads);
        if parts <= 1 {
            return self.serial(1.0, group, 0..n, run);
        }
        let chunk = n.div_ceil(parts);
        let mut per_thread = vec![1.0; threads.max(parts)];
        for (t, slot) in per_thread.iter_mut().enumerate().take(parts) {
            let begin = t * chunk;
            if begin < n {
                *slot = self.serial(1.0, group, begin..(begin + chunk).min(n), run);
            }
        }
        self.stretch(1.0, &per_thread)
    }
}

/// The product of every group of `r` over `t` (`values` in logical order,
/// already in `dtype`) in `dtype`, as PyTorch's kernel multiplies; None for
/// a dtype it is not modelled for (integers, complex).
pub(crate) fn products(
    t: &Tensor,
    values: &[f64],
    r: &Reduction,
    dtype: DType,
    cpu: &CpuProfile,
) -> Option<Vec<f64>> {
    if !dtype.is_floating() || values.len() != t.numel() {
        return None;
    }
    let multiplier = Multiplier {
        dtype,
        lanes: VECTOR_BYTES / dtype.element_size().max(1),
    };
    let run = innermost_reduced_run(t, r);
    let groups = memory_ordered_groups(t, values, r);
    if r.out_numel() == 1 {
        return Some(
            groups
                .iter()
                .map(|g| multiplier.whole(g, run, cpu.threads()))
                .collect(),
        );
    }
    Some(
        groups
            .iter()
            .map(|g| multiplier.serial(1.0, g, 0..g.len(), run))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_mul(a: f32, b: f32) -> f32 {
        a * b
    }

    /// float32 in 32-byte vectors.
    const FLOAT32: Multiplier = Multiplier {
        dtype: DType::Float32,
        lanes: 8,
    };

    fn values(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| f64::from(0.8f32 + (i % 37) as f32 * 0.011))
            .collect()
    }

    #[test]
    fn a_short_stretch_multiplies_in_order() {
        let m = FLOAT32;
        let v = values(31);
        let expected = v.iter().fold(1f32, |p, &x| f32_mul(p, x as f32));
        assert_eq!(m.stretch(1.0, &v), f64::from(expected));
    }

    #[test]
    fn four_vectors_take_lane_accumulators() {
        let m = FLOAT32;
        let v = values(70);
        let x: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        let mut acc: Vec<f32> = x[..32].to_vec();
        for (k, a) in acc.iter_mut().enumerate() {
            *a = f32_mul(*a, x[32 + k]);
        }
        let lanes: Vec<f32> = (0..8)
            .map(|k| {
                f32_mul(
                    f32_mul(acc[k], acc[8 + k]),
                    f32_mul(acc[16 + k], acc[24 + k]),
                )
            })
            .collect();
        let mut p = lanes[1..].iter().fold(lanes[0], |p, &l| f32_mul(p, l));
        p = f32_mul(1.0, p);
        for &tail in &x[64..] {
            p = f32_mul(p, tail);
        }
        assert_eq!(m.stretch(1.0, &v), f64::from(p));
        // and it is not the plain left-to-right product here
        let plain = x.iter().fold(1f32, |p, &x| f32_mul(p, x));
        assert_ne!(f64::from(plain), f64::from(p));
    }

    #[test]
    fn bfloat16_rounds_every_product() {
        let m = Multiplier {
            dtype: DType::BFloat16,
            lanes: 16,
        };
        let v: Vec<f64> = [1.0078125, 1.0078125, 1.0078125]
            .iter()
            .map(|&x| round_to(DType::BFloat16, x))
            .collect();
        // 1.0078125² = 1.01568603515625 rounds to 1.015625 in bfloat16
        let p = m.stretch(1.0, &v);
        assert_eq!(p, round_to(DType::BFloat16, 1.015625 * 1.0078125));
    }

    #[test]
    fn a_large_single_result_multiplies_its_thread_parts() {
        let m = FLOAT32;
        let v = values(70_001);
        let parts = thread_parts(v.len(), 2);
        assert_eq!(parts, 2);
        let first = m.serial(1.0, &v, 0..35_001, Some(v.len()));
        let second = m.serial(1.0, &v, 35_001..70_001, Some(v.len()));
        assert_eq!(
            m.whole(&v, Some(v.len()), 2),
            m.mul(m.mul(1.0, first), second)
        );
        assert_eq!(
            m.whole(&v, Some(v.len()), 1),
            m.serial(1.0, &v, 0..v.len(), Some(v.len()))
        );
    }

    #[test]
    fn stretches_restart_at_each_row() {
        let m = FLOAT32;
        let v = values(80);
        // rows of 40: each row's stretch multiplies into the running product
        let by_rows = m.stretch(m.stretch(1.0, &v[..40]), &v[40..]);
        assert_eq!(m.serial(1.0, &v, 0..80, Some(40)), by_rows);
    }
}
