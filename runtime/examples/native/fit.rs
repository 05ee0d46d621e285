//! The supervised training loop the native programs `native/cnn.rs`,
//! `native/mlp.rs` and `native/finetune.rs` share: the twins'
//! `for step in range(n): opt.zero_grad(); loss = loss_fn(model(x), y);
//! loss.backward(); opt.step()` and the evaluation under `torch.no_grad()`.
//! Each function dispatches exactly the operators of the Python lines it
//! names and drops temporaries where Python's names are rebound.

use ft_runtime::nn::{CrossEntropyLoss, Module, MseLoss};
use ft_runtime::optim::{Adam, Sgd};
use ft_runtime::{Runtime, Tensor};

/// An optimizer the loop steps.
pub trait Optimizer {
    /// `opt.zero_grad(set_to_none)`.
    fn zero_grad(&mut self, rt: &mut Runtime, set_to_none: bool) -> ft_runtime::Result<()>;
    /// `opt.step()`.
    fn step(&mut self, rt: &mut Runtime) -> ft_runtime::Result<()>;
}

impl Optimizer for Sgd {
    fn zero_grad(&mut self, rt: &mut Runtime, set_to_none: bool) -> ft_runtime::Result<()> {
        Sgd::zero_grad(self, rt, set_to_none)
    }

    fn step(&mut self, rt: &mut Runtime) -> ft_runtime::Result<()> {
        Sgd::step(self, rt)
    }
}

impl Optimizer for Adam {
    fn zero_grad(&mut self, rt: &mut Runtime, set_to_none: bool) -> ft_runtime::Result<()> {
        Adam::zero_grad(self, rt, set_to_none)
    }

    fn step(&mut self, rt: &mut Runtime) -> ft_runtime::Result<()> {
        Adam::step(self, rt)
    }
}

/// A loss module: `loss_fn(output, target)`.
pub trait Loss {
    /// `loss_fn(output, target)`.
    fn loss(
        &self,
        rt: &mut Runtime,
        output: &Tensor,
        target: &Tensor,
    ) -> ft_runtime::Result<Tensor>;
}

impl Loss for CrossEntropyLoss {
    fn loss(
        &self,
        rt: &mut Runtime,
        output: &Tensor,
        target: &Tensor,
    ) -> ft_runtime::Result<Tensor> {
        self.forward(rt, output, target)
    }
}

impl Loss for MseLoss {
    fn loss(
        &self,
        rt: &mut Runtime,
        output: &Tensor,
        target: &Tensor,
    ) -> ft_runtime::Result<Tensor> {
        self.forward(rt, output, target)
    }
}

/// `for step in range(steps): opt.zero_grad(); loss = loss_fn(model(x), y);
/// loss.backward(); opt.step()`. Each step's output dies once the loss is
/// computed and the previous loss when `loss` is rebound; the last loss is
/// returned, as Python's `loss` stays bound after the loop.
pub fn fit(
    rt: &mut Runtime,
    model: &dyn Module,
    opt: &mut impl Optimizer,
    loss_fn: &impl Loss,
    (x, y): (&Tensor, &Tensor),
    steps: usize,
) -> ft_runtime::Result<Option<Tensor>> {
    let mut last_loss: Option<Tensor> = None;
    for _step in 0..steps {
        opt.zero_grad(rt, true)?;
        let out = model.forward(rt, x)?;
        let loss = loss_fn.loss(rt, &out, y)?;
        rt.drop_tensor(out);
        if let Some(old) = last_loss.replace(loss.clone()) {
            rt.drop_tensor(old);
        }
        rt.backward(&[loss], &[None], false, false)?;
        opt.step(rt)?;
    }
    Ok(last_loss)
}

/// `model.eval()`, then `with torch.no_grad(): head(model(x))`; grad mode
/// is back on afterwards.
pub fn evaluate(
    rt: &mut Runtime,
    model: &mut dyn Module,
    x: &Tensor,
    head: impl FnOnce(&mut Runtime, Tensor) -> ft_runtime::Result<Tensor>,
) -> ft_runtime::Result<Tensor> {
    model.eval();
    rt.set_grad_mode(false, false);
    let out = model.forward(rt, x)?;
    let result = head(rt, out)?;
    rt.set_grad_mode(true, false);
    Ok(result)
}
