//! Derivative rows of the batched and vector matrix products (`mm` and
//! `addmm` are core rows).
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `bmm` | BmmBackward0 | self, mat2 | the other operand |
//! | `baddbmm` | BaddbmmBackward0 | self, batch1, batch2 | batch1/batch2 (as needed), beta, alpha |
//! | `addbmm` | AddbmmBackward0 | self, batch1, batch2 | batch1/batch2 (as needed), batched sizes, beta, alpha |
//! | `mv` | MvBackward0 | self, vec | the other operand |
//! | `addmv` | AddmvBackward0 | self, mat, vec | mat/vec (as needed), beta, alpha |
//! | `dot` | DotBackward0 | self, tensor | the other operand |
//! | `addr` | AddrBackward0 | self, vec1, vec2 | vec1/vec2 (as needed), beta, alpha |

use super::super::{Derivative, Differentiability, arg, derivative, needs, tensor};
use crate::autograd::functions::linalg::{
    AddbmmBackward0, AddmvBackward0, AddrBackward0, BaddbmmBackward0, BmmBackward0, DotBackward0,
    MvBackward0,
};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

/// Saves `args[i]` when edge `edge` (its partner) needs a gradient.
fn save_for(a: &[IValue], n: &[bool], i: usize, edge: usize) -> Result<Option<SavedVariable>> {
    Ok(if needs(n, edge) {
        Some(SavedVariable::input(tensor(a, i)?))
    } else {
        None
    })
}

/// The autograd entry of `op` if it is a batched or vector product.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.bmm.default" => D(derivative!("BmmBackward0", &[0, 1], |a, n| {
            Ok(Box::new(BmmBackward0 {
                self_: save_for(a, n, 0, 1)?,
                mat2: save_for(a, n, 1, 0)?,
            }))
        })),
        "aten.baddbmm.default" | "aten.baddbmm_.default" => {
            D(derivative!("BaddbmmBackward0", &[0, 1, 2], |a, n| {
                Ok(Box::new(BaddbmmBackward0 {
                    beta: arg(a, 3),
                    alpha: arg(a, 4),
                    batch1: save_for(a, n, 1, 2)?,
                    batch2: save_for(a, n, 2, 1)?,
                }))
            }))
        }
        "aten.addbmm.default" | "aten.addbmm_.default" => {
            D(derivative!("AddbmmBackward0", &[0, 1, 2], |a, n| {
                let (b1, b2) = (tensor(a, 1)?.shape(), tensor(a, 2)?.shape());
                let dim = |s: &[i64], i: usize| s.get(i).copied().unwrap_or(0);
                Ok(Box::new(AddbmmBackward0 {
                    beta: arg(a, 3),
                    alpha: arg(a, 4),
                    batch1: save_for(a, n, 1, 2)?,
                    batch2: save_for(a, n, 2, 1)?,
                    batched_sizes: vec![dim(b1, 0), dim(b1, 1), dim(b2, 2)],
                }))
            }))
        }
        "aten.mv.default" => D(derivative!("MvBackward0", &[0, 1], |a, n| {
            Ok(Box::new(MvBackward0 {
                self_: save_for(a, n, 0, 1)?,
                vec: save_for(a, n, 1, 0)?,
            }))
        })),
        "aten.addmv.default" | "aten.addmv_.default" => {
            D(derivative!("AddmvBackward0", &[0, 1, 2], |a, n| {
                Ok(Box::new(AddmvBackward0 {
                    beta: arg(a, 3),
                    alpha: arg(a, 4),
                    mat: save_for(a, n, 1, 2)?,
                    vec: save_for(a, n, 2, 1)?,
                }))
            }))
        }
        "aten.addr.default" | "aten.addr_.default" => {
            D(derivative!("AddrBackward0", &[0, 1, 2], |a, n| {
                Ok(Box::new(AddrBackward0 {
                    beta: arg(a, 3),
                    alpha: arg(a, 4),
                    vec1: save_for(a, n, 1, 2)?,
                    vec2: save_for(a, n, 2, 1)?,
                }))
            }))
        }
        "aten.dot.default" => D(derivative!("DotBackward0", &[0, 1], |a, n| {
            Ok(Box::new(DotBackward0 {
                self_: save_for(a, n, 0, 1)?,
                tensor: save_for(a, n, 1, 0)?,
                vdot: false,
            }))
        })),
        _ => return None,
    })
}
