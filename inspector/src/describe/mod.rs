//! Events as text for the inspector: the timeline rows and the details pane.
//!
//! The wording and notation are those of [`ft_trace::describe`], shared with
//! `ft-replay`'s reports; this module adds what only the inspector shows: the
//! timeline's columns and every field of one event.

mod details;
mod summary;

pub use details::{details, value_digests};
pub use ft_trace::describe::{
    Part, SHORT_HASH, TextLine, context_label, push_node, py_bool, seq_nr_label, shape,
};
pub use summary::{Columns, LAYER_WIDTH, summary, timeline_row};
