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
        fn dispatch_tensor(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
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
