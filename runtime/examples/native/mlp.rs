//! The native MLP program (shared by `native_mlp.rs` and ft-replay's
//! `native_programs` test): an MLP regressor (Linear, ReLU, Dropout, Tanh)
//! trained three steps with SGD (momentum, Nesterov, weight decay) on
//! MSELoss, then evaluated without grad. Twin: `traces/programs/native_mlp.py`.

use ft_runtime::nn::{self, Dropout, Linear, Module, MseLoss, Relu, Sequential, Tanh};
use ft_runtime::optim::{Sgd, SgdOptions};
use ft_runtime::{Runtime, Tensor};

use super::fit;

/// `torch.randn(*shape)`.
fn randn(rt: &mut Runtime, shape: &[i64]) -> ft_runtime::Result<Tensor> {
    nn::factory(rt, "aten.randn.default", vec![shape.into()])
}

/// Runs the program on `rt` (random values already installed); returns the
/// evaluation's predictions.
pub fn train(rt: &mut Runtime) -> ft_runtime::Result<Vec<f32>> {
    rt.manual_seed(0);
    let mut model = Sequential::new(vec![
        Box::new(Linear::new(rt, 6, 16, true)?),
        Box::new(Relu::new()),
        Box::new(Dropout::new(0.25)),
        Box::new(Linear::new(rt, 16, 8, true)?),
        Box::new(Tanh::new()),
        Box::new(Linear::new(rt, 8, 1, true)?),
    ]);
    let x = randn(rt, &[12, 6])?;
    let y = randn(rt, &[12, 1])?;
    let mut opt = Sgd::new(
        model.parameters(),
        SgdOptions {
            momentum: 0.9,
            nesterov: true,
            weight_decay: 1e-3,
            ..SgdOptions::new(0.05)
        },
    );
    let loss_fn = MseLoss::default();
    let _loss = fit::fit(rt, &model, &mut opt, &loss_fn, (&x, &y), 3)?;
    let pred = fit::evaluate(rt, &mut model, &x, |_, out| Ok(out))?;
    pred.to_f32_vec()
}
