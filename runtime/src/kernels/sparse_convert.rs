//! Strided to sparse COO: the `CPU` kernel of `_to_sparse` (what
//! `Tensor.to_sparse()` dispatches for a strided tensor; PyTorch's
//! `dense_to_sparse`).
//!
//! With `sparse_dim` leading dimensions indexed, the tensor is read as
//! `prod(sizes[..sparse_dim])` slices of its trailing dimensions in
//! row-major order; every slice holding a non-zero element (a NaN counts,
//! `-0.0` does not; a complex element with either part non-zero) is an
//! entry. The result is coalesced (its entries are in row-major order and
//! unique) with contiguous int64 indices `[sparse_dim, nnz]` and contiguous
//! values `[nnz, *sizes[sparse_dim..]]` of `self`'s dtype. A 0-dim tensor
//! has `sparse_dim` 0 and one entry unless it is zero. Measured in torch
//! 2.15, errors included.
//!
//! `_to_sparse` takes the layout (none or `sparse_coo`; the compressed
//! layouts are refused as unsupported), no blocksize, and an optional
//! `dense_dim` (`sparse_dim = dim - dense_dim`); `_to_sparse.sparse_dim`
//! takes `sparse_dim` itself.

use super::KernelCtx;
use super::indexing::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;
use crate::tensor::strides::contiguous_strides;

/// The `CPU` kernels of this module, by operator.
pub(crate) fn lookup(op: &str) -> Option<super::Kernel> {
    match op {
        "aten._to_sparse.default" | "aten._to_sparse.sparse_dim" => Some(to_sparse),
        _ => None,
    }
}

fn to_sparse(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let rank = this.dim() as i64;
    let sparse_dim = if ctx.op == "aten._to_sparse.sparse_dim" {
        a.int(1)?
    } else {
        sparse_dim_of_options(ctx.op, &a, rank)?
    };
    if !(0..=rank).contains(&sparse_dim) {
        return Err(refused(
            ctx.op,
            format!("sparse_dim argument must be in [0,{rank}] range, but {sparse_dim} is given"),
        ));
    }
    if sparse_dim == 0 && rank > 0 {
        return Err(refused(
            ctx.op,
            "sparse_dim argument must be in >0 when self.dim()>0".into(),
        ));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "to_sparse on a backend without data (the number of entries depends on the values)",
        ));
    }
    let sparse_dim = sparse_dim as usize;
    let sizes = this.shape().to_vec();
    let slices: usize = sizes[..sparse_dim]
        .iter()
        .map(|&s| s.max(0) as usize)
        .product();
    let slice_len: usize = sizes[sparse_dim..]
        .iter()
        .map(|&s| s.max(0) as usize)
        .product();
    let elems = Elems::read(ctx.op, this)?;
    let negative_zero_counts = ctx.faults.to_sparse_keeps_negative_zero;
    let entries: Vec<usize> = (0..slices)
        .filter(|&s| {
            (s * slice_len..(s + 1) * slice_len).any(|p| nonzero(&elems, p, negative_zero_counts))
        })
        .collect();
    let nnz = entries.len() as i64;
    let index_shape = [sparse_dim as i64, nnz];
    let coords: Vec<i64> = entries
        .iter()
        .flat_map(|&s| unravel(s, &sizes[..sparse_dim]))
        .collect();
    // Row-major coordinates per entry; the indices hold one column each.
    let mut by_dim = vec![0i64; coords.len()];
    for (e, coord) in coords.chunks(sparse_dim.max(1)).enumerate() {
        for (d, &c) in coord.iter().enumerate().take(sparse_dim) {
            by_dim[d * entries.len() + e] = c;
        }
    }
    let indices = output(
        ctx,
        &index_shape,
        &if ctx.faults.to_sparse_indices_contiguous {
            contiguous_strides(&index_shape)
        } else {
            index_strides(sparse_dim, rank as usize, entries.len())
        },
        DType::Int64,
        || Ok(Elems::I(by_dim)),
    )?;
    let mut value_shape = vec![nnz];
    value_shape.extend_from_slice(&sizes[sparse_dim..]);
    let positions: Vec<usize> = entries
        .iter()
        .flat_map(|&s| s * slice_len..(s + 1) * slice_len)
        .collect();
    let values = output(
        ctx,
        &value_shape,
        &contiguous_strides(&value_shape),
        this.dtype(),
        || elems.pick(ctx.op, &positions),
    )?;
    let out = Tensor::sparse_coo(ctx.op, &sizes, sparse_dim, indices, values, true)?;
    Ok(vec![IValue::Tensor(out)])
}

/// The indices' strides as PyTorch leaves them: contiguous, except when
/// some trailing dimensions stay dense and the entries' coordinates (found
/// as the unique rows of an `[nnz, sparse_dim]` tensor, then transposed)
/// already count as contiguous, a size-1 dimension's stride not mattering:
/// one sparse dimension, or one entry. Measured in torch 2.15.
fn index_strides(sparse_dim: usize, rank: usize, nnz: usize) -> Vec<i64> {
    let shape = [sparse_dim as i64, nnz as i64];
    if sparse_dim < rank && nnz > 0 && (sparse_dim == 1 || nnz == 1) {
        vec![1, sparse_dim as i64]
    } else {
        contiguous_strides(&shape)
    }
}

/// `sparse_dim` from `_to_sparse`'s keyword arguments.
fn sparse_dim_of_options(op: &str, a: &Args<'_>, rank: i64) -> Result<i64> {
    match a.opt_layout(1)? {
        None | Some(Layout::SparseCoo) => {}
        Some(other) => {
            return Err(RuntimeError::unsupported(
                op,
                format!(
                    "conversion from Strided to {} (only sparse_coo is supported)",
                    other.name()
                ),
            ));
        }
    }
    if a.opt_int_list(2)?.is_some() {
        return Err(refused(
            op,
            "conversion from Strided to Sparse with blocksize argument given is not supported"
                .into(),
        ));
    }
    match a.values.get(3) {
        None | Some(IValue::None) => Ok(rank),
        Some(IValue::Int(dense_dim)) if (0..=rank).contains(dense_dim) => Ok(rank - dense_dim),
        Some(IValue::Int(dense_dim)) => Err(refused(
            op,
            format!("dense_dim argument must be in [0,{rank}] range, but {dense_dim} is given"),
        )),
        Some(_) => Ok(a.int(3)?),
    }
}

/// PyTorch's error, raised by `dense_to_sparse`.
fn refused(op: &str, message: String) -> RuntimeError {
    RuntimeError::shape(op, format!("dense_to_sparse: {message}"))
}

/// Whether logical element `p` of `elems` is non-zero (`negative_zero`:
/// the fault that counts `-0.0` as non-zero).
fn nonzero(elems: &Elems, p: usize, negative_zero: bool) -> bool {
    match elems {
        Elems::F(v) => v
            .get(p)
            .is_some_and(|&x| x != 0.0 || (negative_zero && x.is_sign_negative())),
        Elems::I(v) => v.get(p).is_some_and(|&x| x != 0),
        Elems::C(v) => v
            .get(2 * p..2 * p + 2)
            .is_some_and(|z| z[0] != 0.0 || z[1] != 0.0),
    }
}

/// Row-major coordinates of flat position `p` in `sizes`.
fn unravel(mut p: usize, sizes: &[i64]) -> Vec<i64> {
    let mut coords = vec![0i64; sizes.len()];
    for (d, &size) in sizes.iter().enumerate().rev() {
        let size = size.max(1) as usize;
        coords[d] = (p % size) as i64;
        p /= size;
    }
    coords
}

#[cfg(test)]
mod tests {
    //! Expected values measured in torch 2.15.

    use super::{index_strides, unravel};
    use crate::error::Result;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn to_sparse(op: &str, args: Vec<IValue>) -> Result<Tensor> {
        Runtime::new().call(op, args).map(|out| {
            out.into_iter()
                .next()
                .and_then(IValue::into_tensor)
                .expect("a tensor result")
        })
    }

    fn parts(t: &Tensor) -> (Vec<f64>, Vec<i64>, Vec<f64>, Vec<i64>, bool) {
        let p = t.sparse_parts("test").expect("sparse");
        (
            p.indices.to_f64_vec().expect("indices"),
            p.indices.stride().to_vec(),
            p.values.to_f64_vec().expect("values"),
            p.values.shape().to_vec(),
            p.is_coalesced(),
        )
    }

    /// `torch.tensor([[0., 1., -0.], [2., nan, 3.]]).to_sparse()`: the
    /// non-zero elements in row-major order, NaN included, -0.0 not.
    #[test]
    fn entries_are_the_non_zero_elements_in_row_major_order() {
        let x = tensor(&[2, 3], DType::Float32, &[0., 1., -0., 2., f64::NAN, 3.]);
        let out = to_sparse("aten._to_sparse.default", vec![(&x).into()]).expect("to_sparse");
        let (indices, strides, values, shape, coalesced) = parts(&out);
        assert_eq!(indices, vec![0., 1., 1., 1., 1., 0., 1., 2.]);
        assert_eq!(strides, vec![4, 1]);
        assert_eq!(values[0], 1.0);
        assert!(values[2].is_nan());
        assert_eq!((values[1], values[3]), (2.0, 3.0));
        assert_eq!(shape, vec![4]);
        assert!(coalesced);
    }

    /// `x.to_sparse(1)` of a `[3, 2]` tensor whose middle row is zero: one
    /// index row `[[0, 2]]` with strides `[1, 1]`, rows as values.
    #[test]
    fn a_dense_dimension_keeps_whole_rows() {
        let x = tensor(&[3, 2], DType::Float64, &[1., 0., 0., 0., 0., 5.]);
        let out = to_sparse(
            "aten._to_sparse.sparse_dim",
            vec![(&x).into(), IValue::Int(1)],
        )
        .expect("to_sparse");
        let (indices, strides, values, shape, _) = parts(&out);
        assert_eq!((indices, strides), (vec![0., 2.], vec![1, 1]));
        assert_eq!((values, shape), (vec![1., 0., 0., 5.], vec![2, 2]));
    }

    #[test]
    fn a_zero_sparse_dim_of_a_matrix_is_pytorchs_error() {
        let x = tensor(&[2, 2], DType::Float32, &[1., 2., 3., 4.]);
        let err = to_sparse(
            "aten._to_sparse.sparse_dim",
            vec![(&x).into(), IValue::Int(0)],
        )
        .expect_err("sparse_dim 0");
        assert_eq!(
            err.python_message(),
            "RuntimeError: dense_to_sparse: sparse_dim argument must be in >0 when self.dim()>0"
        );
    }

    /// Measured in torch 2.15 (`x.to_sparse(k)._indices().stride()`).
    #[test]
    fn indices_keep_the_strides_of_the_transposed_rows_when_contiguous_anyway() {
        assert_eq!(index_strides(1, 3, 3), vec![1, 1]);
        assert_eq!(index_strides(2, 3, 1), vec![1, 2]);
        assert_eq!(index_strides(3, 4, 1), vec![1, 3]);
        assert_eq!(index_strides(2, 3, 3), vec![3, 1]);
        assert_eq!(index_strides(2, 3, 0), vec![1, 1]);
        assert_eq!(index_strides(2, 2, 1), vec![1, 1]);
        assert_eq!(index_strides(2, 2, 9), vec![9, 1]);
    }

    #[test]
    fn unravel_is_row_major() {
        assert_eq!(unravel(5, &[2, 3]), vec![1, 2]);
        assert_eq!(unravel(0, &[]), Vec::<i64>::new());
    }
}
