"""Tensors without memory are read without touching memory: an efficient
zero tensor (`aten._efficientzerotensor`, which SgnBackward0 returns for a
real input) has sizes and a null data pointer. Reading its bytes by
address crashed the capture (a segmentation fault, the trace left as
`.partial`); its value is recorded as the zeros it stands for."""

from __future__ import annotations

import struct

import ftr
from conftest import ops, run_cli

PROGRAM = """
import torch
torch.manual_seed(0)
x = torch.randn(4, 3, requires_grad=True)
(torch.sgn(x) + 2 * x).sum().backward()
print(x.grad.tolist())
"""


def test_an_efficient_zero_tensor_is_recorded_as_zeros(tmp_path):
    program = tmp_path / "sgn_real.py"
    program.write_text(PROGRAM)
    out = tmp_path / "sgn_real.ftr"
    done = run_cli(str(program), "-o", str(out), "--values", "all")
    assert done.returncode == 0, done.stderr[-2000:]
    reader = ftr.TraceReader(str(out))
    zero_ops = [p for p in ops(reader) if p[0] == "aten._efficientzerotensor.default"]
    assert zero_ops, "SgnBackward0 made no efficient zero tensor"
    for payload in zero_ops:
        # Outputs are tagged values: [tag, tensor reference]; the
        # reference's 10th element is the value's digest.
        blob = reader.blob(payload[4][0][1][9])
        assert blob is not None and blob.dtype == "float32"
        assert struct.unpack(f"<{len(blob.data) // 4}f", blob.data) == (0.0,) * 12
