//! The `SparseCPU` kernels: what an operator does when the dispatcher's walk
//! ends at `SparseCPU` (a sparse COO argument, or the sparse factory).
//!
//! | operator | kernel |
//! |---|---|
//! | `_sparse_coo_tensor_with_dims_and_tensors` | a sparse tensor over shallow copies of the indices and values (new tensors sharing the storages and version counters), coalesced when given so or when it has fewer than two entries |
//! | `_indices`, `_values` | the parts themselves (the same tensors every time) |
//! | `indices`, `values` | of a coalesced tensor only (PyTorch's message otherwise): a new tensor over the part's storage and geometry (`alias`) |
//! | `is_coalesced`, `sparse_dim`, `dense_dim`, `_nnz` | the layout's flags and sizes |
//! | `_coalesce` | [`super::sparse::coalesce`] |
//! | `clone` | copies of both parts in the preserve format (dense parts keep their strides: narrowed indices their row stride), the same coalesced flag |
//! | `add_.Tensor` | dense `self` plus a sparse `other` ([`super::sparse::add_dense_sparse_`]); a sparse `self` plus a sparse `other`: `self` takes the parts of their sum ([`super::sparse::add_sparse_sparse`]) |
//! | `add.Tensor` | two sparse tensors ([`super::sparse::add_sparse_sparse`]; one without entries: a copy of the other, or `other`'s values times alpha); a dense `self` plus a sparse `other`: a contiguous copy of `self`, then `add_`; a sparse `self` plus a dense `other` refused with PyTorch's message |
//! | `sparse_mask` | a dense `self` read at the mask's entries: a copy of the mask's indices (its strides kept), `self`'s slices at them as contiguous values, coalesced when the mask is; a sparse `self`: [`super::sparse::sparse_mask_sparse`] |
//! | `_sparse_addmm`, `addmm` | `beta * self + alpha * (mat1 @ mat2)` of a sparse `mat1` ([`super::sparse::addmm_sparse_dense`]) |
//! | `mm` | `_sparse_mm`: sparse `@` strided as `addmm` with `beta = 0`; strided `@` sparse through the transposes ([`super::sparse::mm_dense_sparse`], column-major result) |
//! | `t`, `transpose.int` | a clone (contiguous parts) whose two index rows are swapped, uncoalesced, sizes swapped |
//! | `_sparse_softmax`, `_sparse_log_softmax` and their `_backward_data` | over the specified entries of each slice along a sparse `dim` ([`super::sparse_softmax`]) |
//! | `_sparse_sum.dim`, `_sparse_sum_backward` | a sum over some dimensions, sparse unless every sparse one is summed, and its gradient ([`super::sparse_sum`]) |
//! | `neg` | `neg_out_sparse`: copies of both parts as `clone` makes them, the same coalesced flag (an uncoalesced input is not coalesced first), the values negated in place; bool refused with the dense message |
//! | `_to_dense` | `sparse_to_dense`: contiguous zeros of `self`'s sizes and dtype, then `add_(self)` ([`super::sparse::add_dense_sparse_`]: the entries in nnz order, duplicates summed one after the other); a `dtype` refused with PyTorch's message |
//!
//! Anything else with a sparse argument has no `SparseCPU` kernel: the
//! dispatcher reports it unsupported, naming the operator.

use super::sparse::{self, SparseFaults};
use super::sparse_softmax::{self, Kind};
use super::sparse_sum;
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
    "aten.indices.default",
    "aten.values.default",
    "aten.is_coalesced.default",
    "aten.sparse_dim.default",
    "aten.dense_dim.default",
    "aten._nnz.default",
    "aten._coalesce.default",
    "aten.clone.default",
    "aten.add_.Tensor",
    "aten.add.Tensor",
    "aten.sparse_mask.default",
    "aten._sparse_addmm.default",
    "aten.addmm.default",
    "aten.mm.default",
    "aten.t.default",
    "aten.transpose.int",
    "aten._to_dense.default",
    "aten._sparse_softmax.default",
    "aten._sparse_log_softmax.default",
    "aten._sparse_softmax_backward_data.default",
    "aten._sparse_log_softmax_backward_data.default",
    "aten._sparse_sum.dim",
    "aten._sparse_sum_backward.default",
    "aten.neg.default",
];

/// Whether `op` has a `SparseCPU` kernel (its handler at that key).
pub(crate) fn has_kernel(op: &str) -> bool {
    SPARSE_CPU.contains(&op)
}

/// The `SparseCPU` kernel of `op`.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._sparse_coo_tensor_with_dims_and_tensors.default" => with_dims_and_tensors,
        "aten._indices.default" => indices,
        "aten._values.default" => values,
        "aten.indices.default" => coalesced_indices,
        "aten.values.default" => coalesced_values,
        "aten.is_coalesced.default" => is_coalesced,
        "aten.sparse_dim.default" => sparse_dim,
        "aten.dense_dim.default" => dense_dim,
        "aten._nnz.default" => nnz,
        "aten._coalesce.default" => coalesce,
        "aten.clone.default" => clone,
        "aten.add_.Tensor" => add_,
        "aten.add.Tensor" => add,
        "aten.sparse_mask.default" => sparse_mask,
        "aten._sparse_addmm.default" | "aten.addmm.default" => addmm,
        "aten.mm.default" => mm,
        "aten.t.default" => t,
        "aten.transpose.int" => transpose,
        "aten._to_dense.default" => to_dense,
        "aten._sparse_softmax.default" => softmax,
        "aten._sparse_log_softmax.default" => log_softmax,
        "aten._sparse_softmax_backward_data.default" => softmax_backward,
        "aten._sparse_log_softmax_backward_data.default" => log_softmax_backward,
        "aten._sparse_sum.dim" => sum_dim,
        "aten._sparse_sum_backward.default" => sum_backward,
        "aten.neg.default" => neg,
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

/// A copy of a part as `to(copy=True)` makes it under the preserve memory
/// format (`clone` of a sparse tensor copies its parts that way): a
/// non-overlapping and dense part keeps its strides (PyTorch's
/// `empty_like` copies them, so indices `[1, n]` narrowed from `[1, room]`
/// keep the row stride `room`, a size-1 dimension's stride being free);
/// any other part is copied contiguous.
fn preserving_copy(op: &str, t: &Tensor, fault: bool) -> Result<Tensor> {
    let shape = t.shape();
    let strides = t.stride();
    if fault || !t.is_non_overlapping_and_dense() || strides == contiguous_strides(shape).as_slice()
    {
        return contiguous_copy(op, t);
    }
    let size = t.dtype().element_size();
    let logical = t.le_bytes(op)?;
    let mut storage = vec![0u8; logical.len()];
    let mut index = vec![0i64; shape.len()];
    for chunk in logical.chunks_exact(size) {
        let at = index.iter().zip(strides).map(|(i, s)| i * s).sum::<i64>() as usize * size;
        storage[at..at + size].copy_from_slice(chunk);
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Tensor::from_le_bytes_storage(op, t.dtype(), &storage, shape, strides, 0)
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

/// `indices()`: an alias of a coalesced tensor's indices.
fn coalesced_indices(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    if !parts.is_coalesced() {
        return Err(RuntimeError::shape(
            ctx.op,
            "Cannot get indices on an uncoalesced tensor, please call .coalesce() first",
        ));
    }
    Ok(vec![IValue::Tensor(shallow_copy(&parts.indices))])
}

/// `values()`: an alias of a coalesced tensor's values.
fn coalesced_values(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let parts = a.tensor(0)?.sparse_parts(ctx.op)?;
    if !parts.is_coalesced() {
        return Err(RuntimeError::shape(
            ctx.op,
            "Cannot get values on an uncoalesced tensor, please call .coalesce() first",
        ));
    }
    Ok(vec![IValue::Tensor(shallow_copy(&parts.values))])
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
        preserving_copy(ctx.op, &parts.indices, ctx.faults.sparse_clone_contiguous)?,
        preserving_copy(ctx.op, &parts.values, ctx.faults.sparse_clone_contiguous)?,
        parts.is_coalesced(),
    )?;
    Ok(vec![IValue::Tensor(out)])
}

/// `neg(self)` of a sparse tensor: `clone`'s copies of the parts (no
/// coalescing: SparseAdam's `maximize` negates the uncoalesced gradient and
/// coalesces afterwards), the values negated.
fn neg(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    let parts = t.sparse_parts(ctx.op)?;
    let values = preserving_copy(ctx.op, &parts.values, false)?;
    super::elementwise::negate(ctx, &values)?;
    let out = Tensor::sparse_coo(
        ctx.op,
        t.shape(),
        parts.sparse_dim,
        preserving_copy(ctx.op, &parts.indices, false)?,
        values,
        parts.is_coalesced() || ctx.faults.sparse_neg_coalesced,
    )?;
    Ok(vec![IValue::Tensor(out)])
}

fn add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, other) = (a.tensor(0)?, a.tensor(1)?);
    if this.is_sparse() && !other.is_sparse() {
        return Err(RuntimeError::shape(
            ctx.op,
            "add(sparse, dense) is not supported. Use add(dense, sparse) instead.",
        ));
    }
    if this.is_sparse() {
        // `add_out_sparse_cpu` with `out = self`: the merged entry lists
        // become self's new parts.
        let sum = sparse::add_sparse_sparse(ctx.op, this, other, a.scalar(2)?)?;
        this.set_sparse_parts_from(ctx.op, &sum)?;
        return Ok(vec![IValue::Tensor(this.clone())]);
    }
    sparse::add_dense_sparse_(ctx.op, this, other, a.scalar(2)?)?;
    Ok(vec![IValue::Tensor(this.clone())])
}

fn add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, other) = (a.tensor(0)?, a.tensor(1)?);
    if this.is_sparse() && !other.is_sparse() {
        return Err(RuntimeError::shape(
            ctx.op,
            "add(sparse, dense) is not supported. Use add(dense, sparse) instead.",
        ));
    }
    if !this.is_sparse() {
        // `add_out_dense_sparse_cpu`: the result is a contiguous copy of
        // the dense operand, then the entries are added into it.
        let out = contiguous_copy(ctx.op, this)?;
        sparse::add_dense_sparse_(ctx.op, &out, other, a.scalar(2)?)?;
        return Ok(vec![IValue::Tensor(out)]);
    }
    let mut alpha = a.scalar(2)?;
    if ctx.faults.sparse_add_empty_ignores_alpha && this.sparse_parts(ctx.op)?.nnz() == 0 {
        alpha = 1.0;
    }
    Ok(vec![IValue::Tensor(sparse::add_sparse_sparse(
        ctx.op, this, other, alpha,
    )?)])
}

fn sparse_mask(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    let parts = mask.sparse_parts(ctx.op)?;
    if this.shape() != mask.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "sparse_mask(): operands have incompatible sizes; self has size {:?} but mask has size {:?}",
                this.shape(),
                mask.shape()
            ),
        ));
    }
    if this.is_sparse() {
        return Ok(vec![IValue::Tensor(sparse::sparse_mask_sparse(
            ctx.op, this, mask,
        )?)]);
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
    // `mask._indices().clone()`: preserve_format keeps the strides of dense
    // indices; a coalesced mask's indices narrowed from longer ones (stride
    // [44, 1] for 40 entries) are not dense and clone contiguous.
    let index_strides = if parts.indices.is_non_overlapping_and_dense()
        || ctx.faults.sparse_mask_keeps_index_strides
    {
        parts.indices.stride().to_vec()
    } else {
        contiguous_strides(parts.indices.shape())
    };
    let indices = Tensor::zeroed(
        ctx.op,
        parts.indices.shape(),
        &index_strides,
        crate::tensor::dtype::DType::Int64,
    )?;
    indices.write_i64(ctx.op, &flat)?;
    let out = Tensor::sparse_coo(
        ctx.op,
        shape,
        sparse_dim,
        indices,
        values,
        parts.is_coalesced(),
    )?;
    Ok(vec![IValue::Tensor(out)])
}

fn addmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mat1, mat2) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    if this.is_sparse() || !mat1.is_sparse() || mat2.is_sparse() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "addmm with a sparse self or mat2 (only a sparse mat1 and strided self and mat2)",
        ));
    }
    let out =
        sparse::addmm_sparse_dense(ctx.op, Some(this), mat1, mat2, a.scalar(3)?, a.scalar(4)?)?;
    Ok(vec![IValue::Tensor(out)])
}

fn mm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (mat1, mat2) = (a.tensor(0)?, a.tensor(1)?);
    let out = match (mat1.is_sparse(), mat2.is_sparse()) {
        (true, true) => {
            return Err(RuntimeError::unsupported(
                ctx.op,
                "the product of two sparse tensors (_sparse_sparse_matmul)",
            ));
        }
        (true, false) => sparse::addmm_sparse_dense(ctx.op, None, mat1, mat2, 0.0, 1.0)?,
        _ => sparse::mm_dense_sparse(ctx.op, mat1, mat2)?,
    };
    Ok(vec![IValue::Tensor(out)])
}

fn t(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let parts = this.sparse_parts(ctx.op)?;
    if parts.sparse_dim > 2 || parts.dense_dim != 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "t() expects a tensor with <= 2 sparse and 0 dense dimensions, but self is {}D sparse and {}D dense",
                parts.sparse_dim, parts.dense_dim
            ),
        ));
    }
    let dims = if this.dim() < 2 { (0, 0) } else { (0, 1) };
    Ok(vec![IValue::Tensor(sparse_transpose(
        ctx.op, this, dims.0, dims.1,
    )?)])
}

fn transpose(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let rank = this.dim() as i64;
    let wrap = |d: i64| -> Result<usize> {
        let w = if d < 0 { d + rank } else { d };
        if w < 0 || w >= rank.max(1) {
            return Err(RuntimeError::index(
                ctx.op,
                format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                    -rank.max(1),
                    rank.max(1) - 1
                ),
            ));
        }
        Ok(w as usize)
    };
    let (d0, d1) = (wrap(a.int(1)?)?, wrap(a.int(2)?)?);
    Ok(vec![IValue::Tensor(sparse_transpose(
        ctx.op, this, d0, d1,
    )?)])
}

/// PyTorch's `sparse_to_dense`: `zeros(self.sizes()).add_(self)`.
fn to_dense(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    this.sparse_parts(ctx.op)?;
    if !matches!(a.values.get(1), None | Some(IValue::None)) {
        return Err(RuntimeError::shape(
            ctx.op,
            "dtype argument is not supported by sparse_to_dense",
        ));
    }
    let out = Tensor::zeroed(
        ctx.op,
        this.shape(),
        &contiguous_strides(this.shape()),
        this.dtype(),
    )?;
    if ctx.faults.sparse_to_dense_overwrites {
        sparse::write_dense_sparse_(ctx.op, &out, this)?;
    } else {
        sparse::add_dense_sparse_(ctx.op, &out, this, 1.0)?;
    }
    Ok(vec![IValue::Tensor(out)])
}

/// PyTorch's `transpose` of a sparse tensor: `self.clone()` (contiguous
/// parts), then `sparse_transpose_`, which swaps the two index rows in
/// place, marks the result uncoalesced and swaps the sizes. Equal dims
/// give the clone itself.
fn sparse_transpose(op: &str, this: &Tensor, d0: usize, d1: usize) -> Result<Tensor> {
    let parts = this.sparse_parts(op)?;
    let indices = contiguous_copy(op, &parts.indices)?;
    let values = contiguous_copy(op, &parts.values)?;
    if d0 == d1 {
        return Tensor::sparse_coo(
            op,
            this.shape(),
            parts.sparse_dim,
            indices,
            values,
            parts.is_coalesced(),
        );
    }
    if d0 >= parts.sparse_dim || d1 >= parts.sparse_dim {
        return Err(RuntimeError::unsupported(
            op,
            "transposing a sparse tensor's dense dimensions",
        ));
    }
    let nnz = parts.nnz();
    let mut flat = indices.read_i64(op)?;
    for k in 0..nnz {
        flat.swap(d0 * nnz + k, d1 * nnz + k);
    }
    indices.write_i64(op, &flat)?;
    let mut sizes = this.shape().to_vec();
    sizes.swap(d0, d1);
    Tensor::sparse_coo(op, &sizes, parts.sparse_dim, indices, values, false)
}

fn softmax_kind(ctx: &mut KernelCtx<'_>, a: Args<'_>, kind: Kind) -> Result<Vec<IValue>> {
    let out = sparse_softmax::softmax(
        ctx.op,
        a.tensor(0)?,
        a.int(1)?,
        a.bool(2)?,
        kind,
        ctx.faults.sparse_softmax_wrong_dim,
    )?;
    Ok(vec![IValue::Tensor(out)])
}

fn softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    softmax_kind(ctx, a, Kind::Softmax)
}

fn log_softmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    softmax_kind(ctx, a, Kind::LogSoftmax)
}

/// `_sparse_(log_)softmax_backward_data(grad_output, output, dim, self)`:
/// `self` only names the input's dtype, which the sparse kernel ignores.
fn backward_kind(ctx: &mut KernelCtx<'_>, a: Args<'_>, kind: Kind) -> Result<Vec<IValue>> {
    let out = sparse_softmax::backward(ctx.op, a.tensor(0)?, a.tensor(1)?, a.int(2)?, kind)?;
    Ok(vec![IValue::Tensor(out)])
}

fn softmax_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    backward_kind(ctx, a, Kind::Softmax)
}

fn log_softmax_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    backward_kind(ctx, a, Kind::LogSoftmax)
}

fn sum_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let faults = SparseFaults {
        coalesce_in_f64: ctx.faults.sparse_coalesce_in_f64,
        coalesce_reversed: ctx.faults.sparse_coalesce_reversed,
    };
    let out = sparse_sum::sum_dim(
        ctx.op,
        a.tensor(0)?,
        &a.int_list(1)?,
        ctx.cpu.threads(),
        faults,
    )?;
    Ok(vec![IValue::Tensor(out)])
}

fn sum_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out = sparse_sum::sum_backward(
        ctx.op,
        a.tensor(0)?,
        a.tensor(1)?,
        &a.int_list(2)?,
        ctx.faults.sparse_sum_backward_drops_index,
    )?;
    Ok(vec![IValue::Tensor(out)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::dtype::DType;

    fn int64_storage(values: &[i64], shape: &[i64], strides: &[i64]) -> Tensor {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        Tensor::from_le_bytes_storage("t", DType::Int64, &bytes, shape, strides, 0).expect("tensor")
    }

    #[test]
    fn a_clone_keeps_the_row_stride_of_narrowed_one_row_indices() {
        // indices [1, 3] narrowed from room for 4: dense (a size-1
        // dimension's stride is free), so the clone keeps [4, 1].
        let narrowed = int64_storage(&[5, 2, 7], &[1, 3], &[4, 1]);
        let copy = preserving_copy("t", &narrowed, false).expect("copy");
        assert_eq!(copy.stride(), &[4, 1]);
        assert_eq!(copy.to_i64_vec().expect("read"), vec![5, 2, 7]);
        let faulty = preserving_copy("t", &narrowed, true).expect("copy");
        assert_eq!(faulty.stride(), &[3, 1]);
    }

    #[test]
    fn a_clone_keeps_a_permuted_dense_layout_and_makes_gaps_contiguous() {
        // [2, 3] stored column-major: dense, kept, elements in logical order.
        let columns = int64_storage(&[0, 3, 1, 4, 2, 5], &[2, 3], &[1, 2]);
        let copy = preserving_copy("t", &columns, false).expect("copy");
        assert_eq!(copy.stride(), &[1, 2]);
        assert_eq!(copy.to_i64_vec().expect("read"), vec![0, 1, 2, 3, 4, 5]);
        // two rows of 3 narrowed from rows of 4: not dense, contiguous.
        let gaps = int64_storage(&[1, 2, 3, 0, 4, 5, 6], &[2, 3], &[4, 1]);
        let copy = preserving_copy("t", &gaps, false).expect("copy");
        assert_eq!(copy.stride(), &[3, 1]);
        assert_eq!(copy.to_i64_vec().expect("read"), vec![1, 2, 3, 4, 5, 6]);
    }
}
