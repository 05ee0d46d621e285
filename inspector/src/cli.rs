//! Command line: arguments, exit codes, `--dump`, and the choice between the
//! dump and the interactive view.
//!
//! Exit codes are part of the interface (scripts and CI read them):
//! [`EXIT_OK`], [`EXIT_USAGE`] (clap's own code for bad arguments, reused for
//! "no terminal"), [`EXIT_BAD_TRACE`] (unreadable, corrupt or
//! unsupported-version input — the same code `ft-replay` uses) and
//! [`EXIT_FAILURE`] for anything else (the terminal went away). A truncated
//! trace is not an error: it opens, shows its readable part and warns.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use ft_trace::{Layer, TraceError};

use crate::app::App;
use crate::describe::timeline_row;
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

/// Browse a FrankenTorch trace (.ftr): timeline of api / dispatch / autograd /
/// device events, every field of the selected event, tensor values.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "ft-inspect",
    version,
    after_help = "Keys: press ? inside the inspector.\n\n\
Exit codes:\n  0  ok (a truncated trace opens interactively, with a warning)\n  \
1  terminal failure\n  2  usage error, or no terminal without --dump\n  \
4  unreadable, corrupt or unsupported-version trace; with --dump also a\n     \
truncated or damaged one (its readable part is printed first)"
)]
pub struct Args {
    /// The trace to open.
    pub trace: PathBuf,
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
}

impl InspectError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            InspectError::Trace(_) | InspectError::Damaged(_) => EXIT_BAD_TRACE,
            InspectError::Usage(_) => EXIT_USAGE,
            InspectError::Terminal(_) | InspectError::Output(_) => EXIT_FAILURE,
        }
    }
}

/// Runs `ft-inspect` with parsed arguments.
pub fn run(args: &Args) -> Result<(), InspectError> {
    let (mut data, mut reader) = TraceData::open(&args.trace)?;
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
                data.events.len()
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

/// Writes the timeline rows that pass `filter`, plain text, one per line.
pub fn dump(data: TraceData, filter: &Filter, out: &mut dyn Write) -> io::Result<()> {
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
