//! The `.ftr` writer of `ft-trace` for the PyTorch capture.
//!
//! The capture (`scripts/ft_capture`) builds each event's payload in
//! Python and packs it with msgpack; everything after that — framing the
//! event, the header's minor version, the chain hashes, holding values until
//! the event that names them, BLOB or VIEW records, chunking and compressing
//! EVENTS, the INDEX — is the same work `ft_trace::TraceWriter` does for
//! the runtime. This crate puts that writer behind a C ABI, so the capture
//! (through ctypes, `scripts/ft_capture/native_writer.py`) writes its trace
//! with it instead of the pure-Python writer of `scripts/ftr.py`. The two
//! writers produce the same bytes (`tracer/tests/python_writer_parity.rs`
//! and the capture's tests check it); the Python one stays the fallback
//! when this library is not built.
//!
//! [`NativeWriter`] is the safe API; [`BackgroundWriter`] runs it on a
//! thread of its own, so that the captured program only hands its trace
//! over; [`abi`] is the C shell around the latter.

pub mod abi;
mod background;
mod writer;

pub use background::{BATCH_BYTES, BackgroundWriter, Position, QUEUE_BYTES};
pub use writer::{NativeWriter, NativeWriterError, decode_stats};

/// Version of the C ABI in [`abi`]: raised whenever a function's signature
/// or meaning changes, so a capture never calls a library built from other
/// sources than its own.
pub const ABI_VERSION: u32 = 2;
