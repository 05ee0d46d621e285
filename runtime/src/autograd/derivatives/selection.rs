//! Derivatives of selection operators, and closeness checks (not
//! differentiable: their result is a Python bool).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `topk` | TopkBackward0 (values only) | self | self sizes, dim, indices |
//! | `sort`, `sort.stable` | SortBackward0, SortBackward1 (values only) | self | self sizes, dim, indices |
//!
//! PyTorch's formula is `value_selecting_reduction_backward(grad, dim,
//! indices, self.sizes(), keepdim=true)`: `grad.new_zeros(sizes)` then
//! `scatter(dim, indices, grad)` with `dim` as the caller passed it.

use super::{Derivative, Differentiability, derivative, int, tensor};
use crate::autograd::functions::reduction::ValueSelectingBackward;

/// The autograd entry of `op` if it is a selection operator.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.topk.default" => D(derivative!(
            "TopkBackward0",
            &[0],
            |a, _| Ok(Box::new(ValueSelectingBackward {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 2),
                keepdim: true,
                indices: None,
            })),
            outputs = &[true, false]
        )),
        "aten.sort.default" => D(derivative!(
            "SortBackward0",
            &[0],
            |a, _| Ok(Box::new(ValueSelectingBackward {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 1),
                keepdim: true,
                indices: None,
            })),
            outputs = &[true, false]
        )),
        "aten.sort.stable" => D(derivative!(
            "SortBackward1",
            &[0],
            |a, _| Ok(Box::new(ValueSelectingBackward {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
                dim: int(a, 2),
                keepdim: true,
                indices: None,
            })),
            outputs = &[true, false]
        )),
        "aten.allclose.default" => NotDifferentiable,
        _ => return None,
    })
}
