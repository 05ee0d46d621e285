//! A native FrankenTorch training program: transfer learning — a
//! classifier takes a pretrained network's state dict non-strictly (the
//! backbone's entries copied, the old head's keys unexpected, the new
//! head's missing), trains three steps with SGD (momentum with dampening,
//! weight decay) on CrossEntropyLoss through Tanh and Dropout, then is
//! evaluated without grad (the program is `native/finetune.rs`). Its
//! PyTorch twin is `traces/programs/native_finetune.py`; with the twin's
//! random values (`--random-from traces/native_finetune.torch.ftr`) its
//! trace diffs clean against the twin's:
//!
//! ```sh
//! cargo run --release -p ft-runtime --example native_finetune -- \
//!     --out /tmp/native_finetune.ftr --random-from traces/native_finetune.torch.ftr
//! target/release/ft-replay /tmp/native_finetune.ftr --against traces/native_finetune.torch.ftr
//! ```

#[path = "native/classes.rs"]
mod classes;
#[path = "native/cli.rs"]
mod cli;
#[path = "native/finetune.rs"]
mod finetune;
#[path = "native/fit.rs"]
mod fit;

fn main() -> std::process::ExitCode {
    cli::run_program(
        "native_finetune",
        "runtime/examples/native_finetune.rs",
        finetune::train,
    )
}
