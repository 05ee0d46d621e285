//! Derivative rows of the pairwise distances (derivatives.yaml:
//! `_cdist_forward`: `x1: _cdist_backward(grad.contiguous(), x1, x2, p,
//! result)`, `x2: _cdist_backward(grad.mT().contiguous(), x2, x1, p,
//! result.mT().contiguous())`; `_euclidean_dist`: `x1, x2:
//! _euclidean_dist_backward(grad, x1, x2, result)`).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_cdist_forward` | CdistBackward0 | x1, x2 | x1, x2, p, result |
//! | `_euclidean_dist` | EuclideanDistBackward0 | x1, x2 | x1, x2, result |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::cdist::{CdistBackward0, EuclideanDistBackward0};
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is a pairwise-distance operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._cdist_forward.default" => D(derivative!("CdistBackward0", &[0, 1], |a, _| {
            Ok(Box::new(CdistBackward0 {
                x1: SavedVariable::input(tensor(a, 0)?),
                x2: SavedVariable::input(tensor(a, 1)?),
                p: arg(a, 2),
                result: None,
            }))
        })),
        "aten._euclidean_dist.default" => {
            D(derivative!("EuclideanDistBackward0", &[0, 1], |a, _| {
                Ok(Box::new(EuclideanDistBackward0 {
                    x1: SavedVariable::input(tensor(a, 0)?),
                    x2: SavedVariable::input(tensor(a, 1)?),
                    result: None,
                }))
            }))
        }
        _ => return None,
    })
}
