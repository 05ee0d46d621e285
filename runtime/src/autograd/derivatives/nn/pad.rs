//! Derivative rows of the padding operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `constant_pad_nd` | ConstantPadNdBackward0 | self | pad |
//! | `reflection_pad1d`, `reflection_pad2d`, `reflection_pad3d` | ReflectionPad1DBackward0, ReflectionPad2DBackward0, ReflectionPad3DBackward0 | self | self, padding |
//! | `replication_pad1d`, `replication_pad2d`, `replication_pad3d` | ReplicationPad1DBackward0, ReplicationPad2DBackward0, ReplicationPad3DBackward0 | self | self, padding |

use super::super::{BuildFn, Derivative, Differentiability, derivative, int_list, tensor};
use crate::autograd::functions::nn::pad::{ConstantPadNdBackward0, PadBackward};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

/// A builder of the node of a reflection/replication padding whose
/// backward operator is `backward_op`.
fn pad_node(
    backward_op: &'static str,
    a: &[IValue],
) -> Result<Box<dyn crate::autograd::BackwardFn>> {
    Ok(Box::new(PadBackward {
        backward_op,
        self_: SavedVariable::input(tensor(a, 0)?),
        padding: int_list(a, 1).unwrap_or_default(),
    }))
}

const REFLECTION_1D: BuildFn = |a, _| pad_node("aten.reflection_pad1d_backward.default", a);
const REFLECTION_2D: BuildFn = |a, _| pad_node("aten.reflection_pad2d_backward.default", a);
const REPLICATION_1D: BuildFn = |a, _| pad_node("aten.replication_pad1d_backward.default", a);
const REPLICATION_2D: BuildFn = |a, _| pad_node("aten.replication_pad2d_backward.default", a);
const REFLECTION_3D: BuildFn = |a, _| pad_node("aten.reflection_pad3d_backward.default", a);
const REPLICATION_3D: BuildFn = |a, _| pad_node("aten.replication_pad3d_backward.default", a);

/// The autograd entry of `op` if it is a padding operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.constant_pad_nd.default" => D(derivative!("ConstantPadNdBackward0", &[0], |a, _| {
            Ok(Box::new(ConstantPadNdBackward0 {
                pad: int_list(a, 1).unwrap_or_default(),
            }))
        })),
        "aten.reflection_pad1d.default" => {
            D(derivative!("ReflectionPad1DBackward0", &[0], REFLECTION_1D))
        }
        "aten.reflection_pad2d.default" => {
            D(derivative!("ReflectionPad2DBackward0", &[0], REFLECTION_2D))
        }
        "aten.replication_pad1d.default" => D(derivative!(
            "ReplicationPad1DBackward0",
            &[0],
            REPLICATION_1D
        )),
        "aten.replication_pad2d.default" => D(derivative!(
            "ReplicationPad2DBackward0",
            &[0],
            REPLICATION_2D
        )),
        "aten.reflection_pad3d.default" => {
            D(derivative!("ReflectionPad3DBackward0", &[0], REFLECTION_3D))
        }
        "aten.replication_pad3d.default" => D(derivative!(
            "ReplicationPad3DBackward0",
            &[0],
            REPLICATION_3D
        )),
        _ => return None,
    })
}
