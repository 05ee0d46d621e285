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
//! - otherwise TensorIterator's split ([`loop_plan`]) with whole groups of
//!   64 (two 32-lane vectors), then one more vector of 32 if that many are
//!   left, in the vectorised loop of each stretch and the rest in the
//!   scalar one (a dense operand transposed against the result: the scalar
//!   loop throughout).

use crate::cpu::CpuProfile;
use crate::error::Result;
use crate::faults::Faults;
use crate::kernels::KernelCtx;
use crate::kernels::iter::read_broadcast;
use crate::kernels::loop_plan::{self, VectorLoop};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The float16/bfloat16 `add`/`sub` loop: steps of 2 × 32 lanes, then one
/// more vector of 32.
const HALF_LOOP: VectorLoop = VectorLoop {
    step: 64,
    last_vector: Some(32),
};

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
    let elements = scalar_loop_elements(ctx.faults, out, &[x, y], ctx.cpu)?;
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
    /// call (`xs`, broadcast to `out`'s shape, logical order) and `y`'s.
    pub(crate) fn redo(
        &self,
        ctx: &KernelCtx<'_>,
        out: &Tensor,
        xs: &[f64],
        y: &Tensor,
    ) -> Result<()> {
        let dtype = out.dtype();
        let ys = read_broadcast(ctx.op, y, out.shape())?;
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
    faults: &Faults,
    out: &Tensor,
    inputs: &[&Tensor],
    cpu: &CpuProfile,
) -> Option<Vec<usize>> {
    scalar_loop_elements_in(faults, out, inputs, cpu, Some(HALF_LOOP))
}

/// [`scalar_loop_elements`] of a loop shaped as `vector_loop` says (None:
/// vectorised kernels whose loop the runtime does not know, so no layout is
/// modelled). Inputs broadcast to `out`'s shape.
pub(crate) fn scalar_loop_elements_in(
    faults: &Faults,
    out: &Tensor,
    inputs: &[&Tensor],
    cpu: &CpuProfile,
    vector_loop: Option<VectorLoop>,
) -> Option<Vec<usize>> {
    let shape = out.shape();
    let geometries: Vec<(&[i64], &[i64])> =
        inputs.iter().map(|t| (t.shape(), t.stride())).collect();
    if !cpu.vectorised() {
        // every element in the scalar loop, when the inputs broadcast
        let all = loop_plan::scalar_elements(
            faults,
            shape,
            out.stride(),
            &geometries,
            1,
            loop_plan::SCALAR_ONLY,
        )?;
        return Some((0..all.len()).collect());
    }
    let plan = loop_plan::scalar_elements(
        faults,
        shape,
        out.stride(),
        &geometries,
        cpu.threads(),
        vector_loop?,
    )?;
    Some(
        plan.iter()
            .enumerate()
            .filter(|&(_, &scalar)| scalar)
            .map(|(i, _)| i)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(n: usize, threads: usize) -> Vec<usize> {
        let size = [i64::try_from(n).expect("size")];
        loop_plan::scalar_elements(
            &Faults::default(),
            &size,
            &[1],
            &[(&size, &[1])],
            threads,
            HALF_LOOP,
        )
        .expect("planned")
        .iter()
        .enumerate()
        .filter(|&(_, &scalar)| scalar)
        .map(|(i, _)| i)
        .collect()
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
            scalar_loop_elements(&Faults::default(), &a, &[&a, &a], &cpu("DEFAULT", "2")),
            Some((0..100).collect())
        );
        assert_eq!(
            scalar_loop_elements(&Faults::default(), &a, &[&a, &a], &cpu("AVX2", "2")),
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
            scalar_loop_elements(&Faults::default(), &a, &[&a, &a], &cpu("AVX512", "1")),
            Some((64_000..64_031).collect())
        );
        assert_eq!(
            scalar_loop_elements(&Faults::default(), &a, &[&a, &a], &cpu("AVX512", "2")),
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
            scalar_loop_elements(&Faults::default(), &a, &[&a, &bt], &cpu("AVX512", "2")),
            Some((0..300).collect())
        );
        // one dense layout: the remainder of 300 after 4 steps and a vector
        assert_eq!(
            scalar_loop_elements(&Faults::default(), &a, &[&a, &a], &cpu("AVX512", "2")),
            Some((288..300).collect())
        );
        // both transposed alike: memory order decides
        let at = tensor(&[100, 3], &[3, 1]).alias_with(vec![3, 100], vec![1, 3], 0);
        let expected: Vec<usize> = (0..300)
            .filter(|i| (i % 100) * 3 + i / 100 >= 288)
            .collect();
        assert_eq!(
            scalar_loop_elements(&Faults::default(), &at, &[&at, &at], &cpu("AVX512", "2")),
            Some(expected)
        );
        // a broadcast row: each row of 100 is a stretch of its own
        let row = tensor(&[1, 100], &[100, 1]);
        let tails: Vec<usize> = (0..300).filter(|i| i % 100 >= 96).collect();
        assert_eq!(
            scalar_loop_elements(&Faults::default(), &a, &[&a, &row], &cpu("AVX512", "2")),
            Some(tails)
        );
    }
}
