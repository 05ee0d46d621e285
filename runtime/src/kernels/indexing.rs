//! CPU (and meta) kernels of the shape, view, joining and indexing operators.
//!
//! Views live in [`super::view`], `cat` and `stack` in [`super::join`]; the
//! element-moving kernels are here, one submodule per group. They are
//! dtype-agnostic: elements travel as [`Elems`] (f64 for floating dtypes,
//! exact i64 otherwise), and results are contiguous unless noted.

mod advanced;
mod elems;
mod embedding;
mod gather;
mod layout;
mod tri;

pub(crate) use elems::{Elems, output};

use super::{Kernel, join, view};

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.transpose.int" => view::transpose,
        "aten.permute.default" => view::permute,
        "aten.alias.default" => view::alias,
        "aten._unsafe_view.default" => view::unsafe_view,
        "aten.slice.Tensor" => view::slice,
        "aten.split.Tensor" => view::split,
        "aten.split_with_sizes.default" => view::split_with_sizes,
        "aten.unbind.int" => view::unbind,
        "aten.squeeze.default" => view::squeeze,
        "aten.squeeze.dims" => view::squeeze_dims,
        "aten.cat.default" => join::cat,
        "aten.slice_backward.default" => layout::slice_backward,
        "aten.repeat.default" => layout::repeat,
        "aten.flip.default" => layout::flip,
        "aten.tril.default" => tri::tril,
        "aten.triu.default" => tri::triu,
        "aten.gather.default" => gather::gather,
        "aten.scatter.src" => gather::scatter_src,
        "aten.scatter.value" => gather::scatter_value,
        "aten.scatter_add.default" => gather::scatter_add,
        "aten.scatter_.src" => gather::scatter_src_,
        "aten.scatter_.value" => gather::scatter_value_,
        "aten.scatter_add_.default" => gather::scatter_add_,
        "aten.index_select.default" => gather::index_select,
        "aten.index_add.default" => gather::index_add,
        "aten.index_fill.int_Scalar" => gather::index_fill,
        "aten.index_fill_.int_Scalar" => gather::index_fill_,
        "aten.index.Tensor" => advanced::index,
        "aten.index_put.default" => advanced::index_put,
        "aten.index_put_.default" => advanced::index_put_,
        "aten.embedding.default" => embedding::embedding,
        "aten.embedding_dense_backward.default" => embedding::embedding_dense_backward,
        _ => return None,
    })
}

/// Row-major multi-index helpers shared by the submodules.
mod coords {
    use crate::tensor::strides::contiguous_strides;

    /// The contiguous strides of `shape` as `usize`.
    pub(super) fn strides(shape: &[i64]) -> Vec<usize> {
        contiguous_strides(shape)
            .into_iter()
            .map(|s| s.max(0) as usize)
            .collect()
    }

    /// The multi-index of logical position `p` in `shape`.
    pub(super) fn unravel(mut p: usize, shape: &[i64]) -> Vec<usize> {
        let mut out = vec![0; shape.len()];
        for (slot, &s) in out.iter_mut().zip(shape).rev() {
            let s = s.max(1) as usize;
            *slot = p % s;
            p /= s;
        }
        out
    }

    /// The logical position of `index` under contiguous `strides`.
    pub(super) fn ravel(index: &[usize], strides: &[usize]) -> usize {
        index.iter().zip(strides).map(|(i, s)| i * s).sum()
    }

    /// For every element of `to` (row-major), the position of the element
    /// of a `from`-shaped tensor broadcast to it (`from` aligned right).
    pub(super) fn broadcast_positions(from: &[i64], to: &[i64]) -> Vec<usize> {
        let strides = strides(from);
        let lead = to.len().saturating_sub(from.len());
        let n: usize = to.iter().map(|&s| s.max(0) as usize).product();
        (0..n)
            .map(|p| {
                let idx = unravel(p, to);
                from.iter()
                    .enumerate()
                    .map(|(k, &size)| {
                        if size == 1 {
                            0
                        } else {
                            idx[lead + k] * strides[k]
                        }
                    })
                    .sum()
            })
            .collect()
    }
}

/// Index values of an index tensor, which must be int64 or int32 (`what`
/// names the operator for PyTorch's message).
fn index_values(
    ctx: &super::KernelCtx<'_>,
    t: &crate::tensor::Tensor,
    what: &str,
) -> crate::error::Result<Vec<i64>> {
    use crate::tensor::dtype::DType;
    if !matches!(t.dtype(), DType::Int64 | DType::Int32) {
        return Err(crate::error::RuntimeError::shape(
            ctx.op,
            format!(
                "{what}(): Expected dtype int32/int64 for index but got {}",
                t.dtype().name()
            ),
        ));
    }
    if ctx.has_data() {
        t.read_i64(ctx.op)
    } else {
        Ok(Vec::new())
    }
}

/// `i` wrapped into `0..size`, or PyTorch's out-of-bounds message.
fn wrap_index(op: &str, i: i64, d: usize, size: i64) -> crate::error::Result<usize> {
    let w = if i < 0 { i + size } else { i };
    if (0..size).contains(&w) {
        Ok(w as usize)
    } else {
        Err(crate::error::RuntimeError::shape(
            op,
            format!("index {i} is out of bounds for dimension {d} with size {size}"),
        ))
    }
}
