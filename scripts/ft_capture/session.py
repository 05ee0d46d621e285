"""Running a program under the capture, and how a capture ends."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import platform
import runpy
import struct
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import torch

import ftr

from .collector import collector_pinned
from .errors import EXIT_INCONSISTENT, EXIT_OK, EXIT_PROGRAM_ERROR, PRODUCER, CaptureError
from .native_writer import AnyFileTraceWriter, open_trace_writer
from .observers import CaptureMode
from .ops import format_program_error
from .patches import Patches
from .progress import on_terminal
from .recorder import Recorder


@dataclass
class CaptureResult:
    """How a capture ended.

    `message`: the failure (status 4) or the program's error (status 3);
    `ending`: how the program ended when it did not simply return ("the
    program raised (...)", "... called os._exit(0)"), said in one line;
    `forked_child`: the program forked and this is the child, which returned
    from it: it writes nothing and says nothing (`status` is its own).
    """

    status: int
    message: str = ""
    ending: str = ""
    forked_child: bool = False


def program_ending(error: BaseException) -> str:
    """How the program ended, for the one line the capture prints."""
    if isinstance(error, SystemExit) and isinstance(error.code, int):
        return f"the program exited with status {error.code} (sys.exit)"
    return f"the program raised ({format_program_error(error)})"


def finish_at_os_exit(rec: "Recorder", file_writer: AnyFileTraceWriter, code: Any, abort: Callable[[], None]) -> CaptureResult:
    """The program called `os._exit(code)`: it ended there, so the trace is
    finished as at the end of the program (a nonzero status is a
    `program_error ["os._exit(code)"]`, as `sys.exit` gives one), unless a
    capture failure is pending or a `backward()` is running (its GraphTask
    never ends) or another thread called it: then it is left as `.partial`."""
    ending = f"the program called os._exit({code})"
    if threading.get_ident() != rec.thread:
        # The capturing thread may be in the middle of an event: the file is
        # left as it is, every chunk written so far readable.
        name = threading.current_thread().name
        return CaptureResult(EXIT_INCONSISTENT, f"unsupported: thread {name!r} called os._exit({code}) while the main thread ran; the trace is left unfinished")
    try:
        if rec.failure is not None:
            raise CaptureError(rec.failure)
        if rec.backward is not None:
            raise rec.fail(f"unsupported: {ending} inside backward() (its GraphTask never ended)")
        rec.hooks.release_kept()
        if code != 0:
            rec.program_error(f"os._exit({code})")
        rec.flush()
        file_writer.finish()
    except CaptureError as e:
        abort()
        return CaptureResult(EXIT_INCONSISTENT, str(e))
    status = EXIT_OK if code == 0 else EXIT_PROGRAM_ERROR
    return CaptureResult(status, "" if code == 0 else f"os._exit({code})", ending)


def child_status(error: Optional[BaseException]) -> int:
    """Exit status of a forked child that returned from the program, as
    Python gives it (traceback printed for an exception)."""
    if error is None:
        return 0
    if isinstance(error, SystemExit):
        return error.code if isinstance(error.code, int) else 1
    traceback.print_exception(error)
    return 1


def report(result: CaptureResult, out: str) -> None:
    """The one line on stderr for a capture that did not simply record."""
    if result.forked_child:
        return
    if result.status == EXIT_INCONSISTENT:
        print(f"capture_torch.py: error: {result.message}", file=sys.stderr, flush=True)
    elif result.ending:
        print(f"capture_torch.py: {result.ending}; trace written to {out}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def torchscript_unoptimised() -> Iterator[None]:
    """TorchScript functions run in the graph interpreter without graph
    optimisation while they are captured (`torch.jit.optimized_execution`
    off): every operator then dispatches through autograd as in eager mode,
    where optimised execution would, from a function's second or third
    call, run a differentiable subgraph under one `DifferentiableGraphBackward`
    node whose operators autograd never sees and whose gradient is
    TorchScript's own symbolic formula. The setting is restored afterwards."""
    saved = torch._C._get_graph_executor_optimize()
    torch._C._set_graph_executor_optimize(False)
    try:
        yield
    finally:
        torch._C._set_graph_executor_optimize(saved)


@contextlib.contextmanager
def compile_disabled() -> Iterator[None]:
    """`torch.compile`d code runs eagerly while it is captured: a capture
    records eager PyTorch, what the runtime re-implements, and Dynamo would
    otherwise trace into the capture's own dispatch mode (and take sequence
    numbers for its graphs). Dynamo's config module costs seconds to import,
    so until something imports it the switch is the environment variable it
    reads then (`TORCH_COMPILE_DISABLE`). A disabled Dynamo still refuses a
    `fullgraph=True` call that compiled no frame ("found no compiled
    frames"), unless the compiler's stance is `force_eager`: the first
    `torch.compile` call (the program's, or `nn.Module.compile`'s) sets that
    stance too. All are restored afterwards."""
    key = "TORCH_COMPILE_DISABLE"
    saved_env = os.environ.get(key)
    config: Any = sys.modules.get("torch._dynamo.config")
    saved_disable = getattr(config, "disable", False)
    os.environ[key] = "1"
    if config is not None:
        config.disable = True
    original_compile = torch.compile
    saved_stance: list = []

    def compile_eagerly(*args: Any, **kwargs: Any) -> Any:
        if not saved_stance:
            try:
                from torch._dynamo import eval_frame

                saved_stance.append(eval_frame._set_stance(eval_frame.DynamoStance("force_eager")))
            except (ImportError, AttributeError, TypeError):
                # A torch without compiler stances: `fullgraph=True` calls
                # are refused by Dynamo as before (the program's error).
                saved_stance.append(None)
        return original_compile(*args, **kwargs)

    torch.compile = functools.wraps(original_compile)(compile_eagerly)
    try:
        yield
    finally:
        torch.compile = original_compile
        if saved_stance and saved_stance[0] is not None:
            from torch._dynamo import eval_frame

            eval_frame._set_stance(saved_stance[0])
        if saved_env is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = saved_env
        config = sys.modules.get("torch._dynamo.config")
        if config is not None:
            config.disable = saved_disable


def run_program(program: str, argv: list) -> None:
    """Runs the program as `__main__` with its own argv and sys.path[0]."""
    saved_argv, saved_path0 = sys.argv, sys.path[0]
    sys.argv = [program] + list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(program))
    try:
        runpy.run_path(program, run_name="__main__")
    finally:
        sys.argv = saved_argv
        sys.path[0] = saved_path0


def trace_meta(program: str, policy: str) -> ftr.Meta:
    """The META of a capture: versions, and the CPU facts some kernels'
    rounding depends on (the vector width of the kernels PyTorch selected,
    its intra-op thread count, and — written only where it is so — that it
    runs float16 convolutions on oneDNN), which a replay reproduces."""
    attrs: tuple = (
        ("torch_version", torch.__version__),
        ("python_version", platform.python_version()),
        ("cpu_capability", torch.backends.cpu.get_cpu_capability()),
        ("intra_op_threads", str(torch.get_num_threads())),
    )
    if float16_convolutions_on_onednn():
        attrs += ((FLOAT16_ONEDNN_ATTR, "1"),)
    if onednn_gelu_takes_abramowitz_stegun():
        attrs += ((ONEDNN_GELU_ATTR, "abramowitz_stegun"),)
    attrs += ((VML_SQRT_ATTR, vml_sqrt_form()),)
    return ftr.Meta(PRODUCER, program, policy, attrs)


# META attribute: which square root this PyTorch's float32/float64 `sqrt`
# computes (MKL's vector math picks its code by the CPU).
VML_SQRT_ATTR = "vml_sqrt"

# Inputs whose roots tell the forms apart, with the root MKL's AVX-512 code
# gives (an rsqrt14 estimate corrected once: one ulp below the correctly
# rounded root for each of these; measured on torch 2.15).
_SQRT_PROBES_FLOAT32 = ((0x424BEA95, 0x40E47A95), (0x42843D01, 0x41021A15), (0x42A168BE, 0x410FBCB6))
_SQRT_PROBES_FLOAT64 = ((0x40403E18C9A5190A, 0x4016CC5CD7E25495), (0x4056BE3AB731B109, 0x4023136D1B6F5F62))


def vml_sqrt_form() -> str:
    """How `torch.sqrt` rounds here: `rsqrt14` when it gives the root of
    MKL's AVX-512 code for every probe (float32 and float64),
    `correctly_rounded` when it gives the correctly rounded root, `other`
    otherwise (another MKL code path). Run before the capture starts; it
    records nothing."""
    with torch.no_grad():
        f32 = torch.tensor([x for x, _ in _SQRT_PROBES_FLOAT32], dtype=torch.int64).to(torch.int32).view(torch.float32)
        f64 = torch.tensor([x for x, _ in _SQRT_PROBES_FLOAT64], dtype=torch.uint64).view(torch.float64)
        got = torch.sqrt(f32).view(torch.int32).tolist() + torch.sqrt(f64).view(torch.int64).tolist()
    got = [bits & 0xFFFFFFFF for bits in got[: len(f32)]] + [bits & 0xFFFFFFFFFFFFFFFF for bits in got[len(f32) :]]
    mkl = [root for _, root in _SQRT_PROBES_FLOAT32 + _SQRT_PROBES_FLOAT64]
    exact = [_correctly_rounded_f32_root(x) for x, _ in _SQRT_PROBES_FLOAT32]
    exact += [_correctly_rounded_f64_root(x) for x, _ in _SQRT_PROBES_FLOAT64]
    if got == mkl:
        return "rsqrt14"
    return "correctly_rounded" if got == exact else "other"


def _correctly_rounded_f32_root(bits: int) -> int:
    # The float64 root rounded to float32 is the correctly rounded float32
    # root (53 >= 2 * 24 + 2 bits: the double rounding cannot go wrong).
    x = struct.unpack("<f", struct.pack("<I", bits))[0]
    return int(struct.unpack("<I", struct.pack("<f", math.sqrt(x)))[0])


def _correctly_rounded_f64_root(bits: int) -> int:
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return int(struct.unpack("<Q", struct.pack("<d", math.sqrt(x)))[0])


# META attribute: oneDNN's GELU here computes erf by Abramowitz and Stegun.
ONEDNN_GELU_ATTR = "onednn_gelu"

# GELU of -3.0 in float32 bits by oneDNN's two erf forms: the minimax
# polynomial of its AVX-512 kernels and Abramowitz and Stegun's formula of
# its kernels below AVX-512 (measured on torch 2.15).
_GELU_MINUS_3_ABRAMOWITZ_STEGUN = 0xBB84B4C0


def onednn_gelu_takes_abramowitz_stegun() -> bool:
    """Whether PyTorch's float GELU (erf form, contiguous, several
    elements) runs oneDNN's kernel with Abramowitz and Stegun's erf, as
    oneDNN does below AVX-512 (a CPU without it, or `ONEDNN_MAX_CPU_ISA`
    capping it): probed by one GELU of two elements, whose bits tell the
    two forms apart. Run before the capture starts; it records nothing."""
    mkldnn = torch.backends.mkldnn
    if not (mkldnn.is_available() and mkldnn.enabled):
        return False
    with torch.no_grad():
        value = torch.nn.functional.gelu(torch.full((2,), -3.0))[0].item()
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    return bits == _GELU_MINUS_3_ABRAMOWITZ_STEGUN


# META attribute: PyTorch runs float16 convolutions on oneDNN here.
FLOAT16_ONEDNN_ATTR = "float16_conv_onednn"


def float16_convolutions_on_onednn() -> bool:
    """Whether this PyTorch runs float16 convolutions (regular and
    transposed) on oneDNN, which rounds each result once, rather than on its
    own loops (`Slow2d`, `slow_conv_transpose2d`), which round per batch
    sample and per column addition: oneDNN is built in and enabled
    (`torch.backends.mkldnn`) and the CPU has float16 instructions
    (AVX-512-FP16 or AMX-FP16), as ATen's `use_mkldnn` decides."""
    mkldnn = torch.backends.mkldnn
    if not (mkldnn.is_available() and mkldnn.enabled):
        return False
    supported = getattr(torch.ops.mkldnn, "_is_mkldnn_fp16_supported", None)
    return bool(supported is not None and supported())


def warn_if_threads_changed(meta: ftr.Meta) -> None:
    """A program that changes torch's intra-op thread count after META was
    written leaves a trace whose later kernels may have rounded as that
    count splits them; say so, since a replay reproduces META's count."""
    recorded = meta.attr("intra_op_threads")
    now = str(torch.get_num_threads())
    if recorded is not None and recorded != now:
        print(
            f"capture: warning: the program changed torch's intra-op threads from {recorded} to {now}; "
            f"a replay splits thread-dependent kernels (layer norm's weight gradient, bfloat16/float16 "
            f"additions of 32768 elements or more) over {recorded}",
            file=sys.stderr,
        )


def capture_program(
    program: str,
    out: str,
    policy: str = "all",
    timestamps: bool = True,
    argv: Optional[list] = None,
    progress: bool = False,
    writer: Optional[str] = None,
) -> CaptureResult:
    """Records `program` into `out`; the trace is finished unless status is 4.
    `progress`: show a progress line while it runs long, if stderr is a
    terminal. `writer`: `auto`, `native` or `python` (native_writer.py;
    default `FT_CAPTURE_WRITER`)."""
    meta = trace_meta(program, policy)
    file_writer = open_trace_writer(out, meta, writer)
    rec = Recorder(file_writer.writer, policy, timestamps)
    if progress:
        rec.progress = on_terminal(file_writer.writer)

    def abort() -> None:
        try:
            rec.flush()
        except BaseException:
            pass
        file_writer.abort()

    def leave(code: Any) -> int:
        result = finish_at_os_exit(rec, file_writer, code, abort)
        if rec.progress is not None:
            rec.progress.clear()
        report(result, out)
        return result.status

    error: Optional[BaseException] = None
    try:
        try:
            with collector_pinned(), compile_disabled(), torchscript_unoptimised(), Patches(rec, leave), CaptureMode(rec), torch.autograd.graph.node_creation_hook(rec.node_created):
                try:
                    run_program(program, argv or [])
                except SystemExit as e:
                    if e.code not in (None, 0):
                        error = e
                except CaptureError:
                    raise
                except BaseException as e:  # the program raised
                    error = e
        finally:
            if rec.progress is not None:
                rec.progress.clear()
        if not rec.owns_process():
            return CaptureResult(child_status(error), forked_child=True)
        if rec.failure is not None:
            raise CaptureError(rec.failure)
        rec.hooks.release_kept()
        if error is not None:
            if not isinstance(error, SystemExit):
                traceback.print_exception(error)
            rec.program_error(format_program_error(error))
        rec.flush()
        file_writer.finish()
        warn_if_threads_changed(meta)
    except CaptureError as e:
        abort()
        return CaptureResult(EXIT_INCONSISTENT, str(e))
    if error is not None:
        return CaptureResult(EXIT_PROGRAM_ERROR, format_program_error(error), program_ending(error))
    return CaptureResult(EXIT_OK)


class capture:  # lower case: it reads as a function, `with capture(...)`
    """Records the code inside a `with` block of the running process:

        import ft_capture
        with ft_capture.capture("out.ftr", values="all"):
            loss = model(x).sum()
            loss.backward()

    `values` is the value policy (`all`, `inputs`, `none`);
    `zero_timestamps` writes ts=0 so that two captures are byte-identical;
    `program` is the META program name (default: `sys.argv[0]`). Tensors
    made before the block are introduced (api `tensor`, with their values)
    when an operator inside first names them. The block runs on the thread
    that entered it, as a program does under the command line.

    On a normal exit the trace is finished (`result.status` 0). When the
    block raises, the trace is finished with a last `program_error` event
    (status 3) and the exception goes on. When the capture itself fails
    (an unsupported feature, an inconsistency: status 4) the trace is left
    as `OUT.partial` and `CaptureError` is raised. `result` is the
    `CaptureResult` once the block has ended.
    """

    def __init__(self, out: str, values: str = "all", zero_timestamps: bool = False, program: Optional[str] = None) -> None:
        if values not in ftr.VALUE_POLICIES:
            raise ValueError(f"values must be one of {', '.join(ftr.VALUE_POLICIES)}, not {values!r}")
        self.out = os.fspath(out)
        self.values = values
        self.timestamps = not zero_timestamps
        self.program = program if program is not None else (sys.argv[0] or "<python>")
        self.result: Optional[CaptureResult] = None
        self._stack: Optional[contextlib.ExitStack] = None
        self._rec: Optional[Recorder] = None
        self._file: Optional[AnyFileTraceWriter] = None
        self._meta: Optional[ftr.Meta] = None

    def __enter__(self) -> "capture":
        if self._stack is not None:
            raise RuntimeError("a capture records one block")
        meta = self._meta = trace_meta(self.program, self.values)
        file_writer = open_trace_writer(self.out, meta)
        rec = Recorder(file_writer.writer, self.values, self.timestamps)
        self._file, self._rec = file_writer, rec
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(collector_pinned())
            stack.enter_context(compile_disabled())
            stack.enter_context(torchscript_unoptimised())
            stack.enter_context(Patches(rec, self._os_exit))
            stack.enter_context(CaptureMode(rec))
            stack.enter_context(torch.autograd.graph.node_creation_hook(rec.node_created))
        except BaseException:
            stack.close()
            file_writer.abort()
            raise
        self._stack = stack
        return self

    def _abort(self) -> None:
        assert self._rec is not None and self._file is not None
        try:
            self._rec.flush()
        except BaseException:
            pass
        self._file.abort()

    def _os_exit(self, code: Any) -> int:
        assert self._rec is not None and self._file is not None
        result = finish_at_os_exit(self._rec, self._file, code, self._abort)
        report(result, self.out)
        self.result = result
        return result.status

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        assert self._stack is not None and self._rec is not None and self._file is not None
        rec, file_writer = self._rec, self._file
        self._stack.close()
        if not rec.owns_process():
            return
        error = exc
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            error = None
        try:
            if rec.failure is not None:
                raise CaptureError(rec.failure)
            if isinstance(exc, CaptureError):
                raise exc
            rec.hooks.release_kept()
            if error is not None:
                rec.program_error(format_program_error(error))
            rec.flush()
            file_writer.finish()
            if self._meta is not None:
                warn_if_threads_changed(self._meta)
        except CaptureError as e:
            self._abort()
            self.result = CaptureResult(EXIT_INCONSISTENT, str(e))
            if e is exc:
                return
            raise e from exc
        if error is not None:
            self.result = CaptureResult(EXIT_PROGRAM_ERROR, format_program_error(error), program_ending(error))
        else:
            self.result = CaptureResult(EXIT_OK)
