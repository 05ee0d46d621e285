//! Command line of `ft-replay`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::checks::values::{TOLERANCE_DTYPES, Tolerance, Tolerances};

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text (coloured on a terminal unless NO_COLOR is set).
    Text,
    /// One JSON object.
    Json,
}

/// Parity mode (see [`crate::parity`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParityMode {
    /// Any deviation fails.
    Strict,
    /// Deviations the allowlist names, within their bounds, are allowed.
    Hardened,
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
        5  the runtime cannot execute something in the trace (the op is named)\n  \
        6  an output (--out, --junit, --perfetto, stdout) could not be written\n\n\
        Outputs are refused (exit 2) when they name an input trace or an existing\n\
        path that is not a regular file (a device, a pipe, a directory). --junit and\n\
        --perfetto are written atomically; a run that ends without a verdict\n\
        (exit 2, 4, 5, 6) still writes a failing --junit report naming the error."
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

    /// Relative tolerance for every dtype (default: torch.testing.assert_close's
    /// per dtype); finite, >= 0, and only together with --atol.
    #[arg(long, value_parser = parse_bound, requires = "atol")]
    pub rtol: Option<f64>,

    /// Absolute tolerance for every dtype (default: torch.testing.assert_close's
    /// per dtype); finite, >= 0, and only together with --rtol.
    #[arg(long, value_parser = parse_bound, requires = "rtol")]
    pub atol: Option<f64>,

    /// Tolerance for one dtype, ahead of --rtol/--atol and the defaults
    /// (repeatable): --tol float16=1e-3,1e-5.
    #[arg(long = "tol", value_name = "DTYPE=RTOL,ATOL", value_parser = parse_dtype_tolerance)]
    pub tol: Vec<DtypeTolerance>,

    /// Anchored replay: run every top-level operator on PyTorch's recorded
    /// argument values instead of the runtime's own, so each operator's value
    /// check is local and float drift cannot accumulate over a long run
    /// (needs a trace captured with --values all). Without it the replay is
    /// free-running, and a value failure is re-checked anchored to tell a
    /// wrong operator from amplified drift.
    #[arg(long, conflicts_with = "ours")]
    pub anchor: bool,

    /// Exit 3 when free-running values drift beyond tolerance even though
    /// the anchored re-check finds every operator right on PyTorch's inputs
    /// (by default that drift is reported and the verdict is a match:
    /// PyTorch differs from itself as much across thread counts).
    #[arg(long, conflicts_with_all = ["ours", "anchor"])]
    pub fail_on_drift: bool,

    /// Parity mode: `strict` fails on any deviation; `hardened` allows the
    /// deviations its allowlist names within their bounds (reported as
    /// allowed). Critical packets (FT-P2C-001..004) allow none in either.
    #[arg(long, value_enum, default_value_t = ParityMode::Strict)]
    pub mode: ParityMode,

    /// The hardened-mode allowlist (default:
    /// artifacts/phase2c/HARDENED_DEVIATION_ALLOWLIST_V1.json).
    #[arg(long, value_name = "FILE")]
    pub allowlist: Option<PathBuf>,

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

/// One `--tol DTYPE=RTOL,ATOL`.
#[derive(Clone, Debug, PartialEq)]
pub struct DtypeTolerance {
    /// The dtype (`float16`).
    pub dtype: String,
    /// Its tolerance.
    pub tolerance: Tolerance,
}

/// A tolerance bound: a finite number, not negative.
fn parse_bound(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("not a number: {text:?}"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("must be a finite number >= 0, not {text}"));
    }
    Ok(value)
}

/// `DTYPE=RTOL,ATOL`, both bounds checked like --rtol's.
fn parse_dtype_tolerance(text: &str) -> Result<DtypeTolerance, String> {
    let (dtype, bounds) = text
        .split_once('=')
        .ok_or_else(|| format!("expected DTYPE=RTOL,ATOL, not {text:?}"))?;
    if !TOLERANCE_DTYPES.contains(&dtype) {
        return Err(format!(
            "unknown dtype {dtype:?} (one of: {})",
            TOLERANCE_DTYPES.join(", ")
        ));
    }
    let (rtol, atol) = bounds
        .split_once(',')
        .ok_or_else(|| format!("expected DTYPE=RTOL,ATOL, not {text:?}"))?;
    let rtol = parse_bound(rtol).map_err(|e| format!("rtol {e}"))?;
    let atol = parse_bound(atol).map_err(|e| format!("atol {e}"))?;
    Ok(DtypeTolerance {
        dtype: dtype.to_owned(),
        tolerance: Tolerance { rtol, atol },
    })
}

impl Args {
    /// The tolerances the command line asks for; a dtype given twice to
    /// --tol is a usage error.
    pub fn tolerances(&self) -> Result<Tolerances, String> {
        let mut tolerances = Tolerances::new(self.rtol, self.atol);
        for t in &self.tol {
            if tolerances.per_dtype.contains_key(&t.dtype) {
                return Err(format!("--tol gives {} twice", t.dtype));
            }
            tolerances = tolerances.with_dtype(&t.dtype, t.tolerance);
        }
        Ok(tolerances)
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Per trace: the operator overloads and dtypes it uses (events, first
    /// seq) and whether this runtime build supports them (kernel, backward
    /// node), with a summary line. Exit 5 when a trace needs something missing.
    Coverage(CoverageArgs),
    /// What a trace holds: header, producer, program, value policy, attrs,
    /// events per layer, chain hash, blobs, whether it is complete (and
    /// where an incomplete one stops). Exit 4 when it is incomplete or damaged.
    Info(InfoArgs),
    /// Checks every byte of each trace: chunk checksums, tiling, the footer
    /// index's agreement, every blob's digest and shape. Lists every problem
    /// (file, offset, chunk kind, what is wrong). Exit 0 all sound, 4 any damaged.
    Verify(VerifyArgs),
    /// Writes a RaptorQ sidecar FILE.rq that can restore damaged or missing
    /// parts of the trace (see `repair`). Deterministic: same file and
    /// overhead, same sidecar.
    Protect(ProtectArgs),
    /// Restores a damaged trace from its sidecar FILE.rq, proven by the
    /// recorded whole-file BLAKE3 and the trace's chain hash; writes
    /// atomically and leaves the file untouched when it cannot (exit 4).
    Repair(RepairArgs),
    /// Rewrites a trace with this build's writer: a format 1.x trace becomes
    /// 2.0 (EVENTS chunks compressed, docs/FORMAT.md) with the same events,
    /// blobs and chain hash, byte-identical to recording it again. The input
    /// must verify; the output is written atomically and may not be the input.
    Upgrade(UpgradeArgs),
    /// State-dict checkpoints: `torch.save` files (.pt) and the runtime's
    /// envelope (.ftc, docs/CHECKPOINT.md): info, convert, protect, repair.
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
    /// Generates a Phase-2C packet's parity report (artifacts/phase2c/
    /// FT-P2C-00X/parity_report.json) by replaying every fixture of its
    /// manifest, with the report's RaptorQ sidecar and decode proof.
    ParityReport(ParityReportArgs),
}

/// Arguments of `ft-replay parity-report`.
#[derive(Debug, clap::Args)]
pub struct ParityReportArgs {
    /// A packet (FT-P2C-001 … FT-P2C-008); repeatable.
    #[arg(long, value_name = "ID", required_unless_present = "all")]
    pub packet: Vec<String>,

    /// Every packet.
    #[arg(long, conflicts_with = "packet")]
    pub all: bool,

    /// The artifacts directory.
    #[arg(long, value_name = "DIR", default_value = "artifacts/phase2c")]
    pub root: PathBuf,
}

/// `ft-replay checkpoint ...`.
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Names, dtypes, shapes, strides and storages of a checkpoint's tensors
    /// and its content hash (the same for a .pt file and its .ftc
    /// conversion). Reading a .pt executes nothing: a pickle that names a
    /// global or opcode torch.load(weights_only=True) would refuse is
    /// refused (exit 4).
    Info {
        /// A .pt (torch.save) or .ftc file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Converts between torch.save files and envelopes, keeping names,
    /// dtypes, geometry, shared storages and values (deterministic output).
    Convert {
        /// A .pt or .ftc file.
        #[arg(value_name = "INPUT")]
        input: PathBuf,
        /// The output; its format follows --to or its extension (.ftc, .pt).
        #[arg(short, long, value_name = "OUTPUT")]
        output: PathBuf,
        /// Output format (default: from the output's extension).
        #[arg(long, value_enum)]
        to: Option<CheckpointFormat>,
    },
    /// Writes a RaptorQ sidecar FILE.rq for a checkpoint (docs/SIDECAR.md).
    Protect {
        /// A .pt or .ftc file (it must read completely).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Repair symbols as a percentage of the file's source symbols.
        #[arg(long, value_name = "PCT", default_value_t = ft_trace::sidecar::DEFAULT_OVERHEAD,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(ft_trace::sidecar::MAX_OVERHEAD)))]
        overhead: u32,
    },
    /// Restores a damaged checkpoint from FILE.rq, proven by its BLAKE3 and
    /// its content hash.
    Repair {
        /// The checkpoint (its sidecar is FILE.rq).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// A checkpoint file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckpointFormat {
    /// torch.save zip archive (.pt).
    Torch,
    /// The runtime's envelope (.ftc).
    Ftc,
}

/// Arguments of `ft-replay info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// The trace.
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `ft-replay verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Traces to verify.
    #[arg(required = true, value_name = "TRACE")]
    pub traces: Vec<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `ft-replay protect`.
#[derive(Debug, clap::Args)]
pub struct ProtectArgs {
    /// The trace to protect (it must verify).
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,

    /// Repair symbols as a percentage of the file's source symbols (1-1000):
    /// up to that share of the file can be restored.
    #[arg(long, value_name = "PCT", default_value_t = ft_trace::sidecar::DEFAULT_OVERHEAD,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(ft_trace::sidecar::MAX_OVERHEAD)))]
    pub overhead: u32,
}

/// Arguments of `ft-replay repair`.
#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    /// The trace to restore (its sidecar is TRACE.rq).
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
}

/// Arguments of `ft-replay upgrade`.
#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// The trace to rewrite.
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,

    /// Where to write the rewritten trace.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: PathBuf,
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
