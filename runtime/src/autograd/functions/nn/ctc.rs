//! Backward of `_ctc_loss` (CtcLossBackward0 for `int[]` lengths,
//! CtcLossBackward1 for tensor lengths): one edge (`log_probs`), one call
//! of `_ctc_loss_backward` (the overload matching the forward's) with the
//! forward's two outputs, the loss and `log_alpha`.

use crate::autograd::functions::reduction::unpack;
use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// CtcLossBackward0 / CtcLossBackward1.
pub(crate) struct CtcLossBackward {
    /// `aten._ctc_loss_backward.default` or `.Tensor`.
    pub(crate) backward_op: &'static str,
    pub(crate) log_probs: SavedVariable,
    pub(crate) targets: SavedVariable,
    /// The `int[]` lengths (CtcLossBackward0), else `None`.
    pub(crate) input_lengths: IValue,
    pub(crate) target_lengths: IValue,
    /// The length tensors (CtcLossBackward1).
    pub(crate) input_lengths_tensor: Option<SavedVariable>,
    pub(crate) target_lengths_tensor: Option<SavedVariable>,
    pub(crate) blank: IValue,
    pub(crate) zero_infinity: IValue,
    /// The loss (output 0) and `log_alpha` (output 1).
    pub(crate) result0: Option<SavedVariable>,
    pub(crate) result1: Option<SavedVariable>,
}

fn lengths(list: &IValue, tensor: &Option<SavedVariable>, ctx: &BackwardCtx<'_>) -> Result<IValue> {
    match tensor {
        Some(t) => Ok(t.unpack(ctx.node)?.into()),
        None => Ok(list.clone()),
    }
}

impl BackwardFn for CtcLossBackward {
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
        let args = vec![
            grad.into(),
            self.log_probs.unpack(ctx.node)?.into(),
            self.targets.unpack(ctx.node)?.into(),
            lengths(&self.input_lengths, &self.input_lengths_tensor, ctx)?,
            lengths(&self.target_lengths, &self.target_lengths_tensor, ctx)?,
            unpack(&self.result0, ctx)?.into(),
            unpack(&self.result1, ctx)?.into(),
            self.blank.clone(),
            self.zero_infinity.clone(),
        ];
        let op = self.backward_op;
        let out = ctx
            .rt
            .dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(|v| v.as_tensor().cloned())
            .ok_or_else(|| RuntimeError::autograd(format!("{op} returned no tensor")))?;
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result0 = outputs.first().map(|r| SavedVariable::output(r, 0));
        self.result1 = outputs.get(1).map(SavedVariable::input);
    }

    fn release_variables(&mut self) {
        self.log_probs.release();
        self.targets.release();
        for saved in [
            &mut self.input_lengths_tensor,
            &mut self.target_lengths_tensor,
            &mut self.result0,
            &mut self.result1,
        ] {
            saved.iter_mut().for_each(SavedVariable::release);
        }
    }
}
