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
#[path = "native/fit.rs"]
mod fit;
#[path = "native/mlp.rs"]
mod mlp;

fn main() -> std::process::ExitCode {
    cli::run_program("native_mlp", "runtime/examples/native_mlp.rs", |rt| {
        mlp::train(rt).map(|pred| pred.get(..3).map(<[f32]>::to_vec))
    })
}
