"""How a program starts PyTorch's autograd engine, for the capture
(docs/CAPTURE.md §6.2, FORMAT.md §3.4.2).

Every backward goes through `torch.autograd.graph._engine_run_backward`:
`Tensor.backward` and `torch.autograd.backward` (any number of roots,
`inputs=...`), and `torch.autograd.grad`. The capture wraps the two public
functions, which write the api event (`backward`, or `grad` when the call
names inputs) and plan the GraphTask, and the engine call they share, whose
return closes the GraphTask (`graph_task_end`, then `grad_result` for
`torch.autograd.grad`). Python code that runs after the engine inside
`torch.autograd.grad` — the `zeros_like` of `materialize_grads` — is then
ordinary top-level code.

What the engine does with inputs is derived as PyTorch's `init_to_execute`
does it (`exec_marks`): a node *runs* when it is the root, an input's node
of `backward(inputs=...)`, or leads to a node that runs or captures; an
input's node of `torch.autograd.grad` *captures* the input's gradient.
"""

from __future__ import annotations

import collections.abc
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch

# torch.autograd.grad's error for an input no path reaches without allow_unused.
UNUSED_INPUT = "appears to not have been used in the graph"

# Plan key of the hidden GraphRoot of a call with several roots, until its
# node event gives it an id.
GRAPH_ROOT = -1


@dataclass
class EngineCall:
    """One call into the engine, as the program made it."""

    roots: list
    grads: list
    # None for a plain backward (no `inputs` argument)
    inputs: Optional[list]
    keep: bool
    create: bool
    # False only for torch.autograd.grad: the inputs' gradients are returned.
    accumulate: bool = True
    allow_unused: bool = True
    # torch.autograd.grad(is_grads_batched=True): the engine under vmap.
    batched: bool = False

    @property
    def restricted(self) -> bool:
        """True when the call names inputs (an api `grad` event; PyTorch
        refuses an empty list after it)."""
        return self.inputs is not None


def exec_marks(root: int, successors: dict, outputs: list, accumulate: bool) -> tuple:
    """`(runs, captures)`: the nodes whose function runs and the nodes that
    capture an input's gradient, below `root` (PyTorch's `init_to_execute`).

    `outputs` are the input nodes (None for an input no edge reaches).
    A node runs when it is the root, an output with `accumulate`, or when
    one of its successors runs or captures.
    """
    wanted = [n for n in outputs if n is not None]
    captures = set() if accumulate else set(wanted)
    runs = {root} | (set(wanted) if accumulate else set())
    for node in _post_order(root, successors):
        if any(s in runs or s in captures for s in successors.get(node, ())):
            runs.add(node)
    return runs, captures


def _post_order(root: int, successors: dict) -> list:
    """Nodes reachable from `root`, each after all of its successors."""
    order: list = []
    seen = {root}
    stack = [(root, iter(successors.get(root, ())))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            order.append(node)
        elif child not in seen:
            seen.add(child)
            stack.append((child, iter(successors.get(child, ()))))
    return order


# ---------------------------------------------------------------------------
# Arguments.


def _tensors(value: Any, what: str, rec: Any) -> list:
    """A tensor or a sequence of tensors (a dict of inputs: its values)."""
    if isinstance(value, torch.autograd.graph.GradientEdge):
        raise rec.fail(f"unsupported: {what} given as a GradientEdge")
    if isinstance(value, torch.Tensor):
        return [value]
    items = list(value.values()) if isinstance(value, dict) else list(value)
    for item in items:
        if not isinstance(item, torch.Tensor):
            raise rec.fail(f"unsupported: {what} holding a {type(item).__name__}")
    return items


def _grads(value: Any, count: int) -> list:
    """One gradient (or None) per root, as `_tensor_or_tensors_to_tuple` reads them."""
    if value is None:
        return [None] * count
    if isinstance(value, torch.Tensor):
        return [value]
    return list(value)


def _keep(retain: Any, create: bool) -> bool:
    return create if retain is None else bool(retain)


def backward_call(rec: Any, arguments: dict) -> EngineCall:
    """The bound arguments of `torch.autograd.backward`."""
    roots = _tensors(arguments["tensors"], "backward() roots", rec)
    grads = arguments.get("grad_tensors")
    if grads is None:
        grads = arguments.get("grad_variables")
    inputs = arguments.get("inputs")
    create = bool(arguments.get("create_graph", False))
    return EngineCall(
        roots=roots,
        grads=_grads(grads, len(roots)),
        inputs=None if inputs is None else _tensors(inputs, "backward(inputs=...)", rec),
        keep=_keep(arguments.get("retain_graph"), create),
        create=create,
    )


def grad_call(rec: Any, arguments: dict) -> EngineCall:
    """The bound arguments of `torch.autograd.grad`."""
    roots = _tensors(arguments["outputs"], "torch.autograd.grad outputs", rec)
    create = bool(arguments.get("create_graph", False))
    allow_unused = arguments.get("allow_unused")
    if allow_unused is None:
        allow_unused = bool(arguments.get("materialize_grads", False))
    return EngineCall(
        roots=roots,
        grads=_grads(arguments.get("grad_outputs"), len(roots)),
        inputs=_tensors(arguments["inputs"], "torch.autograd.grad inputs", rec),
        keep=_keep(arguments.get("retain_graph"), create),
        create=create,
        accumulate=False,
        allow_unused=bool(allow_unused),
        batched=bool(arguments.get("is_grads_batched", False)),
    )


# ---------------------------------------------------------------------------
# A leaf root's AccumulateGrad.


def find_accumulator(rec: Any, leaf: torch.Tensor) -> Optional[Any]:
    """The live AccumulateGrad of `leaf`, searched through the graphs of the
    tensors the capture tracks, or None (then the engine creates one and the
    node-creation hook hands it over).

    PyTorch offers no side-effect-free way to read a leaf's cached
    AccumulateGrad: `torch.autograd.graph.get_gradient_edge` makes one
    through `view_as`, which takes a sequence number and, when none was
    alive, creates an AccumulateGrad that dies at once (the engine then runs
    another). Views are skipped: reading a view's `grad_fn` may regenerate it.
    """
    seen: set = set()
    for t in list(rec.tensors.keys()):
        if t._is_view() or t.grad_fn is None:
            continue
        stack = [t.grad_fn]
        while stack:
            fn = stack.pop()
            nid = rec.nodes.get(fn)
            if nid is not None:
                if nid in seen:
                    continue
                seen.add(nid)
            if getattr(fn, "variable", None) is leaf:
                return fn
            stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    return None


# ---------------------------------------------------------------------------
# Wrappers.


def install(patches: Any, rec: Any) -> None:
    """Wraps `torch.autograd.backward`, `torch.autograd.grad` and the engine
    call they share (undone with the other patches)."""
    autograd = torch.autograd
    patches._set(autograd, "backward", _wrap_entry(rec, autograd.backward, backward_call))
    patches._set(autograd, "grad", _wrap_entry(rec, autograd.grad, grad_call))
    patches._set(autograd, "_engine_run_backward", _wrap_engine(rec, autograd._engine_run_backward))


def _materialise_iterators(arguments: dict) -> bool:
    """Turns one-shot iterators among the tensor arguments (`inputs=
    model.parameters()`, a generator of roots) into tuples, in place, so
    that reading them for the trace leaves them for the call; whether any
    was."""
    changed = False
    for name, value in arguments.items():
        if isinstance(value, collections.abc.Iterator) and not isinstance(value, torch.Tensor):
            arguments[name] = tuple(value)
            changed = True
    return changed


def _wrap_entry(rec: Any, original: Callable, parse: Callable) -> Callable:
    signature = inspect.signature(original)

    def entry(*args, **kwargs):
        if not rec.observing():
            return original(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        if _materialise_iterators(bound.arguments):
            # The call reads what the capture read, not a spent iterator.
            args, kwargs = bound.args, bound.kwargs
        bound.apply_defaults()
        call = parse(rec, bound.arguments)
        if rec.functorch.owns(call.roots, [g for g in call.grads if g is not None] + list(call.inputs or ())):
            # A torch.func transform's own autograd (docs/CAPTURE.md §6.8).
            return rec.functorch.run_engine(original, args, kwargs)
        if call.batched:
            # The engine under vmap: its batched operators, as a
            # transform's engine call (docs/CAPTURE.md §6.8).
            return rec.functorch.run_engine(original, args, kwargs, batched=True)
        rec.begin_backward(call)
        if call.restricted and call.accumulate:
            _retain_inputs(rec, call.inputs)
        try:
            result = original(*args, **kwargs)
        except BaseException as error:
            # `error` is unbound when this clause ends; a local holding it
            # would make a cycle through its traceback (this frame) and keep
            # the call's tensors alive until a garbage collection, moving
            # their release events.
            rec.end_backward(False, error)
            raise
        rec.end_backward(True)
        rec.raise_failure()
        return result

    entry.__name__ = original.__name__
    entry.__doc__ = original.__doc__
    return entry


def _retain_inputs(rec: Any, inputs: list) -> None:
    """PyTorch's engine calls `retain_grad()` on each non-leaf input of
    `backward(inputs=...)` (python_engine.cpp; observed in torch 2.15: `h.grad`
    is set and `h.retains_grad` stays true). A call from C++ is no api event;
    the capture tracks the retained gradient as for the program's own call."""
    hooks = rec.hooks
    for t in inputs:
        if t.grad_fn is None or t.retains_grad or hooks.register_marker is None:
            continue
        nid = hooks.track_retained(t)
        if nid is not None:
            hooks.register_marker(t, nid)


def _wrap_engine(rec: Any, original: Callable) -> Callable:
    marks = rec.state_marks

    def _engine_run_backward(*args, **kwargs):
        # The engine changes gradients from C++: state checks read every
        # tensor while it runs and once after (state_marks.py).
        marks.engine_depth += 1
        try:
            result = original(*args, **kwargs)
        except RuntimeError as e:
            # Raised after the GraphTask completed (python_engine.cpp checks
            # the returned gradients): the GraphTask ends, then the error.
            if rec.observing() and not rec.functorch.engine_depth and UNUSED_INPUT in str(e):
                rec.engine_returned(None)
            raise
        finally:
            marks.engine_depth -= 1
            marks.everything = True
        if rec.observing() and not rec.functorch.engine_depth:
            rec.engine_returned(result)
        return result

    return _engine_run_backward
