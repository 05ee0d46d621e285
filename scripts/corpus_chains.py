#!/usr/bin/env python3
"""The per-op keyset/chain table of docs/CAPTURE.md §7, from the goldens.

    python scripts/corpus_chains.py            # print the table
    python scripts/corpus_chains.py --write    # replace it in docs/CAPTURE.md

Reads the golden of every corpus program (`traces/programs/NAME.py` ->
`traces/NAME.torch.ftr`) and lists each distinct (op, keyset, chain) the
corpus records, with where it was called (`top level`, `backward()` for the
implicit `ones_like`, `node` inside backward formulas). `--write` puts the
table between the `corpus-chains` markers of docs/CAPTURE.md;
`scripts/tests/test_capture.py` checks that the documented rows equal what a
fresh capture of the corpus records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ftr  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "CAPTURE.md"
BEGIN = "<!-- corpus-chains:begin -->"
END = "<!-- corpus-chains:end -->"
WHERE = {ftr.CTX_TOP_LEVEL: "top level", ftr.CTX_BACKWARD: "backward()", ftr.CTX_NODE: "node"}
HEADER = "| op | keyset (highest first) | chain | where |\n|---|---|---|---|"


def goldens() -> list:
    """The golden of each corpus program, in name order."""
    programs = sorted((REPO / "traces" / "programs").glob("*.py"))
    return [REPO / "traces" / f"{p.stem}.torch.ftr" for p in programs]


def chains(paths: list) -> dict:
    """(op, keyset, chain) -> set of places, over the op events of the traces."""
    rows: dict = {}
    for path in paths:
        for e in ftr.TraceReader(str(path)).events:
            if e.name != "op":
                continue
            op, keyset, chain, ctx = e.payload[0], e.payload[1], e.payload[2], e.payload[5]
            row = (op, ", ".join(keyset), " → ".join(f"{k}[{h}]" for k, h in chain))
            rows.setdefault(row, set()).add(WHERE[ctx[0]])
    return rows


def table(rows: dict) -> str:
    """The markdown table, one line per row, sorted."""
    lines = [HEADER]
    for (op, keyset, chain), where in sorted(rows.items()):
        lines.append(f"| `{op}` | {keyset} | {chain} | {', '.join(sorted(where))} |")
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    """Replaces the table between the markers of docs/CAPTURE.md."""
    doc = DOC.read_text()
    head, sep, rest = doc.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"{DOC}: the {BEGIN} / {END} markers are missing")
    DOC.write_text(f"{head}{BEGIN}\n{text}{END}{tail}")


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in docs/CAPTURE.md")
    args = parser.parse_args(argv)
    text = table(chains(goldens()))
    if args.write:
        write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
