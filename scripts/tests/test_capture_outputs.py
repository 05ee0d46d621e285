"""The capture's `-o` never destroys its input or a special file: the trace
is renamed into place at the end, which would replace whatever the path
names. Refused with a usage error (exit 2) and one line saying why."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import SCRIPTS

PROGRAM = "import torch\nx = torch.ones(2) * 2\n"


def capture(program, output):
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "capture_torch.py"), str(program), "-o", str(output)],
        capture_output=True,
        text=True,
    )


def test_output_equal_to_the_program_is_refused(tmp_path):
    program = tmp_path / "p.py"
    program.write_text(PROGRAM)
    for output in (program, tmp_path / "." / "p.py"):
        run = capture(program, output)
        assert run.returncode == 2, run.stderr
        assert "is the program being recorded" in run.stderr
        assert program.read_text() == PROGRAM


def test_output_linked_to_the_program_is_refused(tmp_path):
    program = tmp_path / "p.py"
    program.write_text(PROGRAM)
    link = tmp_path / "trace.ftr"
    os.symlink(program, link)
    run = capture(program, link)
    assert run.returncode == 2, run.stderr
    assert program.read_text() == PROGRAM


def test_special_files_are_not_replaced(tmp_path):
    program = tmp_path / "p.py"
    program.write_text(PROGRAM)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    directory = tmp_path / "dir"
    directory.mkdir()
    for output in (fifo, directory, "/dev/null"):
        run = capture(program, output)
        assert run.returncode == 2, (output, run.stderr)
        assert "is not a regular file" in run.stderr, run.stderr
    assert fifo.is_fifo() and directory.is_dir()


def test_a_regular_output_is_written(tmp_path):
    program = tmp_path / "p.py"
    program.write_text(PROGRAM)
    run = capture(program, tmp_path / "p.ftr")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "p.ftr").stat().st_size > 0
