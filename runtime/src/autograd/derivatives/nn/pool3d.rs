//! Derivative rows of the 3-d pooling operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `max_pool3d_with_indices` | MaxPool3DWithIndicesBackward0 (output 0 only) | self | self, window, indices |
//! | `avg_pool3d` | AvgPool3DBackward0 | self | self, window, averaging flags |
//! | `_adaptive_avg_pool3d` | AdaptiveAvgPool3DBackward0 | self | self |
//! | `adaptive_max_pool3d` | AdaptiveMaxPool3DBackward0 (output 0 only) | self | self, indices |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::nn::pool3d::Pool3dBackward;
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

fn node(
    op: &'static str,
    a: &[IValue],
    params: std::ops::Range<usize>,
    with_indices: bool,
) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(Pool3dBackward {
        op,
        self_: SavedVariable::input(tensor(a, 0)?),
        params: params.map(|i| arg(a, i)).collect(),
        with_indices,
        indices: None,
    }))
}

/// The autograd entry of `op` if it is a 3-d pooling operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.max_pool3d_with_indices.default" => D(derivative!(
            "MaxPool3DWithIndicesBackward0",
            &[0],
            |a, _| node(
                "aten.max_pool3d_with_indices_backward.default",
                a,
                1..6,
                true
            ),
            outputs = &[true, false]
        )),
        "aten.avg_pool3d.default" => D(derivative!("AvgPool3DBackward0", &[0], |a, _| {
            node("aten.avg_pool3d_backward.default", a, 1..7, false)
        })),
        "aten.adaptive_max_pool3d.default" => D(derivative!(
            "AdaptiveMaxPool3DBackward0",
            &[0],
            |a, _| node("aten.adaptive_max_pool3d_backward.default", a, 0..0, true),
            outputs = &[true, false]
        )),
        "aten._adaptive_avg_pool3d.default" => {
            D(derivative!("AdaptiveAvgPool3DBackward0", &[0], |a, _| {
                node("aten._adaptive_avg_pool3d_backward.default", a, 0..0, false)
            }))
        }
        _ => return None,
    })
}
