//! `ft-replay`: see `ft_replay::cli::Args` for usage; logic lives in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = ft_replay::cli::Args::parse();
    ExitCode::from(ft_replay::run(&args) as u8)
}
