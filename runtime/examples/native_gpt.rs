//! A native FrankenTorch training program: a tiny GPT-style language model
//! (token and position Embedding, LayerNorm, Linear over `(batch, time,
//! channels)`, tanh-approximate GELU, a Sigmoid gate) that loads another
//! model's state dict, trains two steps on CrossEntropyLoss with AdamW and
//! Adam (L2 weight decay), then is evaluated without grad (the program is
//! `native/gpt.rs`). Its PyTorch twin is `traces/programs/native_gpt.py`;
//! with the twin's random values (`--random-from
//! traces/native_gpt.torch.ftr`) its trace diffs clean against the twin's:
//!
//! ```sh
//! cargo run --release -p ft-runtime --example native_gpt -- \
//!     --out /tmp/native_gpt.ftr --random-from traces/native_gpt.torch.ftr
//! target/release/ft-replay /tmp/native_gpt.ftr --against traces/native_gpt.torch.ftr
//! ```

#[path = "native/cli.rs"]
mod cli;
#[path = "native/gpt.rs"]
mod gpt;

fn main() -> std::process::ExitCode {
    cli::run_program("native_gpt", "runtime/examples/native_gpt.rs", |rt| {
        gpt::train(rt)
    })
}
