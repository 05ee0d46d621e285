"""Inventory of what a set of `.ftr` traces asks of a runtime.

For each trace: every distinct dispatched op overload (all contexts: top
level, inside backward() before the first node, inside a node), with its
count, the dtypes of its tensor arguments and outputs, the context(s) it ran
in and, for ops run inside a node, that node's name; every autograd node name
(with count); every api event kind (with count). Then the union over all
traces, each op marked known/unknown to the FrankenTorch runtime and sorted
into a family.

The runtime's known ops are read (read-only) from its sources: the match arms
of `lookup` in runtime/src/kernels/mod.rs and of the per-family lookups it
delegates to (`core(op)`, `elementwise::lookup(op)`, ...), plus the
CompositeImplicitAutograd entries of runtime/src/dispatch/native_functions.yaml
or native_functions/*.yaml (`linear`: decomposed, it has no kernel and never
reaches a dispatch mode anyway). Both are parsed when this script runs.

    python traces/pending/inventory.py [TRACE.ftr ...] [--json OUT] [--quiet]

Without traces it reads traces/pending/*.ftr. Writes JSON to
traces/pending/inventory.json unless --json says otherwise.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from collections import Counter, defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import ftr  # noqa: E402

KERNELS_DIR = os.path.join(REPO, "runtime", "src", "kernels")
DISPATCH_DIR = os.path.join(REPO, "runtime", "src", "dispatch")
CONTEXT_NAMES = {ftr.CTX_TOP_LEVEL: "top", ftr.CTX_BACKWARD: "backward", ftr.CTX_NODE: "node"}

# -- the runtime's known ops ------------------------------------------------------


def _fn_body(src: str, name: str) -> str:
    """Body of `fn NAME(` in Rust source (brace matched), or ''."""
    m = re.search(r"\bfn\s+" + re.escape(name) + r"\s*\(", src)
    if m is None:
        return ""
    start = src.index("{", m.end())
    depth = 0
    for i in range(start, len(src)):
        if src[i] == "{":
            depth += 1
        elif src[i] == "}":
            depth -= 1
            if depth == 0:
                return src[start:i + 1]
    return src[start:]


_ARM = re.compile(r'((?:"aten\.[\w.]+"\s*\|\s*)*"aten\.[\w.]+")\s*=>')


def _module_file(path: tuple) -> str:
    """Source file of a module under runtime/src/kernels (`()` is kernels/mod.rs)."""
    if not path:
        return os.path.join(KERNELS_DIR, "mod.rs")
    flat = os.path.join(KERNELS_DIR, *path[:-1], f"{path[-1]}.rs")
    return flat if os.path.exists(flat) else os.path.join(KERNELS_DIR, *path, "mod.rs")


def _resolve(module: tuple, prefix: str) -> tuple:
    """Module path named by `a::b::` (or `super::`, `self::`, `crate::kernels::`) from `module`."""
    parts = [p for p in prefix.split("::") if p]
    path = list(module)
    if parts[:2] == ["crate", "kernels"]:
        path, parts = [], parts[2:]
    for part in parts:
        if part == "super":
            path = path[:-1]
        elif part != "self":
            path.append(part)
    return tuple(path)


def kernel_ops(module: tuple = (), fn: str = "lookup", _seen=None) -> dict:
    """`{op: "file::fn"}` for the match arms of `lookup` in kernels/mod.rs
    and of every lookup it delegates to, followed through the module tree
    (`core(op)` in the same file, `elementwise::lookup(op)`,
    `softmax::lookup(op)` in kernels/nn/softmax.rs, `super::linalg::lookup(op)`)."""
    seen = set() if _seen is None else _seen
    if (module, fn) in seen:
        return {}
    seen.add((module, fn))
    path = _module_file(module)
    if not os.path.exists(path):
        return {}
    src = open(path, encoding="utf-8").read()
    body = _fn_body(src, fn)
    where = f"{os.path.relpath(path, os.path.dirname(KERNELS_DIR))}::{fn}"
    out = {}
    for arm in _ARM.findall(body):
        for op in re.findall(r'"(aten\.[\w.]+)"', arm):
            out.setdefault(op, where)
    for prefix, callee in re.findall(r"\b((?:\w+::)*)(\w+)\(op\)", body):
        if prefix:
            found = kernel_ops(_resolve(module, prefix), callee, seen)
        elif callee != fn and re.search(r"\bfn\s+" + callee + r"\s*\(", src):
            found = kernel_ops(module, callee, seen)
        else:
            continue
        for k, v in found.items():
            out.setdefault(k, v)
    return out


def python_name(func_line: str) -> str:
    """`add.Tensor(Tensor self, ...)` -> `aten.add.Tensor`; no overload -> `.default`."""
    name = func_line.split("(", 1)[0].strip()
    base, _, overload = name.partition(".")
    return f"aten.{base}.{overload or 'default'}"


def yaml_files() -> list:
    """native_functions.yaml, or the per-family native_functions/*.yaml."""
    single = os.path.join(DISPATCH_DIR, "native_functions.yaml")
    if os.path.exists(single):
        return [single]
    return sorted(glob.glob(os.path.join(DISPATCH_DIR, "native_functions", "*.yaml")))


def composite_implicit_ops() -> list:
    """Python names of the yaml's CompositeImplicitAutograd entries."""
    out = []
    for path in yaml_files():
        current = None
        for line in open(path, encoding="utf-8"):
            stripped = line.strip()
            if stripped.startswith("- func:"):
                current = python_name(stripped[len("- func:"):])
            elif stripped.startswith("dispatch:") and current is not None:
                if "CompositeImplicitAutograd" in stripped.split(":", 1)[1]:
                    out.append(current)
                current = None
    return sorted(out)


def known_ops() -> dict:
    """`{op: source}` of every op the runtime knows."""
    known = dict(kernel_ops())
    for op in composite_implicit_ops():
        known.setdefault(op, "native_functions CompositeImplicitAutograd")
    return dict(sorted(known.items()))


# -- families ----------------------------------------------------------------------

FAMILIES = {
    "elementwise": {
        "add", "add_", "sub", "sub_", "rsub", "mul", "mul_", "div", "div_", "neg", "neg_", "pow", "pow_",
        "sqrt", "sqrt_", "rsqrt", "exp", "exp_", "log", "log_", "abs", "clamp", "clamp_", "clamp_min",
        "clamp_max", "addcmul", "addcmul_", "addcdiv", "addcdiv_", "lerp", "lerp_", "reciprocal",
        "floor_divide", "remainder", "bitwise_not", "logical_not", "sign", "sgn", "square", "where",
        "masked_fill", "masked_fill_", "fill_", "zero_", "copy_", "maximum", "minimum", "fmod",
        "clamp_min_", "bitwise_and", "bitwise_or", "logical_and", "logical_and_", "logical_or", "addmv", "hypot",
    },
    "activation": {
        "relu", "relu_", "gelu", "gelu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
        "threshold_backward", "silu", "silu_backward", "softplus", "leaky_relu", "elu", "hardtanh",
        "_softmax", "_softmax_backward_data", "_log_softmax", "_log_softmax_backward_data",
    },
    "comparison": {"eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_xor"},
    "reduction": {
        "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "cumsum", "cumprod",
        "norm", "linalg_vector_norm", "var", "std", "var_mean", "std_mean", "all", "any", "logsumexp",
        "_local_scalar_dense", "count_nonzero",
    },
    "shape/indexing": {
        "view", "_unsafe_view", "reshape", "expand", "t", "transpose", "permute", "unsqueeze", "squeeze",
        "select", "select_backward", "slice", "slice_backward", "split", "split_with_sizes", "chunk",
        "unbind", "cat", "stack", "clone", "contiguous", "detach", "alias", "as_strided", "flatten",
        "index", "index_put", "index_put_", "_index_put_impl_", "index_select", "index_add", "index_add_",
        "gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "masked_select", "masked_scatter",
        "nonzero", "embedding", "embedding_dense_backward", "narrow", "roll", "flip", "repeat", "tril",
        "triu", "diagonal", "unfold", "new_zeros", "_reshape_alias", "lift_fresh", "squeeze_", "unsqueeze_",
        "expand_as", "view_as", "_to_copy", "to",
    },
    "factory": {
        "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
        "ones", "ones_like", "full", "full_like", "new_full", "new_ones", "arange", "linspace", "eye",
        "scalar_tensor", "randn", "rand", "randint", "randperm", "uniform_", "normal_", "bernoulli",
        "bernoulli_", "random_", "exponential_", "tensor", "lift_fresh_copy",
    },
    "matrix": {"mm", "addmm", "bmm", "baddbmm", "matmul", "mv", "dot", "addbmm", "linear", "outer", "einsum"},
    "nn": {
        "convolution", "convolution_backward", "_convolution", "conv2d", "max_pool2d_with_indices",
        "max_pool2d_with_indices_backward", "native_batch_norm", "native_batch_norm_backward",
        "_native_batch_norm_legit", "_native_batch_norm_legit_functional",
        "_native_batch_norm_legit_no_training", "native_layer_norm", "native_layer_norm_backward",
        "native_dropout", "native_dropout_backward", "dropout", "nll_loss_forward", "nll_loss_backward",
        "nll_loss2d_forward", "mse_loss", "mse_loss_backward", "_adaptive_avg_pool2d",
        "_adaptive_avg_pool2d_backward", "adaptive_avg_pool2d", "mean_backward", "avg_pool2d",
        "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention_for_cpu_backward",
        "_scaled_dot_product_attention_math", "cross_entropy_loss", "binary_cross_entropy",
        "embedding_backward", "_fused_dropout",
    },
}


def family(op: str) -> str:
    """Family of an overload (`aten.add_.Tensor` -> elementwise)."""
    parts = op.split(".")
    base = parts[1] if len(parts) >= 2 else op
    if base.startswith("_foreach_"):
        return "foreach"
    for fam, names in FAMILIES.items():
        if base in names:
            return fam
    return "other"


FAMILY_ORDER = ["elementwise", "activation", "comparison", "reduction", "shape/indexing", "factory", "matrix", "nn", "foreach", "other"]

# -- reading traces -----------------------------------------------------------------------


def tensor_refs(value: list):
    """Tensor references inside a value (lists flattened)."""
    tag, payload = value
    if tag == ftr.TAG_TENSOR:
        yield payload
    elif tag == ftr.TAG_LIST:
        for v in payload:
            yield from tensor_refs(v)


def scalar_kinds(value: list):
    """Non-tensor value kinds inside a value, for outputs like `.item()`."""
    tag, payload = value
    if tag == ftr.TAG_LIST:
        for v in payload:
            yield from scalar_kinds(v)
    elif tag in (ftr.TAG_BOOL, ftr.TAG_INT, ftr.TAG_FLOAT):
        yield {ftr.TAG_BOOL: "py:bool", ftr.TAG_INT: "py:int", ftr.TAG_FLOAT: "py:float"}[tag]


def inventory_of(path: str) -> dict:
    """The inventory of one trace."""
    reader = ftr.TraceReader(path)
    ops: dict = {}
    node_names: Counter = Counter()
    node_name_of: dict = {}
    kinds = {name: Counter() for name in ftr.LAYER_NAMES}
    for e in reader.events:
        layer = ftr.LAYER_NAMES[e.layer]
        kinds[layer][e.name] += 1
        if e.name == "node":
            node_id, name = e.payload[0], e.payload[1]
            node_name_of[node_id] = name
            node_names[name] += 1
        elif e.name == "op":
            op, _keyset, _chain, args, outputs, ctx = e.payload
            entry = ops.setdefault(
                op,
                {"count": 0, "in_dtypes": set(), "out_dtypes": set(), "contexts": Counter(), "nodes": set(), "signatures": set()},
            )
            entry["count"] += 1
            ins = [ref[1] for _, v in args for ref in tensor_refs(v)]
            outs = [ref[1] for v in outputs for ref in tensor_refs(v)]
            outs += [k for v in outputs for k in scalar_kinds(v)]  # `.item()` returns a Python number
            entry["in_dtypes"].update(ins)
            entry["out_dtypes"].update(outs)
            entry["signatures"].add(f"({', '.join(ins)}) -> ({', '.join(outs)})")
            entry["contexts"][CONTEXT_NAMES.get(ctx[0], str(ctx[0]))] += 1
            if ctx[0] == ftr.CTX_NODE:
                entry["nodes"].add(node_name_of.get(ctx[1], f"node#{ctx[1]}"))
    return {
        "path": os.path.relpath(path, REPO),
        "size": os.path.getsize(path),
        "events": reader.event_count,
        "blobs": len(reader.blob_entries),
        "ops": {op: _jsonable(entry) for op, entry in sorted(ops.items())},
        "autograd_nodes": dict(sorted(node_names.items())),
        "api_kinds": dict(sorted(kinds["api"].items())),
        "event_kinds": {layer: dict(sorted(c.items())) for layer, c in kinds.items()},
    }


def _jsonable(entry: dict) -> dict:
    return {
        "count": entry["count"],
        "dtypes": sorted(entry["in_dtypes"] | entry["out_dtypes"]),
        "in_dtypes": sorted(entry["in_dtypes"]),
        "out_dtypes": sorted(entry["out_dtypes"]),
        "contexts": dict(sorted(entry["contexts"].items())),
        "nodes": sorted(entry["nodes"]),
        "signatures": sorted(entry["signatures"]),
    }


def union_of(traces: list, known: dict) -> dict:
    """The union over all traces, ops marked known/unknown and given a family."""
    ops: dict = {}
    nodes: dict = defaultdict(lambda: {"count": 0, "traces": []})
    api: dict = defaultdict(lambda: {"count": 0, "traces": []})
    for t in traces:
        name = os.path.basename(t["path"]).removesuffix(".ftr").removesuffix(".torch")
        for op, e in t["ops"].items():
            u = ops.setdefault(
                op,
                {"count": 0, "known": op in known, "family": family(op), "dtypes": set(), "in_dtypes": set(),
                 "out_dtypes": set(), "contexts": Counter(), "nodes": set(), "signatures": set(), "traces": []},
            )
            u["count"] += e["count"]
            for k in ("dtypes", "in_dtypes", "out_dtypes", "nodes", "signatures"):
                u[k].update(e[k])
            u["contexts"].update(e["contexts"])
            u["traces"].append(name)
        for n, c in t["autograd_nodes"].items():
            nodes[n]["count"] += c
            nodes[n]["traces"].append(name)
        for k, c in t["api_kinds"].items():
            api[k]["count"] += c
            api[k]["traces"].append(name)
    for u in ops.values():
        for k in ("dtypes", "in_dtypes", "out_dtypes", "nodes", "signatures"):
            u[k] = sorted(u[k])
        u["contexts"] = dict(sorted(u["contexts"].items()))
    unknown = sorted((op for op, u in ops.items() if not u["known"]), key=lambda op: (FAMILY_ORDER.index(ops[op]["family"]), op))
    return {
        "ops": dict(sorted(ops.items())),
        "unknown_ops": unknown,
        "known_ops_used": sorted(op for op, u in ops.items() if u["known"]),
        "autograd_nodes": dict(sorted(nodes.items())),
        "api_kinds": dict(sorted(api.items())),
    }


# -- output ---------------------------------------------------------------------------------


def _ctx(contexts: dict) -> str:
    return ",".join(contexts)


def print_report(result: dict, out=sys.stdout) -> None:
    for t in result["traces"]:
        print(f"== {t['path']}  ({t['size']} bytes, {t['events']} events, {t['blobs']} blobs)", file=out)
        for op, e in t["ops"].items():
            print(f"  {op:<58} {e['count']:>4}  {'/'.join(e['dtypes']) or '-':<28} {_ctx(e['contexts'])}", file=out)
        print(f"  nodes: {', '.join(f'{n}x{c}' for n, c in t['autograd_nodes'].items())}", file=out)
        print(f"  api:   {', '.join(f'{k}x{c}' for k, c in t['api_kinds'].items())}", file=out)
    u = result["union"]
    print(f"\n== union over {len(result['traces'])} traces: {len(u['ops'])} ops, "
          f"{len(u['unknown_ops'])} unknown to the runtime ({len(result['known_ops'])} known)", file=out)
    fam = None
    for op in u["unknown_ops"]:
        e = u["ops"][op]
        if e["family"] != fam:
            fam = e["family"]
            print(f" [{fam}]", file=out)
        print(f"  {op:<58} {e['count']:>5}  {'/'.join(e['dtypes']) or '-':<28} {_ctx(e['contexts'])}", file=out)
    print(" [known to the runtime]", file=out)
    for op in u["known_ops_used"]:
        e = u["ops"][op]
        print(f"  {op:<58} {e['count']:>5}  {'/'.join(e['dtypes']) or '-':<28} {_ctx(e['contexts'])}", file=out)
    print(f" autograd nodes: {', '.join(u['autograd_nodes'])}", file=out)
    print(f" api kinds: {', '.join(u['api_kinds'])}", file=out)


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("traces", nargs="*")
    parser.add_argument("--json", default=os.path.join(here, "inventory.json"))
    parser.add_argument("--quiet", action="store_true", help="write the JSON only")
    args = parser.parse_args(argv)
    paths = args.traces or sorted(glob.glob(os.path.join(here, "*.ftr")))
    if not paths:
        parser.error("no traces")
    known = known_ops()
    traces = [inventory_of(p) for p in paths]
    result = {"known_ops": known, "traces": traces, "union": union_of(traces, known)}
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, sort_keys=False)
        f.write("\n")
    if not args.quiet:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
