//! A native FrankenTorch training program: an MLP regressor (Linear,
//! ReLU, Dropout, Tanh) trained three steps with SGD (momentum, Nesterov,
//! weight decay) on MSELoss, then evaluated without grad. Its PyTorch twin
//! is `traces/programs/native_mlp.py`; with the twin's random values
//! (`--random-from traces/native_mlp.torch.ftr`) its trace diffs clean
//! against the twin's:
//!
//! ```sh
//! cargo run --release -p ft-runtime --example native_mlp -- \
//!     --out /tmp/native_mlp.ftr --random-from traces/native_mlp.torch.ftr
//! target/release/ft-replay /tmp/native_mlp.ftr --against traces/native_mlp.torch.ftr
//! ```

#[path = "native/cli.rs"]
mod cli;

use std::process::ExitCode;

use ft_runtime::nn::{
    self, Dropout, Linear, Module, MseLoss, NativeTrace, RecordedRandom, Relu, Sequential, Tanh,
};
use ft_runtime::optim::{Sgd, SgdOptions};
use ft_runtime::{Runtime, Tensor};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// `torch.randn(*shape)`.
fn randn(rt: &mut Runtime, shape: &[i64]) -> AnyResult<Tensor> {
    Ok(nn::factory(rt, "aten.randn.default", vec![shape.into()])?)
}

fn run() -> AnyResult<()> {
    let cli = cli::Cli::parse()?;
    let random = RecordedRandom::from_trace(&cli.random_from)?;
    let (trace, mut rt) = NativeTrace::create(&cli.out, "runtime/examples/native_mlp.rs")?;
    rt.set_faults(cli.faults);
    random.install(&mut rt)?;

    rt.manual_seed(0);
    let mut model = Sequential::new(vec![
        Box::new(Linear::new(&mut rt, 6, 16, true)?),
        Box::new(Relu::new()),
        Box::new(Dropout::new(0.25)),
        Box::new(Linear::new(&mut rt, 16, 8, true)?),
        Box::new(Tanh::new()),
        Box::new(Linear::new(&mut rt, 8, 1, true)?),
    ]);
    let x = randn(&mut rt, &[12, 6])?;
    let y = randn(&mut rt, &[12, 1])?;
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
    let mut last_loss: Option<Tensor> = None;
    for _step in 0..3 {
        opt.zero_grad(&mut rt, true)?;
        let out = model.forward(&mut rt, &x)?;
        let loss = loss_fn.forward(&mut rt, &out, &y)?;
        rt.drop_tensor(out);
        if let Some(old) = last_loss.replace(loss.clone()) {
            rt.drop_tensor(old);
        }
        rt.backward(&[loss], &[None], false, false)?;
        opt.step(&mut rt)?;
    }
    model.eval();
    rt.set_grad_mode(false, false);
    let pred = model.forward(&mut rt, &x)?;
    rt.set_grad_mode(true, false);
    println!("native_mlp: prediction {:?}", pred.to_f32_vec()?.get(..3));
    trace.finish(rt)?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("native_mlp: error: {e}");
            ExitCode::FAILURE
        }
    }
}
