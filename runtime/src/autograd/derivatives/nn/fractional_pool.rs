//! Derivative rows of fractional max pooling.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `fractional_max_pool2d` | FractionalMaxPool2DBackward0 (output 0 only) | self | self, kernel_size, output_size, indices |
//! | `fractional_max_pool3d` | FractionalMaxPool3DBackward0 (output 0 only) | self | self, kernel_size, output_size, indices |
//!
//! Each node makes one call, `fractional_max_pool{2,3}d_backward(grad,
//! self, kernel_size, output_size, indices)`.

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::nn::pool3d::Pool3dBackward;
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

fn node(op: &'static str, a: &[IValue]) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(Pool3dBackward {
        op,
        self_: SavedVariable::input(tensor(a, 0)?),
        params: vec![arg(a, 1), arg(a, 2)],
        with_indices: true,
        indices: None,
    }))
}

/// The autograd entry of `op` if it is a fractional max pooling operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.fractional_max_pool2d.default" => D(derivative!(
            "FractionalMaxPool2DBackward0",
            &[0],
            |a, _| node("aten.fractional_max_pool2d_backward.default", a),
            outputs = &[true, false]
        )),
        "aten.fractional_max_pool3d.default" => D(derivative!(
            "FractionalMaxPool3DBackward0",
            &[0],
            |a, _| node("aten.fractional_max_pool3d_backward.default", a),
            outputs = &[true, false]
        )),
        _ => return None,
    })
}
