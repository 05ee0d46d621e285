//! Where a reduction's elements sit in memory, as PyTorch's TensorIterator
//! walks them: each result's group in the input's memory order, and whether
//! the reduced elements form runs at stride 1 (the layouts its vectorised
//! reduction loops take). Shared by the kernels that reproduce a reduction's
//! order ([`super::norm_order`], [`super::product_order`]).

use super::dims::Reduction;
use crate::tensor::Tensor;
use crate::tensor::strides::StridedOffsets;

/// Each group's values in `t`'s memory order (TensorIterator walks the
/// reduced dimensions by the input's strides).
pub(super) fn memory_ordered_groups(t: &Tensor, values: &[f64], r: &Reduction) -> Vec<Vec<f64>> {
    let indexed: Vec<(usize, f64)> = StridedOffsets::new(t.shape(), t.stride(), 0)
        .zip(values.iter().copied())
        .collect();
    r.groups(&indexed)
        .into_iter()
        .map(|mut g| {
            g.sort_by_key(|&(offset, _)| offset);
            g.into_iter().map(|(_, v)| v).collect()
        })
        .collect()
}

/// The reduced dimensions of size above 1 as `(stride, size)`, fastest
/// first.
fn reduced_dims_by_stride(t: &Tensor, r: &Reduction) -> Vec<(i64, i64)> {
    let mut dims: Vec<(i64, i64)> = t
        .shape()
        .iter()
        .zip(t.stride())
        .zip(&r.reduce)
        .filter(|&((&size, _), &reduced)| reduced && size > 1)
        .map(|((&size, &stride), _)| (stride, size))
        .collect();
    dims.sort_unstable();
    dims
}

/// Whether the reduced dimensions (of size above 1), ordered by stride,
/// chain into one run from stride 1: PyTorch's `is_reduce_lastdim`.
pub(super) fn reduced_run_is_contiguous(t: &Tensor, r: &Reduction) -> bool {
    let dims = reduced_dims_by_stride(t, r);
    innermost_run(&dims) == Some(dims.iter().map(|&(_, size)| size.max(0) as usize).product())
}

/// The length of the stretches at stride 1 that TensorIterator's innermost
/// (coalesced) reduced dimension hands its loop, or None when that
/// dimension's stride is not 1 (the loop then steps element by element).
pub(super) fn innermost_reduced_run(t: &Tensor, r: &Reduction) -> Option<usize> {
    innermost_run(&reduced_dims_by_stride(t, r))
}

fn innermost_run(dims: &[(i64, i64)]) -> Option<usize> {
    let Some(&(first, _)) = dims.first() else {
        // nothing of size above 1 is reduced: one element per group
        return Some(1);
    };
    if first != 1 {
        return None;
    }
    let mut expected = 1i64;
    for &(stride, size) in dims {
        if stride != expected {
            break;
        }
        expected = expected.saturating_mul(size);
    }
    usize::try_from(expected).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::dtype::DType;

    fn all_of(shape: &[i64]) -> Reduction {
        Reduction::new("test", shape, None, false).expect("dims")
    }

    #[test]
    fn reduced_runs_contiguous_in_memory() {
        let t = Tensor::zeroed("test", &[3, 5], &[5, 1], DType::Float32).expect("tensor");
        let rows = Reduction::new("test", &[3, 5], Some(&[1]), false).expect("dims");
        let cols = Reduction::new("test", &[3, 5], Some(&[0]), false).expect("dims");
        let all = Reduction::new("test", &[3, 5], None, false).expect("dims");
        assert!(reduced_run_is_contiguous(&t, &rows));
        assert!(!reduced_run_is_contiguous(&t, &cols));
        assert!(reduced_run_is_contiguous(&t, &all));
        // a transposed tensor: its columns are rows in memory
        let tt = t.alias_with(vec![5, 3], vec![1, 5], 0);
        let cols_t = Reduction::new("test", &[5, 3], Some(&[0]), false).expect("dims");
        assert!(reduced_run_is_contiguous(&tt, &cols_t));
        assert!(reduced_run_is_contiguous(&tt, &all_of(&[5, 3])));
        // a column slice is not one run
        let slice = t.alias_with(vec![3, 2], vec![5, 1], 0);
        assert!(!reduced_run_is_contiguous(&slice, &all_of(&[3, 2])));
    }

    #[test]
    fn innermost_runs_of_rows_columns_and_slices() {
        let t = Tensor::zeroed("test", &[3, 5], &[5, 1], DType::Float32).expect("tensor");
        let rows = Reduction::new("test", &[3, 5], Some(&[1]), false).expect("dims");
        let cols = Reduction::new("test", &[3, 5], Some(&[0]), false).expect("dims");
        assert_eq!(innermost_reduced_run(&t, &rows), Some(5));
        assert_eq!(innermost_reduced_run(&t, &cols), None);
        assert_eq!(innermost_reduced_run(&t, &all_of(&[3, 5])), Some(15));
        // the first two columns of each row: runs of 2, one per row
        let slice = t.alias_with(vec![3, 2], vec![5, 1], 0);
        assert_eq!(innermost_reduced_run(&slice, &all_of(&[3, 2])), Some(2));
        // a column of length 1 reduced: one element per group
        let one = Reduction::new("test", &[3, 1], Some(&[1]), false).expect("dims");
        let narrow = t.alias_with(vec![3, 1], vec![5, 1], 0);
        assert_eq!(innermost_reduced_run(&narrow, &one), Some(1));
    }
}
