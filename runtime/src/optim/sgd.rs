//! `torch.optim.SGD(foreach=False)`: `_single_tensor_sgd`.

use super::{step_scope, zero_grad};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::nn::call1;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// SGD's hyper-parameters (PyTorch's defaults but `lr`).
#[derive(Clone, Copy, Debug)]
pub struct SgdOptions {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0: none).
    pub momentum: f64,
    /// Dampening of the momentum (PyTorch's default is the int 0).
    pub dampening: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl SgdOptions {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> SgdOptions {
        SgdOptions {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

/// `torch.optim.SGD(params, ..., foreach=False)`.
pub struct Sgd {
    params: Vec<Tensor>,
    options: SgdOptions,
    momentum_buffers: Vec<Option<Tensor>>,
}

impl Sgd {
    /// The optimizer over `params`.
    pub fn new(params: Vec<Tensor>, options: SgdOptions) -> Sgd {
        let momentum_buffers = vec![None; params.len()];
        Sgd {
            params,
            options,
            momentum_buffers,
        }
    }

    /// `zero_grad(set_to_none)`.
    pub fn zero_grad(&mut self, rt: &mut Runtime, set_to_none: bool) -> Result<()> {
        zero_grad(rt, "SGD", &self.params, set_to_none)
    }

    /// The momentum buffer of parameter `i` (after its first step).
    pub fn momentum_buffer(&self, i: usize) -> Option<&Tensor> {
        self.momentum_buffers.get(i).and_then(Option::as_ref)
    }

    /// `step()`: per parameter with a gradient, `add(grad, p, alpha=wd)`;
    /// the momentum buffer (`detach` + `clone` of the gradient the first
    /// time, then `mul_(momentum)` + `add_(grad, alpha=1-dampening)`);
    /// with Nesterov `add(grad, buf, alpha=momentum)`; `add_(p, grad,
    /// alpha=-lr)`.
    pub fn step(&mut self, rt: &mut Runtime) -> Result<()> {
        let o = self.options;
        let params = &self.params;
        let bufs = &mut self.momentum_buffers;
        step_scope(rt, "SGD", |rt| {
            // `1 - dampening`: an int when dampening is PyTorch's int default.
            let keep = if o.dampening == 0.0 {
                IValue::Int(1)
            } else {
                IValue::Float(1.0 - o.dampening)
            };
            for (p, buf) in params.iter().zip(bufs.iter_mut()) {
                let Some(grad) = p.grad() else { continue };
                let mut d_p = grad;
                let mut d_p_is_temp = false;
                if o.weight_decay != 0.0 {
                    d_p = call1(
                        rt,
                        "aten.add.Tensor",
                        vec![(&d_p).into(), p.into(), IValue::Float(o.weight_decay)],
                    )?;
                    d_p_is_temp = true;
                }
                if o.momentum != 0.0 {
                    let b = match buf {
                        None => {
                            let detached = call1(rt, "aten.detach.default", vec![(&d_p).into()])?;
                            let b = call1(rt, "aten.clone.default", vec![(&detached).into()])?;
                            rt.drop_tensor(detached);
                            *buf = Some(b.clone());
                            b
                        }
                        Some(b) => {
                            call1(
                                rt,
                                "aten.mul_.Tensor",
                                vec![(&*b).into(), IValue::Float(o.momentum)],
                            )?;
                            call1(
                                rt,
                                "aten.add_.Tensor",
                                vec![(&*b).into(), (&d_p).into(), keep.clone()],
                            )?;
                            b.clone()
                        }
                    };
                    if o.nesterov {
                        let next = call1(
                            rt,
                            "aten.add.Tensor",
                            vec![(&d_p).into(), (&b).into(), IValue::Float(o.momentum)],
                        )?;
                        if d_p_is_temp {
                            rt.drop_tensor(d_p);
                        }
                        d_p = next;
                        d_p_is_temp = true;
                    } else {
                        if d_p_is_temp {
                            rt.drop_tensor(d_p);
                        }
                        d_p = b;
                        d_p_is_temp = false;
                    }
                }
                call1(
                    rt,
                    "aten.add_.Tensor",
                    vec![p.into(), (&d_p).into(), IValue::Float(-o.lr)],
                )?;
                if d_p_is_temp {
                    rt.drop_tensor(d_p);
                }
            }
            Ok(())
        })
    }
}
