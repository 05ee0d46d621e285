//! `torch.sparse.sum` over some dimensions (`_sparse_sum.dim`) and its
//! backward (`_sparse_sum_backward`), as PyTorch's CPU kernels compute
//! them.
//!
//! * `_sparse_sum.dim(self, dim)`: the dims are wrapped (PyTorch's
//!   errors for one out of range or named twice). Summing every sparse
//!   dimension gives a *dense* tensor: the values summed over the entries
//!   (PyTorch's cascade order, [`crate::kernels::reduce::cascade_sums`]).
//!   Otherwise the result is sparse over the kept sparse dimensions: their
//!   index rows copied contiguous, the values cloned contiguous, then
//!   coalesced (`_coalesce`, so entries landing on one index are summed in
//!   its sort order), or flagged coalesced as they are with fewer than two
//!   entries.
//! * `_sparse_sum_backward(grad, self, dim)`: `self` coalesced first; the
//!   result has its indices (a contiguous copy) and its coalesced flag.
//!   With every sparse dimension summed the (dense) gradient is repeated
//!   for each entry; otherwise each entry takes the (coalesced, sparse)
//!   gradient's values at its position in the kept dimensions, zero where
//!   the gradient has no entry there; with no sparse dimension summed the
//!   result's values are the coalesced gradient's values themselves.
//!
//! Summing a dense dimension of a hybrid tensor and a gradient without
//! entries are refused by name.

use super::reduce::{Layout, cascade_sums, layout};
use super::sparse::{self, SparseFaults};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The wrapped dims to sum as flags over the tensor's dimensions, with
/// PyTorch's errors (`dim_list_to_bitset`).
fn dims_to_sum(op: &str, dims: &[i64], ndim: usize) -> Result<Vec<bool>> {
    let mut flags = vec![false; ndim];
    for &d in dims {
        let w = super::view::wrap(op, d, ndim)?;
        if flags[w] {
            return Err(RuntimeError::shape(
                op,
                format!("dim {w} appears multiple times in the list of dims"),
            ));
        }
        flags[w] = true;
    }
    Ok(flags)
}

/// Refuses summing a dense dimension.
fn sparse_dims_only(op: &str, flags: &[bool], sparse_dim: usize) -> Result<()> {
    if flags.iter().skip(sparse_dim).any(|&f| f) {
        return Err(RuntimeError::unsupported(
            op,
            "a sparse sum over a dense dimension of a hybrid tensor",
        ));
    }
    Ok(())
}

fn float_only(op: &str, dtype: DType) -> Result<()> {
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(RuntimeError::unsupported(
            op,
            format!("sparse_coo tensors of dtype {}", dtype.name()),
        ));
    }
    Ok(())
}

/// A contiguous tensor of `dtype` holding `values`.
fn dense(op: &str, shape: &[i64], dtype: DType, values: &[f64]) -> Result<Tensor> {
    Tensor::from_f64(op, shape, &contiguous_strides(shape), dtype, values)
}

/// Row-major position of each entry over the sparse dimensions `keep`.
fn flattened(cols: &[Vec<i64>], sizes: &[i64], keep: &[usize], nnz: usize) -> Vec<i64> {
    (0..nnz)
        .map(|k| {
            keep.iter().fold(0i64, |acc, &d| {
                acc.wrapping_mul(sizes[d]).wrapping_add(cols[d][k])
            })
        })
        .collect()
}

/// `_sparse_sum.dim(self, dim)`.
pub(crate) fn sum_dim(
    op: &str,
    input: &Tensor,
    dims: &[i64],
    threads: usize,
    faults: SparseFaults,
) -> Result<Tensor> {
    let parts = input.sparse_parts(op)?;
    let flags = dims_to_sum(op, dims, input.dim())?;
    let (sparse_dim, nnz) = (parts.sparse_dim, parts.nnz());
    sparse_dims_only(op, &flags, sparse_dim)?;
    float_only(op, input.dtype())?;
    let values = parts.values.read_f64(op)?;
    let values_shape = parts.values.shape().to_vec();
    let dtype = input.dtype();
    let summed = flags[..sparse_dim].iter().filter(|&&f| f).count();
    if summed == sparse_dim {
        let out_shape = &values_shape[1..];
        let block: usize = out_shape.iter().map(|&d| d.max(0) as usize).product();
        let mut reduce = vec![false; values_shape.len()];
        reduce[0] = true;
        let sums = match layout(&values_shape, &reduce) {
            Some(l @ (Layout::Full | Layout::Outer { .. })) => {
                cascade_sums(&values, dtype, l, threads)
            }
            Some(Layout::Inner { .. }) => {
                return Err(RuntimeError::unsupported(op, "an unexpected sum layout"));
            }
            // No entries, or one: zeros, or the entry's slice.
            None if nnz == 0 => vec![0.0; block],
            None => values[..block].to_vec(),
        };
        return dense(op, out_shape, dtype, &sums);
    }
    let cols = sparse::index_columns(op, &parts.indices, sparse_dim, nnz)?;
    let kept: Vec<Vec<i64>> = (0..sparse_dim)
        .filter(|&d| !flags[d])
        .map(|d| cols[d].clone())
        .collect();
    let new_sizes: Vec<i64> = (0..input.dim())
        .filter(|&d| !flags[d])
        .map(|d| input.shape()[d])
        .collect();
    let indices = sparse::narrowed_indices(op, &kept, nnz, nnz)?;
    let values = dense(op, &values_shape, dtype, &values)?;
    let new = Tensor::sparse_coo(op, &new_sizes, kept.len(), indices, values, nnz < 2)?;
    if nnz < 2 {
        return Ok(new);
    }
    sparse::coalesce(op, &new, faults)
}

/// `_sparse_sum_backward(grad, self, dim)`. `drop_first` is the
/// mutation-test fault that leaves the first matched entry's gradient at
/// zero.
pub(crate) fn sum_backward(
    op: &str,
    grad: &Tensor,
    input: &Tensor,
    dims: &[i64],
    drop_first: bool,
) -> Result<Tensor> {
    let input = if input.sparse_parts(op)?.is_coalesced() {
        input.clone()
    } else {
        sparse::coalesce(op, input, SparseFaults::default())?
    };
    let parts = input.sparse_parts(op)?;
    let flags = dims_to_sum(op, dims, input.dim())?;
    let (sparse_dim, nnz) = (parts.sparse_dim, parts.nnz());
    sparse_dims_only(op, &flags, sparse_dim)?;
    float_only(op, grad.dtype())?;
    let cols = sparse::index_columns(op, &parts.indices, sparse_dim, nnz)?;
    let indices = sparse::narrowed_indices(op, &cols, nnz, nnz)?;
    let values_shape = parts.values.shape().to_vec();
    let block: usize = values_shape[1..]
        .iter()
        .map(|&d| d.max(0) as usize)
        .product();
    let summed = flags[..sparse_dim].iter().filter(|&&f| f).count();
    let coalesced = parts.is_coalesced();
    if summed == sparse_dim {
        if grad.is_sparse() {
            return Err(RuntimeError::shape(
                op,
                "_sparse_sum_backward_cpu: expected grad_ Tensor to be dense since all sparse dims are summed",
            ));
        }
        let g = grad.read_f64(op)?;
        if g.len() != block {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "a gradient of shape {:?} for values of shape {values_shape:?}",
                    grad.shape()
                ),
            ));
        }
        let repeated: Vec<f64> = (0..nnz).flat_map(|_| g.iter().copied()).collect();
        let values = dense(op, &values_shape, grad.dtype(), &repeated)?;
        return Tensor::sparse_coo(op, input.shape(), sparse_dim, indices, values, coalesced);
    }
    if !grad.is_sparse() {
        return Err(RuntimeError::shape(
            op,
            "_sparse_sum_backward_cpu: expected grad_ Tensor to be sparse, but got dense",
        ));
    }
    let gp0 = grad.sparse_parts(op)?;
    if gp0.nnz() == 0 {
        return Err(RuntimeError::unsupported(
            op,
            "a sparse sum gradient without entries",
        ));
    }
    let grad = if gp0.is_coalesced() {
        grad.clone()
    } else {
        sparse::coalesce(op, grad, SparseFaults::default())?
    };
    let gp = grad.sparse_parts(op)?;
    let values = if summed == 0 {
        gp.values.clone()
    } else {
        let grad_nnz = gp.nnz();
        let grad_cols = sparse::index_columns(op, &gp.indices, gp.sparse_dim, grad_nnz)?;
        let all: Vec<usize> = (0..gp.sparse_dim).collect();
        let grad_keys = flattened(&grad_cols, grad.shape(), &all, grad_nnz);
        let keep: Vec<usize> = (0..sparse_dim).filter(|&d| !flags[d]).collect();
        let input_keys = flattened(&cols, input.shape(), &keep, nnz);
        let g = gp.values.read_f64(op)?;
        let mut out = vec![0.0; nnz * block];
        let mut dropped = !drop_first;
        for (i, key) in input_keys.iter().enumerate() {
            let m = grad_keys.partition_point(|k| k < key);
            if m < grad_nnz && grad_keys[m] == *key {
                if !dropped {
                    dropped = true;
                    continue;
                }
                out[i * block..(i + 1) * block].copy_from_slice(&g[m * block..(m + 1) * block]);
            }
        }
        dense(op, &values_shape, grad.dtype(), &out)?
    };
    Tensor::sparse_coo(op, input.shape(), sparse_dim, indices, values, coalesced)
}

#[cfg(test)]
mod tests {
    //! Expected values observed in torch 2.15.

    use super::*;
    use crate::kernels::sparse::coo;

    fn parts(t: &Tensor) -> (Vec<i64>, Vec<f32>, Vec<i64>, bool) {
        let p = t.sparse_parts("t").expect("sparse");
        (
            p.indices.read_i64("t").expect("indices"),
            p.values.read_f32("t").expect("values"),
            p.indices.stride().to_vec(),
            p.is_coalesced(),
        )
    }

    /// Entries (0,1)=1, (1,0)=2, (1,2)=3, (2,2)=4, (0,1)=5 of a 3×3 tensor.
    fn sample() -> Tensor {
        coo(
            &[0, 1, 1, 2, 0, 1, 0, 2, 2, 1],
            2,
            &[1., 2., 3., 4., 5.],
            &[3, 3],
            false,
        )
    }

    fn sum(t: &Tensor, dims: &[i64]) -> Result<Tensor> {
        sum_dim("s", t, dims, 1, SparseFaults::default())
    }

    #[test]
    fn summing_a_sparse_dim_keeps_the_others_coalesced() {
        // torch.sparse.sum(s, 0): indices [[0, 1, 2]] (stride (5, 1)),
        // values [2, 6, 7]; over dim 1: [[0, 1, 2]], [6, 5, 4].
        let (i, v, strides, flag) = parts(&sum(&sample(), &[0]).expect("sum"));
        assert_eq!(
            (i, v, strides, flag),
            (vec![0, 1, 2], vec![2., 6., 7.], vec![5, 1], true)
        );
        let (i, v, _, _) = parts(&sum(&sample(), &[-1]).expect("sum"));
        assert_eq!((i, v), (vec![0, 1, 2], vec![6., 5., 4.]));
        // No dim: a coalesced copy.
        let (i, v, _, flag) = parts(&sum(&sample(), &[]).expect("sum"));
        assert_eq!(i, vec![0, 1, 1, 2, 1, 0, 2, 2]);
        assert_eq!(v, vec![6., 2., 3., 4.]);
        assert!(flag);
    }

    #[test]
    fn summing_every_sparse_dim_is_dense() {
        let total = sum(&sample(), &[0, 1]).expect("sum");
        assert!(!total.is_sparse());
        assert_eq!(total.shape(), &[] as &[i64]);
        assert_eq!(total.read_f64("t").expect("total"), vec![15.0]);
        let rows = coo(&[0, 2, 0], 1, &[1., 2., 3., 4., 5., 6.], &[3, 2], false);
        let total = sum(&rows, &[0]).expect("sum");
        assert_eq!(total.shape(), &[2]);
        assert_eq!(total.read_f64("t").expect("total"), vec![9.0, 12.0]);
    }

    #[test]
    fn bad_dims_are_pytorchs_errors() {
        let err = sum(&sample(), &[1, -1]).expect_err("twice");
        assert_eq!(
            err.python_message(),
            "RuntimeError: dim 1 appears multiple times in the list of dims"
        );
        let err = sum(&sample(), &[2]).expect_err("range");
        assert_eq!(
            err.python_message(),
            "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"
        );
    }

    #[test]
    fn backward_scatters_the_gradient_to_the_matching_entries() {
        // torch 2.15: _sparse_sum_backward(sum(s, 0), s, [0]) has s's
        // coalesced indices (stride (4, 1)) and values [6, 2, 7, 7].
        let s = sample();
        let g = sum(&s, &[0]).expect("sum");
        let r = sum_backward("b", &g, &s, &[0], false).expect("backward");
        let (i, v, strides, flag) = parts(&r);
        assert_eq!(i, vec![0, 1, 1, 2, 1, 0, 2, 2]);
        assert_eq!(v, vec![6., 2., 7., 7.]);
        assert_eq!(strides, vec![4, 1]);
        assert!(flag);
        let dropped = sum_backward("b", &g, &s, &[0], true).expect("backward");
        assert_eq!(parts(&dropped).1, vec![0., 2., 7., 7.]);
        // A gradient missing a position leaves zeros there.
        let g = coo(&[2], 1, &[9.], &[3], true);
        let r = sum_backward("b", &g, &s, &[0], false).expect("backward");
        assert_eq!(parts(&r).1, vec![0., 0., 9., 9.]);
    }

    #[test]
    fn backward_of_a_full_sum_repeats_the_dense_gradient() {
        let two = Tensor::from_f32_contiguous("t", &[], vec![2.0]).expect("grad");
        let r = sum_backward("b", &two, &sample(), &[0, 1], false).expect("backward");
        let (_, v, strides, flag) = parts(&r);
        assert_eq!((v, strides, flag), (vec![2.; 4], vec![4, 1], true));
        let err = sum_backward("b", &two, &sample(), &[0], false).expect_err("dense");
        assert_eq!(
            err.python_message(),
            "RuntimeError: _sparse_sum_backward_cpu: expected grad_ Tensor to be sparse, but got dense"
        );
        let g = sum(&sample(), &[0]).expect("sum");
        let err = sum_backward("b", &g, &sample(), &[0, 1], false).expect_err("sparse");
        assert_eq!(
            err.python_message(),
            "RuntimeError: _sparse_sum_backward_cpu: expected grad_ Tensor to be dense since all sparse dims are summed"
        );
    }
}
