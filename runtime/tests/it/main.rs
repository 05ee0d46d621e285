//! Integration tests of `ft-runtime`, one binary made of modules. (Replays of
//! the golden PyTorch traces live with the replayer, in `replay/tests/`.)
//!
//! * `mlp` — the tiny MLP end to end through `Runtime::call`, checked against
//!   the operator sequence torch 2.15 dispatches;
//! * `gradients` — gradient values with the maths written out;
//! * `engine_order` — backward schedules observed in torch 2.15;
//! * `grad_state` — `detach_`, composites seen whole under `inference_mode`,
//!   introduced versions;
//! * `hooks` — backward hooks and retained gradients from a native program;
//! * `restricted_backward` — `torch.autograd.grad`, `backward(inputs=...)`,
//!   several roots;
//! * `saved_hooks` — saved-tensor hooks: pack, unpack before the node, events;
//! * `dispatch_chains` — keysets and key walks per operator class;
//! * `tracing` — id assignment, value policies, tracing off, api events;
//! * `errors` — typed failures;
//! * `anomaly` — anomaly mode's NaN check of node outputs and its error;
//! * `complex_families` — complex operands through the indexing, selection
//!   and Python-number paths;
//! * `fills` — the fill family's values, conversions, errors and gradients;
//! * `linalg_families` — `dist`, `linalg_lstsq`, `cholesky_inverse`: values and gradients against torch 2.15;
//! * `sparse_dense` — a sparse COO tensor made dense and its gradient;
//! * `sparse_gradients` — sparse embedding gradients with a `padding_idx`,
//!   `neg` of an uncoalesced gradient;
//! * `nan_lanes` — activation backwards whose vectorised and scalar loops
//!   take NaN differently, and hardswish's boundaries;
//! * `reduced_backward` — bfloat16 backward kernels rounding as PyTorch's do.

mod accumulation;
mod anomaly;
mod common;
mod complex_families;
mod dispatch_chains;
mod engine_order;
mod error_events;
mod errors;
mod fills;
mod float32_numbers;
mod functions;
mod grad_state;
mod gradients;
mod hooks;
mod inplace_views;
mod layouts;
mod linalg_families;
mod mlp;
mod nan_lanes;
mod nested_encoder;
mod reduced_backward;
mod restricted_backward;
mod saved_hooks;
mod sparse_dense;
mod sparse_gradients;
mod tracing;
