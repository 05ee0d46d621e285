//! Events as text, in the one notation every report and view uses.
//!
//! Everything here is plain text tagged with a semantic [`Part`] (a tensor, a
//! node, a label...). The inspector maps parts to colours; `ft-replay`'s
//! reports, `--dump` and the tests join the same text without colour, so a
//! divergence in a report reads exactly as the row the inspector shows.
//!
//! Notation: `T3` is tensor 3, `N5` node 5, `S2` storage 2, `H1` hook 1,
//! `#12` event 12 — the ids of the trace, dense in order of first
//! appearance. A node is written with its name (`N5 MulBackward0`); an
//! AccumulateGrad also names its leaf (`N2 AccumulateGrad(T0[4,3])`).
//!
//! [`summary`] writes an event's one-line summary; the helpers keep the
//! notation of every other text (the inspector's details pane) identical.

mod summary;

use crate::event::{ACCUMULATE_GRAD_SEQ, Context, Edge};
use crate::model::Lookup;
use crate::value::TensorRef;

pub use summary::summary;

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

/// `[2,3]` (with `sep` between dimensions).
pub fn shape(dims: &[i64], sep: &str) -> String {
    let inner: Vec<String> = dims.iter().map(i64::to_string).collect();
    format!("[{}]", inner.join(sep))
}

/// `T3[2,3]`: a tensor id with its shape (`T5[10,3] sparse_coo` for a
/// sparse tensor, `T6[3,-1,8] nested` for a nested one).
pub fn compact_tensor(t: &TensorRef) -> String {
    match (&t.sparse, &t.nested) {
        (Some(p), _) => format!("T{}{} {}", t.id, shape(&t.shape, ","), p.layout),
        (None, Some(p)) => format!("T{}{} {}", t.id, shape(&t.shape, ","), p.layout),
        (None, None) => format!("T{}{}", t.id, shape(&t.shape, ",")),
    }
}

/// Tensor ids as the timeline writes them: `T3, T7`.
pub fn tensor_ids(ids: &[u64]) -> String {
    ids.iter()
        .map(|i| format!("T{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `True` / `False`, as the program wrote it.
pub fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// `N7 MulBackward0`; an AccumulateGrad names its leaf, `N2
/// AccumulateGrad(T0[4,3])`; `N7` alone when the trace never declared the node.
pub fn node_label(lookup: &Lookup<'_>, id: u64) -> String {
    match node_name(lookup, id) {
        Some(name) => format!("N{id} {name}"),
        None => format!("N{id}"),
    }
}

/// The node's name, and for an AccumulateGrad the leaf it feeds: all
/// AccumulateGrads share one name, so the leaf is what tells them apart.
pub fn node_name(lookup: &Lookup<'_>, id: u64) -> Option<String> {
    let name = lookup.node_name(id)?;
    Some(match lookup.accumulate_leaf(id) {
        Some(leaf) => format!("{name}({})", compact_tensor(leaf)),
        None => name.to_owned(),
    })
}

/// `N4:0` (node and input number) or `∅` for an absent edge.
pub fn edge_label(edge: &Edge) -> String {
    match edge.node {
        Some(n) => format!("N{n}:{}", edge.input_nr),
        None => "∅".to_owned(),
    }
}

/// A sequence number, `MAX` for AccumulateGrad's.
pub fn seq_nr_label(seq_nr: u64) -> String {
    if seq_nr == ACCUMULATE_GRAD_SEQ {
        "MAX".to_owned()
    } else {
        seq_nr.to_string()
    }
}

/// `top`, `backward` or `node N3 MulBackward0`.
pub fn context_label(lookup: &Lookup<'_>, context: Context) -> String {
    match context {
        Context::TopLevel => "top".to_owned(),
        Context::Backward => "backward".to_owned(),
        Context::Node(n) => format!("node {}", node_label(lookup, n)),
    }
}

/// Appends `N7 MulBackward0` as a node id and a name.
pub fn push_node(line: &mut TextLine, lookup: &Lookup<'_>, id: u64) {
    line.push(Part::Node, format!("N{id}"));
    if let Some(name) = node_name(lookup, id) {
        line.push(Part::Plain, " ").push(Part::Name, name);
    }
}
