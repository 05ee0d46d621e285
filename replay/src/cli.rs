//! Command line of `ft-replay`.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text (coloured on a terminal unless NO_COLOR is set).
    Text,
    /// One JSON object.
    Json,
}

/// Re-executes a PyTorch trace on the FrankenTorch runtime and diffs the two
/// runs step by step: dispatch ordering, gradient graph, ReadyQueue schedule,
/// dataflow and values. With OURS given, diffs two recorded traces instead.
#[derive(Debug, Parser)]
#[command(
    name = "ft-replay",
    version,
    after_help = "Exit codes:\n  \
        0  everything matched\n  \
        1  structural divergence (dispatch ordering, graph, ReadyQueue schedule, dataflow)\n  \
        2  usage error\n  \
        3  values out of tolerance (structure matched)\n  \
        4  unreadable, corrupt, truncated or unsupported-version input\n  \
        5  the runtime cannot execute something in the trace (the op is named)"
)]
pub struct Args {
    /// A second recorded trace to compare instead of running the runtime.
    pub ours: Option<PathBuf>,

    /// The reference trace recorded from PyTorch.
    #[arg(long, value_name = "TORCH.ftr")]
    pub against: PathBuf,

    /// Also write the runtime's own trace here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Also write both runs and the divergences as Chrome trace JSON (Perfetto UI).
    #[arg(long, value_name = "FILE")]
    pub perfetto: Option<PathBuf>,

    /// Also write the verdict as JUnit XML (one test case per check).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Relative tolerance for every dtype (default: torch.testing.assert_close's per dtype).
    #[arg(long)]
    pub rtol: Option<f64>,

    /// Absolute tolerance for every dtype (default: torch.testing.assert_close's per dtype).
    #[arg(long)]
    pub atol: Option<f64>,

    /// Write timestamps of 0 into --out so the file is byte-reproducible.
    #[arg(long)]
    pub zero_timestamps: bool,

    /// Break the runtime on purpose (test support): reverse-ready-queue,
    /// fifo-ties, swap-input-buffer-sum, rename-node=NAME:NEW, perturb=OP:DELTA.
    #[arg(long, value_name = "FAULT", hide = true)]
    pub inject_fault: Vec<String>,
}
