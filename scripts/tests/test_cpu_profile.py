"""The capturing CPU in META, and replays that reproduce it.

Some of PyTorch's CPU kernels round as the machine makes them: layer norm's
weight gradient sums per intra-op thread, and a bfloat16/float16 `add` with
an alpha rounds the product before the sum in its scalar loop, which takes
the remainder of each thread's part on AVX2 and AVX-512 and every element
without vector kernels; float32 softmax and log-softmax add their
exponentials in 8 vector lanes on AVX2 and 16 on AVX-512; oneDNN's GELU
takes Abramowitz and Stegun's erf below AVX-512. The capture records
`cpu_capability`, `intra_op_threads` and `onednn_gelu` in META; a replay
reproduces them. Each program is captured in a subprocess under another
thread count or kernel set than this machine's default (`OMP_NUM_THREADS`,
`ATEN_CPU_CAPABILITY`, `ONEDNN_MAX_CPU_ISA`) and replayed anchored with zero
tolerance for the dtype of those results (bit for bit), or with the default
tolerances where the forms differ beyond them. The same trace with its META
attribute changed must fail, so the attribute is what the replay used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

import ft_capture
import ftr
from conftest import REPO, SCRIPTS, program_path, rewrite
from ft_capture.session import vml_sqrt_form

# The dtypes each program's CPU-dependent results have, judged bit for bit
# (its other values, e.g. float32 `sin` under other vector kernels, keep
# their tolerance).
EXACT = {
    "layer_norm_rows": ["--tol", "float32=0,0"],
    "bf16_large_updates": ["--tol", "bfloat16=0,0", "--tol", "float16=0,0"],
    "softmax_lanes": ["--tol", "float32=0,0"],
    "log_softmax_lanes": ["--tol", "float32=0,0"],
    # oneDNN's GELU forms differ far from zero only at the overflow edge
    # (inf against a finite value): default tolerances tell them apart
    "gelu_onednn_paths": [],
}


def capture(tmp_path, name: str, **env: str):
    out = tmp_path / f"{name}.ftr"
    run = subprocess.run(
        [sys.executable, str(SCRIPTS / "capture_torch.py"), program_path(name), "-o", str(out), "--zero-timestamps"],
        cwd=REPO,
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return out, run


def with_attr(src, dst, key: str, value: str):
    """`src` rewritten with META attribute `key` set to `value`."""
    attrs = [(k, value if k == key else v) for k, v in ftr.TraceReader(str(src)).meta.attrs]
    rewrite(src, dst, attrs=attrs)
    return dst


def replay(ft_replay: str, trace, name: str) -> subprocess.CompletedProcess:
    argv = [ft_replay, "--against", str(trace), "--anchor", *EXACT[name]]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)


def test_meta_records_the_capturing_cpu(captures):
    meta = captures.reader("tiny_mlp").meta
    assert meta.attr("cpu_capability") == torch.backends.cpu.get_cpu_capability()
    assert meta.attr("intra_op_threads") == str(torch.get_num_threads())


@pytest.mark.parametrize(
    ("name", "env", "attr", "forged"),
    [
        ("layer_norm_rows", {"OMP_NUM_THREADS": "1"}, "intra_op_threads", "2"),
        ("layer_norm_rows", {}, "intra_op_threads", "1"),
        ("bf16_large_updates", {"OMP_NUM_THREADS": "1"}, "intra_op_threads", "2"),
        ("bf16_large_updates", {"ATEN_CPU_CAPABILITY": "default"}, "cpu_capability", "AVX2"),
        ("bf16_large_updates", {"ATEN_CPU_CAPABILITY": "avx2"}, "cpu_capability", "DEFAULT"),
        # float32 (log-)softmax sums in 8 vector lanes on AVX2, 16 on AVX-512
        ("softmax_lanes", {"ATEN_CPU_CAPABILITY": "avx2"}, "cpu_capability", "AVX512"),
        ("log_softmax_lanes", {"ATEN_CPU_CAPABILITY": "avx2"}, "cpu_capability", "AVX512"),
        # oneDNN below AVX-512 takes Abramowitz and Stegun's erf for GELU
        ("gelu_onednn_paths", {"ONEDNN_MAX_CPU_ISA": "AVX2"}, "onednn_gelu", "minimax"),
    ],
)
def test_a_replay_reproduces_the_capturing_cpu(ft_replay, tmp_path, name, env, attr, forged):
    trace, _ = capture(tmp_path, name, **env)
    meta = ftr.TraceReader(str(trace)).meta
    if "OMP_NUM_THREADS" in env:
        assert meta.attr("intra_op_threads") == env["OMP_NUM_THREADS"]
    if "ATEN_CPU_CAPABILITY" in env:
        assert meta.attr("cpu_capability") == env["ATEN_CPU_CAPABILITY"].upper()
    if "ONEDNN_MAX_CPU_ISA" in env:
        assert meta.attr("onednn_gelu") == "abramowitz_stegun"
    exact = replay(ft_replay, trace, name)
    assert exact.returncode == 0, exact.stdout + exact.stderr
    lying = replay(ft_replay, with_attr(trace, tmp_path / "forged.ftr", attr, forged), name)
    assert lying.returncode == 3, lying.stdout + lying.stderr
    assert "out of tolerance" in lying.stdout


def test_a_malformed_attribute_is_refused_in_one_line(ft_replay, tmp_path):
    trace, _ = capture(tmp_path, "layer_norm_rows")
    bad = with_attr(trace, tmp_path / "bad.ftr", "intra_op_threads", "many")
    run = subprocess.run([ft_replay, "--against", str(bad)], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and run.returncode != 3
    line = run.stderr.strip()
    assert "\n" not in line, line
    assert "offset 16" in line and 'intra_op_threads is "many"' in line, line


def test_a_program_changing_the_thread_count_is_warned_about(tmp_path):
    _, run = capture(tmp_path, "changes_threads")
    assert "changed torch's intra-op threads from" in run.stderr
    assert "to 1" in run.stderr


def test_meta_says_float16_convolutions_ran_on_onednn_exactly_where_they_did(captures, monkeypatch):
    """Written only on a CPU whose PyTorch runs float16 convolutions on
    oneDNN (AVX-512-FP16 or AMX-FP16); absent, the replay takes PyTorch's
    own float16 loops."""
    meta = captures.reader("tiny_mlp").meta
    here = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_fp16_supported()
    assert meta.attr("float16_conv_onednn") == ("1" if here else None)
    for supported, expected in ((True, "1"), (False, None)):
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_fp16_supported", lambda supported=supported: supported)
        assert ft_capture.trace_meta("p.py", "all").attr("float16_conv_onednn") == expected
    with torch.backends.mkldnn.flags(enabled=False):
        assert ft_capture.trace_meta("p.py", "all").attr("float16_conv_onednn") is None


def test_a_replay_follows_where_float16_convolutions_ran(ft_replay, tmp_path):
    """The golden float16 CNN ran its convolutions on PyTorch's own loops;
    the same trace claiming oneDNN (one rounding per result) fails anchored,
    at a convolution, so the attribute is what the replay used."""
    golden = REPO / "traces" / "half_conv_training.torch.ftr"
    assert ftr.TraceReader(str(golden)).meta.attr("float16_conv_onednn") is None
    attrs = [*ftr.TraceReader(str(golden)).meta.attrs, ("float16_conv_onednn", "1")]
    forged = tmp_path / "onednn.ftr"
    rewrite(golden, forged, attrs=attrs)
    argv = [ft_replay, "--against", str(forged), "--anchor"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "aten.convolution" in run.stdout
    exact = subprocess.run([ft_replay, "--against", str(golden), "--anchor"], capture_output=True, text=True, timeout=600)
    assert exact.returncode == 0, exact.stdout + exact.stderr


def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f " in f.read()
    except OSError:
        return False


def test_meta_names_the_square_root_pytorch_computes(tmp_path):
    """`vml_sqrt` is what `torch.sqrt` gave on the probe inputs: MKL's
    AVX-512 root here, the correctly rounded one from MKL's AVX2 code."""
    form = vml_sqrt_form()
    assert form in ("rsqrt14", "correctly_rounded", "other")
    assert ft_capture.trace_meta("p.py", "all").attr("vml_sqrt") == form
    if not torch.backends.mkl.is_available():
        return
    trace, _ = capture(tmp_path, "tiny_mlp", MKL_ENABLE_INSTRUCTIONS="AVX2")
    assert ftr.TraceReader(str(trace)).meta.attr("vml_sqrt") == "correctly_rounded"


def _inexact_sqrt_ops(ft_replay: str, trace) -> dict:
    run = subprocess.run([ft_replay, "--against", str(trace), "--anchor", "--format", "json"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    inexact = json.loads(run.stdout)["values"].get("inexact") or {}
    return {op: found["tensors"] for op, found in inexact.items() if "sqrt" in op}


def test_a_replay_follows_the_square_root_in_meta(ft_replay, tmp_path):
    """The golden's float32/float64 roots (Adam's `_foreach_sqrt`,
    RMSprop's and an RMS norm's `sqrt`) are MKL's AVX-512 ones, bit for bit;
    the same trace claiming correctly rounded roots lists them inexact, so
    the attribute is what the replay used."""
    golden = REPO / "traces" / "adaptive_optimizer_roots.torch.ftr"
    assert ftr.TraceReader(str(golden)).meta.attr("vml_sqrt") == "rsqrt14"
    if _has_avx512():
        # the estimate MKL starts from is the CPU's own instruction
        assert _inexact_sqrt_ops(ft_replay, golden) == {}
    forged = with_attr(golden, tmp_path / "correctly_rounded.ftr", "vml_sqrt", "correctly_rounded")
    listed = _inexact_sqrt_ops(ft_replay, forged)
    assert listed.get("aten.sqrt.default") and listed.get("aten._foreach_sqrt.default"), listed
