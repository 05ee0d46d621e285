//! `ft-inspect TRACE.ftr [--dump]`: see `ft_inspect::cli`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = ft_inspect::Args::parse();
    match ft_inspect::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "ft-inspect: {}",
                ft_trace::text::escape_control(&err.to_string())
            );
            ExitCode::from(err.exit_code())
        }
    }
}
