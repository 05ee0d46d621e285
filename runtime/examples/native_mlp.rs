//! A native FrankenTorch training program: an MLP regressor (Linear,
//! ReLU, Dropout, Tanh) trained three steps with SGD (momentum, Nesterov,
//! weight decay) on MSELoss, then evaluated without grad (the program is
//! `native/mlp.rs`). Its PyTorch twin is `traces/programs/native_mlp.py`;
//! with the twin's random values (`--random-from
//! traces/native_mlp.torch.ftr`) its trace diffs clean against the twin's:
//!
//! ```sh
//! cargo run --release -p ft-runtime --example native_mlp -- \
//!     --out /tmp/native_mlp.ftr --random-from traces/native_mlp.torch.ftr
//! target/release/ft-replay /tmp/native_mlp.ftr --against traces/native_mlp.torch.ftr
//! ```

#[path = "native/cli.rs"]
mod cli;
#[path = "native/mlp.rs"]
mod mlp;

use std::process::ExitCode;

use ft_runtime::nn::{NativeTrace, RecordedRandom};

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cli = cli::Cli::parse()?;
    let random = RecordedRandom::from_trace(&cli.random_from)?;
    let (trace, mut rt) = NativeTrace::create(&cli.out, "runtime/examples/native_mlp.rs")?;
    rt.set_faults(cli.faults);
    random.install(&mut rt)?;
    let pred = mlp::train(&mut rt)?;
    println!("native_mlp: prediction {:?}", pred.get(..3));
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
