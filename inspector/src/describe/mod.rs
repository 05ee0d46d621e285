//! Events as text: the one-line timeline summary and the full details.
//!
//! Everything here is plain text tagged with a semantic [`Part`] (a tensor, a
//! node, a layer, a label...). The terminal views map parts to colours through
//! [`crate::theme`]; `--dump` joins the same text without colour. Keeping the
//! wording in one place means the TUI, the dump and the tests always agree, and
//! the application state can measure the details (for scrolling) without
//! knowing anything about drawing.
//!
//! Notation: `T3` is tensor 3, `N5` node 5, `S2` storage 2, `#12` event 12 —
//! the ids of the trace, dense in order of first appearance.
//!
//! [`summary`] writes the timeline rows, [`details`] the details pane; the
//! helpers here keep the notation identical in both.

mod details;
mod summary;

use ft_trace::{ACCUMULATE_GRAD_SEQ, Context, Edge, TensorRef};

use crate::trace::TraceData;

pub use details::{details, value_digests};
pub use summary::{Columns, LAYER_WIDTH, summary, timeline_row};

/// What a piece of text is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Ordinary text.
    Plain,
    /// Punctuation and secondary information.
    Dim,
    /// The sequence number column.
    Seq,
    /// A layer name (wire number).
    Layer(u8),
    /// An event kind.
    Kind,
    /// An op, node or mark name.
    Name,
    /// A tensor id with its shape.
    Tensor,
    /// A node id.
    Node,
    /// Where an op ran (top / backward / node).
    Context,
    /// A field label in the details pane.
    Label,
    /// A short hex digest.
    Hash,
    /// A number read from a tensor value.
    Number,
    /// Something the reader should notice (missing value, program error).
    Warn,
}

/// One line of tagged text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextLine {
    /// The pieces, in order.
    pub parts: Vec<(Part, String)>,
}

impl TextLine {
    /// An empty line.
    pub fn new() -> TextLine {
        TextLine::default()
    }

    /// Appends a piece; returns the line for chaining.
    pub fn push(&mut self, part: Part, text: impl Into<String>) -> &mut TextLine {
        let text = text.into();
        if !text.is_empty() {
            self.parts.push((part, text));
        }
        self
    }

    /// Appends a piece (by value, for building).
    pub fn with(mut self, part: Part, text: impl Into<String>) -> TextLine {
        self.push(part, text);
        self
    }

    /// The text without tags.
    pub fn plain(&self) -> String {
        self.parts.iter().map(|(_, t)| t.as_str()).collect()
    }
}

/// Digits of short hashes shown anywhere.
pub const SHORT_HASH: usize = 12;

pub(super) fn shape(dims: &[i64], sep: &str) -> String {
    let inner: Vec<String> = dims.iter().map(i64::to_string).collect();
    format!("[{}]", inner.join(sep))
}

pub(super) fn compact_tensor(t: &TensorRef) -> String {
    format!("T{}{}", t.id, shape(&t.shape, ","))
}

pub(super) fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

pub(super) fn node_label(data: &TraceData, id: u64) -> String {
    match data.node_name(id) {
        Some(name) => format!("N{id} {name}"),
        None => format!("N{id}"),
    }
}

pub(super) fn edge_label(edge: &Edge) -> String {
    match edge.node {
        Some(n) => format!("N{n}:{}", edge.input_nr),
        None => "∅".to_owned(),
    }
}

pub(super) fn seq_nr_label(seq_nr: u64) -> String {
    if seq_nr == ACCUMULATE_GRAD_SEQ {
        "MAX".to_owned()
    } else {
        seq_nr.to_string()
    }
}

/// `top`, `backward` or `node N3 MulBackward0`.
pub fn context_label(data: &TraceData, context: Context) -> String {
    match context {
        Context::TopLevel => "top".to_owned(),
        Context::Backward => "backward".to_owned(),
        Context::Node(n) => format!("node {}", node_label(data, n)),
    }
}

pub(super) fn push_node(line: &mut TextLine, data: &TraceData, id: u64) {
    line.push(Part::Node, format!("N{id}"));
    if let Some(name) = data.node_name(id) {
        line.push(Part::Plain, " ").push(Part::Name, name);
    }
}
