//! Backward of `_pdist_forward` (PdistBackward0): one
//! `_pdist_backward(grad, self, p, result)` call for `self`.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

const OP: &str = "aten._pdist_backward.default";

/// PdistBackward0.
pub(crate) struct PdistBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) p: IValue,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for PdistBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None]);
        };
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        let result = match &self.result {
            Some(saved) => saved.unpack(ctx.node)?,
            None => {
                return Err(RuntimeError::GraphFreed {
                    node: ctx.node.name().to_owned(),
                });
            }
        };
        let args = vec![
            grad.into(),
            self.self_.unpack(ctx.node)?.into(),
            self.p.clone(),
            result.into(),
        ];
        let out = ctx
            .rt
            .dispatch(OP, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::autograd(format!("{OP} returned no tensor")))?;
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.result.iter_mut().for_each(SavedVariable::release);
    }
}
