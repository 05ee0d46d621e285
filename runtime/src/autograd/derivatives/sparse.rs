//! Derivative rows of the sparse COO operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_sparse_addmm` | SparseAddmmBackward0 | self, mat1, mat2 | mat1, mat2 (as needed), mat2's layout, beta, alpha |
//! | `_coalesce` | CoalesceBackward0 | self | — |
//! | `_sparse_coo_tensor_with_dims_and_tensors` | SparseCooTensorWithDimsAndTensorsBackward0 | values | result |
//! | `_to_dense` | ToDenseBackward0 | self | self, masked_grad |
//! | `_to_sparse` | ToSparseBackward1 | self | — |
//! | `_to_sparse.sparse_dim` | ToSparseBackward0 | self | — |
//! | `values` | ValuesBackward0 | self | self |
//! | `_sparse_softmax` | SparseSoftmaxBackward0 | self | self, result, dim |
//! | `_sparse_log_softmax` | SparseLogSoftmaxBackward0 | self | self, result, dim |
//! | `_sparse_sum.dim` | SparseSumBackward0 | self | self, dim |
//!
//! `is_coalesced`, `sparse_dim`, `dense_dim`, `_nnz`, `_indices`,
//! `_values` and `indices` are not differentiable.

use super::{Derivative, Differentiability, arg, derivative, int, int_list, needs, tensor};
use crate::autograd::functions::linalg::MatrixLayout;
use crate::autograd::functions::sparse::{
    CoalesceBackward0, SparseAddmmBackward0, SparseCooTensorWithDimsAndTensorsBackward0,
    SparseSoftmaxBackward, SparseSumBackward0, ToDenseBackward0, ToSparseBackward, ValuesBackward0,
};
use crate::error::Result;
use crate::ivalue::IValue;

fn softmax(a: &[IValue], log: bool) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(SparseSoftmaxBackward {
        log,
        dim: int(a, 1),
        input: Some(SavedVariable::input(tensor(a, 0)?)),
        result: None,
    }))
}
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is one of these operators.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.is_coalesced.default"
        | "aten.sparse_dim.default"
        | "aten.dense_dim.default"
        | "aten._nnz.default"
        | "aten._indices.default"
        | "aten._values.default"
        | "aten.indices.default" => NotDifferentiable,
        "aten.values.default" => D(derivative!("ValuesBackward0", &[0], |a, _| {
            Ok(Box::new(ValuesBackward0 {
                this: Some(SavedVariable::input(tensor(a, 0)?)),
            }))
        })),
        "aten._sparse_addmm.default" => {
            D(derivative!("SparseAddmmBackward0", &[0, 1, 2], |a, n| {
                let (mat1, mat2) = (tensor(a, 1)?, tensor(a, 2)?);
                Ok(Box::new(SparseAddmmBackward0 {
                    beta: arg(a, 3),
                    alpha: arg(a, 4),
                    mat1: (needs(n, 1) || needs(n, 2)).then(|| SavedVariable::input(mat1)),
                    mat2: needs(n, 1).then(|| SavedVariable::input(mat2)),
                    mat2_layout: MatrixLayout::of(mat2),
                }))
            }))
        }
        "aten._coalesce.default" => D(derivative!("CoalesceBackward0", &[0], |_, _| Ok(Box::new(
            CoalesceBackward0
        )))),
        "aten._sparse_coo_tensor_with_dims_and_tensors.default" => D(derivative!(
            "SparseCooTensorWithDimsAndTensorsBackward0",
            &[4],
            |_, _| Ok(Box::new(
                SparseCooTensorWithDimsAndTensorsBackward0::default()
            ))
        )),
        "aten._to_dense.default" => D(derivative!("ToDenseBackward0", &[0], |a, _| {
            Ok(Box::new(ToDenseBackward0 {
                input: Some(SavedVariable::input(tensor(a, 0)?)),
                masked_grad: arg(a, 2),
            }))
        })),
        // Numbered as in PyTorch's derivatives table: the `sparse_dim`
        // overload first.
        "aten._to_sparse.sparse_dim" => D(derivative!("ToSparseBackward0", &[0], |_, _| Ok(
            Box::new(ToSparseBackward)
        ))),
        "aten._to_sparse.default" => D(derivative!("ToSparseBackward1", &[0], |_, _| Ok(
            Box::new(ToSparseBackward)
        ))),
        "aten._sparse_softmax.default" => D(derivative!("SparseSoftmaxBackward0", &[0], |a, _| {
            softmax(a, false)
        })),
        "aten._sparse_log_softmax.default" => {
            D(derivative!("SparseLogSoftmaxBackward0", &[0], |a, _| {
                softmax(a, true)
            }))
        }
        "aten._sparse_sum.dim" => D(derivative!("SparseSumBackward0", &[0], |a, _| {
            Ok(Box::new(SparseSumBackward0 {
                dim: int_list(a, 1).unwrap_or_default(),
                input: Some(SavedVariable::input(tensor(a, 0)?)),
            }))
        })),
        _ => return None,
    })
}
