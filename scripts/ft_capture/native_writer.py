"""The capture's trace writer in compiled code: `ft_trace`'s own writer
(crate `tracer/ffi`, a shared library loaded with ctypes).

The recorder builds every event's payload in Python; the Python writer
(`ftr.TraceWriter`) then frames it, works out the header's minor version,
extends three BLAKE3 chain hashes, holds values until the event that names
them, decides BLOB or VIEW and fills EVENTS chunks: about 7 µs of Python
per event. Here the payload is packed once and handed over; the rest runs
in Rust, which writes the same bytes (`tracer/tests/python_writer_parity.rs`
proves the Rust writer's bytes equal the Python writer's on every golden,
and `scripts/tests/test_native_writer.py` captures programs both ways).

The library writes on a thread of its own: the program's thread only
hashes and copies each value (its memory may change once the call
returns) and hands events over. So a failure of what was handed over (an
event that does not decode, a full disk) is raised by the next call,
`sync()` or `finish()`; what came before it stays in the `.partial` file.

Which writer a capture uses (`FT_CAPTURE_WRITER`):

* `auto` (default): this one when the library is built from this
  checkout's sources (`cargo build --release -p ft-trace-ffi`, which
  `scripts/test.sh` runs), else the Python writer;
* `native`: this one, or the capture refuses to start (exit 4) and says why;
* `python`: the Python writer.

The library is `target/release/` of this checkout, or the file
`FT_TRACE_FFI` names. A library built from other sources (another ABI
version, another format version) is not used.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any, Optional, Union

import msgpack

import ftr

# `ft_trace_ffi::ABI_VERSION`: the C functions and their meaning below.
ABI_VERSION = 2
WRITER_ENV = "FT_CAPTURE_WRITER"
LIBRARY_ENV = "FT_TRACE_FFI"
WRITER_CHOICES = ("auto", "native", "python")

_REPO = Path(__file__).resolve().parents[2]
_FIXINTS = [bytes([n]) for n in range(128)]
_u64p = ctypes.POINTER(ctypes.c_uint64)


class NativeWriterUnavailable(Exception):
    """The compiled writer cannot be used; the message says why."""


def library_name() -> str:
    """The shared library's file name on this platform."""
    if sys.platform == "darwin":
        return "libft_trace_ffi.dylib"
    if sys.platform == "win32":
        return "ft_trace_ffi.dll"
    return "libft_trace_ffi.so"


def library_path() -> Path:
    """Where the library is looked for."""
    named = os.environ.get(LIBRARY_ENV)
    return Path(named) if named else _REPO / "target" / "release" / library_name()


def _declare(lib: ctypes.CDLL) -> None:
    vp, cp, sz, i32 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32
    signatures = {
        "ftr_abi_version": ([], ctypes.c_uint32),
        "ftr_format_version": ([], ctypes.c_uint32),
        "ftr_last_error": ([cp, sz], sz),
        "ftr_writer_create": ([cp, sz, cp, sz, ctypes.POINTER(vp)], i32),
        "ftr_writer_append_events": ([vp, ctypes.c_uint32, cp, sz], i32),
        "ftr_writer_put_blob": ([vp, cp, sz, ctypes.POINTER(ctypes.c_int64), sz, vp, sz, cp], i32),
        "ftr_writer_put_stats": ([vp, cp, sz, cp], i32),
        "ftr_writer_has_value": ([vp, cp, ctypes.c_uint8], i32),
        "ftr_writer_position": ([vp, _u64p, _u64p, ctypes.POINTER(ctypes.c_uint16)], i32),
        "ftr_writer_written": ([vp], ctypes.c_uint64),
        "ftr_writer_finish": ([vp, ctypes.POINTER(vp), ctypes.POINTER(sz)], i32),
        "ftr_writer_abort": ([vp], i32),
        "ftr_bytes_free": ([vp, sz], None),
    }
    for name, (args, result) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = result


_LOADED: dict = {}


def load() -> ctypes.CDLL:
    """The library, loaded and checked once per path; raises
    `NativeWriterUnavailable` with the reason it cannot be used."""
    path = library_path()
    key = str(path)
    if key in _LOADED:
        lib = _LOADED[key]
        if isinstance(lib, NativeWriterUnavailable):
            raise lib
        return lib
    try:
        if not path.is_file():
            raise NativeWriterUnavailable(f"{path} is not built (cargo build --release -p ft-trace-ffi)")
        try:
            lib = ctypes.CDLL(str(path))
            _declare(lib)
        except (OSError, AttributeError) as e:
            raise NativeWriterUnavailable(f"{path} does not load: {e}") from None
        abi = lib.ftr_abi_version()
        if abi != ABI_VERSION:
            raise NativeWriterUnavailable(f"{path} has C ABI version {abi}, this capture needs {ABI_VERSION}: rebuild it")
        version = lib.ftr_format_version()
        major, minor = version >> 16, version & 0xFFFF
        if (major, minor) != (ftr.VERSION_MAJOR, ftr.VERSION_MINOR):
            raise NativeWriterUnavailable(
                f"{path} writes format {major}.{minor}, this capture writes {ftr.VERSION_MAJOR}.{ftr.VERSION_MINOR}: rebuild it"
            )
    except NativeWriterUnavailable as e:
        _LOADED[key] = e
        raise
    _LOADED[key] = lib
    return lib


def _last_error(lib: ctypes.CDLL) -> str:
    n = lib.ftr_last_error(None, 0)
    buf = ctypes.create_string_buffer(n)
    lib.ftr_last_error(buf, n)
    return buf.raw[:n].decode("utf-8", "replace")


def _address(data: Any) -> tuple:
    """`(pointer, length, keep)` of a bytes-like object's bytes, without a
    copy when it is `bytes` or writable (`keep` holds what the pointer
    points into for the length of the call)."""
    if isinstance(data, bytes):
        return ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or None, len(data), data
    if type(data) is memoryview and isinstance(data.obj, ctypes.Array) and data.nbytes == ctypes.sizeof(data.obj):
        # `values.tensor_buffer`: a byte view of a ctypes array over the
        # tensor's memory, whose address is the array's.
        return ctypes.addressof(data.obj), data.nbytes, data
    view = memoryview(data).cast("B")
    n = view.nbytes
    if n == 0:
        return None, 0, None
    if view.readonly:
        copy = bytes(view)
        return ctypes.cast(ctypes.c_char_p(copy), ctypes.c_void_p).value, n, copy
    array = (ctypes.c_char * n).from_buffer(view)
    return ctypes.addressof(array), n, array


# Events are handed over in batches of about this many bytes (a ctypes call
# costs about a microsecond, a third of what the writer does per event).
BATCH_BYTES = 1 << 14


class NativeTraceWriter:
    """`ftr.TraceWriter`'s interface as the recorder uses it, on a handle
    of the compiled writer.

    Appended events are encoded here as the file stores them and handed
    over in batches (`flush`); values go over at once. What is written, in
    what order, is the Python writer's: a BLOB value is held until the first
    event naming it (no event handed over late can name a value handed over
    after it), and a STATS record, which is written at once, first flushes
    the events before it.
    `next_seq` is kept here: the recorder reads it at every boundary."""

    def __init__(self, lib: ctypes.CDLL, handle: ctypes.c_void_p) -> None:
        self._lib = lib
        # None once the file writer gave the handle back (a call then
        # passes a null handle, which the library refuses).
        self._handle: Optional[ctypes.c_void_p] = handle
        self.next_seq = 0
        self._pack = msgpack.Packer(use_bin_type=True, use_single_float=False).pack
        self._batch = bytearray()
        self._batched = 0
        self._digest = ctypes.create_string_buffer(ftr.DIGEST_LEN)

    def _fail(self) -> ftr.TraceError:
        return ftr.TraceError(_last_error(self._lib))

    def append(self, layer: int, kind: int, payload: list, ts: int = 0, values: bool = True) -> int:
        """Appends an event `[seq, layer, kind, payload, ts]`; returns its seq."""
        if (layer, kind) not in ftr.KIND_NAMES:
            raise ftr.TraceError(f"cannot write trace: event of unknown kind ({layer}, {kind}) has no known payload")
        if type(ts) is not int or not 0 <= ts <= ftr.U64_MAX:
            ts = ftr._u64(ts)
        seq = self.next_seq
        pack = self._pack
        batch = self._batch
        batch += b"\x95" + pack(seq) + _FIXINTS[layer] + _FIXINTS[kind] + pack(payload) + pack(ts)
        self._batched += 1
        self.next_seq = seq + 1
        if len(batch) >= BATCH_BYTES:
            self.flush()
        return seq

    def flush(self) -> None:
        """Hands the batched events to the writer."""
        if not self._batched:
            return
        batch, count = bytes(self._batch), self._batched
        self._batch.clear()
        self._batched = 0
        if self._lib.ftr_writer_append_events(self._handle, count, batch, len(batch)) != 0:
            raise self._fail()

    def put_blob(self, dtype: str, shape: Any, data: Any) -> bytes:
        """Stores a tensor value once per digest; returns the digest."""
        dims = [ftr._i64(d) for d in shape]
        shape_array = (ctypes.c_int64 * len(dims))(*dims)
        encoded = str(dtype).encode()
        address, n, keep = _address(data)
        status = self._lib.ftr_writer_put_blob(self._handle, encoded, len(encoded), shape_array, len(dims), address, n, self._digest)
        del keep
        if status != 0:
            raise self._fail()
        return self._digest.raw

    def put_stats(self, record: list) -> bytes:
        """Stores a value's STATS record; returns the digest. A STATS chunk
        is written at once, so the events before it go first."""
        self.flush()
        packed = ftr.packb(record)
        if self._lib.ftr_writer_put_stats(self._handle, packed, len(packed), self._digest) != 0:
            raise self._fail()
        return self._digest.raw

    def has_value(self, digest: bytes, full: bool) -> bool:
        """Whether `put_blob` (`full`) or `put_stats` of this digest would
        write nothing."""
        known = self._lib.ftr_writer_has_value(self._handle, bytes(digest), 1 if full else 0)
        if known < 0:
            raise self._fail()
        return known == 1

    def sync(self) -> None:
        """Hands the batched events over and waits until the writer's
        thread has written everything; raises its first failure."""
        self._position()

    def _position(self) -> tuple:
        self.flush()
        seq, offset, minor = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint16()
        if self._lib.ftr_writer_position(self._handle, ctypes.byref(seq), ctypes.byref(offset), ctypes.byref(minor)) != 0:
            raise self._fail()
        return seq.value, offset.value, minor.value

    @property
    def offset(self) -> int:
        """Bytes written so far."""
        return self._position()[1]

    @property
    def written(self) -> int:
        """Bytes written so far, without waiting for the writer's thread."""
        return int(self._lib.ftr_writer_written(self._handle))

    @property
    def minor_version(self) -> int:
        """The minor version the header says now."""
        return self._position()[2]


class NativeFileTraceWriter:
    """`ftr.FileTraceWriter` on the compiled writer: `NAME.partial` until
    finished; `abort()` writes the pending events and leaves it."""

    def __init__(self, path: str, meta: ftr.Meta) -> None:
        lib = load()
        self.path = os.fspath(path)
        self.partial = ftr.partial_path(self.path)
        encoded = os.fsencode(self.path)
        packed = ftr.packb(meta.payload())
        handle = ctypes.c_void_p()
        if lib.ftr_writer_create(encoded, len(encoded), packed, len(packed), ctypes.byref(handle)) != 0:
            # As `open` of the Python writer's file would: the caller
            # reports it as an output that cannot be written.
            raise OSError(_last_error(lib))
        self._lib = lib
        self._handle: Optional[ctypes.c_void_p] = handle
        self.writer = NativeTraceWriter(lib, handle)

    def _take(self) -> ctypes.c_void_p:
        """The handle, given up: neither this object nor its `writer` uses
        it again (a later call fails as a finished writer's)."""
        handle, self._handle = self._handle, None
        if handle is None:
            raise ftr.TraceError("cannot write trace: the writer is finished")
        self.writer._handle = None
        return handle

    def finish(self) -> list:
        """Finishes the trace, syncs it and renames it into place; returns
        the index. A failure of work handed over is raised first, with the
        writer still open for `abort()`."""
        if self._handle is None:
            raise ftr.TraceError("cannot write trace: the writer is finished")
        self.writer.sync()
        data, n = ctypes.c_void_p(), ctypes.c_size_t()
        if self._lib.ftr_writer_finish(self._take(), ctypes.byref(data), ctypes.byref(n)) != 0:
            raise ftr.TraceError(_last_error(self._lib))
        try:
            packed = ctypes.string_at(data, n.value)
        finally:
            self._lib.ftr_bytes_free(data, n)
        return msgpack.unpackb(packed, raw=False)

    def abort(self) -> None:
        """Writes pending events and closes the file, leaving `NAME.partial`."""
        if self._handle is None:
            return
        try:
            self.writer.flush()
        finally:
            status = self._lib.ftr_writer_abort(self._take())
        if status != 0:
            raise ftr.TraceError(_last_error(self._lib))

    @property
    def closed(self) -> bool:
        """Whether finish() or abort() ran."""
        return self._handle is None

    def __enter__(self) -> "NativeFileTraceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif self._handle is not None:
            self.finish()


def writer_choice() -> str:
    """`FT_CAPTURE_WRITER`, checked."""
    choice = os.environ.get(WRITER_ENV, "auto") or "auto"
    if choice not in WRITER_CHOICES:
        raise NativeWriterUnavailable(f"{WRITER_ENV}={choice!r}: expected one of {', '.join(WRITER_CHOICES)}")
    return choice


# The writers a recorder writes to, and their file owners.
AnyTraceWriter = Union[ftr.TraceWriter, NativeTraceWriter]
AnyFileTraceWriter = Union[ftr.FileTraceWriter, NativeFileTraceWriter]


def open_trace_writer(path: str, meta: ftr.Meta, choice: Optional[str] = None) -> AnyFileTraceWriter:
    """The file writer a capture uses: `choice` (default
    `FT_CAPTURE_WRITER`, module doc) picks a `NativeFileTraceWriter` or an
    `ftr.FileTraceWriter`. Raises `NativeWriterUnavailable` when the native
    one is required and cannot be used."""
    choice = writer_choice() if choice is None else choice
    if choice not in WRITER_CHOICES:
        raise NativeWriterUnavailable(f"writer {choice!r}: expected one of {', '.join(WRITER_CHOICES)}")
    if choice != "python":
        try:
            load()
        except NativeWriterUnavailable:
            if choice == "native":
                raise
        else:
            return NativeFileTraceWriter(path, meta)
    return ftr.FileTraceWriter(path, meta)
