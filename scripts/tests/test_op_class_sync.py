"""The capture's operator classes agree with ft-trace's (tracer/src/op_class.rs).

Which outputs carry values is a format rule (docs/FORMAT.md §3.1) that the
Python capture and the Rust runtime must apply identically, or the same
program records different value digests on the two sides.
"""

from __future__ import annotations

import re

import ft_capture
from conftest import REPO


def rust_list(name: str) -> frozenset:
    source = (REPO / "tracer" / "src" / "op_class.rs").read_text()
    match = re.search(rf"pub const {name}: &\[&str\] = &\[(.*?)\];", source, re.S)
    assert match, f"{name} not found in tracer/src/op_class.rs"
    return frozenset(re.findall(r'"([^"]+)"', match.group(1)))


def test_uninitialized_ops_agree():
    assert ft_capture.EMPTY_OPS == rust_list("UNINITIALIZED_OPS")


def test_random_ops_agree():
    assert ft_capture.RANDOM_OPS == rust_list("RANDOM_OPS")


def test_opaque_outputs_agree():
    source = (REPO / "tracer" / "src" / "op_class.rs").read_text()
    match = re.search(r"pub const OPAQUE_OUTPUTS: &\[\(&str, usize, &str\)\] = &\[(.*?)\];", source, re.S)
    assert match, "OPAQUE_OUTPUTS not found in tracer/src/op_class.rs"
    rows = re.findall(r'\(\s*"([^"]+)",\s*(\d+),\s*"([^"]+)",?\s*\)', match.group(1))
    assert {(name, int(i)): reason for name, i, reason in rows} == ft_capture.OPAQUE_OUTPUTS
