//! The one-line summary of each event: what the timeline and `--dump` show.

use ft_trace::Event;

use super::{Part, TextLine};
use crate::trace::{TraceData, layer_name};

/// Column widths shared by every timeline row of one trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Width of the sequence number.
    pub seq: usize,
    /// Width of the kind name.
    pub kind: usize,
}

impl Columns {
    /// Widths that fit every event of `data`.
    pub fn for_trace(data: &TraceData) -> Columns {
        let last = data.events.len().saturating_sub(1);
        Columns {
            seq: last.to_string().len().max(3),
            kind: data
                .events
                .iter()
                .map(|e| e.body.kind_name().len())
                .max()
                .unwrap_or(4)
                .clamp(4, 17),
        }
    }
}

/// Width of the layer column (`autograd`).
pub const LAYER_WIDTH: usize = 8;

/// The timeline row of event `index`: seq, layer, kind, summary.
pub fn timeline_row(data: &TraceData, index: usize, columns: Columns) -> TextLine {
    let Some(event) = data.events.get(index) else {
        return TextLine::new();
    };
    let (layer, _) = event.body.code();
    let mut line = TextLine::new();
    line.push(Part::Seq, format!("{:>w$} ", event.seq, w = columns.seq))
        .push(
            Part::Layer(layer),
            format!("{:<w$} ", layer_name(layer), w = LAYER_WIDTH),
        )
        .push(
            Part::Kind,
            format!("{:<w$} ", event.body.kind_name(), w = columns.kind),
        );
    line.parts.extend(summary(data, event).parts);
    line
}

/// The one-line summary of an event of `data` (see [`ft_trace::describe::summary`]).
pub fn summary(data: &TraceData, event: &Event) -> TextLine {
    ft_trace::describe::summary(&data.lookup(), event)
}
