//! The dispatcher: keys, keysets, TLS state, schemas and the operator
//! registry (packets FT-P2C-002 and FT-P2C-003).
//!
//! * [`key`] / [`keyset`] — PyTorch's runtime dispatch keys in priority order;
//! * [`tls`] — the include/exclude sets and the guards we model;
//! * [`autocast`] — autocast state and the operators with autocast kernels;
//! * [`schema`] — `native_functions.yaml` schema parsing;
//! * [`registry`] — the operator table and per-key handlers;
//! * [`dispatcher`] — keyset computation and the key walk recorded in traces;
//! * `args` — binding arguments to a schema (defaults filled in).
//!
//! Executing a call (running the autograd, ADInplaceOrView and backend steps
//! of a walk) is the runtime's job: see `crate::runtime::call`.

pub(crate) mod args;
pub mod autocast;
pub mod dispatcher;
pub mod key;
pub mod keyset;
pub mod negative;
pub mod registry;
pub mod schema;
pub mod tls;

pub use dispatcher::{Plan, Step};
pub use key::DispatchKey;
pub use keyset::DispatchKeySet;
pub use registry::{Handler, OpEntry, Registry};
pub use schema::FunctionSchema;
pub use tls::LocalDispatchKeySet;
