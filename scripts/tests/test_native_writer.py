"""The compiled trace writer (`ft_capture.native_writer`, crate `tracer/ffi`)
writes what the Python writer writes, byte for byte; it is chosen, refused
and replaced by the Python writer as `FT_CAPTURE_WRITER` and the library's
build say; its failures are one-line `TraceError`s.

The library is built by `scripts/test.sh` (`cargo build --release -p
ft-trace-ffi`), which sets `FT_REQUIRE_NATIVE_WRITER=1`: these tests then
fail instead of skipping when it cannot be loaded.
"""

from __future__ import annotations

import os

import pytest

import ft_capture
import ftr
from conftest import REPO, program_path, run_cli
from ft_capture import native_writer

TRACES = sorted((REPO / "traces").glob("*.torch.ftr")) + [REPO / "tracer/tests/fixtures/all_kinds.ftr"]


@pytest.fixture(scope="module", autouse=True)
def library():
    """The loaded library, or the module's tests skipped (failed under
    `FT_REQUIRE_NATIVE_WRITER=1`) with the reason it cannot be used."""
    try:
        return native_writer.load()
    except native_writer.NativeWriterUnavailable as e:
        if os.environ.get("FT_REQUIRE_NATIVE_WRITER") == "1":
            pytest.fail(f"the native writer is required: {e}")
        pytest.skip(f"the native writer is not available: {e}")


def rewrite_natively(path: str, out: str) -> None:
    """`path` written again by the native writer, its values and events
    handed over in file order through the capture's interface."""
    reader = ftr.TraceReader(path)
    file_writer = native_writer.NativeFileTraceWriter(out, reader.meta)
    writer = file_writer.writer
    for what, item in reader.file_order():
        if what == "value":
            # A writable buffer, as the capture hands a tensor's memory over.
            writer.put_blob(item.dtype, item.shape, bytearray(item.data))
        elif what == "stats":
            writer.put_stats(item)
        else:
            writer.append(item.layer, item.kind, item.payload, item.ts)
    file_writer.finish()


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.name)
def test_the_native_writer_rewrites_every_trace_to_its_bytes(path, tmp_path):
    out = tmp_path / "rewritten.ftr"
    rewrite_natively(str(path), str(out))
    assert out.read_bytes() == path.read_bytes()


def capture_with(writer: str, name: str, out, policy: str = "all") -> ft_capture.CaptureResult:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return ft_capture.capture_program(program_path(name), str(out), policy, False, writer=writer)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(
    "name, policy",
    [
        ("corpus/mlp_train", "all"),  # VIEW chunks: transposed weights
        ("corpus/mlp_train", "none"),
        ("corpus/values_stats", "stats"),  # STATS chunks
        ("corpus/sparse_gcn_edge_weights", "all"),  # sparse parts
        ("corpus/transformer_nested_eval", "all"),  # nested buffers
        ("corpus/custom_op_layers", "all"),  # format 2.7: the header's minor raised
        ("corpus/raises_shape_error", "all"),  # exit 3: program_error last
        ("corpus/dataloader_workers", "all"),  # forked workers
    ],
)
def test_a_capture_writes_the_same_bytes_with_either_writer(name, policy, tmp_path):
    results = {}
    for writer in ("python", "native"):
        results[writer] = capture_with(writer, name, tmp_path / f"{writer}.ftr", policy)
    assert results["python"].status == results["native"].status
    assert results["python"].status in (ft_capture.EXIT_OK, ft_capture.EXIT_PROGRAM_ERROR)
    assert (tmp_path / "native.ftr").read_bytes() == (tmp_path / "python.ftr").read_bytes()


REFUSED = """
import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
for _ in range(40):
    x = x * 1.5
(g,) = torch.autograd.grad((x.sin() ** 2).sum(), x, create_graph=True)
torch.autograd.grad(g, x, torch.eye(3), is_grads_batched=True)
"""


def test_a_refused_capture_leaves_the_same_readable_partial_with_either_writer(tmp_path):
    program = tmp_path / "refused.py"
    program.write_text(REFUSED)
    for writer in ("python", "native"):
        out = tmp_path / f"{writer}.ftr"
        result = ft_capture.capture_program(str(program), str(out), "all", False, writer=writer)
        assert result.status == ft_capture.EXIT_INCONSISTENT
        assert result.message.startswith("unsupported: torch.autograd.grad(is_grads_batched=True)")
        assert not out.exists()
    native, python = (tmp_path / "native.ftr.partial"), (tmp_path / "python.ftr.partial")
    assert native.read_bytes() == python.read_bytes()
    reader = ftr.TraceReader(str(native), recover=True)
    assert reader.truncation is not None and reader.event_count > 40


def test_auto_uses_the_native_writer_when_it_is_built(tmp_path):
    meta = ftr.Meta("test", "p.py", "none")
    chosen = native_writer.open_trace_writer(str(tmp_path / "t.ftr"), meta, "auto")
    assert isinstance(chosen, native_writer.NativeFileTraceWriter)
    chosen.abort()
    chosen = native_writer.open_trace_writer(str(tmp_path / "u.ftr"), meta, "python")
    assert isinstance(chosen, ftr.FileTraceWriter)
    chosen.abort()


@pytest.fixture
def no_library(tmp_path, monkeypatch):
    """`FT_TRACE_FFI` naming a library that does not exist."""
    missing = tmp_path / "missing" / native_writer.library_name()
    monkeypatch.setenv(native_writer.LIBRARY_ENV, str(missing))
    return missing


def test_auto_falls_back_to_the_python_writer_without_the_library(no_library, tmp_path, monkeypatch):
    monkeypatch.setenv(native_writer.WRITER_ENV, "auto")
    chosen = native_writer.open_trace_writer(str(tmp_path / "t.ftr"), ftr.Meta("test", "p.py", "none"))
    assert isinstance(chosen, ftr.FileTraceWriter)
    chosen.abort()


def test_a_required_native_writer_without_the_library_is_a_usage_error(no_library, tmp_path):
    with pytest.raises(native_writer.NativeWriterUnavailable, match="is not built"):
        native_writer.open_trace_writer(str(tmp_path / "t.ftr"), ftr.Meta("test", "p.py", "none"), "native")
    run = run_cli("traces/programs/tiny_mlp.py", "-o", str(tmp_path / "t.ftr"), "--writer", "native")
    assert run.returncode == 2
    assert run.stderr.startswith("capture_torch.py: error: the native trace writer cannot be used: ")
    assert str(no_library) in run.stderr and run.stderr.count("\n") == 1
    assert not (tmp_path / "t.ftr").exists() and not (tmp_path / "t.ftr.partial").exists()


def test_an_unknown_writer_choice_is_refused(monkeypatch):
    monkeypatch.setenv(native_writer.WRITER_ENV, "fast")
    with pytest.raises(native_writer.NativeWriterUnavailable, match="FT_CAPTURE_WRITER='fast'"):
        native_writer.writer_choice()


@pytest.mark.parametrize("stale", ["abi", "format"])
def test_a_library_built_from_other_sources_is_not_used(stale, monkeypatch):
    monkeypatch.setattr(native_writer, "_LOADED", {})
    if stale == "abi":
        monkeypatch.setattr(native_writer, "ABI_VERSION", native_writer.ABI_VERSION + 1)
        expected = "has C ABI version"
    else:
        monkeypatch.setattr(ftr, "VERSION_MINOR", ftr.VERSION_MINOR + 1)
        expected = f"writes format {ftr.VERSION_MAJOR}.{ftr.VERSION_MINOR - 1}"
    with pytest.raises(native_writer.NativeWriterUnavailable, match=expected):
        native_writer.load()


def grad_mode(enabled: bool) -> list:
    return ftr.p_grad_mode(enabled, False)


def test_an_event_of_an_unknown_kind_is_refused_at_once(tmp_path):
    file_writer = native_writer.NativeFileTraceWriter(str(tmp_path / "t.ftr"), ftr.Meta("test", "p.py", "none"))
    with pytest.raises(ftr.TraceError, match=r"unknown kind \(0, 99\)"):
        file_writer.writer.append(0, 99, [True])
    file_writer.abort()


def test_a_payload_that_does_not_decode_is_named_by_its_seq(tmp_path):
    file_writer = native_writer.NativeFileTraceWriter(str(tmp_path / "t.ftr"), ftr.Meta("test", "p.py", "none"))
    writer = file_writer.writer
    writer.append(ftr.API, ftr.API_GRAD_MODE, grad_mode(True))
    writer.append(ftr.API, ftr.API_GRAD_MODE, ["yes", False])
    with pytest.raises(ftr.TraceError, match=r"^cannot write trace: event seq 1 does not decode: "):
        file_writer.finish()
    # As a capture that fails does: the file stays partial, with the event
    # before the bad one.
    assert not file_writer.closed
    file_writer.abort()
    assert file_writer.closed and not (tmp_path / "t.ftr").exists()
    reader = ftr.TraceReader(str(tmp_path / "t.ftr.partial"), recover=True)
    assert [e.payload for e in reader.events] == [grad_mode(True)]


def test_events_are_handed_over_in_batches_and_positions_flush_them(tmp_path):
    file_writer = native_writer.NativeFileTraceWriter(str(tmp_path / "t.ftr"), ftr.Meta("test", "p.py", "none"))
    writer = file_writer.writer
    start = writer.offset
    seqs = [writer.append(ftr.API, ftr.API_GRAD_MODE, grad_mode(i % 2 == 0)) for i in range(10)]
    assert seqs == list(range(10)) and writer.next_seq == 10
    # Small events wait in the batch until a position is asked for.
    assert writer._batched == 10
    assert writer.offset == start and writer._batched == 0
    # Once a position has waited for the writer's thread, what it has
    # written (the progress line's figure, read without waiting) agrees.
    assert writer.written == writer.offset
    file_writer.finish()
    assert [e.payload for e in ftr.TraceReader(str(tmp_path / "t.ftr")).events] == [grad_mode(i % 2 == 0) for i in range(10)]
    with pytest.raises(ftr.TraceError, match="the writer is finished"):
        file_writer.finish()
    # The handle is given back: later calls are refused, not made on it.
    with pytest.raises(ftr.TraceError, match="null trace writer handle"):
        writer.put_blob("float32", [1], b"\0\0\0\0")
    assert writer.written == 0


def test_values_are_stored_once_per_digest(tmp_path):
    file_writer = native_writer.NativeFileTraceWriter(str(tmp_path / "t.ftr"), ftr.Meta("test", "p.py", "all"))
    writer = file_writer.writer
    data = bytes(range(16))
    digest = writer.put_blob("float32", [4], data)
    assert digest == ftr.blob_digest("float32", [4], data)
    assert writer.has_value(digest, True) and writer.has_value(digest, False)
    assert writer.put_blob("float32", [4], memoryview(data)) == digest
    assert not writer.has_value(ftr.blob_digest("float32", [2, 2], data), True)
    file_writer.finish()
    assert len(ftr.TraceReader(str(tmp_path / "t.ftr")).blob_entries) == 1
