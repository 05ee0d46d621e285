//! Element access and output layout for pointwise kernels.
//!
//! [`output_strides`] reproduces how PyTorch's TensorIterator lays out the
//! result of a pointwise operator, which decides the strides every trace
//! records:
//!
//! 1. If all inputs have the same shape and are contiguous, the result is
//!    contiguous; if they are all non-overlapping and dense with identical
//!    strides, the result takes those strides.
//! 2. Otherwise dimensions are ordered by the inputs' strides (broadcast
//!    dimensions, stride 0, express no preference; the first input with a
//!    strict preference decides; equal strides put the smaller size inner),
//!    with an insertion sort that starts from C order, and the result is dense
//!    in that order. So `x.t() * 2` is column-major like `x.t()`, while an
//!    expanded (stride-0) input yields a contiguous result.

use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::strides::{
    contiguous_strides, expand_geometry, is_contiguous, is_non_overlapping_and_dense, numel,
};

/// The shape and strides of one input (a wrapped scalar is `([], [])`).
pub(crate) type Geometry<'a> = (&'a [i64], &'a [i64]);

/// Strides of a pointwise result of `shape` computed from `inputs`.
pub(crate) fn output_strides(shape: &[i64], inputs: &[Geometry<'_>]) -> Vec<i64> {
    let same_shape = inputs.windows(2).all(|w| w[0].0 == w[1].0);
    if same_shape {
        if inputs.iter().all(|(s, st)| is_contiguous(s, st)) {
            return contiguous_strides(shape);
        }
        if let Some((_, first)) = inputs.first()
            && inputs
                .iter()
                .all(|(s, st)| is_non_overlapping_and_dense(s, st) && st == first)
        {
            return first.to_vec();
        }
    }

    let ndim = shape.len();
    let broadcast: Vec<Vec<i64>> = inputs
        .iter()
        .map(|(s, st)| broadcast_strides(shape, s, st))
        .collect();
    let perm = iteration_order(shape, &broadcast);
    if perm.iter().copied().eq((0..ndim).rev()) {
        return contiguous_strides(shape);
    }
    let mut out = vec![0i64; ndim];
    let mut next = 1i64;
    for &d in &perm {
        out[d] = next;
        next = next.saturating_mul(shape[d]);
    }
    out
}

/// TensorIterator's order of `shape`'s dimensions, innermost first:
/// `perm[k]` is the dimension at iteration position `k`. `operands` are
/// strides seen from `shape` (stride 0 where broadcast), in the iterator's
/// operand order. Dimensions are insertion-sorted from C order; a pair is
/// decided by the first operand with a strict preference (broadcast
/// dimensions express none; the smaller stride goes inner; equal strides
/// put the smaller size inner).
pub(crate) fn iteration_order(shape: &[i64], operands: &[Vec<i64>]) -> Vec<usize> {
    let ndim = shape.len();
    // 1 when dimension d0 should be outer to d1, -1 when inner, 0 when no
    // operand decides.
    let should_swap = |d0: usize, d1: usize| -> i32 {
        for strides in operands {
            let (s0, s1) = (strides[d0], strides[d1]);
            if s0 == 0 || s1 == 0 {
                continue;
            }
            if s0 < s1 {
                return -1;
            }
            if s0 > s1 {
                return 1;
            }
            if shape[d0] > shape[d1] {
                return 1;
            }
        }
        0
    };
    let mut perm: Vec<usize> = (0..ndim).rev().collect();
    for i in 1..ndim {
        let mut dim1 = i;
        for dim0 in (0..i).rev() {
            match should_swap(perm[dim0], perm[dim1]) {
                c if c > 0 => {
                    perm.swap(dim0, dim1);
                    dim1 = dim0;
                }
                c if c < 0 => break,
                _ => {}
            }
        }
    }
    perm
}

/// The strides an input has once TensorIterator casts it to the common
/// dtype: `to(dtype)` preserves a non-overlapping and dense layout, and lays
/// any other strided view out densely in the order of its strides (PyTorch's
/// `infer_dense_strides`: a strided slice of a transposed tensor stays
/// transposed, while an expanded input, whose stride-0 dimensions express no
/// order, becomes contiguous). PyTorch's CPU iterator replaces such an input
/// by its cast copy before it orders the dimensions, so the copy's layout is
/// the one that decides the result's.
pub(crate) fn cast_input_strides(
    faults: &crate::faults::Faults,
    shape: &[i64],
    strides: &[i64],
) -> Vec<i64> {
    if is_non_overlapping_and_dense(shape, strides) {
        strides.to_vec()
    } else if faults.cast_copy_contiguous {
        contiguous_strides(shape)
    } else {
        output_strides(shape, &[(shape, strides)])
    }
}

/// An input's strides seen from the broadcast shape: missing leading
/// dimensions and expanded size-1 dimensions read with stride 0.
pub(crate) fn broadcast_strides(shape: &[i64], in_shape: &[i64], in_strides: &[i64]) -> Vec<i64> {
    let lead = shape.len().saturating_sub(in_shape.len());
    (0..shape.len())
        .map(|i| {
            if i < lead {
                return 0;
            }
            let j = i - lead;
            if in_shape[j] == 1 && shape[i] != 1 {
                0
            } else {
                in_strides[j]
            }
        })
        .collect()
}

/// The elements of `t` broadcast to `shape`, in logical C order.
pub(crate) fn read_broadcast(op: &str, t: &Tensor, shape: &[i64]) -> Result<Vec<f64>> {
    broadcast_view(op, t, shape)?.read_f64(op)
}

/// `t` expanded (stride 0) to `shape`, without copying.
pub(crate) fn broadcast_view(op: &str, t: &Tensor, shape: &[i64]) -> Result<Tensor> {
    if t.shape() == shape {
        return Ok(t.clone());
    }
    let (s, st) =
        expand_geometry(t.shape(), t.stride(), shape).map_err(|m| RuntimeError::shape(op, m))?;
    Ok(t.alias_with(s, st, t.storage_offset()))
}

/// A pointwise operand: its geometry and its elements broadcast to `shape`.
pub(crate) fn operand_values(
    op: &str,
    operand: crate::dispatch::args::Operand<'_>,
    shape: &[i64],
) -> Result<Vec<f64>> {
    match operand {
        crate::dispatch::args::Operand::Tensor(t) => read_broadcast(op, t, shape),
        crate::dispatch::args::Operand::Scalar(v, _) => Ok(vec![v; numel(shape)]),
        crate::dispatch::args::Operand::BigInt(v) => Ok(vec![v as f64; numel(shape)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cast_input_is_laid_out_as_its_copy() {
        // An expanded scalar cast to float64 becomes a contiguous copy, which
        // then decides against the other operand's transposed layout.
        let shape = [2, 4, 6];
        let expanded = cast_input_strides(&crate::faults::Faults::none(), &shape, &[0, 0, 0]);
        assert_eq!(expanded, vec![24, 6, 1]);
        let other = [6, 12, 1];
        assert_eq!(
            output_strides(&shape, &[(&shape, &expanded), (&shape, &other)]),
            vec![24, 6, 1]
        );
        // Without the cast the transposed operand alone decides.
        assert_eq!(
            output_strides(&shape, &[(&shape, &[0, 0, 0]), (&shape, &other)]),
            vec![6, 12, 1]
        );
        // A dense permuted input keeps its layout through the cast.
        assert_eq!(
            cast_input_strides(&crate::faults::Faults::none(), &[3, 2], &[1, 3]),
            vec![1, 3]
        );
        // A strided slice of a transposed tensor is laid out densely in its
        // own order: `x.view(1, 7, 6, 8).transpose(1, 2)[..., ::2]` has
        // strides (336, 8, 48, 2) and its copy (168, 4, 24, 1) in PyTorch.
        assert_eq!(
            cast_input_strides(
                &crate::faults::Faults::none(),
                &[1, 6, 7, 4],
                &[336, 8, 48, 2]
            ),
            vec![168, 4, 24, 1]
        );
    }

    #[test]
    fn contiguous_inputs_give_contiguous_output() {
        let g: Geometry<'_> = (&[16, 8], &[8, 1]);
        assert_eq!(output_strides(&[16, 8], &[g, g]), vec![8, 1]);
    }

    #[test]
    fn transposed_input_gives_transposed_output() {
        // x.t() * 2: the scalar is 0-dim, the tensor column-major.
        let x: Geometry<'_> = (&[4, 8], &[1, 4]);
        let s: Geometry<'_> = (&[], &[]);
        assert_eq!(output_strides(&[4, 8], &[x, s]), vec![1, 4]);
        // unary fast path: same strides as the (dense) input
        assert_eq!(output_strides(&[4, 8], &[x]), vec![1, 4]);
    }

    #[test]
    fn expanded_input_gives_contiguous_output() {
        // SumBackward0's expand: (3,) stride (0,) times a scalar -> (1,)
        let x: Geometry<'_> = (&[3], &[0]);
        let s: Geometry<'_> = (&[], &[]);
        assert_eq!(output_strides(&[3], &[x, s]), vec![1]);
        let e: Geometry<'_> = (&[4, 5], &[0, 0]);
        assert_eq!(output_strides(&[4, 5], &[e]), vec![5, 1]);
    }

    #[test]
    fn broadcast_bias_keeps_c_order() {
        let x: Geometry<'_> = (&[16, 8], &[8, 1]);
        let b: Geometry<'_> = (&[8], &[1]);
        assert_eq!(output_strides(&[16, 8], &[x, b]), vec![8, 1]);
        // mixed: one transposed input, one broadcast row
        let xt: Geometry<'_> = (&[4, 8], &[1, 4]);
        let row: Geometry<'_> = (&[8], &[1]);
        assert_eq!(output_strides(&[4, 8], &[xt, row]), vec![1, 4]);
    }
}
