//! Backward of `_trilinear` (TrilinearBackward0): derivatives.yaml's
//! `_trilinear_backward` gives each input that needs a gradient one more
//! `_trilinear`, with the gradient in that input's place, `sumdim` as the
//! gradient's expand list and the input's own expand list as the summed
//! dims — `i1`, then `i2`, then `i3`. Those calls are ordinary dispatches,
//! so with grad mode on (`create_graph=True`) they record their own nodes.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

const OP: &str = "aten._trilinear.default";

/// TrilinearBackward0.
pub(crate) struct TrilinearBackward0 {
    /// `i1`, `i2`, `i3`.
    pub(crate) inputs: [SavedVariable; 3],
    /// `expand1`, `expand2`, `expand3`.
    pub(crate) expands: [IValue; 3],
    pub(crate) sumdim: IValue,
}

impl BackwardFn for TrilinearBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        for (k, slot) in out.iter_mut().enumerate() {
            if !ctx.needs(k) {
                continue;
            }
            let mut tensors = Vec::with_capacity(3);
            let mut dims = Vec::with_capacity(4);
            for j in 0..3 {
                if j == k {
                    tensors.push(IValue::from(grad.clone()));
                    dims.push(self.sumdim.clone());
                } else {
                    tensors.push(self.inputs[j].unpack(ctx.node)?.into());
                    dims.push(self.expands[j].clone());
                }
            }
            dims.push(self.expands[k].clone());
            tensors.extend(dims);
            let result = ctx.rt.dispatch(OP, tensors)?;
            *slot = Some(
                result
                    .into_iter()
                    .next()
                    .and_then(|v| v.as_tensor().cloned())
                    .ok_or_else(|| RuntimeError::autograd(format!("{OP} returned no tensor")))?,
            );
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.inputs.iter_mut().for_each(SavedVariable::release);
    }
}
