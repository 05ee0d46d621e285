//! Vector 1- and 2-norms accumulated as PyTorch's CPU norm kernel
//! accumulates them (`linalg_vector_norm`, and through it `_foreach_norm`,
//! `norm`, `dist`, `F.normalize`, `clip_grad_norm_`).
//!
//! Measured on torch 2.15 (its norm kernel runs the AVX2 build on AVX-512
//! machines too), bit for bit over every size from 1 to 400, rows, columns
//! and `_foreach_norm` lists:
//!
//! - **a 2-norm whose reduced elements are one contiguous run in memory**
//!   (a full reduction of a dense tensor, rows of a contiguous one), float32,
//!   float64 or bfloat16 with the result in the input's dtype: eight float32
//!   (four float64) lane sums of `x·x`, each product rounded, over the whole
//!   vectors of the run in memory order (a bfloat16 vector of 16 adds its
//!   first 8 and then its last 8 to the lanes); the lanes folded left to
//!   right; then the remaining elements one by one into that sum — the
//!   first four of them (when as many are left) with their product rounded,
//!   the rest fused (`fma(x, x, sum)`; without vector instructions nothing
//!   is fused); the square root rounded to the dtype;
//! - **any other 1- or 2-norm** (a column, a strided slice, float16): one sum in the accumulation type
//!   (float32 for float32 and the half types, float64 for float64) of `|x|`
//!   or `x·x`, each term rounded, in the input's memory order; a single
//!   result of at least 32,768 elements is summed in `min(threads,
//!   ceil(n/32,768))` consecutive parts whose sums are added in order.
//!
//! Other orders, complex inputs and a `dtype=` other than the input's
//! (PyTorch casts the input first) are left to the caller.

use super::dims::Reduction;
use super::reduced_layout::{memory_ordered_groups, reduced_run_is_contiguous};
use crate::cpu::CpuProfile;
use crate::kernels::loop_plan::thread_parts;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The norm of every group of `r` over `t` (`values` in logical order) as
/// PyTorch's kernel computes it, in `out_dtype` (rounded by the caller);
/// None where the order is not modelled (other orders, complex inputs).
pub(crate) fn vector_norms(
    t: &Tensor,
    values: &[f64],
    r: &Reduction,
    ord: f64,
    out_dtype: DType,
    cpu: &CpuProfile,
) -> Option<Vec<f64>> {
    let dtype = t.dtype();
    if !(ord == 1.0 || ord == 2.0)
        || !dtype.is_floating()
        || out_dtype != dtype
        || values.len() != t.numel()
    {
        return None;
    }
    let groups = memory_ordered_groups(t, values, r);
    let lanes = ord == 2.0
        && matches!(dtype, DType::Float32 | DType::Float64 | DType::BFloat16)
        && reduced_run_is_contiguous(t, r);
    let fused = cpu.vectorised();
    let threads = if r.out_numel() == 1 { cpu.threads() } else { 1 };
    Some(
        groups
            .iter()
            .map(|g| {
                if lanes {
                    lane_two_norm(g, dtype, fused)
                } else if dtype == DType::Float64 {
                    sequential_norm::<f64>(g, ord, threads)
                } else {
                    sequential_norm::<f32>(g, ord, threads)
                }
            })
            .collect(),
    )
}

/// The lane-summed 2-norm of one contiguous run, in `dtype`'s accumulation
/// type (float32 for bfloat16), rounded by the caller to `dtype`.
fn lane_two_norm(run: &[f64], dtype: DType, fused: bool) -> f64 {
    match dtype {
        DType::Float64 => lane_sum_of_squares::<f64>(run, 4, 4, fused).sqrt(),
        // a bfloat16 vector holds 16 elements: its two halves of 8 go to the
        // lanes in turn, the same order as whole float32 vectors of 8
        DType::BFloat16 => {
            let whole = run.len() - run.len() % 16;
            let (vectors, tail) = run.split_at(whole);
            let sum = lane_sum_of_squares::<f32>(vectors, 8, 4, fused);
            f64::from(finish_tail::<f32>(sum, tail, 4, fused).sqrt())
        }
        _ => f64::from(lane_sum_of_squares::<f32>(run, 8, 4, fused).sqrt()),
    }
}

/// Floating arithmetic in the accumulation type.
trait Acc: Copy + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> {
    const ZERO: Self;
    fn of(v: f64) -> Self;
    fn fma(self, b: Self, c: Self) -> Self;
    fn abs(self) -> Self;
    fn sqrt(self) -> Self;
    fn to_f64(self) -> f64;
}

impl Acc for f32 {
    const ZERO: f32 = 0.0;
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn fma(self, b: f32, c: f32) -> f32 {
        self.mul_add(b, c)
    }
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Acc for f64 {
    const ZERO: f64 = 0.0;
    fn of(v: f64) -> f64 {
        v
    }
    fn fma(self, b: f64, c: f64) -> f64 {
        self.mul_add(b, c)
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// `Σ x·x` of a run: `lanes` lane sums over its whole vectors, folded left
/// to right, then its remaining elements ([`finish_tail`]).
fn lane_sum_of_squares<T: Acc>(run: &[f64], lanes: usize, unfused: usize, fused: bool) -> T {
    let whole = run.len() - run.len() % lanes;
    let mut acc = vec![T::ZERO; lanes];
    for vector in run[..whole].chunks_exact(lanes) {
        for (a, &x) in acc.iter_mut().zip(vector) {
            let x = T::of(x);
            *a = *a + x * x;
        }
    }
    let folded = acc.iter().skip(1).fold(acc[0], |s, &a| s + a);
    finish_tail(folded, &run[whole..], unfused, fused)
}

/// Adds the squares of the elements after the last whole vector to `sum`:
/// the first `unfused` of them (when as many are left) with each product
/// rounded, the rest fused when the kernels have vector instructions.
fn finish_tail<T: Acc>(sum: T, tail: &[f64], unfused: usize, fused: bool) -> T {
    let rounded = tail.len() / unfused * unfused;
    tail.iter().enumerate().fold(sum, |s, (i, &x)| {
        let x = T::of(x);
        if i < rounded || !fused {
            s + x * x
        } else {
            x.fma(x, s)
        }
    })
}

/// The 1- or 2-norm of a group summed term by term in `T`, split into the
/// thread parts of a single result.
fn sequential_norm<T: Acc>(group: &[f64], ord: f64, threads: usize) -> f64 {
    let term = |x: f64| {
        let x = T::of(x);
        if ord == 1.0 { x.abs() } else { x * x }
    };
    let n = group.len();
    let per = n.div_ceil(thread_parts(n, threads)).max(1);
    let total = group
        .chunks(per)
        .map(|part| part.iter().fold(T::ZERO, |s, &x| s + term(x)))
        .fold(T::ZERO, |s, p| s + p);
    if ord == 1.0 {
        total.to_f64()
    } else {
        total.sqrt().to_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_values(bits: &[u32]) -> Vec<f64> {
        bits.iter().map(|&b| f64::from(f32::from_bits(b))).collect()
    }

    /// torch 2.15 `torch.linalg.vector_norm` of inputs where the order
    /// shows in the last bit (a float64 sum rounded once gives the other
    /// neighbour): 13 float32 elements (one vector of 8, 4 rounded
    /// products, 1 fused), 6 (no vector), 7 float64 (one vector of 4, 3
    /// fused).
    #[test]
    fn lane_sums_then_the_tail_match_torch() {
        let x13 = f32_values(&[
            0xc03966f0, 0x3fa2351e, 0x3f4d4ca9, 0xbfa1bd2b, 0xbfc41bda, 0xc096f9d2, 0xbebd4efe,
            0x412c2ced, 0xc0afcdc9, 0x409979a8, 0xc0752f72, 0x3f79fc34, 0xbfb7fddd,
        ]);
        let norm = lane_two_norm(&x13, DType::Float32, true);
        assert_eq!((norm as f32).to_bits(), 0x416f48f8);
        let x6 = f32_values(&[
            0xbf986095, 0xbffc4f9c, 0xc09db448, 0x403c374c, 0xbe0179cc, 0xc01d8cf1,
        ]);
        let norm = lane_two_norm(&x6, DType::Float32, true);
        assert_eq!((norm as f32).to_bits(), 0x40d505e8);
        let x7: Vec<f64> = [
            -f64::from_bits(0x3f6091819623c2f5),
            -f64::from_bits(0x3ff185e0ad1fdca3),
            f64::from_bits(0x3fe340ad27a41aa2),
            f64::from_bits(0x3fe65968c2b93b8b),
            -f64::from_bits(0x3fe99de11d246c3d),
            f64::from_bits(0x3ff89c3ae6ec7816),
            f64::from_bits(0x3ff77a1fb7a1feba),
        ]
        .to_vec();
        assert_eq!(
            lane_two_norm(&x7, DType::Float64, true),
            f64::from_bits(0x40057ac400edf4b4)
        );
    }

    #[test]
    fn a_single_large_result_sums_its_thread_parts_in_order() {
        let group: Vec<f64> = (0..70_001).map(|i| f64::from(i % 97) * 0.013).collect();
        let parts: Vec<f32> = group
            .chunks(35_001)
            .map(|p| p.iter().fold(0f32, |s, &x| s + (x as f32) * (x as f32)))
            .collect();
        let expected = f64::from((0f32 + parts[0] + parts[1]).sqrt());
        assert_eq!(sequential_norm::<f32>(&group, 2.0, 2), expected);
        let one = group.iter().fold(0f32, |s, &x| s + (x as f32) * (x as f32));
        assert_eq!(
            sequential_norm::<f32>(&group, 2.0, 1),
            f64::from(one.sqrt())
        );
    }
}
