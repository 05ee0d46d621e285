//! Times the native MLP training step (the `native_mlp` program's model,
//! data shapes and SGD; tracing off, the runtime's own generator for the
//! values) and prints microseconds per step: `--steps N` (default 200).
//! `scripts/bench_native.py` runs it interleaved with PyTorch eager.

use std::process::ExitCode;
use std::time::Instant;

use ft_runtime::nn::{self, Dropout, Linear, Module, MseLoss, Relu, Sequential, Tanh};
use ft_runtime::optim::{Sgd, SgdOptions};
use ft_runtime::{Runtime, Tensor};

fn run(steps: usize) -> ft_runtime::Result<f64> {
    let mut rt = Runtime::new();
    rt.manual_seed(0);
    let model = Sequential::new(vec![
        Box::new(Linear::new(&mut rt, 6, 16, true)?),
        Box::new(Relu::new()),
        Box::new(Dropout::new(0.25)),
        Box::new(Linear::new(&mut rt, 16, 8, true)?),
        Box::new(Tanh::new()),
        Box::new(Linear::new(&mut rt, 8, 1, true)?),
    ]);
    let x = nn::factory(&mut rt, "aten.randn.default", vec![vec![12i64, 6].into()])?;
    let y = nn::factory(&mut rt, "aten.randn.default", vec![vec![12i64, 1].into()])?;
    let mut opt = Sgd::new(
        model.parameters(),
        SgdOptions {
            momentum: 0.9,
            nesterov: true,
            weight_decay: 1e-3,
            ..SgdOptions::new(0.05)
        },
    );
    let step = |rt: &mut Runtime, opt: &mut Sgd| -> ft_runtime::Result<Tensor> {
        opt.zero_grad(rt, true)?;
        let out = model.forward(rt, &x)?;
        let loss = MseLoss::default().forward(rt, &out, &y)?;
        rt.backward(std::slice::from_ref(&loss), &[None], false, false)?;
        opt.step(rt)?;
        Ok(loss)
    };
    for _ in 0..10 {
        step(&mut rt, &mut opt)?;
    }
    let start = Instant::now();
    for _ in 0..steps {
        step(&mut rt, &mut opt)?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / steps as f64)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut steps = 200;
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--steps", Some(n)) => steps = n,
            _ => {
                eprintln!("usage: native_mlp_step [--steps N]");
                return ExitCode::from(2);
            }
        }
    }
    match run(steps) {
        Ok(us) => {
            println!("{us:.1}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("native_mlp_step: error: {e}");
            ExitCode::FAILURE
        }
    }
}
