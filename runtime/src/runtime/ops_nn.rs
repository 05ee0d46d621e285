//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.

// -- convolution, pooling, attention -------------------------------------------

mod conv_pool_attention {
    use super::super::Runtime;
    use crate::error::{Result, RuntimeError};
    use crate::ivalue::IValue;
    use crate::tensor::Tensor;

    /// The results of a call: `None` for an undefined (`None`) output.
    fn optional_tensors(outputs: Vec<IValue>) -> Vec<Option<Tensor>> {
        outputs.into_iter().map(IValue::into_tensor).collect()
    }

    impl Runtime {
        /// `op(args)`, its first result as a tensor.
        pub(super) fn dispatch_tensor(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
            self.dispatch(op, args)?
                .into_iter()
                .next()
                .and_then(IValue::into_tensor)
                .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
        }

        /// `aten.convolution_backward.default(grad, input, weight,
        /// bias_sizes, stride, padding, dilation, transposed,
        /// output_padding, groups, output_mask)`; `params` are the forward's
        /// stride .. groups.
        pub(crate) fn convolution_backward(
            &mut self,
            grad: &Tensor,
            input: &Tensor,
            weight: &Tensor,
            bias_sizes: &[i64],
            params: &[IValue; 6],
            output_mask: [bool; 3],
        ) -> Result<Vec<Option<Tensor>>> {
            let mut args = vec![grad.into(), input.into(), weight.into(), bias_sizes.into()];
            args.extend(params.iter().cloned());
            args.push(IValue::BoolList(output_mask.to_vec()));
            let out = self.dispatch("aten.convolution_backward.default", args)?;
            Ok(optional_tensors(out))
        }

        /// `aten.max_pool2d_with_indices_backward.default(grad, self,
        /// kernel_size, stride, padding, dilation, ceil_mode, indices)`.
        pub(crate) fn max_pool2d_with_indices_backward(
            &mut self,
            grad: &Tensor,
            this: &Tensor,
            params: &[IValue; 5],
            indices: &Tensor,
        ) -> Result<Tensor> {
            let mut args = vec![grad.into(), this.into()];
            args.extend(params.iter().cloned());
            args.push(indices.into());
            self.dispatch_tensor("aten.max_pool2d_with_indices_backward.default", args)
        }

        /// `aten.avg_pool2d_backward.default(grad, self, kernel_size, stride,
        /// padding, ceil_mode, count_include_pad, divisor_override)`.
        pub(crate) fn avg_pool2d_backward(
            &mut self,
            grad: &Tensor,
            this: &Tensor,
            params: &[IValue; 6],
        ) -> Result<Tensor> {
            let mut args = vec![grad.into(), this.into()];
            args.extend(params.iter().cloned());
            self.dispatch_tensor("aten.avg_pool2d_backward.default", args)
        }

        /// `aten.adaptive_max_pool2d_backward.default(grad, self, indices)`.
        pub(crate) fn adaptive_max_pool2d_backward(
            &mut self,
            grad: &Tensor,
            this: &Tensor,
            indices: &Tensor,
        ) -> Result<Tensor> {
            self.dispatch_tensor(
                "aten.adaptive_max_pool2d_backward.default",
                vec![grad.into(), this.into(), indices.into()],
            )
        }

        /// `aten._adaptive_avg_pool2d_backward.default(grad, self)`.
        pub(crate) fn adaptive_avg_pool2d_backward(
            &mut self,
            grad: &Tensor,
            this: &Tensor,
        ) -> Result<Tensor> {
            self.dispatch_tensor(
                "aten._adaptive_avg_pool2d_backward.default",
                vec![grad.into(), this.into()],
            )
        }
    }
}

// -- softmax, losses, normalization, matrix products ---------------------------

mod softmax_loss_norm_matrix {
    use super::super::Runtime;
    use crate::error::{Result, RuntimeError};
    use crate::ivalue::IValue;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    impl Runtime {
        fn nn_call1(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
            self.dispatch(op, args)?
                .into_iter()
                .next()
                .and_then(IValue::into_tensor)
                .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
        }

        /// `aten._softmax_backward_data.default(grad, output, dim, input_dtype)`
        /// (`log = true`: `aten._log_softmax_backward_data.default`).
        pub(crate) fn softmax_backward_data(
            &mut self,
            log: bool,
            grad: &Tensor,
            output: &Tensor,
            dim: i64,
            input_dtype: DType,
        ) -> Result<Tensor> {
            let op = if log {
                "aten._log_softmax_backward_data.default"
            } else {
                "aten._softmax_backward_data.default"
            };
            self.nn_call1(
                op,
                vec![
                    grad.into(),
                    output.into(),
                    IValue::Int(dim),
                    IValue::Dtype(input_dtype),
                ],
            )
        }

        /// `aten.nll_loss_backward.default` (`spatial`:
        /// `aten.nll_loss2d_backward.default`) with the forward's arguments.
        pub(crate) fn nll_loss_backward(
            &mut self,
            spatial: bool,
            grad: &Tensor,
            forward: [&IValue; 5],
            total_weight: &Tensor,
        ) -> Result<Tensor> {
            let op = if spatial {
                "aten.nll_loss2d_backward.default"
            } else {
                "aten.nll_loss_backward.default"
            };
            let [x, target, weight, reduction, ignore_index] = forward;
            self.nn_call1(
                op,
                vec![
                    grad.into(),
                    x.clone(),
                    target.clone(),
                    weight.clone(),
                    reduction.clone(),
                    ignore_index.clone(),
                    total_weight.into(),
                ],
            )
        }

        /// `aten.binary_cross_entropy_backward.default(grad, self, target,
        /// weight, reduction)`.
        pub(crate) fn binary_cross_entropy_backward(
            &mut self,
            grad: &Tensor,
            x: &Tensor,
            target: &Tensor,
            weight: IValue,
            reduction: i64,
        ) -> Result<Tensor> {
            self.nn_call1(
                "aten.binary_cross_entropy_backward.default",
                vec![
                    grad.into(),
                    x.into(),
                    target.into(),
                    weight,
                    IValue::Int(reduction),
                ],
            )
        }

        /// A three-result normalisation backward (`native_layer_norm_backward`,
        /// `native_batch_norm_backward`): `None` where the mask was false.
        pub(crate) fn norm_backward(
            &mut self,
            op: &str,
            args: Vec<IValue>,
        ) -> Result<Vec<Option<Tensor>>> {
            Ok(self
                .dispatch(op, args)?
                .into_iter()
                .map(IValue::into_tensor)
                .collect())
        }

        /// `aten.bmm.default(a, b)`.
        pub(crate) fn bmm(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
            self.nn_call1("aten.bmm.default", vec![a.into(), b.into()])
        }

        /// `aten.mv.default(mat, vec)`.
        pub(crate) fn mv(&mut self, mat: &Tensor, vec: &Tensor) -> Result<Tensor> {
            self.nn_call1("aten.mv.default", vec![mat.into(), vec.into()])
        }
    }
}

mod attention_calls {
    use super::super::Runtime;
    use crate::error::Result;
    use crate::ivalue::IValue;
    use crate::tensor::Tensor;

    impl Runtime {
        /// `aten._scaled_dot_product_flash_attention_for_cpu_backward.default(
        /// grad, query, key, value, out, logsumexp, dropout_p, is_causal, *,
        /// attn_mask, scale)`; `params` are the forward's dropout_p,
        /// is_causal, attn_mask, scale.
        pub(crate) fn flash_attention_backward(
            &mut self,
            grad: &Tensor,
            saved: [&Tensor; 5],
            params: &[IValue; 4],
        ) -> Result<Vec<Option<Tensor>>> {
            let mut args = vec![grad.into()];
            args.extend(saved.iter().map(|&t| IValue::from(t)));
            args.extend(params.iter().cloned());
            let out = self.dispatch(
                "aten._scaled_dot_product_flash_attention_for_cpu_backward.default",
                args,
            )?;
            Ok(out.into_iter().map(IValue::into_tensor).collect())
        }
    }
}

mod pad_calls {
    use super::super::Runtime;
    use crate::error::Result;
    use crate::tensor::Tensor;

    impl Runtime {
        /// `aten.constant_pad_nd.default(x, pad)` (value left at its default 0).
        pub(crate) fn constant_pad_nd(&mut self, x: &Tensor, pad: &[i64]) -> Result<Tensor> {
            self.dispatch_tensor("aten.constant_pad_nd.default", vec![x.into(), pad.into()])
        }

        /// `op(grad, rest..)`: a backward formula that is one call on the
        /// gradient (upsampling, block and shuffle operators).
        pub(crate) fn grad_call(
            &mut self,
            op: &str,
            grad: &Tensor,
            rest: Vec<crate::ivalue::IValue>,
        ) -> Result<Tensor> {
            let mut args = vec![grad.into()];
            args.extend(rest);
            self.dispatch_tensor(op, args)
        }

        /// `op(grad, self, padding)` for a reflection/replication padding's
        /// backward operator `op`.
        pub(crate) fn pad_backward(
            &mut self,
            op: &str,
            grad: &Tensor,
            this: &Tensor,
            padding: &[i64],
        ) -> Result<Tensor> {
            self.dispatch_tensor(op, vec![grad.into(), this.into(), padding.into()])
        }
    }
}
