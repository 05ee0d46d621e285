//! Which elements of a bfloat16 or float16 `add`/`sub` with an `alpha`
//! PyTorch's CPU kernel rounds twice.
//!
//! The kernel computes `self + alpha * other` with `alpha` first rounded to
//! the dtype. Its vectorised loop converts to float and rounds the result
//! once; its scalar loop multiplies in the dtype's own arithmetic, so
//! `alpha * other` is rounded before the sum is: `round(x + round(alpha·y))`.
//! Which loop an element takes depends on the layout, the intra-op threads
//! and the kernels PyTorch selected ([`CpuProfile`]; measured on torch 2.15
//! with its AVX-512, AVX2 and DEFAULT kernels — the first two alike — every
//! size from 1 to 299 and up to 100 003, both dtypes):
//!
//! - the `DEFAULT` build (no vector instructions): every element rounds
//!   twice;
//! - every operand with the same dense layout: the elements in memory order,
//!   split from 32 768 elements on into `min(threads, ceil(n / 32 768))`
//!   parts of `ceil(n / parts)` each (`parallel_for`: no part smaller than
//!   the grain is made; measured with 4 threads on 40 001 and 70 001
//!   elements, 2 and 3 parts); in each part whole groups of 64 (two 32-lane
//!   vectors), then one more vector of 32 if that many are left, take the
//!   vectorised loop and the rest the scalar one;
//! - an operand whose innermost stride is not the output's (a transposed
//!   `other`): the scalar loop throughout.
//!
//! Other layouts (broadcasting, overlapping or sliced operands) keep the
//! single rounding the rest of the runtime computes.

use crate::cpu::CpuProfile;
use crate::error::Result;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// PyTorch's `internal::GRAIN_SIZE`: below it a loop runs on one thread.
const GRAIN_SIZE: usize = 32_768;

/// How the vectorised part of one thread's share of a dense elementwise
/// loop ends; the elements after it take the scalar loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VectorLoop {
    /// Elements one unrolled step takes (two vectors).
    step: usize,
    /// One more vector of this many elements after the whole steps, when
    /// that many are left.
    last_vector: Option<usize>,
}

/// The float16/bfloat16 `add`/`sub` loop: steps of 2 × 32 lanes, then one
/// more vector of 32.
const HALF_LOOP: VectorLoop = VectorLoop {
    step: 64,
    last_vector: Some(32),
};

impl VectorLoop {
    /// The float32 loop of `cpu_kernel_vec` (measured on torch 2.15 for
    /// `sigmoid`, `silu` and its gradient): steps of two vectors, then the
    /// scalar loop. None where the runtime does not know the lane count.
    pub(crate) fn float32(cpu: &CpuProfile) -> Option<VectorLoop> {
        cpu.float32_lanes().map(|lanes| VectorLoop {
            step: 2 * lanes,
            last_vector: None,
        })
    }
}

/// The elements of `out = x + alpha·y` PyTorch's scalar loop computes,
/// with the `alpha` it multiplies by there.
pub(crate) struct ScalarLoop {
    elements: Vec<usize>,
    alpha: f64,
}

/// Which elements of `out = x + alpha·y` (both operands tensors, computed in
/// `dtype`) to redo as the scalar loop rounds them: None for other dtypes, an `alpha` of ±1
/// (its product is exact either way), unmodelled layouts, and layouts whose
/// elements all take the vectorised loop, so a caller reads nothing more.
pub(crate) fn scalar_loop(
    ctx: &KernelCtx<'_>,
    dtype: DType,
    alpha: f64,
    out: &Tensor,
    x: &Tensor,
    y: &Tensor,
) -> Option<ScalarLoop> {
    if !matches!(dtype, DType::BFloat16 | DType::Float16)
        || out.dtype() != dtype
        || alpha.abs() == 1.0
        || !ctx.has_data()
        || ctx.faults.reduced_add_rounds_once
    {
        return None;
    }
    let elements = scalar_loop_elements(out, &[x, y], ctx.cpu)?;
    if elements.is_empty() {
        return None;
    }
    let alpha = match dtype {
        DType::Float16 => half::f16::from_f64(alpha).to_f64(),
        _ => half::bf16::from_f64(alpha).to_f64(),
    };
    Some(ScalarLoop { elements, alpha })
}

impl ScalarLoop {
    /// Rewrites the planned elements of `out` from `x`'s values before the
    /// call (`xs`, logical order) and `y`'s.
    pub(crate) fn redo(
        &self,
        ctx: &KernelCtx<'_>,
        out: &Tensor,
        xs: &[f64],
        y: &Tensor,
    ) -> Result<()> {
        let dtype = out.dtype();
        let ys = y.read_f64(ctx.op)?;
        let mut values = out.read_f64(ctx.op)?;
        for &i in &self.elements {
            if let (Some(v), Some(&xv), Some(&yv)) = (values.get_mut(i), xs.get(i), ys.get(i)) {
                *v = twice_rounded(dtype, self.alpha, xv, yv);
            }
        }
        out.write_f64(ctx.op, &values)
    }
}

/// `round(x + round(alpha·y))` in `dtype` (bfloat16 or float16; `alpha`
/// already rounded to it): the scalar loop's result.
pub(crate) fn twice_rounded(dtype: DType, alpha: f64, x: f64, y: f64) -> f64 {
    let round = |v: f32| -> f32 {
        match dtype {
            DType::Float16 => half::f16::from_f32(v).to_f32(),
            _ => half::bf16::from_f32(v).to_f32(),
        }
    };
    // The product of two values of 8 (or 11) significant bits is exact in f32.
    let product = round(alpha as f32 * y as f32);
    f64::from(round(x as f32 + product))
}

/// The logical indices of `out`'s elements that the scalar loop computes
/// for `out = f(inputs…)`, or None when the layout is not one modelled
/// here (the vectorised rounding then stands for every element).
pub(crate) fn scalar_loop_elements(
    out: &Tensor,
    inputs: &[&Tensor],
    cpu: &CpuProfile,
) -> Option<Vec<usize>> {
    scalar_loop_elements_in(out, inputs, cpu, Some(HALF_LOOP))
}

/// [`scalar_loop_elements`] of a loop shaped as `vector_loop` says (None:
/// vectorised kernels whose loop the runtime does not know, so no layout is
/// modelled).
pub(crate) fn scalar_loop_elements_in(
    out: &Tensor,
    inputs: &[&Tensor],
    cpu: &CpuProfile,
    vector_loop: Option<VectorLoop>,
) -> Option<Vec<usize>> {
    let shape = out.shape();
    if inputs.iter().any(|t| t.shape() != shape) {
        return None;
    }
    if !cpu.vectorised() {
        let n = usize::try_from(shape.iter().product::<i64>()).ok()?;
        return Some((0..n).collect());
    }
    let vector_loop = vector_loop?;
    let offsets = dense_offsets(shape, out.stride())?;
    let n = offsets.len();
    if inputs.iter().all(|t| t.stride() == out.stride()) {
        let scalar = scalar_memory_positions(n, cpu.threads(), vector_loop);
        return Some(
            offsets
                .iter()
                .enumerate()
                .filter(|&(_, &offset)| scalar.contains(&offset))
                .map(|(i, _)| i)
                .collect(),
        );
    }
    let inner = innermost_dim(shape, out.stride())?;
    if inputs
        .iter()
        .any(|t| t.stride()[inner] != out.stride()[inner])
    {
        return Some((0..n).collect());
    }
    None
}

/// The memory positions `[start, end)` of a dense `n`-element loop that the
/// scalar loop takes, as a range set over the thread parts.
fn scalar_memory_positions(n: usize, threads: usize, vector_loop: VectorLoop) -> RangeSet {
    let parts = if n >= GRAIN_SIZE {
        threads.clamp(1, n.div_ceil(GRAIN_SIZE))
    } else {
        1
    };
    let per = n.div_ceil(parts).max(1);
    let mut ranges = Vec::new();
    let mut lo = 0;
    while lo < n {
        let hi = (lo + per).min(n);
        let step = vector_loop.step;
        let mut vectorised_end = lo + (hi - lo) / step * step;
        if let Some(lanes) = vector_loop.last_vector
            && hi - vectorised_end >= lanes
        {
            vectorised_end += lanes;
        }
        ranges.push((vectorised_end, hi));
        lo = hi;
    }
    RangeSet(ranges)
}

/// Half-open ranges of memory positions.
struct RangeSet(Vec<(usize, usize)>);

impl RangeSet {
    fn contains(&self, position: &usize) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..hi).contains(position))
    }
}

/// Each logical element's memory position, when `strides` lay `shape` out
/// densely (a permutation of contiguous strides); None otherwise.
fn dense_offsets(shape: &[i64], strides: &[i64]) -> Option<Vec<usize>> {
    let mut dims: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
    dims.sort_by_key(|&d| strides[d]);
    let mut expected = 1i64;
    for &d in &dims {
        if strides[d] != expected {
            return None;
        }
        expected = expected.checked_mul(shape[d])?;
    }
    let n = usize::try_from(shape.iter().product::<i64>()).ok()?;
    let mut offsets = Vec::with_capacity(n);
    let mut index = vec![0i64; shape.len()];
    for _ in 0..n {
        let offset: i64 = index.iter().zip(strides).map(|(i, s)| i * s).sum();
        offsets.push(usize::try_from(offset).ok()?);
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Some(offsets)
}

/// The dimension of stride 1 (size above 1) of a dense layout.
fn innermost_dim(shape: &[i64], strides: &[i64]) -> Option<usize> {
    (0..shape.len()).find(|&d| shape[d] > 1 && strides[d] == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(n: usize, threads: usize) -> Vec<usize> {
        let set = scalar_memory_positions(n, threads, HALF_LOOP);
        (0..n).filter(|p| set.contains(p)).collect()
    }

    fn cpu(capability: &str, threads: &str) -> CpuProfile {
        let attrs = [
            ("cpu_capability".to_string(), capability.to_string()),
            ("intra_op_threads".to_string(), threads.to_string()),
        ];
        CpuProfile::from_attrs(&attrs).expect("valid profile")
    }

    #[test]
    fn without_vector_kernels_every_element_rounds_twice() {
        let a = Tensor::zeroed("test", &[100], &[1], DType::BFloat16).expect("tensor");
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &a], &cpu("DEFAULT", "2")),
            Some((0..100).collect())
        );
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &a], &cpu("AVX2", "2")),
            Some((96..100).collect())
        );
    }

    #[test]
    fn the_thread_count_moves_the_remainders() {
        // 64 031 elements: one part leaves 31 at the end, two parts of
        // 32 016 and 32 015 leave 16 and 15.
        assert_eq!(positions(64_031, 1), (64_000..64_031).collect::<Vec<_>>());
        let two: Vec<usize> = (32_000..32_016).chain(64_016..64_031).collect();
        assert_eq!(positions(64_031, 2), two);
        let a = Tensor::zeroed("test", &[64_031], &[1], DType::BFloat16).expect("tensor");
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &a], &cpu("AVX512", "1")),
            Some((64_000..64_031).collect())
        );
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &a], &cpu("AVX512", "2")),
            Some(two)
        );
    }

    #[test]
    fn whole_steps_then_one_vector_then_the_scalar_loop() {
        assert_eq!(positions(31, 2), (0..31).collect::<Vec<_>>());
        assert_eq!(positions(63, 2), (32..63).collect::<Vec<_>>());
        assert_eq!(positions(64, 2), Vec::<usize>::new());
        assert_eq!(positions(100, 2), (96..100).collect::<Vec<_>>());
        assert_eq!(positions(200, 2), (192..200).collect::<Vec<_>>());
        // from GRAIN_SIZE on, each thread's part has its own remainder
        let big = positions(70_001, 2);
        assert_eq!(big.first(), Some(&34_976));
        assert!(big.contains(&35_000) && !big.contains(&35_001));
        assert_eq!(big.last(), Some(&70_000));
    }

    #[test]
    fn no_thread_gets_less_than_the_grain() {
        // 4 threads on 70 001 elements: 3 parts of 23 334 (the last
        // 23 333), each ending in its own tail; on 40 001, 2 parts of 20 001
        // and 20 000 (a whole number of steps: no tail).
        let float32 = VectorLoop {
            step: 32,
            last_vector: None,
        };
        let tails = |n: usize| {
            let set = scalar_memory_positions(n, 4, float32);
            (0..n).filter(|p| set.contains(p)).collect::<Vec<_>>()
        };
        let three: Vec<usize> = (23_328..23_334)
            .chain(46_662..46_668)
            .chain(69_996..70_001)
            .collect();
        assert_eq!(tails(70_001), three);
        assert_eq!(tails(40_001), vec![20_000]);
    }

    #[test]
    fn twice_rounded_matches_torch() {
        // torch 2.15: a = bf16(0.5390625), b = bf16(-1.2109375), alpha bf16(-0.0123)
        let alpha = half::bf16::from_f64(-0.0123).to_f64();
        let scalar = twice_rounded(DType::BFloat16, alpha, 0.5390625, -1.2109375);
        let product = half::bf16::from_f64(alpha * -1.2109375).to_f64();
        assert_eq!(scalar, half::bf16::from_f64(0.5390625 + product).to_f64());
    }

    #[test]
    fn a_transposed_operand_takes_the_scalar_loop_everywhere() {
        let tensor = |shape: &[i64], strides: &[i64]| {
            Tensor::zeroed("test", shape, strides, DType::BFloat16).expect("tensor")
        };
        let a = tensor(&[3, 100], &[100, 1]);
        let bt = tensor(&[100, 3], &[3, 1]).alias_with(vec![3, 100], vec![1, 3], 0);
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &bt], &cpu("AVX512", "2")),
            Some((0..300).collect())
        );
        // one dense layout: the remainder of 300 after 4 steps and a vector
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &a], &cpu("AVX512", "2")),
            Some((288..300).collect())
        );
        // both transposed alike: memory order decides
        let at = tensor(&[100, 3], &[3, 1]).alias_with(vec![3, 100], vec![1, 3], 0);
        let expected: Vec<usize> = (0..300)
            .filter(|i| (i % 100) * 3 + i / 100 >= 288)
            .collect();
        assert_eq!(
            scalar_loop_elements(&at, &[&at, &at], &cpu("AVX512", "2")),
            Some(expected)
        );
        // broadcasting is not modelled
        let row = tensor(&[1, 100], &[100, 1]);
        assert_eq!(
            scalar_loop_elements(&a, &[&a, &row], &cpu("AVX512", "2")),
            None
        );
    }
}
