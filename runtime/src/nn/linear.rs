//! `nn.Linear`: `y = x Wᵀ + b`, dispatched as PyTorch's `F.linear` on a
//! matrix: `t(W)` then `addmm(b, x, Wᵀ)` (`mm` without a bias).

use super::{Module, bias_bound, call1, empty_parameter, kaiming_uniform_bound, uniform_};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `nn.Linear(in_features, out_features, bias)`.
pub struct Linear {
    /// `[out_features, in_features]`.
    pub weight: Tensor,
    /// `[out_features]`.
    pub bias: Option<Tensor>,
    training: bool,
}

impl Linear {
    /// Constructs the layer as PyTorch does: `empty` weight and bias, then
    /// `reset_parameters()` — `kaiming_uniform_(W, a=√5)` and
    /// `uniform_(b, ±1/√in_features)`, both `uniform_` calls under
    /// `no_grad` (their values come from the runtime's random source).
    pub fn new(
        rt: &mut Runtime,
        in_features: i64,
        out_features: i64,
        bias: bool,
    ) -> Result<Linear> {
        let (w_empty, weight) = empty_parameter(rt, &[out_features, in_features])?;
        let b = if bias {
            Some(empty_parameter(rt, &[out_features])?)
        } else {
            None
        };
        uniform_(rt, &weight, kaiming_uniform_bound(rt, in_features))?;
        rt.drop_tensor(w_empty);
        let bias = match b {
            Some((b_empty, b)) => {
                uniform_(rt, &b, bias_bound(in_features))?;
                rt.drop_tensor(b_empty);
                Some(b)
            }
            None => None,
        };
        Ok(Linear {
            weight,
            bias,
            training: true,
        })
    }
}

/// `t(weight)` as a module's forward takes it. Under `no_grad` the view of
/// a parameter is recorded at dispatch as not requiring grad and reads as
/// requiring it afterwards (observed in torch 2.15: the capture writes
/// `set_requires_grad [wt, true]` before the next operator).
pub(crate) fn transposed_weight(rt: &mut Runtime, weight: &Tensor) -> Result<Tensor> {
    let wt = call1(rt, "aten.t.default", vec![weight.into()])?;
    if !rt.is_grad_enabled() && weight.requires_grad() {
        rt.set_requires_grad(&wt, true)?;
    }
    Ok(wt)
}

impl Module for Linear {
    fn type_name(&self) -> &'static str {
        "Linear"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        if input.dim() != 2 {
            return Err(RuntimeError::unsupported(
                "nn.Linear",
                "inputs that are not matrices",
            ));
        }
        let wt = transposed_weight(rt, &self.weight)?;
        let out = match &self.bias {
            Some(b) => call1(
                rt,
                "aten.addmm.default",
                vec![b.into(), input.into(), IValue::from(&wt)],
            )?,
            None => call1(rt, "aten.mm.default", vec![input.into(), IValue::from(&wt)])?,
        };
        rt.drop_tensor(wt);
        Ok(out)
    }

    fn local_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        let mut p = vec![("weight", &self.weight)];
        if let Some(b) = &self.bias {
            p.push(("bias", b));
        }
        p
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}
