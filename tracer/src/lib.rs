//! `ft-trace`: the event model and the `.ftr` file format of FrankenTorch Trace.
//!
//! This crate is the neutral core that every other part depends on: the
//! runtime emits [`EventBody`] values into an [`EventSink`]; the writer and
//! reader move them to and from `.ftr` files; replay and the inspector consume
//! them. It knows nothing about tensor maths.
//!
//! * [`event`] — the four layers (api, dispatch, autograd, device) and their kinds;
//! * [`value`] — operator arguments and tensor references;
//! * [`name`] — the interned strings events repeat (operators, keys, dtypes);
//! * [`hash`] — blob digests, structural hashes, chain hashes;
//! * [`event_decode`] — the msgpack decoder written for the event layout;
//! * [`atomic`] — writing a file so its name only ever holds a complete file;
//! * [`describe`] — events as text, in the one notation of every report and view;
//! * [`model`] — lookups over a stream: nodes, tensors, recorded values;
//! * [`op_class`] — which operators are random or return uninitialised memory;
//! * [`format`] — container layout (normative spec: `docs/FORMAT.md`);
//! * [`writer`] / [`reader`] — streaming writer, indexed and recovering reader;
//! * [`sink`] — the emission interface and in-memory / file sinks;
//! * [`tensor_bytes`] — converting element buffers to blob bytes and back;
//! * [`text`] — escaping trace strings before they reach a terminal;
//! * [`verify`] — whole-file verification listing every damaged chunk;
//! * [`view`] — values stored as strided views of an earlier value (VIEW chunks);
//! * [`sidecar`] — RaptorQ sidecars (`FILE.rq`): protect a trace, repair it.

pub mod atomic;
pub mod codec;
pub mod describe;
pub mod error;
pub mod event;
mod event_bytes;
pub mod event_decode;
pub mod format;
pub mod hash;
pub mod model;
pub mod name;
pub mod op_class;
pub mod reader;
mod recent_values;
pub mod rewrite;
mod shared_seq;
pub mod sidecar;
pub mod sink;
mod structural;
pub mod tensor_bytes;
pub mod text;
pub mod value;
pub mod value_stats;
pub mod verify;
pub mod view;
pub mod writer;

pub use error::TraceError;
pub use event::DataAccess;
pub use event::{
    ACCUMULATE_GRAD_SEQ, Accumulate, AnomalyMode, ApiEvent, Autocast, AutogradEvent, BackwardCall,
    BelowAutograd, ChainStep, Context, DefaultDtype, DeviceEvent, DeviceGuard, DispatchEvent, Edge,
    Event, EventBody, GradMode, GraphTaskBegin, GraphTaskEnd, Layer, ManualSeed, Mark, NodeCreated,
    OpCall, ProgramError, QueueEntry, Release, SetGrad, SetRequiresGrad, TensorIntro, Transfer,
};
pub use event::{Chain, KeySet};
pub use event::{FunctionApplied, NodeResult};
pub use event::{GradCall, GradResult};
pub use event::{GraphTaskError, OpError};
pub use event::{
    HookBegin, HookEnd, HookResult, RegisterHook, RegisterNodeHook, RemoveHook, RetainGrad,
};
pub use format::{BlobRecord, StatsRecord, TraceIndex, TraceMeta, ValuePolicy, ViewRecord};
pub use hash::{ChainState, Digest, blob_digest};
pub use name::Name;
pub use reader::{Events, EventsWithHashes, TraceReader, Truncation, ValueRecord};
pub use sink::{Clock, EventSink, FileSink, MemorySink, ValueKey};
pub use value::{TensorRef, Value};
pub use writer::{FileTraceWriter, TraceOutput, TraceSummary, TraceWriter, partial_path};
