//! Derivative rows of the 2-d upsampling operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `upsample_nearest2d` | UpsampleNearest2DBackward0 | self | output size, self sizes, scales |
//! | `upsample_bilinear2d` | UpsampleBilinear2DBackward0 | self | output size, self sizes, align_corners, scales |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::upsample::UpsampleBackward;

/// The autograd entry of `op` if it is an upsampling operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.upsample_nearest2d.default" => {
            D(derivative!("UpsampleNearest2DBackward0", &[0], |a, _| {
                Ok(Box::new(UpsampleBackward {
                    backward_op: "aten.upsample_nearest2d_backward.default",
                    output_size: arg(a, 1),
                    self_sizes: tensor(a, 0)?.shape().to_vec(),
                    align_corners: None,
                    scales: [arg(a, 2), arg(a, 3)],
                }))
            }))
        }
        "aten.upsample_bilinear2d.default" => {
            D(derivative!("UpsampleBilinear2DBackward0", &[0], |a, _| {
                Ok(Box::new(UpsampleBackward {
                    backward_op: "aten.upsample_bilinear2d_backward.default",
                    output_size: arg(a, 1),
                    self_sizes: tensor(a, 0)?.shape().to_vec(),
                    align_corners: Some(arg(a, 2)),
                    scales: [arg(a, 3), arg(a, 4)],
                }))
            }))
        }
        _ => return None,
    })
}
