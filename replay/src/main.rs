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
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match ft_replay::cli::Args::try_parse() {
        Ok(args) => ExitCode::from(ft_replay::run(&args) as u8),
        Err(e) => {
            // `--help` and `--version` are not refusals.
            if e.use_stderr() {
                ft_replay::junit_for_refused_command_line(&raw, &e.to_string());
            }
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}
