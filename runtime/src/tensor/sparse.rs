//! The sparse COO layout (PyTorch's `SparseTensorImpl`).
//!
//! A sparse COO tensor has sizes but no strides of its own: its elements are
//! the entries of two strided tensors, the indices (int64
//! `[sparse_dim, nnz]`, one column per entry) and the values
//! (`[nnz, *sizes[sparse_dim..]]`, one slice per entry), and a flag saying
//! whether the entries are coalesced (indices sorted in row-major order and
//! unique). As in PyTorch the tensor's storage is its values' storage (what a
//! trace records as its storage id), its strides are empty and the parts are
//! tensors of their own, returned as they are by `_indices()` / `_values()`.
//! Entries are *not* required to be unique: an uncoalesced tensor may name
//! one position several times, and every operation that reads it keeps the
//! entries' order, since float sums depend on it.
#![cfg_attr(not(test), allow(dead_code))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Mutex, RwLock};

use super::{AutogradMeta, Tensor, TensorImpl};
use crate::error::{Result, RuntimeError};
use crate::tensor::dtype::DType;
use crate::trace::slot::IdSlot;

/// A sparse tensor's current parts, shared by the tensors that alias it
/// (a node's copy of a saved output, `.data`).
pub(crate) type SparseCell = Arc<RwLock<Arc<SparseCoo>>>;

/// The parts of a sparse COO tensor.
#[derive(Debug)]
pub(crate) struct SparseCoo {
    /// Number of leading (sparse) dimensions, indexed by `indices`.
    pub(crate) sparse_dim: usize,
    /// Number of trailing (dense) dimensions, held whole by each value slice.
    pub(crate) dense_dim: usize,
    /// PyTorch's `is_coalesced()`; set by `_coalesced_` in place.
    coalesced: AtomicBool,
    /// int64 `[sparse_dim, nnz]`.
    pub(crate) indices: Tensor,
    /// `[nnz, *dense sizes]`.
    pub(crate) values: Tensor,
}

impl SparseCoo {
    /// Whether the entries are known sorted and unique.
    pub(crate) fn is_coalesced(&self) -> bool {
        self.coalesced.load(Ordering::Relaxed)
    }

    /// Number of entries (`_nnz()`).
    pub(crate) fn nnz(&self) -> usize {
        self.values
            .shape()
            .first()
            .map_or(0, |&n| n.max(0) as usize)
    }
}

impl Tensor {
    /// A sparse COO tensor of `sizes` over `indices` and `values`, held as
    /// they are (PyTorch's `alias_into_sparse`). Checks the parts against
    /// the sizes as `_sparse_coo_tensor_with_dims_and_tensors` does; index
    /// bounds are not checked (PyTorch does not either, unless asked).
    pub(crate) fn sparse_coo(
        op: &str,
        sizes: &[i64],
        sparse_dim: usize,
        indices: Tensor,
        values: Tensor,
        coalesced: bool,
    ) -> Result<Tensor> {
        let dense_dim = sizes.len().checked_sub(sparse_dim).ok_or_else(|| {
            RuntimeError::shape(
                op,
                format!(
                    "sparse_dim {sparse_dim} is larger than the number of dimensions {}",
                    sizes.len()
                ),
            )
        })?;
        if indices.dtype() != DType::Int64 {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "indices must be an int64 tensor, got {}",
                    indices.dtype().name()
                ),
            ));
        }
        let nnz = values.shape().first().copied().unwrap_or(0);
        if indices.shape() != [sparse_dim as i64, nnz] {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "indices of shape {:?} do not fit sparse_dim {sparse_dim} and {nnz} entries",
                    indices.shape()
                ),
            ));
        }
        if values.dim() != dense_dim + 1 || values.shape()[1..] != sizes[sparse_dim..] {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "values of shape {:?} do not fit sizes {sizes:?} with sparse_dim {sparse_dim}",
                    values.shape()
                ),
            ));
        }
        let parts = SparseCoo {
            sparse_dim,
            dense_dim,
            coalesced: AtomicBool::new(coalesced),
            indices,
            values: values.clone(),
        };
        let inference = values.is_inference();
        let t = Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&values.0.storage),
            shape: sizes.to_vec(),
            strides: Vec::new(),
            offset: 0,
            dtype: values.dtype(),
            device: values.device(),
            conj: false,
            neg: false,
            version: super::VersionCounter::new(),
            autograd: Mutex::new(AutogradMeta::default()),
            trace: Arc::new(IdSlot::new()),
            sparse: Some(Arc::new(RwLock::new(Arc::new(parts)))),
            nested: None,
        }));
        t.0.autograd.lock().inference = inference;
        Ok(t)
    }

    /// Whether this tensor has the sparse COO layout.
    pub fn is_sparse(&self) -> bool {
        self.0.sparse.is_some()
    }

    /// The sparse parts, or an error naming `op` for a strided tensor.
    pub(crate) fn sparse_parts(&self, op: &str) -> Result<Arc<SparseCoo>> {
        self.0
            .sparse
            .as_ref()
            .map(|cell| Arc::clone(&cell.read()))
            .ok_or_else(|| {
                RuntimeError::unsupported(op, "a strided tensor where a sparse_coo one is expected")
            })
    }

    /// Gives this sparse tensor the parts of `other` (PyTorch's
    /// `set_indices_and_values_unsafe` with `other`'s nnz and coalesced
    /// flag), as an in-place sparse operator leaves its `self`. The sizes
    /// must agree.
    pub(crate) fn set_sparse_parts_from(&self, op: &str, other: &Tensor) -> Result<()> {
        let new = other.sparse_parts(op)?;
        let cell = self.0.sparse.as_ref().ok_or_else(|| {
            RuntimeError::unsupported(op, "a strided tensor where a sparse_coo one is expected")
        })?;
        if self.shape() != other.shape() {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "sparse parts of sizes {:?} for a tensor of sizes {:?}",
                    other.shape(),
                    self.shape()
                ),
            ));
        }
        *cell.write() = new;
        Ok(())
    }
}
