"""Value tag 11 (format 2.2): Python complex numbers in operator calls.

PyTorch's complex backward formulas pass `1j` as a Scalar (PolarBackward0's
`result * 1j`, AngleBackward0's `... * 1j`), and programs multiply by
complex numbers (`z * (0.5 - 0.25j)`). The capture records them as
`[11, [re, im]]`; a file holding one says minor 2, one without says what it
said before; a reader refuses a malformed payload naming `value.complex`.
"""

from __future__ import annotations

import pytest

import ftr
from ft_capture.values import typed_scalar_value


def write(path, value) -> None:
    fw = ftr.FileTraceWriter(str(path), ftr.Meta("t", "p", "none", ()))
    fw.writer.append(ftr.API, ftr.API_MANUAL_SEED, ftr.p_manual_seed(1))
    assert fw.writer.minor_version == 0
    args = [["self", ftr.v_int(2)], ["other", value]]
    fw.writer.append(ftr.DISPATCH, ftr.DISPATCH_OP, ftr.p_op("aten.mul.Scalar", ["CPU"], [["CPU", "kernel"]], args, [ftr.v_none()], ftr.context(ftr.CTX_TOP_LEVEL)))
    fw.finish()


def test_a_python_complex_is_recorded_as_tag_11():
    assert typed_scalar_value(1j, "Scalar") == [ftr.TAG_COMPLEX, [0.0, 1.0]]
    assert typed_scalar_value(complex(0.5, -0.25), "Tensor") == [11, [0.5, -0.25]]


def test_a_complex_value_raises_the_minor_and_reads_back(tmp_path):
    path = tmp_path / "c.ftr"
    write(path, ftr.v_complex(1j))
    reader = ftr.TraceReader(str(path))
    assert reader.version == (2, ftr.COMPLEX_VALUE_MINOR) == (2, 2)
    op = next(e for e in reader.events if e.name == "op")
    assert op.payload[3][1] == ["other", [11, [0.0, 1.0]]]
    # the same call with a float keeps the file at 2.0
    plain = tmp_path / "f.ftr"
    write(plain, ftr.v_float(1.0))
    assert ftr.TraceReader(str(plain)).version == (2, 0)


def test_a_complex_value_under_a_2_1_header_is_refused(tmp_path):
    path = tmp_path / "c.ftr"
    write(path, ftr.v_complex(1j))
    data = bytearray(path.read_bytes())
    data[10:12] = b"\x01\x00"
    path.write_bytes(bytes(data))
    with pytest.raises(ftr.TraceError, match="minor version 1.*exactly 2"):
        ftr.TraceReader(str(path))


@pytest.mark.parametrize("payload", [[0.0], [0.0, 1.0, 2.0], "1j", [0, 1]])
def test_a_malformed_complex_value_is_refused_naming_the_field(tmp_path, payload):
    path = tmp_path / "bad.ftr"
    write(path, [ftr.TAG_COMPLEX, payload])
    with pytest.raises(ftr.TraceError) as refused:
        ftr.TraceReader(str(path))
    message = str(refused.value)
    assert "value.complex" in message and "\n" not in message


def test_a_no_grad_view_whose_base_changed_is_read_as_no_node(tmp_path):
    # A single-tensor AdamW step on a complex parameter makes a
    # `view_as_complex` under no_grad and then updates its base in place;
    # PyTorch raises on reading that view's grad_fn, which the capture does
    # at the next boundary.
    import torch

    import ft_capture

    out = tmp_path / "complex_amsgrad.ftr"
    w = torch.nn.Parameter(torch.tensor([1.0 + 2.0j, -0.5 + 0.25j]))
    with ft_capture.capture(str(out), zero_timestamps=True):
        opt = torch.optim.AdamW([w], lr=0.1, foreach=False, amsgrad=True)
        for _ in range(2):
            loss = (w * w.conj()).real.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    names = [e.payload[0] for e in ftr.TraceReader(str(out)).events if e.name == "op"]
    assert "aten.view_as_complex.default" in names
