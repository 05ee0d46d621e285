//! A native FrankenTorch training program: a small CNN (Conv2d,
//! BatchNorm2d, ReLU, MaxPool2d, Linear) trained three steps with AdamW on
//! CrossEntropyLoss, then evaluated without grad (the program is
//! `native/cnn.rs`). Its PyTorch twin is `traces/programs/native_cnn.py`;
//! with the twin's random values (`--random-from
//! traces/native_cnn.torch.ftr`) its trace diffs clean against the twin's:
//!
//! ```sh
//! cargo run --release -p ft-runtime --example native_cnn -- \
//!     --out /tmp/native_cnn.ftr --random-from traces/native_cnn.torch.ftr
//! target/release/ft-replay /tmp/native_cnn.ftr --against traces/native_cnn.torch.ftr
//! ```

#[path = "native/cli.rs"]
mod cli;
#[path = "native/cnn.rs"]
mod cnn;

use std::process::ExitCode;

use ft_runtime::nn::{NativeTrace, RecordedRandom};

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cli = cli::Cli::parse()?;
    let random = RecordedRandom::from_trace(&cli.random_from)?;
    let (trace, mut rt) = NativeTrace::create(&cli.out, "runtime/examples/native_cnn.rs")?;
    rt.set_faults(cli.faults);
    random.install(&mut rt)?;
    let pred = cnn::train(&mut rt)?;
    println!("native_cnn: prediction {:?}", pred);
    trace.finish(rt)?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("native_cnn: error: {e}");
            ExitCode::FAILURE
        }
    }
}
