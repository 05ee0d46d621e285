//! Command line: arguments, exit codes, `--dump`, and the choice between the
//! dump and the interactive view.
//!
//! Exit codes are part of the interface (scripts and CI read them):
//! [`EXIT_OK`], [`EXIT_USAGE`] (clap's own code for bad arguments, reused for
//! "no terminal"), [`EXIT_BAD_TRACE`] (unreadable, corrupt or
//! unsupported-version input — the same code `ft-replay` uses),
//! [`EXIT_UNSUPPORTED`] (`--against` alone: the runtime cannot replay the
//! trace, as `ft-replay` says with the same code) and [`EXIT_FAILURE`] for
//! anything else (the terminal went away). A truncated trace is not an
//! error: it opens, shows its readable part and warns.
//!
//! `--against TORCH.ftr` opens the Diff view: with a trace, the two files;
//! alone, PyTorch's trace replayed on the runtime first, as `ft-replay`
//! does. The verdict is never the inspector's exit code — that is
//! `ft-replay`'s job; a diff that opens exits 0.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use ft_trace::{Layer, TraceError};

use ft_replay::{ReplayError, Tolerances};

use crate::app::App;
use crate::describe::timeline_row;
use crate::diff::DiffModel;
use crate::trace::{Damage, TraceData};
use crate::tui;
use crate::view::{Filter, LayerFilter, TraceView};

/// Success.
pub const EXIT_OK: u8 = 0;
/// Something else failed (the terminal).
pub const EXIT_FAILURE: u8 = 1;
/// Bad command line, or no terminal without `--dump`.
pub const EXIT_USAGE: u8 = 2;
/// The trace is unreadable, corrupt, or of an unsupported format version.
pub const EXIT_BAD_TRACE: u8 = 4;
/// `--against` alone: the runtime cannot execute something the trace needs.
pub const EXIT_UNSUPPORTED: u8 = 5;

/// Browse a FrankenTorch trace (.ftr): timeline of api / dispatch / autograd /
/// device events, every field of the selected event, tensor values.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "ft-inspect",
    version,
    after_help = "Keys: press ? inside the inspector.\n\n\
Diff: ft-inspect OURS.ftr --against TORCH.ftr, or ft-inspect --against TORCH.ftr\n\
(replays it on the runtime first); keys 1/2/Tab switch views, n/N jump between\n\
divergences.\n\n\
Exit codes:\n  0  ok (a truncated trace opens interactively, with a warning; a diff\n     \
opens whatever its verdict: ft-replay gives the verdict)\n  \
1  terminal failure\n  2  usage error, or no terminal without --dump\n  \
4  unreadable, corrupt or unsupported-version trace; with --dump also a\n     \
truncated or damaged one (its readable part is printed first)\n  \
5  --against alone: the runtime cannot replay the trace"
)]
pub struct Args {
    /// The trace to open (with --against: the actual run, e.g. ours).
    #[arg(required_unless_present = "against")]
    pub trace: Option<PathBuf>,
    /// Compare with this trace (the expected run, PyTorch's): opens the Diff
    /// view. Without TRACE, replays it on the runtime first.
    #[arg(long, value_name = "TORCH.ftr")]
    pub against: Option<PathBuf>,
    /// With --against alone: replay anchored (every top-level op on
    /// PyTorch's recorded inputs), so each op's value check is local.
    #[arg(long, requires = "against")]
    pub anchor: bool,
    /// With --against: `strict` (any deviation fails) or `hardened` (the
    /// allowlist's deviations within their bounds are shown as allowed), as
    /// in ft-replay.
    #[arg(long, value_enum, default_value_t = ft_replay::cli::ParityMode::Strict, requires = "against")]
    pub mode: ft_replay::cli::ParityMode,
    /// The hardened-mode allowlist (default:
    /// artifacts/phase2c/HARDENED_DEVIATION_ALLOWLIST_V1.json).
    #[arg(long, value_name = "FILE", requires = "against")]
    pub allowlist: Option<PathBuf>,
    /// Print the timeline as plain text (one event per line) and exit.
    #[arg(long)]
    pub dump: bool,
    /// Show only events of this layer.
    #[arg(long, value_enum, value_name = "LAYER")]
    pub layer: Option<LayerArg>,
    /// Show only events whose kind, op, node or mark name contains TEXT
    /// (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
}

/// `--layer` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LayerArg {
    /// Every layer.
    All,
    /// Program-level events.
    Api,
    /// Operator calls.
    Dispatch,
    /// Graph and engine events.
    Autograd,
    /// Device guards and transfers.
    Device,
}

impl Args {
    /// The filter the command line asks for.
    pub fn filter(&self) -> Filter {
        let layer = match self.layer {
            None | Some(LayerArg::All) => LayerFilter::All,
            Some(LayerArg::Api) => LayerFilter::Only(Layer::Api),
            Some(LayerArg::Dispatch) => LayerFilter::Only(Layer::Dispatch),
            Some(LayerArg::Autograd) => LayerFilter::Only(Layer::Autograd),
            Some(LayerArg::Device) => LayerFilter::Only(Layer::Device),
        };
        Filter {
            text: self.filter.clone().unwrap_or_default(),
            layer,
        }
    }
}

/// Why `ft-inspect` stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The trace could not be opened (its message names the file).
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The command line cannot work here.
    #[error("{0}")]
    Usage(String),
    /// The terminal failed.
    #[error("terminal: {0}")]
    Terminal(#[source] io::Error),
    /// Writing the dump failed.
    #[error("writing the timeline: {0}")]
    Output(#[source] io::Error),
    /// `--dump` printed what was readable of a truncated or damaged trace.
    #[error("the trace is {0}")]
    Damaged(String),
    /// Loading or replaying the runs of a diff failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

impl InspectError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            InspectError::Trace(_) | InspectError::Damaged(_) => EXIT_BAD_TRACE,
            InspectError::Usage(_) => EXIT_USAGE,
            InspectError::Terminal(_) | InspectError::Output(_) => EXIT_FAILURE,
            InspectError::Replay(e) => match e.exit() {
                ft_replay::Exit::Unsupported => EXIT_UNSUPPORTED,
                ft_replay::Exit::Usage => EXIT_USAGE,
                ft_replay::Exit::Output => EXIT_FAILURE,
                _ => EXIT_BAD_TRACE,
            },
        }
    }
}

/// Runs `ft-inspect` with parsed arguments.
pub fn run(args: &Args) -> Result<(), InspectError> {
    if let Some(against) = &args.against {
        return run_diff(args, against);
    }
    let path = args
        .trace
        .as_ref()
        .ok_or_else(|| InspectError::Usage("a trace to open is required".to_owned()))?;
    let (mut data, mut reader) = if args.dump {
        TraceData::open_dump(path)?
    } else {
        TraceData::open_browsing(path)?
    };
    if args.dump {
        if data.damage.is_none() {
            // Values are not part of the timeline, but a damaged value is
            // damage: a dump reads every blob once to say so.
            data.damage = damaged_blob(&mut reader);
        }
        let damage = data.damage.clone();
        if let Some(damage) = &damage {
            eprintln!(
                "ft-inspect: {}: {}; the {} readable events before it follow",
                ft_trace::text::escape_control(&data.name),
                ft_trace::text::escape_control(&damage.message()),
                readable(&data)
            );
        }
        let mut out = io::stdout().lock();
        match dump(data, &args.filter(), &mut out).and_then(|()| out.flush()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                return Err(InspectError::Output(e));
            }
            _ => {}
        }
        return match damage {
            Some(damage) => Err(InspectError::Damaged(damage.message())),
            None => Ok(()),
        };
    }
    if !io::stdout().is_terminal() {
        return Err(InspectError::Usage(
            "standard output is not a terminal; use --dump for plain text".to_owned(),
        ));
    }
    let app = App::new(data).with_filter(args.filter());
    tui::run(app, &mut reader).map_err(InspectError::Terminal)
}

/// `--against`: load (or replay) both runs, diff them with `ft-replay`'s
/// checks, and show the Diff view or `--dump` it.
fn run_diff(args: &Args, against: &std::path::Path) -> Result<(), InspectError> {
    let allowlist = ft_replay::parity::resolve_allowlist(args.mode, args.allowlist.as_deref())?;
    let diff = load_diff_in_mode(
        args.trace.as_deref(),
        against,
        args.anchor,
        allowlist.as_ref(),
    )?;
    if args.dump {
        let mut out = io::stdout().lock();
        return match dump_diff(&diff, &mut out).and_then(|()| out.flush()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(InspectError::Output(e)),
            _ => Ok(()),
        };
    }
    if !io::stdout().is_terminal() {
        return Err(InspectError::Usage(
            "standard output is not a terminal; use --dump for plain text".to_owned(),
        ));
    }
    let (_, mut reader) = TraceData::open(against)?;
    let app = App::new(diff.expected.clone())
        .with_filter(args.filter())
        .with_diff(diff);
    tui::run(app, &mut reader).map_err(InspectError::Terminal)
}

/// The Diff model of `ours` (or of PyTorch's trace replayed on the
/// runtime) against `against`, with default tolerances.
pub fn load_diff(
    ours: Option<&std::path::Path>,
    against: &std::path::Path,
    anchor: bool,
) -> Result<DiffModel, InspectError> {
    load_diff_in_mode(ours, against, anchor, None)
}

/// [`load_diff`] in hardened mode when an allowlist is given: deviations it
/// allows are reported as allowed in the verdict lines.
pub fn load_diff_in_mode(
    ours: Option<&std::path::Path>,
    against: &std::path::Path,
    anchor: bool,
    allowlist: Option<&ft_replay::parity::Allowlist>,
) -> Result<DiffModel, InspectError> {
    let expected = ft_replay::TraceData::load(against)?;
    let actual = match ours {
        Some(path) => ft_replay::TraceData::load(path)?,
        None => {
            let usage = ft_replay::usage::Usage::of(&expected.events);
            let missing = ft_replay::support::scan(&usage);
            if !missing.is_empty() {
                return Err(ReplayError::Missing(missing).into());
            }
            let options = ft_replay::executor::ReplayOptions {
                anchor,
                ..ft_replay::executor::ReplayOptions::default()
            };
            ft_replay::executor::replay(&expected, &options)?.into_trace_data()
        }
    };
    let (expected_view, _) = TraceData::open(against)?;
    let actual_view = match ours {
        Some(path) => TraceData::open(path)?.0,
        None => TraceData::from_events(
            actual.label.clone(),
            PathBuf::from(&actual.label),
            (
                ft_trace::format::VERSION_MAJOR,
                // The minor a recording of these events would say.
                actual
                    .events
                    .iter()
                    .map(|e| {
                        ft_trace::format::minor_needed(ft_trace::format::VERSION_MAJOR, &e.body)
                    })
                    .max()
                    .unwrap_or(ft_trace::format::FLOOR_MINOR),
            ),
            actual.meta.clone(),
            actual.events.clone(),
            None,
        ),
    };
    let mut model = DiffModel::compare(
        expected,
        actual,
        &Tolerances::new(None, None),
        (expected_view, actual_view),
        allowlist,
    );
    if ours.is_none() && !anchor {
        model.recheck_drift()?;
    }
    model.check_values_readable()?;
    Ok(model)
}

/// The Diff view as plain text: the verdict lines, then one line per row
/// (`mark | expected event | actual event`).
pub fn dump_diff(diff: &DiffModel, out: &mut dyn Write) -> io::Result<()> {
    for line in diff.verdict_lines() {
        writeln!(out, "{}", ft_trace::text::escape_control(&line))?;
    }
    for row in &diff.rows {
        let left = crate::ui::side_text(&diff.expected, row.expected).plain();
        let right = crate::ui::side_text(&diff.actual, row.actual).plain();
        let line = format!("{:<18} | {left} | {right}", crate::ui::mark_label(row));
        writeln!(out, "{}", ft_trace::text::escape_control(line.trim_end()))?;
    }
    Ok(())
}

/// The first blob chunk of the file that does not read back (checksum,
/// decoding, digest), as damage at its offset.
fn damaged_blob(reader: &mut ft_trace::TraceReader) -> Option<Damage> {
    let entries = reader.blobs().to_vec();
    for entry in entries {
        if let Err(e) = reader.blob(&entry.digest) {
            let offset = crate::trace::error_offset(&e).unwrap_or(entry.offset);
            return Some(Damage {
                offset,
                detail: crate::trace::strip_path(&e.to_string(), reader.path()),
                truncated: false,
            });
        }
    }
    None
}

/// Events a dump prints: all read, or of a lazily read trace those its
/// index pass read before the end or the first damage.
fn readable(data: &TraceData) -> usize {
    match data.lazy.as_ref().and_then(|l| l.indexed()) {
        Some((count, _)) => usize::try_from(count).unwrap_or(usize::MAX),
        None => data.event_count(),
    }
}

/// Writes the timeline rows that pass `filter`, plain text, one per line.
/// A lazily read trace (its index built) streams, a block of events at a time.
pub fn dump(data: TraceData, filter: &Filter, out: &mut dyn Write) -> io::Result<()> {
    if let Some(lazy) = data.lazy.clone() {
        let count = readable(&data);
        let kind = lazy.indexed().map_or(17, |(_, width)| width);
        let columns = crate::describe::Columns {
            seq: count.saturating_sub(1).to_string().len().max(3),
            kind: kind.clamp(4, 17),
        };
        let needle = filter.text.to_lowercase();
        const BLOCK: usize = 4096;
        for first in (0..count).step_by(BLOCK) {
            let block = BLOCK.min(count - first);
            let window = crate::lazy::window(
                &lazy,
                first as u64,
                block as u64,
                &data.name,
                data.version,
                &data.meta,
            );
            for seq in first..first + block {
                let Some(p) = window.position(seq as u64) else {
                    continue;
                };
                let Some(event) = window.data.events.get(p) else {
                    continue;
                };
                if !filter.layer.admits(event)
                    || (!needle.is_empty() && !window.data.search_key(p).contains(&needle))
                {
                    continue;
                }
                let line = timeline_row(&window.data, p, columns).plain();
                writeln!(out, "{}", ft_trace::text::escape_control(line.trim_end()))?;
            }
        }
        return Ok(());
    }
    let mut view = TraceView::new(data);
    view.set_filter(filter.clone(), 0);
    for &index in view.visible() {
        let line = timeline_row(&view.data, index, view.columns).plain();
        // Trace strings (exception messages, names) may hold terminal
        // control sequences: the dump shows them, never sends them.
        writeln!(out, "{}", ft_trace::text::escape_control(line.trim_end()))?;
    }
    Ok(())
}
