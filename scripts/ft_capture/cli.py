"""The command line of `scripts/capture_torch.py`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

import ftr

from .errors import EXIT_USAGE
from .native_writer import WRITER_CHOICES, NativeWriterUnavailable
from .session import capture_program, report


def parse_args(argv: list) -> argparse.Namespace:
    """Command line; arguments after `--` go to the program."""
    program_args: list = []
    if "--" in argv:
        cut = argv.index("--")
        argv, program_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(
        prog="capture_torch.py",
        description="Record a PyTorch program as a FrankenTorch trace (.ftr).",
        epilog="Exit status: 0 recorded (also a program ending with os._exit(0)); 2 usage error; "
        "3 the program raised, called sys.exit(n) or os._exit(n) with n not 0 (trace finished, "
        "last event program_error); 4 internal inconsistency or unsupported feature "
        "(trace left as OUT.partial).",
    )
    parser.add_argument("program", help="the PyTorch script to run (as __main__)")
    parser.add_argument("-o", "--output", required=True, help="trace file to write")
    parser.add_argument("--values", choices=ftr.VALUE_POLICIES, default="all", help="which tensor values to store (default: all)")
    parser.add_argument("--zero-timestamps", action="store_true", help="write ts=0 so two captures are byte-identical")
    parser.add_argument(
        "--writer",
        choices=WRITER_CHOICES,
        default=None,
        help="trace writer: the compiled one (native: crate tracer/ffi, built by cargo build --release -p ft-trace-ffi), "
        "the Python one, or auto (native when built; default, or the FT_CAPTURE_WRITER environment variable); "
        "both write the same bytes",
    )
    args = parser.parse_args(argv)
    if not os.path.isfile(args.program):
        parser.error(f"program not found: {args.program}")
    problem = output_problem(args.output, args.program)
    if problem is not None:
        parser.error(problem)
    args.program_args = program_args
    return args


def output_problem(output: str, program: str) -> Optional[str]:
    """Why `output` must not be written (None when it may): the trace would
    replace the program it records, or an existing file that is not a regular
    file (a device such as /dev/null, a FIFO, a directory; a link to one) —
    the trace is renamed into place, which would replace the special file."""
    for target in (output, ftr.partial_path(output)):
        if os.path.lexists(target) and os.path.exists(program) and os.path.exists(target) and os.path.samefile(target, program):
            return f"output {target} is the program being recorded"
        if os.path.lexists(target) and not os.path.isfile(target):
            return f"output {target} exists and is not a regular file"
    return None


def main(argv: Optional[list] = None) -> int:
    """CLI entry point; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = capture_program(
            args.program, args.output, args.values, not args.zero_timestamps, args.program_args, progress=True, writer=args.writer
        )
    except NativeWriterUnavailable as e:
        print(f"capture_torch.py: error: the native trace writer cannot be used: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"capture_torch.py: error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    report(result, args.output)
    return result.status
