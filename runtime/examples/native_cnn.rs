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

#[path = "native/classes.rs"]
mod classes;
#[path = "native/cli.rs"]
mod cli;
#[path = "native/cnn.rs"]
mod cnn;
#[path = "native/fit.rs"]
mod fit;

fn main() -> std::process::ExitCode {
    cli::run_program("native_cnn", "runtime/examples/native_cnn.rs", |rt| {
        cnn::train(rt)
    })
}
