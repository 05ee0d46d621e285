"""A one-line progress report for long captures, on a terminal only.

The line appears once a capture has run for two seconds and is rewritten at
most twice a second (`\\r`, erase to the end of the line); it is erased before
the capture prints anything else or ends. Nothing is written when stderr is
not a terminal (a file, a pipe, CI logs).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Optional

# Events between two looks at the clock.
EVERY = 1024
DELAY_NS = 2_000_000_000
PERIOD_NS = 500_000_000


class Progress:
    """Shows the events and bytes a capture has written so far."""

    def __init__(self, stream: Any, writer: Any) -> None:
        self._stream = stream
        self._writer = writer
        self._start = time.monotonic_ns()
        self._last = self._start
        self._shown = False

    def tick(self) -> None:
        """Called every `EVERY` events."""
        now = time.monotonic_ns()
        if now - self._start < DELAY_NS or now - self._last < PERIOD_NS:
            return
        self._last = now
        self._shown = True
        events = self._writer.next_seq
        # The compiled writer tells what its thread has written without
        # waiting for it; the Python writer writes as it goes.
        written = getattr(self._writer, "written", None)
        megabytes = (self._writer.offset if written is None else written) / 1e6
        seconds = (now - self._start) / 1e9
        self._stream.write(f"\r\x1b[Kcapture_torch.py: {events} events, {megabytes:.1f} MB, {seconds:.0f} s")
        self._stream.flush()

    def clear(self) -> None:
        """Erases the line, if it was shown."""
        if self._shown:
            self._shown = False
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def on_terminal(writer: Any, stream: Optional[Any] = None) -> Optional[Progress]:
    """A `Progress` on `stream` (stderr) when it is a terminal, else None."""
    stream = sys.stderr if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Progress(stream, writer) if tty else None
