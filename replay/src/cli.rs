//! Command line of `ft-replay`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
/// Before replaying, every operator, derivative and dtype the trace needs
/// that the runtime lacks is listed at once (exit 5).
#[derive(Debug, Parser)]
#[command(
    name = "ft-replay",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Exit codes:\n  \
        0  everything matched\n  \
        1  structural divergence (dispatch ordering, graph, ReadyQueue schedule, dataflow)\n  \
        2  usage error\n  \
        3  values out of tolerance (structure matched)\n  \
        4  unreadable, corrupt, truncated or unsupported-version input\n  \
        5  the runtime cannot execute something in the trace (the op is named)"
)]
pub struct Args {
    /// A subcommand (`coverage`); without one, replay and diff.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A second recorded trace to compare instead of running the runtime.
    pub ours: Option<PathBuf>,

    /// The reference trace recorded from PyTorch.
    #[arg(long, value_name = "TORCH.ftr", required = true)]
    pub against: Option<PathBuf>,

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

    /// Anchored replay: run every top-level operator on PyTorch's recorded
    /// argument values instead of the runtime's own, so each operator's value
    /// check is local and float drift cannot accumulate over a long run
    /// (needs a trace captured with --values all). Without it the replay is
    /// free-running, and a value failure is re-checked anchored to tell a
    /// wrong operator from amplified drift.
    #[arg(long, conflicts_with = "ours")]
    pub anchor: bool,

    /// Print how long each phase took (load, replay on the runtime, diff) on stderr.
    #[arg(long)]
    pub timings: bool,

    /// Write timestamps of 0 into --out so the file is byte-reproducible.
    #[arg(long)]
    pub zero_timestamps: bool,

    /// Break the runtime on purpose (test support): reverse-ready-queue,
    /// fifo-ties, swap-input-buffer-sum, rename-node=NAME:NEW, perturb=OP:DELTA.
    #[arg(long, value_name = "FAULT", hide = true)]
    pub inject_fault: Vec<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Per trace: the operator overloads and dtypes it uses (events, first
    /// seq) and whether this runtime build supports them (kernel, backward
    /// node), with a summary line. Exit 5 when a trace needs something missing.
    Coverage(CoverageArgs),
}

/// Arguments of `ft-replay coverage`.
#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Traces to report on.
    #[arg(required = true, value_name = "TRACE")]
    pub traces: Vec<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text, conflicts_with = "markdown")]
    pub format: Format,

    /// Print docs/COVERAGE.md instead: every registered overload and the
    /// golden traces (TRACE...) that prove it.
    #[arg(long)]
    pub markdown: bool,
}
