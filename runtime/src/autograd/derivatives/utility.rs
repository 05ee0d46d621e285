//! Derivative rows of the tensor utilities.
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `linalg_cross` | LinalgCrossBackward0 (self, other) | self, other, dim |
//! | `trace` | TraceBackward0 | self sizes |
//! | `rot90` | Rot90Backward0 | k, dims |
//! | `nansum` | NansumBackward0 | self, dim, keepdim |
//! | `aminmax` | AminmaxBackward0 | self, dim, keepdim, min, max |
//! | `block_diag` | BlockDiagBackward0 (every tensor) | each input's sizes |
//! | `equal` | — (a bool) | — |

use super::{Derivative, Differentiability, derivative, int, int_list, tensor};
use crate::autograd::functions::utility::{
    AminmaxBackward0, BlockDiagBackward0, LinalgCrossBackward0, NansumBackward0, Rot90Backward0,
    TraceBackward0,
};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;
use crate::kernels::utility_dims;

/// The autograd entry of `op` if it is one of the utilities.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::{Derivative as D, NotDifferentiable};
    Some(match op {
        "aten.linalg_cross.default" => D(derivative!("LinalgCrossBackward0", &[0, 1], |a, _| {
            Ok(Box::new(LinalgCrossBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                other: SavedVariable::input(tensor(a, 1)?),
                dim: int(a, 2),
            }))
        })),
        "aten.trace.default" => D(derivative!("TraceBackward0", &[0], |a, _| {
            Ok(Box::new(TraceBackward0 {
                self_sizes: tensor(a, 0)?.shape().to_vec(),
            }))
        })),
        "aten.rot90.default" => D(derivative!("Rot90Backward0", &[0], |a, _| {
            Ok(Box::new(Rot90Backward0 {
                k: int(a, 1),
                dims: int_list(a, 2).unwrap_or_else(|| vec![0, 1]),
            }))
        })),
        "aten.nansum.default" => D(derivative!("NansumBackward0", &[0], |a, _| {
            let x = tensor(a, 0)?;
            Ok(Box::new(NansumBackward0 {
                self_: SavedVariable::input(x),
                dims: match int_list(a, 1) {
                    Some(d) if !d.is_empty() => {
                        utility_dims("aten.nansum.default", Some(d), x.dim())?
                    }
                    _ => Vec::new(),
                },
                keepdim: matches!(a.get(2), Some(IValue::Bool(true))),
            }))
        })),
        "aten.aminmax.default" => D(derivative!("AminmaxBackward0", &[0], |a, _| {
            Ok(Box::new(AminmaxBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                dim: match a.get(1) {
                    Some(IValue::Int(d)) => Some(*d),
                    _ => None,
                },
                keepdim: matches!(a.get(2), Some(IValue::Bool(true))),
                min: None,
                max: None,
            }))
        })),
        "aten.block_diag.default" => D(derivative!("BlockDiagBackward0", &[0], |a, _| {
            let sizes = match a.first() {
                Some(IValue::TensorList(ts)) => ts.iter().map(|t| t.shape().to_vec()).collect(),
                _ => Vec::new(),
            };
            Ok(Box::new(BlockDiagBackward0 { sizes }))
        })),
        "aten.equal.default" => NotDifferentiable,
        _ => return None,
    })
}
