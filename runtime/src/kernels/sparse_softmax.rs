//! Softmax and log-softmax of a sparse COO tensor over one sparse
//! dimension (`_sparse_softmax`, `_sparse_log_softmax`) and their
//! backwards (`_sparse_softmax_backward_data`,
//! `_sparse_log_softmax_backward_data`), as PyTorch's CPU kernels compute
//! them.
//!
//! Only the specified entries take part: an unspecified entry counts as
//! −∞, so the result has the entries of the coalesced input and nothing
//! else. The entries are grouped into *pools*, one per position of the
//! other sparse dimensions; each pool is normalised on its own, value
//! slice element by element. The forward works in float64 whatever the
//! dtype (measured on torch 2.15: its scratch rows are the accumulate
//! type):
//!
//! * softmax: `m` = the largest value (`max` keeping the earlier on a tie
//!   or NaN), `e = exp(v − m)` per entry, stored rounded to the dtype and
//!   summed unrounded in entry order, then each stored `e` times
//!   `1 / sum`, rounded;
//! * log-softmax: `v − (m + log(sum))`, rounded.
//!
//! Backward, in the dtype, with `o` the output's values and `g` the
//! gradient's at the same index (zero where the gradient has no entry):
//! per pool `t = −Σ o·g` (softmax) or `t = −Σ g` (log-softmax) in entry
//! order, then `o·(g + t)` or `g + exp(o)·t`. Both sides are coalesced first; the
//! result has the output's indices (a contiguous copy) and is coalesced.
//!
//! Softmax over a dense dimension of a hybrid tensor (ATen's dense softmax
//! of the values) is refused by name, as are dtypes other than
//! float32/float64 (PyTorch's own error for integer dtypes).

use std::collections::BTreeMap;

use super::sparse::{self, Elem, SparseFaults};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The float arithmetic the softmax kernels need beyond [`Elem`].
trait Float: Elem + std::ops::Sub<Output = Self> {
    fn exp(self) -> Self;
}

impl Float for f32 {
    fn exp(self) -> f32 {
        f32::exp(self)
    }
}

impl Float for f64 {
    fn exp(self) -> f64 {
        f64::exp(self)
    }
}

/// Which kernel: softmax or log-softmax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Softmax,
    LogSoftmax,
}

impl Kind {
    /// The name PyTorch's dtype dispatch reports.
    fn name(self, backward: bool) -> &'static str {
        match (self, backward) {
            (Kind::Softmax, false) => "softmax",
            (Kind::LogSoftmax, false) => "log_softmax",
            (Kind::Softmax, true) => "softmax_backward",
            (Kind::LogSoftmax, true) => "log_softmax_backward",
        }
    }
}

fn dtype_error(op: &str, kind: Kind, backward: bool, dtype: DType) -> RuntimeError {
    match dtype {
        DType::Float16 | DType::BFloat16 | DType::Complex64 | DType::Complex128 => {
            RuntimeError::unsupported(op, format!("sparse_coo tensors of dtype {}", dtype.name()))
        }
        _ => RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"{}\" not implemented for '{}'",
                kind.name(backward),
                dtype.scalar_type_name()
            ),
        },
    }
}

/// `t` coalesced (`Tensor::coalesce()`: itself when flagged so).
fn coalesced(op: &str, t: &Tensor) -> Result<Tensor> {
    if t.sparse_parts(op)?.is_coalesced() {
        Ok(t.clone())
    } else {
        sparse::coalesce(op, t, SparseFaults::default())
    }
}

/// Refuses a softmax over a dense dimension of a hybrid tensor.
fn sparse_dim_only(op: &str, dim: usize, sparse_dim: usize) -> Result<()> {
    if dim >= sparse_dim {
        return Err(RuntimeError::unsupported(
            op,
            "a sparse softmax over a dense dimension of a hybrid tensor",
        ));
    }
    Ok(())
}

/// Entries grouped by their position in every sparse dimension but `dim`
/// (PyTorch's pools), each in entry order. Pools are independent, so
/// their order does not matter.
fn pools(cols: &[Vec<i64>], sizes: &[i64], dim: usize, nnz: usize) -> Vec<Vec<usize>> {
    let mut by_key: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for k in 0..nnz {
        let key = cols
            .iter()
            .enumerate()
            .filter(|(d, _)| *d != dim)
            .fold(0i64, |acc, (d, col)| {
                acc.wrapping_mul(sizes[d]).wrapping_add(col[k])
            });
        by_key.entry(key).or_default().push(k);
    }
    by_key.into_values().collect()
}

/// Row-major offsets of the entries over the sparse sizes.
fn offsets(cols: &[Vec<i64>], sizes: &[i64], nnz: usize) -> Vec<i64> {
    (0..nnz)
        .map(|k| {
            cols.iter().enumerate().fold(0i64, |acc, (d, col)| {
                acc.wrapping_mul(sizes[d]).wrapping_add(col[k])
            })
        })
        .collect()
}

/// The dense sizes and element count of one value slice.
fn block_of(values: &Tensor) -> (Vec<i64>, usize) {
    let dense = values.shape().get(1..).unwrap_or(&[]).to_vec();
    let block = dense.iter().map(|&d| d.max(0) as usize).product();
    (dense, block)
}

/// A coalesced sparse tensor of `like`'s sizes over a contiguous copy of
/// `cols` and the contiguous `values`.
fn result<T: Elem>(
    op: &str,
    like: &Tensor,
    sparse_dim: usize,
    cols: &[Vec<i64>],
    values_shape: &[i64],
    values: Vec<T>,
) -> Result<Tensor> {
    let nnz = values_shape.first().map_or(0, |&n| n.max(0) as usize);
    let indices = sparse::narrowed_indices(op, cols, nnz, nnz)?;
    let values = T::tensor(op, values_shape, values)?;
    Tensor::sparse_coo(op, like.shape(), sparse_dim, indices, values, true)
}

/// `_sparse_softmax(self, dim, half_to_float)` /
/// `_sparse_log_softmax(...)`. `wrong_dim` is the mutation-test fault that
/// normalises over the next sparse dimension instead.
pub(crate) fn softmax(
    op: &str,
    input: &Tensor,
    dim: i64,
    half_to_float: bool,
    kind: Kind,
    wrong_dim: bool,
) -> Result<Tensor> {
    if half_to_float {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{}: with half to float conversion is not supported on cpu",
                kind.name(false)
            ),
        ));
    }
    let input = coalesced(op, input)?;
    let dim = super::view::wrap(op, dim, input.dim())?;
    match input.dtype() {
        DType::Float32 => softmax_as::<f32>(op, &input, dim, kind, wrong_dim),
        DType::Float64 => softmax_as::<f64>(op, &input, dim, kind, wrong_dim),
        other => Err(dtype_error(op, kind, false, other)),
    }
}

fn softmax_as<T: Float>(
    op: &str,
    input: &Tensor,
    dim: usize,
    kind: Kind,
    wrong_dim: bool,
) -> Result<Tensor> {
    let parts = input.sparse_parts(op)?;
    let (sparse_dim, nnz) = (parts.sparse_dim, parts.nnz());
    sparse_dim_only(op, dim, sparse_dim)?;
    let dim = if wrong_dim && sparse_dim > 1 {
        (dim + 1) % sparse_dim
    } else {
        dim
    };
    let cols = sparse::index_columns(op, &parts.indices, sparse_dim, nnz)?;
    let (_, block) = block_of(&parts.values);
    let values = T::read(&parts.values, op)?;
    let mut out = vec![T::ZERO; values.len()];
    for pool in pools(&cols, input.shape(), dim, nnz) {
        let mut mx = vec![f64::NEG_INFINITY; block];
        for &i in &pool {
            for (m, &v) in mx.iter_mut().zip(&values[i * block..(i + 1) * block]) {
                let v = v.to_f64();
                if *m < v {
                    *m = v;
                }
            }
        }
        let mut sums = vec![0.0f64; block];
        for &i in &pool {
            let row = i * block..(i + 1) * block;
            for (j, (o, &v)) in out[row.clone()].iter_mut().zip(&values[row]).enumerate() {
                let e = (v.to_f64() - mx[j]).exp();
                if kind == Kind::Softmax {
                    *o = T::from_f64(e);
                }
                sums[j] += e;
            }
        }
        for (m, s) in mx.iter_mut().zip(sums.iter_mut()) {
            match kind {
                Kind::LogSoftmax => *m += s.ln(),
                Kind::Softmax => *s = 1.0 / *s,
            }
        }
        for &i in &pool {
            let row = i * block..(i + 1) * block;
            for (j, (o, &v)) in out[row.clone()].iter_mut().zip(&values[row]).enumerate() {
                *o = T::from_f64(match kind {
                    Kind::LogSoftmax => v.to_f64() - mx[j],
                    Kind::Softmax => o.to_f64() * sums[j],
                });
            }
        }
    }
    result(op, input, sparse_dim, &cols, parts.values.shape(), out)
}

/// `_sparse_softmax_backward_data(grad_output, output, dim, self)` /
/// `_sparse_log_softmax_backward_data(...)`.
pub(crate) fn backward(
    op: &str,
    grad: &Tensor,
    output: &Tensor,
    dim: i64,
    kind: Kind,
) -> Result<Tensor> {
    if grad.shape() != output.shape() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected tensor for argument #1 'grad' to have same size as tensor for argument #2 'output'; but {:?} does not equal {:?} (while checking arguments for {})",
                grad.shape(),
                output.shape(),
                kind.name(true)
            ),
        ));
    }
    let dim = super::view::wrap(op, dim, grad.dim())?;
    let grad = coalesced(op, grad)?;
    let output = coalesced(op, output)?;
    let (gp, outp) = (grad.sparse_parts(op)?, output.sparse_parts(op)?);
    if gp.sparse_dim != outp.sparse_dim {
        return Err(RuntimeError::shape(
            op,
            ": grad and output sparse dimensions must be equal",
        ));
    }
    match grad.dtype() {
        DType::Float32 if output.dtype() == DType::Float32 => {
            backward_as::<f32>(op, &grad, &output, dim, kind)
        }
        DType::Float64 if output.dtype() == DType::Float64 => {
            backward_as::<f64>(op, &grad, &output, dim, kind)
        }
        DType::Float32 | DType::Float64 => Err(RuntimeError::unsupported(
            op,
            format!(
                "a {} gradient of a {} output",
                grad.dtype().name(),
                output.dtype().name()
            ),
        )),
        other => Err(dtype_error(op, kind, true, other)),
    }
}

fn backward_as<T: Float>(
    op: &str,
    grad: &Tensor,
    output: &Tensor,
    dim: usize,
    kind: Kind,
) -> Result<Tensor> {
    let (gp, outp) = (grad.sparse_parts(op)?, output.sparse_parts(op)?);
    let sparse_dim = outp.sparse_dim;
    sparse_dim_only(op, dim, sparse_dim)?;
    let (out_nnz, grad_nnz) = (outp.nnz(), gp.nnz());
    let sizes = output.shape();
    let out_cols = sparse::index_columns(op, &outp.indices, sparse_dim, out_nnz)?;
    let grad_cols = sparse::index_columns(op, &gp.indices, sparse_dim, grad_nnz)?;
    let out_offsets = offsets(&out_cols, sizes, out_nnz);
    let grad_offsets = offsets(&grad_cols, sizes, grad_nnz);
    let (_, block) = block_of(&outp.values);
    let o = T::read(&outp.values, op)?;
    let g = T::read(&gp.values, op)?;
    // The gradient entry at each output entry's index (the gradient is
    // coalesced, so its offsets are sorted and unique).
    let matched: Vec<Option<usize>> = out_offsets
        .iter()
        .map(|off| {
            let j = grad_offsets.partition_point(|x| x < off);
            (j < grad_nnz && grad_offsets[j] == *off).then_some(j)
        })
        .collect();
    let mut values = vec![T::ZERO; out_nnz * block];
    for pool in pools(&out_cols, sizes, dim, out_nnz) {
        let mut tmp = vec![T::ZERO; block];
        for &i in &pool {
            let Some(j) = matched[i] else { continue };
            for (k, t) in tmp.iter_mut().enumerate() {
                let gv = g[j * block + k];
                *t = match kind {
                    Kind::LogSoftmax => *t - gv,
                    Kind::Softmax => *t - o[i * block + k] * gv,
                };
            }
        }
        for &i in &pool {
            for (k, &t) in tmp.iter().enumerate() {
                let ov = o[i * block + k];
                let gv = matched[i].map(|j| g[j * block + k]);
                values[i * block + k] = match (kind, gv) {
                    (Kind::LogSoftmax, Some(gv)) => gv + ov.exp() * t,
                    (Kind::LogSoftmax, None) => ov.exp() * t,
                    (Kind::Softmax, Some(gv)) => ov * (gv + t),
                    (Kind::Softmax, None) => ov * t,
                };
            }
        }
    }
    result(
        op,
        output,
        sparse_dim,
        &out_cols,
        outp.values.shape(),
        values,
    )
}

#[cfg(test)]
mod tests {
    //! Expected values observed in torch 2.15.

    use super::*;
    use crate::kernels::sparse::coo;

    fn parts(t: &Tensor) -> (Vec<i64>, Vec<f32>, bool) {
        let p = t.sparse_parts("t").expect("sparse");
        (
            p.indices.read_i64("t").expect("indices"),
            p.values.read_f32("t").expect("values"),
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

    #[test]
    fn softmax_normalises_each_row_over_its_entries_of_the_coalesced_input() {
        let s = softmax("sm", &sample(), 1, false, Kind::Softmax, false).expect("softmax");
        let (i, v, flag) = parts(&s);
        assert_eq!(i, vec![0, 1, 1, 2, 1, 0, 2, 2]);
        // Row 0 holds one entry (1 + 5), row 1 two (2, 3), row 2 one;
        // computed in float64 and rounded.
        let e = (-1f64).exp();
        let inv = 1.0 / (e + 1.0);
        let (a, b) = (((e as f32) as f64 * inv) as f32, inv as f32);
        assert_eq!(v, vec![1.0, a, b, 1.0]);
        assert!(flag);
        let by_col = softmax("sm", &sample(), -2, false, Kind::Softmax, false).expect("softmax");
        // Column 2 holds (1,2)=3 and (2,2)=4.
        assert_eq!(parts(&by_col).1, vec![1.0, 1.0, a, b]);
        let wrong = softmax("sm", &sample(), 1, false, Kind::Softmax, true).expect("softmax");
        assert_eq!(parts(&wrong).1, parts(&by_col).1);
    }

    #[test]
    fn log_softmax_subtracts_the_max_plus_the_log_of_the_sum() {
        let s = softmax("lsm", &sample(), 1, false, Kind::LogSoftmax, false).expect("lsm");
        let m = 3.0 + ((-1f64).exp() + 1.0).ln();
        let expected = vec![0.0, (2.0 - m) as f32, (3.0 - m) as f32, 0.0];
        assert_eq!(parts(&s).1, expected);
    }

    #[test]
    fn softmax_rounds_once_from_float64_as_pytorch_does() {
        // torch 2.15: row [0.3, 1.7, -0.4] gives [0.18012224, 0.73043174,
        // 0.08944605] (float32 arithmetic would give 0.089446045 last).
        let s = coo(&[0, 0, 0, 0, 1, 2], 2, &[0.3, 1.7, -0.4], &[1, 3], true);
        let r = softmax("sm", &s, 1, false, Kind::Softmax, false).expect("softmax");
        assert_eq!(parts(&r).1, vec![0.180_122_24, 0.730_431_74, 0.089_446_05]);
    }

    #[test]
    fn bad_dims_and_dtypes_are_pytorchs_errors() {
        let err = softmax("sm", &sample(), 2, false, Kind::Softmax, false).expect_err("dim");
        assert_eq!(
            err.python_message(),
            "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"
        );
        let err = softmax("sm", &sample(), 0, true, Kind::Softmax, false).expect_err("half");
        assert_eq!(
            err.python_message(),
            "RuntimeError: softmax: with half to float conversion is not supported on cpu"
        );
        let idx = Tensor::from_i64("t", &[1, 2], &[2, 1], DType::Int64, &[0, 1]).expect("idx");
        let vals = Tensor::from_i64("t", &[2], &[1], DType::Int64, &[1, 2]).expect("vals");
        let long = Tensor::sparse_coo("t", &[2], 1, idx, vals, true).expect("coo");
        let err = softmax("sm", &long, 0, false, Kind::LogSoftmax, false).expect_err("long");
        assert_eq!(
            err.python_message(),
            "NotImplementedError: \"log_softmax\" not implemented for 'Long'"
        );
    }

    #[test]
    fn backward_uses_the_output_pattern_and_zero_where_the_gradient_has_none() {
        // torch 2.15: grad = softmax(s, 1) (its entries), output =
        // softmax(s, 0), dim 1 gives values [0, -0.1966, 0.0714, 0.1966].
        let s = sample();
        let grad = softmax("sm", &s, 1, false, Kind::Softmax, false).expect("grad");
        let output = softmax("sm", &s, 0, false, Kind::Softmax, false).expect("output");
        let r = backward("bw", &grad, &output, 1, Kind::Softmax).expect("backward");
        let (i, v, flag) = parts(&r);
        assert_eq!(i, vec![0, 1, 1, 2, 1, 0, 2, 2]);
        assert!(flag);
        let expected = [0.0, -0.1966, 0.0714, 0.1966];
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-4, "{v:?}");
        }
        // A gradient with an entry the output lacks: only matches count.
        let g = coo(&[0, 2, 1, 1], 2, &[1.0, 1.0], &[3, 3], true);
        let r = backward("bw", &g, &output, 1, Kind::LogSoftmax).expect("backward");
        let o = parts(&output).1;
        // Row 0's pool: the entry (0,1) has the gradient 1; t = -1.
        assert_eq!(parts(&r).1[0], 1.0 - o[0].exp());
        // Row 2's pool has no gradient: t = 0.
        assert_eq!(parts(&r).1[3], 0.0);
    }

    #[test]
    fn backward_refuses_gradients_of_another_size() {
        let s = sample();
        let g = coo(&[0, 1], 2, &[1.0], &[3, 4], true);
        let err = backward("bw", &g, &s, 1, Kind::Softmax).expect_err("size");
        assert_eq!(
            err.python_message(),
            "RuntimeError: Expected tensor for argument #1 'grad' to have same size as tensor for argument #2 'output'; but [3, 4] does not equal [3, 3] (while checking arguments for softmax_backward)"
        );
    }
}
