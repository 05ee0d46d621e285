//! `nn.Linear`: `y = x Wᵀ + b`, dispatched as PyTorch's `F.linear`
//! composite: on a matrix `t(W)` then `addmm(b, x, Wᵀ)` (`mm` without a
//! bias); on a contiguous input with more dimensions the leading ones are
//! flattened into one (observed in torch 2.15): with a bias
//! `view(x, [n, in])`, `t(W)`, `addmm`, `_unsafe_view(y, [..., out])`
//! (`_flatten_nd_linear`); without one `matmul(x, Wᵀ)`'s folding — `t(W)`,
//! `view(x, [n, in])`, `mm`, `_unsafe_view`.

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
        let shape = input.shape().to_vec();
        if shape.len() == 2 {
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
            return Ok(out);
        }
        let Some((&features, leading)) = shape.split_last() else {
            return Err(RuntimeError::unsupported(
                "nn.Linear",
                "0-dimensional inputs",
            ));
        };
        if leading.len() < 2 || !input.is_contiguous() {
            return Err(RuntimeError::unsupported(
                "nn.Linear",
                "vector or non-contiguous inputs (matmul's other paths)",
            ));
        }
        let rows: i64 = leading.iter().product();
        let flatten = |rt: &mut Runtime| {
            call1(
                rt,
                "aten.view.default",
                vec![input.into(), IValue::IntList(vec![rows, features])],
            )
        };
        let (flat, wt) = if self.bias.is_some() {
            let flat = flatten(rt)?;
            (flat, transposed_weight(rt, &self.weight)?)
        } else {
            let wt = transposed_weight(rt, &self.weight)?;
            (flatten(rt)?, wt)
        };
        let out2d = match &self.bias {
            Some(b) => call1(
                rt,
                "aten.addmm.default",
                vec![b.into(), IValue::from(&flat), IValue::from(&wt)],
            ),
            None => call1(
                rt,
                "aten.mm.default",
                vec![IValue::from(&flat), IValue::from(&wt)],
            ),
        };
        // Observed in torch 2.15 under `no_grad`: `_flatten_nd_linear`'s
        // flattened input and `weight.t()` are gone before its
        // `_unsafe_view`; matmul's live until it returns.
        let held = if self.bias.is_some() {
            rt.drop_tensor(flat);
            rt.drop_tensor(wt);
            None
        } else {
            Some((flat, wt))
        };
        let out2d = out2d?;
        let mut out_shape = leading.to_vec();
        out_shape.push(out2d.shape().get(1).copied().unwrap_or(0));
        let out = call1(
            rt,
            "aten._unsafe_view.default",
            vec![IValue::from(&out2d), IValue::IntList(out_shape)],
        );
        if let Some((flat, wt)) = held {
            rt.drop_tensor(flat);
            rt.drop_tensor(wt);
        }
        rt.drop_tensor(out2d);
        out
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
