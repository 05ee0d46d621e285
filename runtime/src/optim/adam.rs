//! `torch.optim.Adam` / `AdamW` (`foreach=False`): `_single_tensor_adam`
//! without `amsgrad`, `capturable` or `differentiable`.

use super::{step_scope, zero_grad};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::nn::call1;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// Adam's hyper-parameters.
#[derive(Clone, Copy, Debug)]
pub struct AdamOptions {
    /// Learning rate.
    pub lr: f64,
    /// `(beta1, beta2)`.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// Weight decay: an L2 term added to the gradient (Adam) or decoupled,
    /// `p *= 1 - lr * wd` (AdamW).
    pub weight_decay: f64,
    /// AdamW's decoupled weight decay.
    pub decoupled_weight_decay: bool,
}

impl AdamOptions {
    /// `torch.optim.Adam(lr=lr)` defaults.
    pub fn adam(lr: f64) -> AdamOptions {
        AdamOptions {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
        }
    }

    /// `torch.optim.AdamW(lr=lr)` defaults (`weight_decay=0.01`).
    pub fn adamw(lr: f64) -> AdamOptions {
        AdamOptions {
            weight_decay: 0.01,
            decoupled_weight_decay: true,
            ..AdamOptions::adam(lr)
        }
    }
}

/// Per-parameter state, made at the parameter's first step.
struct State {
    step: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
}

/// `torch.optim.Adam` / `torch.optim.AdamW` with `foreach=False`.
pub struct Adam {
    params: Vec<Tensor>,
    options: AdamOptions,
    state: Vec<Option<State>>,
}

impl Adam {
    /// The optimizer over `params`.
    pub fn new(params: Vec<Tensor>, options: AdamOptions) -> Adam {
        let state = params.iter().map(|_| None).collect();
        Adam {
            params,
            options,
            state,
        }
    }

    fn class(&self) -> &'static str {
        if self.options.decoupled_weight_decay {
            "AdamW"
        } else {
            "Adam"
        }
    }

    /// `zero_grad(set_to_none)`.
    pub fn zero_grad(&mut self, rt: &mut Runtime, set_to_none: bool) -> Result<()> {
        zero_grad(rt, self.class(), &self.params, set_to_none)
    }

    /// `step()`. First `_init_group`: for each parameter with a gradient
    /// and no state, `torch.tensor(0.0)` (introduced, `lift_fresh`) and two
    /// `zeros_like`. Then per parameter: `add_(step, 1)`; weight decay;
    /// `lerp_(exp_avg, grad, 1-β1)`; `mul_(exp_avg_sq, β2)`,
    /// `addcmul_(exp_avg_sq, grad, grad, value=1-β2)`; `step.item()`;
    /// `denom = sqrt(exp_avg_sq) / √(1-β2^t)`, `add_(denom, eps)`;
    /// `addcdiv_(p, exp_avg, denom, value=-lr/(1-β1^t))`.
    pub fn step(&mut self, rt: &mut Runtime) -> Result<()> {
        let class = self.class();
        let o = self.options;
        let params = &self.params;
        let states = &mut self.state;
        step_scope(rt, class, |rt| {
            for (p, state) in params.iter().zip(states.iter_mut()) {
                if p.grad().is_none() || state.is_some() {
                    continue;
                }
                let zero =
                    rt.introduce_tensor("float32", &[], &[], 0, &0f32.to_le_bytes(), false)?;
                let step = rt
                    .call_below_ad_inplace_or_view("aten.lift_fresh.default", vec![(&zero).into()])?
                    .into_iter()
                    .next()
                    .and_then(IValue::into_tensor)
                    .ok_or_else(|| {
                        RuntimeError::unsupported("aten.lift_fresh.default", "no result")
                    })?;
                let zeros_like = |rt: &mut Runtime| {
                    call1(
                        rt,
                        "aten.zeros_like.default",
                        vec![
                            p.into(),
                            IValue::None,
                            IValue::None,
                            IValue::None,
                            IValue::Bool(false),
                            IValue::MemoryFormat(crate::tensor::options::MemoryFormat::Preserve),
                        ],
                    )
                };
                let exp_avg = zeros_like(rt)?;
                let exp_avg_sq = zeros_like(rt)?;
                *state = Some(State {
                    step,
                    exp_avg,
                    exp_avg_sq,
                });
            }
            let (beta1, beta2) = o.betas;
            let mut denom_prev: Option<Tensor> = None;
            for (p, state) in params.iter().zip(states.iter()) {
                let (Some(grad), Some(s)) = (p.grad(), state) else {
                    continue;
                };
                call1(
                    rt,
                    "aten.add_.Tensor",
                    vec![(&s.step).into(), IValue::Int(1)],
                )?;
                let mut g = grad;
                let mut g_is_temp = false;
                if o.weight_decay != 0.0 {
                    if o.decoupled_weight_decay && !rt.faults().adamw_decay_as_l2 {
                        call1(
                            rt,
                            "aten.mul_.Tensor",
                            vec![p.into(), IValue::Float(1.0 - o.lr * o.weight_decay)],
                        )?;
                    } else {
                        g = call1(
                            rt,
                            "aten.add.Tensor",
                            vec![(&g).into(), p.into(), IValue::Float(o.weight_decay)],
                        )?;
                        g_is_temp = true;
                    }
                }
                call1(
                    rt,
                    "aten.lerp_.Scalar",
                    vec![(&s.exp_avg).into(), (&g).into(), IValue::Float(1.0 - beta1)],
                )?;
                call1(
                    rt,
                    "aten.mul_.Tensor",
                    vec![(&s.exp_avg_sq).into(), IValue::Float(beta2)],
                )?;
                call1(
                    rt,
                    "aten.addcmul_.default",
                    vec![
                        (&s.exp_avg_sq).into(),
                        (&g).into(),
                        (&g).into(),
                        IValue::Float(1.0 - beta2),
                    ],
                )?;
                let step = match rt
                    .call("aten._local_scalar_dense.default", vec![(&s.step).into()])?
                    .into_iter()
                    .next()
                {
                    Some(IValue::Float(v)) => v,
                    Some(IValue::Int(v)) => v as f64,
                    _ => {
                        return Err(RuntimeError::unsupported(
                            "aten._local_scalar_dense.default",
                            "a step count that is not a number",
                        ));
                    }
                };
                let skip = rt.faults().adam_skip_bias_correction;
                let bias_correction1 = if skip { 1.0 } else { 1.0 - beta1.powf(step) };
                let bias_correction2 = if skip { 1.0 } else { 1.0 - beta2.powf(step) };
                let step_size = o.lr / bias_correction1;
                let bias_correction2_sqrt = bias_correction2.powf(0.5);
                let sqrt = call1(rt, "aten.sqrt.default", vec![(&s.exp_avg_sq).into()])?;
                let denom = call1(
                    rt,
                    "aten.div.Tensor",
                    vec![(&sqrt).into(), IValue::Float(bias_correction2_sqrt)],
                )?;
                rt.drop_tensor(sqrt);
                call1(
                    rt,
                    "aten.add_.Tensor",
                    vec![(&denom).into(), IValue::Float(o.eps)],
                )?;
                if let Some(prev) = denom_prev.replace(denom.clone()) {
                    rt.drop_tensor(prev);
                }
                call1(
                    rt,
                    "aten.addcdiv_.default",
                    vec![
                        p.into(),
                        (&s.exp_avg).into(),
                        (&denom).into(),
                        IValue::Float(-step_size),
                    ],
                )?;
                if g_is_temp {
                    rt.drop_tensor(g);
                }
            }
            if let Some(prev) = denom_prev {
                rt.drop_tensor(prev);
            }
            Ok(())
        })
    }
}
