"""List PyTorch's `out=` overloads the runtime could run but does not register.

Run with the project's venv:
    ~/.cache/ft-trace/venv-*/bin/python runtime/tools/out_overloads.py [--yaml]

An `out=` overload (`cat.out`, `sum.IntList_out`, `max.dim_max`) needs no
kernel of its own in ft-runtime: `kernels/out_variant.rs` runs the
functional overload whose arguments are the `out=` overload's minus its
`out` tensors, and writes the results into them. This tool walks every
`aten` overload torch knows, keeps the `out=` ones whose functional overload
is registered in `runtime/src/dispatch/native_functions/*.yaml` and which
are not registered themselves, and prints them with the `dispatch:` line
PyTorch's own dispatch table gives them (`torch._C._dispatch_has_kernel_for_dispatch_key`):

* a CompositeImplicitAutograd `out=` overload is skipped: PyTorch decomposes
  it, so a trace shows its parts, not it; under `inference_mode` it is seen
  whole, and `--composite` lists those whose functional overload is a
  registered composite instead (`composite_out.yaml`, run by
  `runtime/decompose/composite_out.rs`);
* an overload whose `out` is a list of tensors (`_foreach_*.out`) is
  skipped: the generic kernel writes single tensors.

With `--yaml` it prints `native_functions` entries (`- func:` and
`dispatch:` lines) instead of the summary; `out.yaml` was made that way.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import torch
from torch._C import _dispatch_has_kernel_for_dispatch_key as has_kernel

ROOT = pathlib.Path(__file__).resolve().parents[1]
YAML_DIR = ROOT / "src" / "dispatch" / "native_functions"
FUNC = re.compile(r"- func: ([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?\(")


def registered() -> set:
    """(name, overload) of every operator the runtime registers."""
    names = set()
    for path in sorted(YAML_DIR.glob("*.yaml")):
        for line in path.read_text().splitlines():
            m = FUNC.match(line)
            if m:
                names.add((m.group(1), m.group(2) or ""))
    return names


def writes(arg) -> bool:
    return arg.alias_info is not None and arg.alias_info.is_write


def out_arguments(schema) -> list:
    return [a for a in schema.arguments if writes(a) and a.kwarg_only]


def functional_of(packet, schema, known: set):
    """The registered functional overload `schema` writes the results of."""
    outs = out_arguments(schema)
    inputs = [a for a in schema.arguments if a not in outs]
    for overload in packet.overloads():
        other = getattr(packet, overload)._schema
        key = (other.name.split("::")[1], other.overload_name)
        if key not in known or any(writes(a) for a in other.arguments):
            continue
        if len(other.returns) != len(outs) or len(other.arguments) != len(inputs):
            continue
        if all(a.name == b.name and str(a.type) == str(b.type) for a, b in zip(other.arguments, inputs)):
            return key
    return None


def dispatch_line(qualified: str, composite: bool) -> str | None:
    """The `dispatch:` line for the overload, or None to skip it."""
    if has_kernel(qualified, "CompositeImplicitAutograd"):
        return "CompositeImplicitAutograd" if composite else None
    if composite:
        return None
    if has_kernel(qualified, "CompositeExplicitAutograd"):
        return "CompositeExplicitAutograd"
    if has_kernel(qualified, "CompositeExplicitAutogradNonFunctional"):
        return "CompositeExplicitAutogradNonFunctional"
    if has_kernel(qualified, "CPU"):
        return "CPU, Meta" if has_kernel(qualified, "Meta") else "CPU"
    return None


def candidates(composite: bool) -> list:
    known = registered()
    found = []
    for name in dir(torch.ops.aten):
        try:
            packet = getattr(torch.ops.aten, name)
            overloads = packet.overloads()
        except (AttributeError, RuntimeError):
            continue
        for overload in overloads:
            schema = getattr(packet, overload)._schema
            outs = out_arguments(schema)
            key = (schema.name.split("::")[1], schema.overload_name)
            if not outs or key in known or any(str(a.type) != "Tensor" for a in outs):
                continue
            functional = functional_of(packet, schema, known)
            if functional is None:
                continue
            qualified = schema.name + (f".{schema.overload_name}" if schema.overload_name else "")
            line = dispatch_line(qualified, composite)
            if line is not None:
                found.append((str(schema).removeprefix("aten::"), line, functional))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaml", action="store_true", help="print native_functions entries")
    parser.add_argument(
        "--composite", action="store_true", help="CompositeImplicitAutograd out= overloads instead"
    )
    args = parser.parse_args()
    found = candidates(args.composite)
    for schema, line, (name, overload) in found:
        if args.yaml:
            print(f"- func: {schema}\n  dispatch: {line}")
        else:
            print(f"{schema}  [{line}]  <- {name}{'.' + overload if overload else ''}")
    print(f"{len(found)} out= overloads", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
