//! `ft-inspect`: a terminal inspector for FrankenTorch traces (`.ftr`).
//!
//! `ft-inspect trace.ftr` shows the event timeline (api, dispatch, autograd,
//! device, one colour each), every field of the selected event with tensor
//! metadata and value statistics, and warns about truncated traces;
//! `--dump` prints the same timeline as plain text for scripts and CI.
//!
//! The crate follows the state / action / view split:
//!
//! * [`trace`] — loading a trace (forgiving about truncation) and lookup tables;
//! * [`lazy`] — traces too large to read up front: chunks decoded on demand;
//! * [`values`] — tensor values read from blobs on demand, summarised, cached;
//! * [`describe`] — events as tagged text, shared by the views and `--dump`;
//! * [`autograd`] — GraphTasks: the gradient graph as a tree, the ReadyQueue step by step;
//! * [`drift`] — per parameter, the gradient error against the tolerance over steps;
//! * [`diff`] — two runs aligned by `ft-replay`'s checks, divergences on their rows;
//! * [`bindings`] — the one key table: actions, hint bar, help popup;
//! * [`opgraph`] — producers of an event's inputs and consumers of its outputs;
//! * [`view`] — one trace as shown: filter, selection, scroll, values read;
//! * [`app`] — plain-data state and `update(action)`;
//! * [`layout`], [`theme`], `ui` — geometry, colours, drawing (`impl Widget for &App`);
//! * [`tui`] — the terminal loop; [`cli`] — arguments, exit codes, `--dump`.
//!
//! The binary is a thin shell over [`cli::run`].

pub mod app;
pub mod autograd;
pub mod bindings;
pub mod cli;
pub mod describe;
pub mod diff;
pub mod drift;
pub mod layout;
pub mod lazy;
pub mod nesting;
pub mod opgraph;
pub mod theme;
pub mod trace;
pub mod tui;
mod ui;
pub mod values;
pub mod view;

pub use app::{App, Focus};
pub use bindings::{Action, BINDINGS};
pub use cli::{Args, InspectError, run};
pub use trace::TraceData;
pub use view::{Filter, LayerFilter, TraceView};
