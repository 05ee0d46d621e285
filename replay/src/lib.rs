//! `ft-replay`: re-execute a PyTorch trace on the FrankenTorch runtime and
//! diff the two runs.
//!
//! * [`executor`] replays the api and top-level dispatch events of a PyTorch
//!   trace on `ft-runtime`, recording the runtime's own stream;
//! * [`checks`] aligns the two streams and runs the checks (dispatch
//!   ordering, graph isomorphism, ReadyQueue schedule, dataflow, values);
//! * [`report`] turns the result into a verdict, text or JSON, and an exit code;
//!   [`junit`] writes it as JUnit XML for CI dashboards, [`perfetto`] as a
//!   Chrome trace with both runs and the divergences.
//!
//! The binary is a thin shell over [`run`].

pub mod align;
pub mod checks;
pub mod cli;
pub mod describe;
pub mod error;
pub mod executor;
pub mod junit;
pub mod keys;
pub mod perfetto;
pub mod report;
pub mod trace_data;

use std::io::{IsTerminal, Write};

pub use checks::diff;
pub use checks::values::Tolerances;
pub use error::{Exit, ReplayError};
pub use report::Report;
pub use trace_data::TraceData;

use cli::{Args, Format};

/// Runs `ft-replay` with parsed arguments; prints the verdict and returns the exit code.
pub fn run(args: &Args) -> Exit {
    match run_inner(args) {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("ft-replay: error: {e}");
            e.exit()
        }
    }
}

fn run_inner(args: &Args) -> Result<Exit, ReplayError> {
    let tolerances = Tolerances::new(args.rtol, args.atol);
    let expected = TraceData::load(&args.against)?;
    let actual = match &args.ours {
        Some(path) => TraceData::load(path)?,
        None => {
            let options = executor::ReplayOptions {
                faults: executor::parse_faults(&args.inject_fault)?,
                timestamps: !args.zero_timestamps,
            };
            let run = executor::replay(&expected, &options)?;
            if let Some(out) = &args.out {
                run.write(out)?;
            }
            run.into_trace_data()
        }
    };
    let report = diff(&expected, &actual, &tolerances);
    if let Some(path) = &args.perfetto {
        let doc = perfetto::to_chrome_trace(&expected, &actual, &report);
        write_file(
            path,
            serde_json::to_string(&doc).map_err(|e| output_error(path, e))?,
        )?;
    }
    if let Some(path) = &args.junit {
        write_file(path, junit::to_junit(&report)?)?;
    }
    let rendered = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| output_error("stdout", e))? + "\n"
        }
        Format::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report.to_text(colour)
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(rendered.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(output_error("stdout", e)),
        Ok(()) => {}
    }
    Ok(report.exit())
}

fn output_error(path: impl AsRef<std::path::Path>, e: impl std::fmt::Display) -> ReplayError {
    ReplayError::Output {
        path: path.as_ref().display().to_string(),
        detail: e.to_string(),
    }
}

fn write_file(path: &std::path::Path, contents: String) -> Result<(), ReplayError> {
    std::fs::write(path, contents).map_err(|e| output_error(path, e))
}
