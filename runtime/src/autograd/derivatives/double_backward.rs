//! Derivative rows of the backward kernels and of `copy_`: what records
//! history when a backward formula runs with `create_graph=True`.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `tanh_backward` / `sigmoid_backward` | TanhBackwardBackward0 / SigmoidBackwardBackward0 | grad_output, output | output; grad_output when `output` needs a gradient |
//! | `threshold_backward` / `leaky_relu_backward` / `hardtanh_backward` / `hardshrink_backward` / `softshrink_backward` / `rrelu_with_noise_backward` | ThresholdBackwardBackward0 / LeakyReluBackwardBackward0 / HardtanhBackwardBackward0 / HardshrinkBackwardBackward0 / SoftshrinkBackwardBackward0 / RreluWithNoiseBackwardBackward0 | grad_output, self | self when `grad_output` needs a gradient (rrelu's noise kept) |
//! | `gelu_backward` / `softplus_backward` | GeluBackwardBackward0 / SoftplusBackwardBackward0 | grad_output, self | self; grad_output when `self` needs a gradient |
//! | `elu_backward` | EluBackwardBackward0 | grad_output, self_or_result | self_or_result; grad_output when `self_or_result` needs a gradient |
//! | `_softmax_backward_data` / `_log_softmax_backward_data` | SoftmaxBackwardDataBackward0 / LogSoftmaxBackwardDataBackward0 | grad_output, output | output; grad_output when `output` needs a gradient |
//! | `mse_loss_backward` | MseLossBackwardBackward0 | grad_output, self, target | as each gradient needs |
//! | `nll_loss_backward` / `nll_loss2d_backward` | NllLossBackwardBackward0 / NllLoss2DBackwardBackward0 | grad_output, self | target, weight, reduction, ignore_index |
//! | `hardswish_backward` | HardswishBackwardBackward0 | grad_output, self | self; grad_output when `self` needs a gradient |
//! | `smooth_l1_loss_backward` / `huber_loss_backward` | SmoothL1LossBackwardBackward0 / HuberLossBackwardBackward0 | grad_output, self, target | self, target; grad_output when `self` or `target` needs a gradient (Huber: or `grad_output` under a reduction) |
//! | `max_pool2d_with_indices_backward` | MaxPool2DWithIndicesBackwardBackward0 | grad_output, self | indices when `grad_output` needs a gradient; self's sizes and options |
//! | `avg_pool2d_backward` | AvgPool2DBackwardBackward0 | grad_output, self | the pooling parameters; self's sizes and options |
//! | the 3-d pools, `adaptive_max_pool2d` / `adaptive_max_pool3d`, reflection/replication pads, upsampling | their `...BackwardBackward0` | grad_output (and self) | the forward's parameters; indices; self's sizes and options |
//! | `_adaptive_avg_pool2d_backward` | AdaptiveAvgPool2DBackwardBackward0 | grad_output, self | grad_output's last two sizes; self's sizes and options |
//! | `native_layer_norm_backward` | NativeLayerNormBackwardBackward0 | grad_out, input, mean, rstd, weight, bias | grad_out, input, mean, rstd, weight |
//! | `native_batch_norm_backward` | NativeBatchNormBackwardBackward0 | grad_out, input, weight, save_mean, save_invstd | every tensor argument, train, eps |
//! | `unfold_backward` / `diagonal_backward` | UnfoldBackwardBackward0 / DiagonalBackwardBackward0 | grad_output | dim, size, step / offset, dim1, dim2 |
//! | `slice_backward` / `select_backward` | SliceBackwardBackward0 / SelectBackwardBackward0 | grad_output | dim, start, end, step / dim, index |
//! | `embedding_dense_backward` | EmbeddingDenseBackwardBackward0 | grad_output | indices, padding_idx |
//! | `_prelu_kernel_backward` | PreluKernelBackwardBackward0 | grad_output, self, weight | all three |
//! | `convolution_backward` | ConvolutionBackwardBackward0 | grad_output, input, weight | all three, the convolution's parameters |
//! | `log_sigmoid_backward` | LogSigmoidBackwardBackward0 | grad_output, self | self, buffer; grad_output when `self` needs a gradient |
//! | `glu_backward` | GluBackwardBackward0 | grad_output, self | self, dim; grad_output when `self` needs a gradient |
//! | `binary_cross_entropy_backward` | BinaryCrossEntropyBackwardBackward0 | grad_output, self, target | self, target, weight; grad_output when `self` or `target` needs a gradient |
//! | `_cdist_backward` | CdistBackwardBackward0 (runs for p = 1 and 2) | grad, x1, x2, cdist | all four, p |
//! | `copy_` | CopyBackwards | self, src | src dtype and device |
//! | `masked_scatter` (in MaskedSelectBackward0's formula) | MaskedScatterBackward0 | self, source | mask, source sizes |
//! | `masked_scatter_backward` | MaskedScatterBackwardBackward0 (recorded; running it is unsupported) | grad_output | — |
//! | `as_strided` (in CopySlices' formula) | AsStridedBackward0 | self | self's and the result's geometry |
//! | `sgn` (in AbsBackward0's formula) | SgnBackward0 (an efficient zero tensor, `functions::zero_tensor`) | self | self sizes and options |
//! | `_scaled_dot_product_flash_attention_for_cpu_backward`, `hardsigmoid_backward` (no formula in PyTorch) | NotImplemented (no sequence number; fails when run) | the tensors that require grad | — |
//!
//! Node names are PyTorch's (`grad_fn.name()`, torch 2.15). A tensor is
//! saved only when a gradient that reads it is needed, as PyTorch's
//! generated nodes do.

use super::{Derivative, Differentiability, arg, derivative, int, int_list, needs, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::double_backward::activation::{
    Activation, ActivationBackwardBackward,
};
use crate::autograd::functions::double_backward::batch_norm::NativeBatchNormBackwardBackward0;
use crate::autograd::functions::double_backward::bce::BinaryCrossEntropyBackwardBackward0;
use crate::autograd::functions::double_backward::cdist::CdistBackwardBackward0;
use crate::autograd::functions::double_backward::conv::{ConvParams, ConvolutionBackwardBackward0};
use crate::autograd::functions::double_backward::copy::CopyBackwards;
use crate::autograd::functions::double_backward::glu::GluBackwardBackward0;
use crate::autograd::functions::double_backward::loss::{
    MseLossBackwardBackward0, NllLossBackwardBackward, RobustLossBackwardBackward,
};
use crate::autograd::functions::double_backward::norm::NativeLayerNormBackwardBackward0;
use crate::autograd::functions::double_backward::not_implemented::NotImplemented;
use crate::autograd::functions::double_backward::pool::{Pool, PoolBackwardBackward, ZerosLike};
use crate::autograd::functions::double_backward::prelu::PreluKernelBackwardBackward0;
use crate::autograd::functions::double_backward::save_if;
use crate::autograd::functions::double_backward::shape::{
    EmbeddingDenseBackwardBackward0, MaskedScatterBackward0, MaskedScatterBackwardBackward0,
    ViewAgain,
};
use crate::autograd::functions::double_backward::softmax::SoftmaxBackwardDataBackward;
use crate::autograd::functions::views::{AsStridedBackward0, Geometry};
use crate::autograd::functions::zero_tensor::SgnBackward0;
use crate::autograd::saved::SavedVariable;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;

type Built = Result<Box<dyn BackwardFn>>;

/// The node of an activation's backward kernel `op`, with `x` at `x_pos`.
fn activation(a: &[IValue], n: &[bool], op: &'static str, x_pos: usize, kind: Activation) -> Built {
    let second = needs(n, 1) && kind.second_reads_inputs();
    // The kernel's other arguments; `grad_output` and `x` are saved (or
    // not) on their own.
    let mut args = a.to_vec();
    for i in [0, x_pos] {
        if let Some(slot) = args.get_mut(i) {
            *slot = IValue::None;
        }
    }
    Ok(Box::new(ActivationBackwardBackward {
        op,
        args,
        x_pos,
        grad_output: save_if(second, tensor(a, 0)?),
        x: save_if(needs(n, 0) || second, tensor(a, x_pos)?),
        kind,
    }))
}

/// A piecewise-linear activation's backward kernel `op(grad_output, self,
/// params...)`: the kernel again for `grad_output`, zeros for `self`.
fn piecewise(a: &[IValue], n: &[bool], op: &'static str) -> Built {
    activation(a, n, op, 1, Activation::PiecewiseLinear)
}

fn softmax(a: &[IValue], n: &[bool], log: bool) -> Built {
    let input_dtype = match a.get(3) {
        Some(IValue::Dtype(d)) => *d,
        _ => {
            return Err(RuntimeError::autograd(
                "derivative: input_dtype of a softmax backward is not a dtype",
            ));
        }
    };
    Ok(Box::new(SoftmaxBackwardDataBackward {
        log,
        dim: int(a, 2),
        input_dtype,
        grad_output: save_if(needs(n, 1), tensor(a, 0)?),
        output: Some(SavedVariable::input(tensor(a, 1)?)),
    }))
}

/// `nll_loss_backward(grad_output, self, target, weight, reduction,
/// ignore_index, total_weight)`: the forward kernel and its arguments after
/// the input.
fn nll(a: &[IValue], forward: &'static str) -> Built {
    Ok(Box::new(NllLossBackwardBackward {
        forward,
        params: (2..=5).map(|i| arg(a, i)).collect(),
    }))
}

fn mse(a: &[IValue], n: &[bool]) -> Built {
    Ok(Box::new(MseLossBackwardBackward0 {
        reduction: int(a, 3),
        grad_output: save_if(needs(n, 1) || needs(n, 2), tensor(a, 0)?),
        self_: save_if(needs(n, 0) || needs(n, 1), tensor(a, 1)?),
        target: save_if(needs(n, 0) || needs(n, 2), tensor(a, 2)?),
    }))
}

/// `smooth_l1_loss_backward` / `huber_loss_backward(grad_output, self,
/// target, reduction, beta or delta)`.
fn robust_loss(a: &[IValue], n: &[bool], huber: bool) -> Built {
    let all = n.iter().any(|&b| b);
    // Huber's `grad_output` gradient reads `grad_output` under a reduction.
    let reads_go = needs(n, 1) || needs(n, 2) || (huber && needs(n, 0) && int(a, 3) != 0);
    Ok(Box::new(RobustLossBackwardBackward {
        huber,
        reduction: int(a, 3),
        beta: arg(a, 4),
        grad_output: save_if(reads_go, tensor(a, 0)?),
        self_: save_if(all, tensor(a, 1)?),
        target: save_if(all, tensor(a, 2)?),
    }))
}

fn convolution(a: &[IValue], _: &[bool]) -> Built {
    let ints = |i: usize| int_list(a, i).unwrap_or_default();
    let saved = |i: usize| -> Result<Option<SavedVariable>> {
        Ok(Some(SavedVariable::input(tensor(a, i)?)))
    };
    Ok(Box::new(ConvolutionBackwardBackward0 {
        params: ConvParams {
            stride: ints(4),
            padding: ints(5),
            dilation: ints(6),
            transposed: matches!(arg(a, 7), IValue::Bool(true)),
            output_padding: ints(8),
            groups: int(a, 9),
        },
        grad_output: saved(0)?,
        input: saved(1)?,
        weight: saved(2)?,
    }))
}

fn layer_norm(a: &[IValue], _: &[bool]) -> Built {
    let saved = |i: usize| {
        a.get(i)
            .and_then(IValue::as_tensor)
            .map(SavedVariable::input)
    };
    Ok(Box::new(NativeLayerNormBackwardBackward0 {
        normalized_ndim: int_list(a, 2).map_or(0, |v| v.len()),
        grad_out: saved(0),
        input: saved(1),
        mean: saved(3),
        rstd: saved(4),
        weight: saved(5),
    }))
}

fn batch_norm(a: &[IValue], _: &[bool]) -> Built {
    let saved = |i: usize| {
        a.get(i)
            .and_then(IValue::as_tensor)
            .map(SavedVariable::input)
    };
    Ok(Box::new(NativeBatchNormBackwardBackward0 {
        train: matches!(arg(a, 7), IValue::Bool(true)),
        eps: arg(a, 8),
        grad_out: saved(0),
        input: saved(1),
        weight: saved(2),
        running_mean: saved(3),
        running_var: saved(4),
        save_mean: saved(5),
        save_invstd: saved(6),
    }))
}

/// A max-pool backward kernel: the indices at `indices_pos`, pooled over
/// `spatial` dims.
fn max_pool(a: &[IValue], n: &[bool], indices_pos: usize, spatial: usize) -> Built {
    Ok(Box::new(PoolBackwardBackward {
        pool: Pool::Max {
            indices: save_if(needs(n, 0), tensor(a, indices_pos)?),
            spatial,
        },
        self_zeros: Some(ZerosLike::of(tensor(a, 1)?)),
    }))
}

/// A kernel `(grad_output, self, params...)` whose double backward is the
/// forward `op(grad, params at positions)`, `self` getting zeros.
fn again_with_self(a: &[IValue], op: &'static str, positions: Vec<usize>) -> Built {
    Ok(Box::new(PoolBackwardBackward {
        pool: Pool::Forward {
            op,
            params: positions.into_iter().map(|i| arg(a, i)).collect(),
        },
        self_zeros: Some(ZerosLike::of(tensor(a, 1)?)),
    }))
}

/// An upsampling backward kernel `(grad_output, output_size, input_size,
/// rest...)`: the forward `op(grad, output_size, rest...)`.
fn upsample(a: &[IValue], op: &'static str) -> Built {
    let params = a
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 1 || *i > 2)
        .map(|(_, v)| v.clone())
        .collect();
    Ok(Box::new(PoolBackwardBackward {
        pool: Pool::Forward { op, params },
        self_zeros: None,
    }))
}

/// The autograd entry of `op` if it is a backward kernel or `copy_`.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.tanh_backward.default" => D(derivative!("TanhBackwardBackward0", &[0, 1], |a, n| {
            activation(a, n, "aten.tanh_backward.default", 1, Activation::Tanh)
        })),
        "aten.sigmoid_backward.default" => {
            D(derivative!("SigmoidBackwardBackward0", &[0, 1], |a, n| {
                activation(
                    a,
                    n,
                    "aten.sigmoid_backward.default",
                    1,
                    Activation::Sigmoid,
                )
            }))
        }
        "aten.threshold_backward.default" => D(derivative!(
            "ThresholdBackwardBackward0",
            &[0, 1],
            |a, n| activation(
                a,
                n,
                "aten.threshold_backward.default",
                1,
                Activation::PiecewiseLinear
            )
        )),
        "aten.leaky_relu_backward.default" => D(derivative!(
            "LeakyReluBackwardBackward0",
            &[0, 1],
            |a, n| {
                // The kernel is dispatched again with self_is_result=False.
                let mut a = a.to_vec();
                if let Some(slot) = a.get_mut(3) {
                    *slot = IValue::Bool(false);
                }
                activation(
                    &a,
                    n,
                    "aten.leaky_relu_backward.default",
                    1,
                    Activation::PiecewiseLinear,
                )
            }
        )),
        "aten.hardtanh_backward.default" => {
            D(derivative!("HardtanhBackwardBackward0", &[0, 1], |a, n| {
                activation(
                    a,
                    n,
                    "aten.hardtanh_backward.default",
                    1,
                    Activation::PiecewiseLinear,
                )
            }))
        }
        "aten.hardshrink_backward.default" => D(derivative!(
            "HardshrinkBackwardBackward0",
            &[0, 1],
            |a, n| piecewise(a, n, "aten.hardshrink_backward.default")
        )),
        "aten.softshrink_backward.default" => D(derivative!(
            "SoftshrinkBackwardBackward0",
            &[0, 1],
            |a, n| piecewise(a, n, "aten.softshrink_backward.default")
        )),
        "aten.rrelu_with_noise_backward.default" => D(derivative!(
            "RreluWithNoiseBackwardBackward0",
            &[0, 1],
            |a, n| {
                // The kernel is dispatched again with self_is_result=False.
                let mut a = a.to_vec();
                if let Some(slot) = a.get_mut(6) {
                    *slot = IValue::Bool(false);
                }
                piecewise(&a, n, "aten.rrelu_with_noise_backward.default")
            }
        )),
        "aten.gelu_backward.default" => D(derivative!("GeluBackwardBackward0", &[0, 1], |a, n| {
            let approximate = arg(a, 2);
            activation(
                a,
                n,
                "aten.gelu_backward.default",
                1,
                Activation::Gelu { approximate },
            )
        })),
        "aten.softplus_backward.default" => {
            D(derivative!("SoftplusBackwardBackward0", &[0, 1], |a, n| {
                let kind = Activation::Softplus {
                    beta: arg(a, 2),
                    threshold: arg(a, 3),
                };
                activation(a, n, "aten.softplus_backward.default", 1, kind)
            }))
        }
        "aten.elu_backward.default" => D(derivative!("EluBackwardBackward0", &[0, 5], |a, n| {
            let kind = Activation::Elu {
                alpha: arg(a, 1),
                scale: arg(a, 2),
                input_scale: arg(a, 3),
                is_result: matches!(arg(a, 4), IValue::Bool(true)),
            };
            activation(a, n, "aten.elu_backward.default", 5, kind)
        })),
        "aten._softmax_backward_data.default" => D(derivative!(
            "SoftmaxBackwardDataBackward0",
            &[0, 1],
            |a, n| softmax(a, n, false)
        )),
        "aten._log_softmax_backward_data.default" => D(derivative!(
            "LogSoftmaxBackwardDataBackward0",
            &[0, 1],
            |a, n| softmax(a, n, true)
        )),
        "aten.mse_loss_backward.default" => {
            D(derivative!("MseLossBackwardBackward0", &[0, 1, 2], mse))
        }
        "aten.nll_loss_backward.default" => D(derivative!(
            "NllLossBackwardBackward0",
            &[0, 1],
            |a, _| nll(a, "aten.nll_loss_forward.default")
        )),
        "aten.nll_loss2d_backward.default" => D(derivative!(
            "NllLoss2DBackwardBackward0",
            &[0, 1],
            |a, _| nll(a, "aten.nll_loss2d_forward.default")
        )),
        "aten.hardswish_backward.default" => D(derivative!(
            "HardswishBackwardBackward0",
            &[0, 1],
            |a, n| activation(
                a,
                n,
                "aten.hardswish_backward.default",
                1,
                Activation::Hardswish
            )
        )),
        "aten.smooth_l1_loss_backward.default" => D(derivative!(
            "SmoothL1LossBackwardBackward0",
            &[0, 1, 2],
            |a, n| robust_loss(a, n, false)
        )),
        "aten.huber_loss_backward.default" => D(derivative!(
            "HuberLossBackwardBackward0",
            &[0, 1, 2],
            |a, n| robust_loss(a, n, true)
        )),
        "aten.max_pool2d_with_indices_backward.default" => D(derivative!(
            "MaxPool2DWithIndicesBackwardBackward0",
            &[0, 1],
            |a, n| {
                Ok(Box::new(PoolBackwardBackward {
                    pool: Pool::Max {
                        indices: save_if(needs(n, 0), tensor(a, 7)?),
                        spatial: 2,
                    },
                    self_zeros: Some(ZerosLike::of(tensor(a, 1)?)),
                }))
            }
        )),
        "aten.avg_pool2d_backward.default" => D(derivative!(
            "AvgPool2DBackwardBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(PoolBackwardBackward {
                    pool: Pool::Avg {
                        params: (2..=7).map(|i| arg(a, i)).collect(),
                    },
                    self_zeros: Some(ZerosLike::of(tensor(a, 1)?)),
                }))
            }
        )),
        "aten.native_layer_norm_backward.default" => D(derivative!(
            "NativeLayerNormBackwardBackward0",
            &[0, 1, 3, 4, 5, 6],
            layer_norm
        )),
        "aten.native_batch_norm_backward.default" => D(derivative!(
            "NativeBatchNormBackwardBackward0",
            &[0, 1, 2, 5, 6],
            batch_norm
        )),
        "aten.slice_backward.default" => D(derivative!("SliceBackwardBackward0", &[0], |a, _| Ok(
            Box::new(ViewAgain {
                op: "aten.slice.Tensor",
                params: (2..=5).map(|i| arg(a, i)).collect(),
            })
        ))),
        "aten.select_backward.default" => {
            D(derivative!("SelectBackwardBackward0", &[0], |a, _| Ok(
                Box::new(ViewAgain {
                    op: "aten.select.int",
                    params: (2..=3).map(|i| arg(a, i)).collect(),
                })
            )))
        }
        "aten.unfold_backward.default" => {
            D(derivative!("UnfoldBackwardBackward0", &[0], |a, _| Ok(
                Box::new(ViewAgain {
                    op: "aten.unfold.default",
                    params: (2..=4).map(|i| arg(a, i)).collect(),
                })
            )))
        }
        "aten.diagonal_backward.default" => {
            D(derivative!("DiagonalBackwardBackward0", &[0], |a, _| Ok(
                Box::new(ViewAgain {
                    op: "aten.diagonal.default",
                    params: (2..=4).map(|i| arg(a, i)).collect(),
                })
            )))
        }
        "aten.embedding_dense_backward.default" => D(derivative!(
            "EmbeddingDenseBackwardBackward0",
            &[0],
            |a, _| Ok(Box::new(EmbeddingDenseBackwardBackward0 {
                indices: Some(SavedVariable::input(tensor(a, 1)?)),
                padding_idx: int(a, 3),
            }))
        )),
        "aten._adaptive_avg_pool2d_backward.default" => D(derivative!(
            "AdaptiveAvgPool2DBackwardBackward0",
            &[0, 1],
            |a, _| {
                let go = tensor(a, 0)?.shape();
                Ok(Box::new(PoolBackwardBackward {
                    pool: Pool::Forward {
                        op: "aten._adaptive_avg_pool2d.default",
                        params: vec![IValue::IntList(go[go.len().saturating_sub(2)..].to_vec())],
                    },
                    self_zeros: Some(ZerosLike::of(tensor(a, 1)?)),
                }))
            }
        )),
        "aten._scaled_dot_product_flash_attention_for_cpu_backward.default" => D(derivative!(
            "NotImplemented",
            &[0, 1, 2, 3, 4, 5, 8],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::_scaled_dot_product_flash_attention_for_cpu_backward",
            })),
            fallback
        )),
        "aten.log_sigmoid_backward.default" => D(derivative!(
            "LogSigmoidBackwardBackward0",
            &[0, 1],
            |a, n| activation(
                a,
                n,
                "aten.log_sigmoid_backward.default",
                1,
                Activation::LogSigmoid
            )
        )),
        "aten.glu_backward.default" => D(derivative!("GluBackwardBackward0", &[0, 1], |a, n| Ok(
            Box::new(GluBackwardBackward0 {
                dim: int(a, 2),
                grad_output: save_if(needs(n, 1), tensor(a, 0)?),
                self_: Some(SavedVariable::input(tensor(a, 1)?)),
            })
        ))),
        "aten.binary_cross_entropy_backward.default" => D(derivative!(
            "BinaryCrossEntropyBackwardBackward0",
            &[0, 1, 2],
            |a, n| {
                let saved = |i: usize| {
                    a.get(i)
                        .and_then(IValue::as_tensor)
                        .map(SavedVariable::input)
                };
                Ok(Box::new(BinaryCrossEntropyBackwardBackward0 {
                    reduction: int(a, 4),
                    grad_output: if needs(n, 1) || needs(n, 2) {
                        saved(0)
                    } else {
                        None
                    },
                    self_: saved(1),
                    target: saved(2),
                    weight: saved(3),
                }))
            }
        )),
        "aten.max_pool3d_with_indices_backward.default" => D(derivative!(
            "MaxPool3DWithIndicesBackwardBackward0",
            &[0, 1],
            |a, n| max_pool(a, n, 7, 3)
        )),
        "aten.adaptive_max_pool2d_backward.default" => D(derivative!(
            "AdaptiveMaxPool2DBackwardBackward0",
            &[0, 1],
            |a, n| max_pool(a, n, 2, 2)
        )),
        "aten.adaptive_max_pool3d_backward.default" => D(derivative!(
            "AdaptiveMaxPool3DBackwardBackward0",
            &[0, 1],
            |a, n| max_pool(a, n, 2, 3)
        )),
        "aten.avg_pool3d_backward.default" => D(derivative!(
            "AvgPool3DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.avg_pool3d.default", (2..=7).collect())
        )),
        "aten._adaptive_avg_pool3d_backward.default" => D(derivative!(
            "AdaptiveAvgPool3DBackwardBackward0",
            &[0, 1],
            |a, _| {
                let go = tensor(a, 0)?.shape();
                Ok(Box::new(PoolBackwardBackward {
                    pool: Pool::Forward {
                        op: "aten._adaptive_avg_pool3d.default",
                        params: vec![IValue::IntList(go[go.len().saturating_sub(3)..].to_vec())],
                    },
                    self_zeros: Some(ZerosLike::of(tensor(a, 1)?)),
                }))
            }
        )),
        "aten.reflection_pad1d_backward.default" => D(derivative!(
            "ReflectionPad1DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.reflection_pad1d.default", vec![2])
        )),
        "aten.reflection_pad2d_backward.default" => D(derivative!(
            "ReflectionPad2DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.reflection_pad2d.default", vec![2])
        )),
        "aten.replication_pad1d_backward.default" => D(derivative!(
            "ReplicationPad1DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.replication_pad1d.default", vec![2])
        )),
        "aten.replication_pad2d_backward.default" => D(derivative!(
            "ReplicationPad2DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.replication_pad2d.default", vec![2])
        )),
        "aten.reflection_pad3d_backward.default" => D(derivative!(
            "ReflectionPad3DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.reflection_pad3d.default", vec![2])
        )),
        "aten.replication_pad3d_backward.default" => D(derivative!(
            "ReplicationPad3DBackwardBackward0",
            &[0, 1],
            |a, _| again_with_self(a, "aten.replication_pad3d.default", vec![2])
        )),
        "aten.upsample_nearest1d_backward.default" => D(derivative!(
            "UpsampleNearest1DBackwardBackward0",
            &[0],
            |a, _| upsample(a, "aten.upsample_nearest1d.default")
        )),
        "aten.upsample_nearest2d_backward.default" => D(derivative!(
            "UpsampleNearest2DBackwardBackward0",
            &[0],
            |a, _| upsample(a, "aten.upsample_nearest2d.default")
        )),
        "aten.upsample_nearest3d_backward.default" => D(derivative!(
            "UpsampleNearest3DBackwardBackward0",
            &[0],
            |a, _| upsample(a, "aten.upsample_nearest3d.default")
        )),
        "aten.upsample_linear1d_backward.default" => D(derivative!(
            "UpsampleLinear1DBackwardBackward0",
            &[0],
            |a, _| upsample(a, "aten.upsample_linear1d.default")
        )),
        "aten.upsample_bilinear2d_backward.default" => D(derivative!(
            "UpsampleBilinear2DBackwardBackward0",
            &[0],
            |a, _| upsample(a, "aten.upsample_bilinear2d.default")
        )),
        "aten.upsample_trilinear3d_backward.default" => D(derivative!(
            "UpsampleTrilinear3DBackwardBackward0",
            &[0],
            |a, _| upsample(a, "aten.upsample_trilinear3d.default")
        )),
        "aten.hardsigmoid_backward.default" => D(derivative!(
            "NotImplemented",
            &[0, 1],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::hardsigmoid_backward",
            })),
            fallback
        )),
        "aten.masked_scatter.default" | "aten.masked_scatter_.default" => {
            D(derivative!("MaskedScatterBackward0", &[0, 2], |a, n| Ok(
                Box::new(MaskedScatterBackward0 {
                    mask: Some(SavedVariable::input(tensor(a, 1)?)),
                    source_sizes: if needs(n, 1) {
                        tensor(a, 2)?.shape().to_vec()
                    } else {
                        Vec::new()
                    },
                })
            )))
        }
        "aten.masked_scatter_backward.default" => D(derivative!(
            "MaskedScatterBackwardBackward0",
            &[0],
            |_, _| Ok(Box::new(MaskedScatterBackwardBackward0))
        )),
        "aten.as_strided.default" => D(derivative!("AsStridedBackward0", &[0], |a, _| {
            // CopySlices' formula dispatches `as_strided` on the incoming
            // gradient; under create_graph it records this node.
            let this = tensor(a, 0)?;
            let offset = match a.get(3) {
                Some(IValue::Int(o)) => *o,
                _ => this.storage_offset(),
            };
            Ok(Box::new(AsStridedBackward0 {
                input: Geometry::of(this),
                output: Geometry {
                    sizes: int_list(a, 1).unwrap_or_default(),
                    strides: int_list(a, 2).unwrap_or_default(),
                    offset,
                },
            }))
        })),
        "aten.sgn.default" => D(derivative!("SgnBackward0", &[0], |a, _| Ok(Box::new(
            SgnBackward0::of(tensor(a, 0)?)
        )))),
        "aten._prelu_kernel_backward.default" => D(derivative!(
            "PreluKernelBackwardBackward0",
            &[0, 1, 2],
            |a, _| {
                let saved = |i: usize| -> Result<Option<SavedVariable>> {
                    Ok(Some(SavedVariable::input(tensor(a, i)?)))
                };
                Ok(Box::new(PreluKernelBackwardBackward0 {
                    grad_output: saved(0)?,
                    self_: saved(1)?,
                    weight: saved(2)?,
                }))
            }
        )),
        "aten.convolution_backward.default" => D(derivative!(
            "ConvolutionBackwardBackward0",
            &[0, 1, 2],
            convolution
        )),
        "aten._cdist_backward.default" => D(derivative!(
            "CdistBackwardBackward0",
            &[0, 1, 2, 4],
            |a, _| {
                let saved = |i: usize| -> Result<Option<SavedVariable>> {
                    Ok(Some(SavedVariable::input(tensor(a, i)?)))
                };
                let p = match a.get(3) {
                    Some(IValue::Float(p)) => *p,
                    Some(IValue::Int(p)) => *p as f64,
                    _ => {
                        return Err(RuntimeError::autograd(
                            "derivative: p of _cdist_backward is not a number",
                        ));
                    }
                };
                Ok(Box::new(CdistBackwardBackward0 {
                    grad: saved(0)?,
                    x1: saved(1)?,
                    x2: saved(2)?,
                    p,
                    cdist: saved(4)?,
                }))
            }
        )),
        "aten.copy_.default" => D(derivative!("CopyBackwards", &[0, 1], |a, _| {
            let src = tensor(a, 1)?;
            Ok(Box::new(CopyBackwards {
                src_dtype: src.dtype(),
                src_device: src.device(),
            }))
        })),
        _ => return None,
    })
}
