//! Derivative rows of the block and shuffle operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `im2col` | Im2ColBackward0 | self | self's last two sizes, window |
//! | `col2im` | Col2ImBackward0 | self | window |
//! | `pixel_shuffle` | PixelShuffleBackward0 | self | upscale_factor |
//! | `pixel_unshuffle` | PixelUnshuffleBackward0 | self | downscale_factor |
//! | `channel_shuffle` | ChannelShuffleBackward0 | self | channels / groups |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::fold::InverseOpBackward;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is a block or shuffle operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.im2col.default" => D(derivative!("Im2ColBackward0", &[0], |a, _| {
            let s = tensor(a, 0)?.shape();
            let size = s[s.len().saturating_sub(2)..].to_vec();
            let mut args = vec![IValue::IntList(size)];
            args.extend((1..5).map(|i| arg(a, i)));
            Ok(Box::new(InverseOpBackward {
                op: "aten.col2im.default",
                args,
            }))
        })),
        "aten.col2im.default" => D(derivative!("Col2ImBackward0", &[0], |a, _| {
            Ok(Box::new(InverseOpBackward {
                op: "aten.im2col.default",
                args: (2..6).map(|i| arg(a, i)).collect(),
            }))
        })),
        "aten.pixel_shuffle.default" => D(derivative!("PixelShuffleBackward0", &[0], |a, _| {
            Ok(Box::new(InverseOpBackward {
                op: "aten.pixel_unshuffle.default",
                args: vec![arg(a, 1)],
            }))
        })),
        "aten.pixel_unshuffle.default" => {
            D(derivative!("PixelUnshuffleBackward0", &[0], |a, _| {
                Ok(Box::new(InverseOpBackward {
                    op: "aten.pixel_shuffle.default",
                    args: vec![arg(a, 1)],
                }))
            }))
        }
        "aten.channel_shuffle.default" => {
            D(derivative!("ChannelShuffleBackward0", &[0], |a, _| {
                // `channel_shuffle(grad, grad.size(1) / groups)`: the inverse
                // shuffle; the kernel has checked that groups divides C.
                let channels = tensor(a, 0)?.shape().get(1).copied().unwrap_or(0);
                let groups = match arg(a, 1) {
                    IValue::Int(g) if g > 0 => g,
                    _ => 1,
                };
                Ok(Box::new(InverseOpBackward {
                    op: "aten.channel_shuffle.default",
                    args: vec![IValue::Int(channels / groups)],
                }))
            }))
        }
        _ => return None,
    })
}
