//! Backward of `mkldnn_rnn_layer`: one call of `mkldnn_rnn_layer_backward`
//! with the forward's arguments, its four results (the workspace last) and
//! the gradients of output, hy and cy (undefined ones as `None`) gives the
//! seven input gradients; the node hands on those its edges need.

use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// `mkldnn_rnn_layer(input, weight0, weight1, weight2, weight3, hx_, cx_,
/// reverse, batch_sizes, mode, hidden_size, num_layers, has_biases,
/// bidirectional, batch_first, train)`.
pub(crate) struct MkldnnRnnLayerBackward0 {
    /// input, weight0-3, hx_, cx_.
    pub(crate) inputs: [SavedVariable; 7],
    /// reverse … train as passed (forward positions 7-15).
    pub(crate) params: Vec<IValue>,
    /// output, hy, cy (outputs of this node) and the workspace.
    pub(crate) results: [Option<SavedVariable>; 4],
}

fn param(params: &[IValue], i: usize) -> IValue {
    params.get(i).cloned().unwrap_or(IValue::None)
}

impl BackwardFn for MkldnnRnnLayerBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None; 7]);
        }
        let mut args: Vec<IValue> = Vec::with_capacity(23);
        for s in &self.inputs {
            args.push(s.unpack(ctx.node)?.into());
        }
        let result = |i: usize| -> Result<Tensor> {
            match &self.results[i] {
                Some(s) => s.unpack(ctx.node),
                None => Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                }),
            }
        };
        for i in 0..3 {
            args.push(result(i)?.into());
        }
        for i in 0..3 {
            args.push(match grads.get(i).cloned().flatten() {
                Some(g) => g.into(),
                None => IValue::None,
            });
        }
        // Forward params: reverse 0, batch_sizes 1, mode 2, hidden_size 3,
        // num_layers 4, has_biases 5, bidirectional 6, batch_first 7, train 8;
        // the backward's order: reverse, mode, hidden_size, num_layers,
        // has_biases, train, bidirectional, batch_sizes, batch_first.
        for i in [0, 2, 3, 4, 5, 8, 6, 1, 7] {
            args.push(param(&self.params, i));
        }
        args.push(result(3)?.into());
        let out = ctx
            .rt
            .dispatch("aten.mkldnn_rnn_layer_backward.default", args)?;
        Ok(out
            .into_iter()
            .map(IValue::into_tensor)
            .enumerate()
            .map(|(i, g)| if ctx.needs(i) { g } else { None })
            .collect())
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        for (i, t) in outputs.iter().enumerate().take(4) {
            self.results[i] = Some(if i < 3 {
                SavedVariable::output(t, i as u32)
            } else {
                SavedVariable::input(t)
            });
        }
    }

    fn release_variables(&mut self) {
        for s in &mut self.inputs {
            s.release();
        }
        self.results
            .iter_mut()
            .flatten()
            .for_each(SavedVariable::release);
    }
}
