//! `ft-replay`: see `ft_replay::cli::Args` for usage; logic lives in the library.

use std::process::ExitCode;

use clap::Parser;

/// A replay allocates and frees tensors of the same few sizes millions of
/// times; glibc's allocator fragments under that pattern (its mmap threshold
/// grows, and freed tensors stay resident), so a long replay's memory would
/// grow with the run. mimalloc returns freed pages and is faster too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = ft_replay::cli::Args::parse();
    ExitCode::from(ft_replay::run(&args) as u8)
}
