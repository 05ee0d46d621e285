//! Derivative rows of `select_scatter`, `slice_scatter` and
//! `diagonal_scatter`.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `select_scatter` | SelectScatterBackward0 | self, src | dim, index, src sizes and options |
//! | `slice_scatter` | SliceScatterBackward0 | self, src | dim, start, end, step, src sizes and options |
//! | `diagonal_scatter` | DiagonalScatterBackward0 | self, src | offset, dim1, dim2, src sizes and options |

use super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::scatter_views::ScatterViewBackward;

/// The autograd entry of `op` if it is one of these operators.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.select_scatter.default" => {
            D(derivative!("SelectScatterBackward0", &[0, 1], |a, _| {
                let src = tensor(a, 1)?;
                Ok(Box::new(ScatterViewBackward {
                    scatter_op: "aten.select_scatter.default",
                    view_op: "aten.select.int",
                    view_args: vec![arg(a, 2), arg(a, 3)],
                    src_sizes: src.shape().to_vec(),
                    src_dtype: src.dtype(),
                    src_device: src.device(),
                }))
            }))
        }
        "aten.slice_scatter.default" => D(derivative!("SliceScatterBackward0", &[0, 1], |a, _| {
            let src = tensor(a, 1)?;
            Ok(Box::new(ScatterViewBackward {
                scatter_op: "aten.slice_scatter.default",
                view_op: "aten.slice.Tensor",
                view_args: vec![arg(a, 2), arg(a, 3), arg(a, 4), arg(a, 5)],
                src_sizes: src.shape().to_vec(),
                src_dtype: src.dtype(),
                src_device: src.device(),
            }))
        })),
        "aten.diagonal_scatter.default" => {
            D(derivative!("DiagonalScatterBackward0", &[0, 1], |a, _| {
                let src = tensor(a, 1)?;
                Ok(Box::new(ScatterViewBackward {
                    scatter_op: "aten.diagonal_scatter.default",
                    view_op: "aten.diagonal.default",
                    view_args: vec![arg(a, 2), arg(a, 3), arg(a, 4)],
                    src_sizes: src.shape().to_vec(),
                    src_dtype: src.dtype(),
                    src_device: src.device(),
                }))
            }))
        }
        _ => return None,
    })
}
