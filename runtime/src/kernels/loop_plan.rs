//! Which elements of an elementwise result PyTorch's CPU loop computes in
//! its vectorised loop and which in its scalar loop.
//!
//! Some kernels give different bits in the two loops (SLEEF's `exp` against
//! the C library's, a reduced-precision product rounded once or twice, NaN
//! taken by a comparison or a blend), so the split decides a result's bits.
//! The split is TensorIterator's (torch 2.15, measured on AVX-512 and AVX2):
//!
//! 1. the dimensions are ordered by the operands' strides
//!    ([`iteration_order`]) and neighbours whose strides chain for every
//!    operand are coalesced, leaving an inner run of `n` elements repeated
//!    over the outer ones;
//! 2. from 32,768 elements on (the grain) the iteration is split into
//!    `min(threads, ceil(numel / 32,768))` parts of `ceil(numel / parts)`
//!    consecutive positions; each part walks its positions run by run, a
//!    part's first and last run possibly partial;
//! 3. each stretch of a run is handed to the inner loop: when every operand
//!    steps by one element there, or one input is broadcast (step 0) and the
//!    rest step by one, it runs whole steps of the kernel's vector loop
//!    ([`VectorLoop`]) from the stretch's start and the rest in the scalar
//!    loop; any other stretch runs entirely in the scalar loop.
//!
//! So a contiguous tensor of 100 float32 elements has its last 4 in the
//! scalar loop (steps of 32 with AVX-512), a `[20, 200]` chunk of a
//! `[20, 600]` tensor (a GRU's gate) the last 8 of every row, and an
//! operand transposed against the result all of them.

use crate::cpu::CpuProfile;
use crate::faults::Faults;
use crate::kernels::iter::{Geometry, broadcast_strides, iteration_order};
use crate::tensor::strides::StridedOffsets;

/// PyTorch's `internal::GRAIN_SIZE`: below it a loop runs on one thread.
const GRAIN_SIZE: usize = 32_768;

/// How many parts `at::parallel_for` cuts `n` elements into with `threads`
/// intra-op threads: one below the grain, else `min(threads, ceil(n /
/// grain))` (no part smaller than the grain).
pub(crate) fn thread_parts(n: usize, threads: usize) -> usize {
    if n >= GRAIN_SIZE {
        threads.clamp(1, n.div_ceil(GRAIN_SIZE))
    } else {
        1
    }
}

/// How the vectorised part of one stretch of a kernel's loop ends; the
/// elements after it take the scalar loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VectorLoop {
    /// Elements one unrolled step takes (`cpu_kernel_vec`: two vectors).
    pub(crate) step: usize,
    /// One more vector of this many elements after the whole steps, when
    /// that many are left.
    pub(crate) last_vector: Option<usize>,
}

/// A loop without a vectorised part: every element in the scalar loop.
pub(crate) const SCALAR_ONLY: VectorLoop = VectorLoop {
    step: usize::MAX,
    last_vector: None,
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

    /// Steps of `vectors` vectors of the CPU's width (64 bytes with
    /// AVX-512, 32 with AVX2 and in the `DEFAULT` build's emulated
    /// vectors) of `element_size`-byte elements, then the scalar loop.
    pub(crate) fn of_vectors(cpu: &CpuProfile, vectors: usize, element_size: usize) -> VectorLoop {
        let bytes = match cpu.capability.as_str() {
            "AVX2" | "DEFAULT" => 32,
            _ => 64,
        };
        VectorLoop {
            step: (vectors * bytes / element_size.max(1)).max(1),
            last_vector: None,
        }
    }
}

/// For each element of a result of `shape` (logical C order), whether the
/// scalar loop computes it. `out` is the result's strides, `inputs` the
/// inputs' geometries (broadcast to `shape`); all operands share one dtype.
/// None when an input does not broadcast to `shape`.
pub(crate) fn scalar_elements(
    faults: &Faults,
    shape: &[i64],
    out: &[i64],
    inputs: &[Geometry<'_>],
    threads: usize,
    vector_loop: VectorLoop,
) -> Option<Vec<bool>> {
    let ndim = shape.len();
    if out.len() != ndim
        || inputs
            .iter()
            .any(|(s, st)| s.len() > ndim || s.len() != st.len() || !broadcasts(s, shape))
    {
        return None;
    }
    let mut operands = vec![out.to_vec()];
    operands.extend(inputs.iter().map(|(s, st)| broadcast_strides(shape, s, st)));
    let perm = iteration_order(shape, &operands);
    let n = usize::try_from(shape.iter().product::<i64>()).ok()?;
    let (mut run, inner_steps) = inner_run(shape, &operands, &perm);
    if faults.elementwise_loop_one_run {
        run = n.max(1);
    }
    let vectorised = out_and_inputs_step_by_one(&inner_steps);
    let scalar_at = scalar_positions(n, run, vectorised, threads, vector_loop);

    // each logical element's position in the iteration order: dense
    // strides laid out along `perm`
    let mut position_strides = vec![0i64; ndim];
    let mut next = 1i64;
    for &d in &perm {
        position_strides[d] = next;
        next = next.saturating_mul(shape[d]);
    }
    Some(
        StridedOffsets::new(shape, &position_strides, 0)
            .map(|position| scalar_at.get(position).copied().unwrap_or(true))
            .collect(),
    )
}

/// Whether `in_shape` broadcasts to `shape`.
fn broadcasts(in_shape: &[i64], shape: &[i64]) -> bool {
    let lead = shape.len() - in_shape.len();
    in_shape
        .iter()
        .zip(&shape[lead..])
        .all(|(&a, &b)| a == b || a == 1)
}

/// The length of the coalesced innermost run and each operand's step along
/// it (TensorIterator's `coalesce_dimensions` over the ordered dimensions).
fn inner_run(shape: &[i64], operands: &[Vec<i64>], perm: &[usize]) -> (usize, Vec<i64>) {
    let mut run: Option<(i64, Vec<i64>)> = None;
    for &d in perm {
        match &mut run {
            None => run = Some((shape[d], operands.iter().map(|st| st[d]).collect())),
            Some((len, steps)) => {
                if shape[d] == 1 {
                    continue;
                }
                if *len == 1 {
                    *len = shape[d];
                    *steps = operands.iter().map(|st| st[d]).collect();
                } else if steps.iter().zip(operands).all(|(&s, st)| s * *len == st[d]) {
                    *len *= shape[d];
                } else {
                    break;
                }
            }
        }
    }
    let (len, steps) = run.unwrap_or((1, vec![1; operands.len()]));
    (usize::try_from(len).unwrap_or(1).max(1), steps)
}

/// Whether the inner loop is vectorised for these steps (result first):
/// every operand steps by one element, or exactly one input is broadcast
/// and the rest step by one.
fn out_and_inputs_step_by_one(steps: &[i64]) -> bool {
    let Some((&out, inputs)) = steps.split_first() else {
        return false;
    };
    out == 1
        && inputs.iter().all(|&s| s == 1 || s == 0)
        && inputs.iter().filter(|&&s| s == 0).count() <= 1
}

/// For each iteration position, whether the scalar loop takes it.
fn scalar_positions(
    n: usize,
    run: usize,
    vectorised: bool,
    threads: usize,
    vector_loop: VectorLoop,
) -> Vec<bool> {
    let per = n.div_ceil(thread_parts(n, threads)).max(1);
    let mut scalar = vec![true; n];
    let mut part_start = 0;
    while part_start < n {
        let part_end = (part_start + per).min(n);
        let mut at = part_start;
        while at < part_end {
            let len = (run - at % run).min(part_end - at);
            if vectorised {
                let mut covered = len / vector_loop.step * vector_loop.step;
                if let Some(lanes) = vector_loop.last_vector
                    && len - covered >= lanes
                {
                    covered += lanes;
                }
                scalar[at..at + covered].fill(false);
            }
            at += len;
        }
        part_start = part_end;
    }
    scalar
}

#[cfg(test)]
mod tests {
    use super::*;

    const AVX512_F32: VectorLoop = VectorLoop {
        step: 32,
        last_vector: None,
    };

    fn scalar_count(shape: &[i64], out: &[i64], inputs: &[Geometry<'_>], threads: usize) -> usize {
        scalar_elements(&Faults::default(), shape, out, inputs, threads, AVX512_F32)
            .expect("planned")
            .iter()
            .filter(|&&s| s)
            .count()
    }

    #[test]
    fn a_contiguous_tensor_ends_in_the_scalar_loop() {
        let plan = scalar_elements(
            &Faults::default(),
            &[100],
            &[1],
            &[(&[100], &[1])],
            1,
            AVX512_F32,
        )
        .expect("planned");
        assert_eq!(plan.iter().position(|&s| s), Some(96));
        assert_eq!(plan.iter().filter(|&&s| s).count(), 4);
    }

    #[test]
    fn a_strided_row_chunk_ends_each_row_in_the_scalar_loop() {
        // torch 2.15 (AVX-512): `sigmoid_` of `base[:, 200:400]` for a
        // contiguous `[20, 600]` base: the last 8 elements of every row take
        // the C library's `expf`
        let plan = scalar_elements(
            &Faults::default(),
            &[20, 200],
            &[600, 1],
            &[(&[20, 200], &[600, 1])],
            1,
            AVX512_F32,
        )
        .expect("planned");
        for (i, &s) in plan.iter().enumerate() {
            assert_eq!(s, i % 200 >= 192, "element {i}");
        }
        // a contiguous result of a strided input iterates the same rows
        assert_eq!(
            scalar_count(&[20, 200], &[200, 1], &[(&[20, 200], &[600, 1])], 1),
            160
        );
    }

    #[test]
    fn a_transposed_operand_runs_everything_scalar() {
        assert_eq!(
            scalar_count(&[40, 40], &[40, 1], &[(&[40, 40], &[1, 40])], 1),
            1600
        );
        // the same layout for every operand is walked in memory order
        assert_eq!(
            scalar_count(&[40, 40], &[1, 40], &[(&[40, 40], &[1, 40])], 1),
            0
        );
    }

    #[test]
    fn one_broadcast_input_stays_vectorised() {
        let (full, row): (&[i64], &[i64]) = (&[3, 40], &[40]);
        // a row broadcast over 3 rows: each row of 40 has 8 scalar elements
        assert_eq!(
            scalar_count(full, &[40, 1], &[(full, &[40, 1]), (row, &[1])], 1),
            24
        );
        // a column broadcast along the rows is a step-0 input
        let col: (&[i64], &[i64]) = (&[3, 1], &[1, 1]);
        assert_eq!(
            scalar_count(full, &[40, 1], &[(full, &[40, 1]), col], 1),
            24
        );
        // two broadcast inputs are not vectorised
        assert_eq!(scalar_count(full, &[40, 1], &[col, col], 1), 120);
    }

    #[test]
    fn thread_parts_start_their_own_runs() {
        // 70,001 elements over 4 threads: 3 parts of 23,334 (the last
        // 23,333), each with its own tail of 6 (the last 5) elements
        let n = 70_001;
        let plan = scalar_elements(
            &Faults::default(),
            &[n],
            &[1],
            &[(&[n], &[1])],
            4,
            AVX512_F32,
        )
        .expect("planned");
        let tails: Vec<usize> = plan
            .iter()
            .enumerate()
            .filter(|&(_, &s)| s)
            .map(|(i, _)| i)
            .collect();
        let mut expected: Vec<usize> = (23_328..23_334).collect();
        expected.extend(46_662..46_668);
        expected.extend(69_996..70_001);
        assert_eq!(tails, expected);
    }

    #[test]
    fn the_last_vector_of_a_half_loop_is_vectorised() {
        let half = VectorLoop {
            step: 64,
            last_vector: Some(32),
        };
        let plan = scalar_elements(&Faults::default(), &[100], &[1], &[(&[100], &[1])], 1, half)
            .expect("planned");
        assert_eq!(plan.iter().filter(|&&s| s).count(), 4);
        let plan = scalar_elements(&Faults::default(), &[90], &[1], &[(&[90], &[1])], 1, half)
            .expect("planned");
        assert_eq!(plan.iter().filter(|&&s| s).count(), 26);
    }

    #[test]
    fn inputs_that_do_not_broadcast_are_not_planned() {
        assert!(
            scalar_elements(
                &Faults::default(),
                &[4],
                &[1],
                &[(&[5], &[1])],
                1,
                AVX512_F32
            )
            .is_none()
        );
    }
}
