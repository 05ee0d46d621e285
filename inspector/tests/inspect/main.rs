//! Integration tests of ft-inspect, one binary made of modules: state updates,
//! rendered screens (insta snapshots), the command line, truncated traces.
//! Every trace is written by the test itself with ft-trace's writer.

mod autograd;
mod cli;
mod diff;
mod fold;
mod lazy;
mod mouse;
mod opgraph;
mod render;
mod state;
mod support;
mod truncated;
