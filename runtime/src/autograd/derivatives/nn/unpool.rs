//! Derivative rows of the max unpooling operators (derivatives.yaml:
//! `self: max_pool_double_backward(grad, indices, N)`, indices not
//! differentiable).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `max_unpool2d` | MaxUnpool2DBackward0 | self | indices |
//! | `max_unpool3d` | MaxUnpool3DBackward0 | self | indices |

use super::super::{Derivative, Differentiability, derivative, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::double_backward::pool::{Pool, PoolBackwardBackward};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

/// The gather of the incoming gradient at the saved indices over the last
/// `spatial` dimensions (the same node body as a max pooling's double
/// backward, with the single edge `self`).
fn node(a: &[IValue], spatial: usize) -> Result<Box<dyn BackwardFn>> {
    Ok(Box::new(PoolBackwardBackward {
        pool: Pool::Max {
            indices: Some(SavedVariable::input(tensor(a, 1)?)),
            spatial,
        },
        self_zeros: None,
    }))
}

/// The autograd entry of `op` if it is a max unpooling operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.max_unpool2d.default" => D(derivative!("MaxUnpool2DBackward0", &[0], |a, _| {
            node(a, 2)
        })),
        "aten.max_unpool3d.default" => D(derivative!("MaxUnpool3DBackward0", &[0], |a, _| {
            node(a, 3)
        })),
        _ => return None,
    })
}
