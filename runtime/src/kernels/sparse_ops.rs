//! The `SparseCPU` kernels: what an operator does when the dispatcher's walk
//! ends at `SparseCPU` (a sparse COO argument, or the sparse factory).
//!
//! | operator | kernel |
//! |---|---|
//! | `_sparse_coo_tensor_with_dims_and_tensors` | a sparse tensor over shallow copies of the indices and values (new tensors sharing the storages and version counters), coalesced when given so or when it has fewer than two entries |
//! | `_indices`, `_values` | the parts themselves (the same tensors every time) |
//! | `is_coalesced`, `sparse_dim`, `dense_dim`, `_nnz` | the layout's flags and sizes |
//! | `_coalesce` | [`super::sparse::coalesce`] |
//! | `clone` | contiguous copies of both parts, the same coalesced flag |
//! | `add_.Tensor` | dense `self` plus a sparse `other` ([`super::sparse::add_dense_sparse_`]) |
//! | `add.Tensor` | two sparse tensors ([`super::sparse::add_sparse_sparse`]) |
//! | `sparse_mask` | a dense `self` read at a coalesced mask's entries: a copy of the mask's indices (its strides kept), `self`'s slices at them as contiguous values, coalesced |
//!
//! Anything else with a sparse argument has no `SparseCPU` kernel: the
//! dispatcher reports it unsupported, naming the operator.

use super::sparse::{self, SparseFaults};
use super::{Kernel, KernelCtx};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::strides::contiguous_strides;

/// The operators with a `SparseCPU` kernel.
const SPARSE_CPU: &[&str] = &[
    "aten._sparse_coo_tensor_with_dims_and_tensors.default",
    "aten._indices.default",
    "aten._values.default",
    "aten.is_coalesced.default",
    "aten.sparse_dim.default",
    "aten.dense_dim.default",
    "aten._nnz.default",
    "aten._coalesce.default",
    "aten.clone.default",
    "aten.add_.Tensor",
    "aten.add.Tensor",
    "aten.sparse_mask.default",
];

/// Whether `op` has a `SparseCPU` kernel (its handler at that key).
pub(crate) fn has_kernel(op: &str) -> bool {
    SPARSE_CPU.contains(&op)
}

/// Whether `op` makes a sparse tensor from strided arguments: its
/// BackendSelect kernel continues at `SparseCPU`, as PyTorch's does for a
/// `layout=torch.sparse_coo` factory.
pub(crate) fn is_sparse_factory(op: &str) -> bool {
    op == "aten._sparse_coo_tensor_with_dims_and_tensors.default"
}

/// The `SparseCPU` kernel of `op`.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._sparse_coo_tensor_with_dims_and_tensors.default" => with_dims_and_tensors,
        "aten._indices.default" => indices,
        "aten._values.default" => values,
        "aten.is_coalesced.default" => is_coalesced,
        "aten.sparse_dim.default" => sparse_dim,
        "aten.dense_dim.default" => dense_dim,
        "aten._nnz.default" => nnz,
        "aten._coalesce.default" => coalesce,
        "aten.clone.default" => clone,
        "aten.add_.Tensor" => add_,
        "aten.add.Tensor" => add,
        "aten.sparse_mask.default" => sparse_mask,
        _ => return None,
    })
}

/// A new tensor over `t`'s storage and geometry sharing its version
/// counter (PyTorch's `shallow_copy_and_detach` as the sparse constructor
/// calls it).
fn shallow_copy(t: &Tensor) -> Tensor {
    Tensor::from_parts(
        std::sync::Arc::clone(&t.0.storage),
        t.shape().to_vec(),
        t.stride().to_vec(),
        t.storage_offset(),
        t.dtype(),
        t.device(),
        t.0.version.clone(),
    )
}

/// A contiguous copy of a strided tensor.
fn contiguous_copy(op: &str, t: &Tensor) -> Result<Tensor> {
    Tensor::from_le_bytes_storage(
        op,
        t.dtype(),
        &t.le_bytes(op)?,
        t.shape(),
        &contiguous_strides(t.shape()),
        0,
    )
}

fn with_dims_and_tensors(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let sparse_dim = usize::try_from(a.int(0)?)
        .map_err(|_| RuntimeError::shape(ctx.op, "sparse_dim must be non-negative"))?;
    let dense_dim = a.int(1)?;
    let size = a.int_list(2)?;
    if sparse_dim as i64 + dense_dim != size.len() as i64 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "number of dimensions must be sparse_dim ({sparse_dim}) + dense_dim ({dense_dim}), but got {}",
                size.len()
            ),
        ));
    }
    let (indices, values) = (a.tensor(3)?, a.tensor(4)?);
    let nnz = values.shape().first().copied().unwrap_or(0);
    let coalesced = match a.values.get(9) {
        Some(IValue::Bool(b)) => *b,
        _ => nnz < 2,
    };
    let out = Tensor::sparse_coo(
        ctx.op,
        &size,
        sparse_dim,
        shallow_copy(indices),
        shallow_copy(values),
        coalesced,
    )?;
    Ok(vec![IValue::Tensor(out)])
}

fn indices(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    Ok(vec![IValue::Tensor(parts.indices.clone())])
}

fn values(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    Ok(vec![IValue::Tensor(parts.values.clone())])
}

fn is_coalesced(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    Ok(vec![IValue::Bool(parts.is_coalesced())])
}

fn sparse_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    Ok(vec![IValue::Int(parts.sparse_dim as i64)])
}

fn dense_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    Ok(vec![IValue::Int(parts.dense_dim as i64)])
}

fn nnz(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    Ok(vec![IValue::Int(parts.nnz() as i64)])
}

fn coalesce(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let faults = SparseFaults {
        coalesce_in_f64: ctx.faults.sparse_coalesce_in_f64,
        coalesce_reversed: ctx.faults.sparse_coalesce_reversed,
    };
    Ok(vec![IValue::Tensor(sparse::coalesce(
        ctx.op,
        a.tensor(0)?,
        faults,
    )?)])
}

fn clone(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    let parts = t.sparse_parts(ctx.op)?;
    let out = Tensor::sparse_coo(
        ctx.op,
        t.shape(),
        parts.sparse_dim,
        contiguous_copy(ctx.op, &parts.indices)?,
        contiguous_copy(ctx.op, &parts.values)?,
        parts.is_coalesced(),
    )?;
    Ok(vec![IValue::Tensor(out)])
}

fn add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, other) = (a.tensor(0)?, a.tensor(1)?);
    if this.is_sparse() || !other.is_sparse() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "in-place addition into a sparse tensor",
        ));
    }
    sparse::add_dense_sparse_(ctx.op, this, other, a.scalar(2)?)?;
    Ok(vec![IValue::Tensor(this.clone())])
}

fn add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, other) = (a.tensor(0)?, a.tensor(1)?);
    if !this.is_sparse() || !other.is_sparse() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "out-of-place addition of a dense and a sparse tensor",
        ));
    }
    Ok(vec![IValue::Tensor(sparse::add_sparse_sparse(
        ctx.op,
        this,
        other,
        a.scalar(2)?,
    )?)])
}

fn sparse_mask(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    let parts = mask.sparse_parts(ctx.op)?;
    if this.is_sparse() || !parts.is_coalesced() || this.shape() != mask.shape() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "a mask that is not coalesced, a sparse self, or sizes that differ",
        ));
    }
    let nnz = parts.nnz();
    let sparse_dim = parts.sparse_dim;
    let flat = parts.indices.read_i64(ctx.op)?;
    let shape = this.shape();
    let block: usize = shape[sparse_dim..]
        .iter()
        .map(|&d| d.max(0) as usize)
        .product();
    let dense = this.read_f64(ctx.op)?;
    let mut gathered = Vec::with_capacity(nnz * block);
    for k in 0..nnz {
        let mut row = 0usize;
        for d in 0..sparse_dim {
            let i = flat[d * nnz + k];
            if i < 0 || i >= shape[d] {
                return Err(RuntimeError::index(
                    ctx.op,
                    format!(
                        "index {i} is out of bounds for dimension {d} with size {}",
                        shape[d]
                    ),
                ));
            }
            row = row * shape[d] as usize + i as usize;
        }
        gathered.extend_from_slice(&dense[row * block..(row + 1) * block]);
    }
    let mut vshape = vec![nnz as i64];
    vshape.extend_from_slice(&shape[sparse_dim..]);
    let values = Tensor::from_f64(
        ctx.op,
        &vshape,
        &contiguous_strides(&vshape),
        this.dtype(),
        &gathered,
    )?;
    // `mask._indices().clone()`: preserve_format keeps the strides of the
    // (dense) indices.
    let indices = Tensor::zeroed(
        ctx.op,
        parts.indices.shape(),
        parts.indices.stride(),
        crate::tensor::dtype::DType::Int64,
    )?;
    indices.write_i64(ctx.op, &flat)?;
    let out = Tensor::sparse_coo(ctx.op, shape, sparse_dim, indices, values, true)?;
    Ok(vec![IValue::Tensor(out)])
}
