//! Derivative rows of convolution and 2-d pooling.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `convolution` | ConvolutionBackward0 | input, weight, bias | input, weight, bias sizes, parameters |
//! | `max_pool2d_with_indices` | MaxPool2DWithIndicesBackward0 (output 0 only) | self | self, window, indices |
//! | `avg_pool2d` | AvgPool2DBackward0 | self | self, window, averaging flags |
//! | `_adaptive_avg_pool2d` | AdaptiveAvgPool2DBackward0 | self | self |
//! | `adaptive_max_pool2d` | AdaptiveMaxPool2DBackward0 (output 0 only) | self | self, indices |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::conv::ConvolutionBackward0;
use crate::autograd::functions::nn::pool::{
    AdaptiveAvgPool2DBackward0, AdaptiveMaxPool2DBackward0, AvgPool2DBackward0,
    MaxPool2DWithIndicesBackward0,
};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is a convolution or pooling operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.convolution.default" => D(derivative!("ConvolutionBackward0", &[0, 1, 2], |a, _| {
            // Observed in torch 2.15: `bias_sizes` is `[0]` without a bias.
            let bias_sizes = match a.get(2) {
                Some(IValue::Tensor(b)) => b.shape().to_vec(),
                _ => vec![0],
            };
            Ok(Box::new(ConvolutionBackward0 {
                input: SavedVariable::input(tensor(a, 0)?),
                weight: SavedVariable::input(tensor(a, 1)?),
                bias_sizes,
                params: [3, 4, 5, 6, 7, 8].map(|i| arg(a, i)),
            }))
        })),
        "aten.max_pool2d_with_indices.default" => D(derivative!(
            "MaxPool2DWithIndicesBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(MaxPool2DWithIndicesBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    params: [1, 2, 3, 4, 5].map(|i| arg(a, i)),
                    result1: None,
                }))
            },
            outputs = &[true, false]
        )),
        "aten.avg_pool2d.default" => D(derivative!("AvgPool2DBackward0", &[0], |a, _| {
            Ok(Box::new(AvgPool2DBackward0 {
                self_: SavedVariable::input(tensor(a, 0)?),
                params: [1, 2, 3, 4, 5, 6].map(|i| arg(a, i)),
            }))
        })),
        "aten._adaptive_avg_pool2d.default" => {
            D(derivative!("AdaptiveAvgPool2DBackward0", &[0], |a, _| {
                Ok(Box::new(AdaptiveAvgPool2DBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                }))
            }))
        }
        "aten.adaptive_max_pool2d.default" => D(derivative!(
            "AdaptiveMaxPool2DBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(AdaptiveMaxPool2DBackward0 {
                    self_: SavedVariable::input(tensor(a, 0)?),
                    result1: None,
                }))
            },
            outputs = &[true, false]
        )),
        _ => return None,
    })
}
