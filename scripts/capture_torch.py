#!/usr/bin/env python3
"""Record an ordinary PyTorch program as a FrankenTorch trace (`.ftr`).

    python scripts/capture_torch.py PROGRAM.py -o OUT.ftr \
        [--values all|inputs|none] [--zero-timestamps] [-- PROGRAM ARGS...]

The program runs unmodified (`runpy`, `__name__ == "__main__"`, `sys.argv`
set to the program) under the capture of the `ft_capture` package beside
this script, which also offers the capture as a library
(`with ft_capture.capture("out.ftr"): ...`). `docs/CAPTURE.md` states every
rule.

Exit status: 0 recorded; 2 usage error; 3 the program raised (the trace is
finished and ends with an api `program_error` event); 4 the capture found an
internal inconsistency or an unsupported feature (the trace is left as
`OUT.ftr.partial`).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ft_capture.cli import main  # noqa: E402  (the package lives beside this script)

if __name__ == "__main__":
    sys.exit(main())
