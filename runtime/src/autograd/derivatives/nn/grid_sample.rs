//! Derivative rows of the spatial-transformer operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `affine_grid_generator` | AffineGridGeneratorBackward0 | theta | size, align_corners |
//! | `grid_sampler_2d` | GridSampler2DBackward0 | input, grid | input, grid, interpolation_mode, padding_mode, align_corners |
//! | `grid_sampler_3d` | GridSampler3DBackward0 | input, grid | input, grid, interpolation_mode, padding_mode, align_corners |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::grid_sample::{
    AffineGridGeneratorBackward0, GridSampler2DBackward0,
};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is a spatial-transformer operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.affine_grid_generator.default" => {
            D(derivative!("AffineGridGeneratorBackward0", &[0], |a, _| {
                Ok(Box::new(AffineGridGeneratorBackward0 {
                    size: match arg(a, 1) {
                        IValue::IntList(v) => v,
                        _ => Vec::new(),
                    },
                    align_corners: matches!(arg(a, 2), IValue::Bool(true)),
                }))
            }))
        }
        "aten.grid_sampler_2d.default" => {
            D(derivative!("GridSampler2DBackward0", &[0, 1], |a, _| {
                Ok(Box::new(GridSampler2DBackward0 {
                    backward_op: "aten.grid_sampler_2d_backward.default",
                    input: SavedVariable::input(tensor(a, 0)?),
                    grid: SavedVariable::input(tensor(a, 1)?),
                    modes: [arg(a, 2), arg(a, 3), arg(a, 4)],
                }))
            }))
        }
        "aten.grid_sampler_3d.default" => {
            D(derivative!("GridSampler3DBackward0", &[0, 1], |a, _| {
                Ok(Box::new(GridSampler2DBackward0 {
                    backward_op: "aten.grid_sampler_3d_backward.default",
                    input: SavedVariable::input(tensor(a, 0)?),
                    grid: SavedVariable::input(tensor(a, 1)?),
                    modes: [arg(a, 2), arg(a, 3), arg(a, 4)],
                }))
            }))
        }
        _ => return None,
    })
}
