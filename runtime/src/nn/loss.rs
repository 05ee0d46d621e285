//! Losses: `nn.MSELoss` (`aten.mse_loss`) and `nn.CrossEntropyLoss`
//! (`_log_softmax` then `nll_loss_forward`, what `F.cross_entropy`'s
//! composite dispatches).

use super::{call_n, call1};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// How a loss reduces over the batch (PyTorch's `reduction` enum values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// `'none'` (0).
    None,
    /// `'mean'` (1), the default.
    #[default]
    Mean,
    /// `'sum'` (2).
    Sum,
}

impl Reduction {
    fn code(self) -> i64 {
        match self {
            Reduction::None => 0,
            Reduction::Mean => 1,
            Reduction::Sum => 2,
        }
    }
}

/// `nn.MSELoss(reduction)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MseLoss {
    /// The reduction.
    pub reduction: Reduction,
}

impl MseLoss {
    /// `loss_fn(input, target)`.
    pub fn forward(&self, rt: &mut Runtime, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        call1(
            rt,
            "aten.mse_loss.default",
            vec![
                input.into(),
                target.into(),
                IValue::Int(self.reduction.code()),
            ],
        )
    }
}

/// `nn.CrossEntropyLoss(reduction)` over class indices (no weights, no
/// label smoothing, `ignore_index=-100`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossEntropyLoss {
    /// The reduction.
    pub reduction: Reduction,
}

impl CrossEntropyLoss {
    /// `loss_fn(logits [N, C], target [N])`: `_log_softmax(logits, 1)`,
    /// then `nll_loss_forward`; the log-probabilities and the total weight
    /// are dropped (the graph keeps them for backward).
    pub fn forward(&self, rt: &mut Runtime, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        let logp = call1(
            rt,
            "aten._log_softmax.default",
            vec![input.into(), IValue::Int(1), IValue::Bool(false)],
        )?;
        let mut outs = call_n(
            rt,
            "aten.nll_loss_forward.default",
            vec![
                (&logp).into(),
                target.into(),
                IValue::None,
                IValue::Int(self.reduction.code()),
                IValue::Int(-100),
            ],
        )?
        .into_iter();
        rt.drop_tensor(logp);
        let loss = outs.next().ok_or_else(|| {
            RuntimeError::unsupported("aten.nll_loss_forward.default", "no result")
        })?;
        for rest in outs {
            rt.drop_tensor(rest);
        }
        Ok(loss)
    }
}
