"""Custom `torch.autograd.Function`s for the capture (FORMAT.md
§3.2 `function`, §3.4 `node_result`; docs/CAPTURE.md §6.5).

`Function.apply` runs the program's `forward` with grad mode off (observed
in torch 2.15: `torch.is_grad_enabled()` is False inside `forward`, so its
operators create no nodes and take no sequence numbers), then attaches a
`<ClassName>Backward` node (a `BackwardCFunction`) to the tensors it
returns. Its sequence number is taken before `forward` runs, but since
`forward` creates no node the number is the one the next node would take.
Its next edges are those of the tensor arguments only (observed:
`Scale.apply(x, 2.0)` has one edge). Every `apply` takes a sequence number,
even when it attaches no node (grad mode off, no argument requiring grad).

The capture wraps `apply`: the operators of `forward` are recorded as
top-level operators, and the node is kept out of the op events of `forward`
(its outputs get their `grad_fn` only when `apply` returns). After `apply`
returns: api `function [name, inputs, outputs]`, then the node event when
it attached one.

During backward the engine calls the program's `backward`: its operators
are recorded in the node's context (after the node's `pop`). A node
post-hook (registered once per node when a backward first plans it) writes
`node_result [node, grads, results]`: the gradients the node received and
those it returned (after PyTorch validated them), which a replayer binds
by role.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import torch
from torch.autograd.function import BackwardCFunction, Function

import ftr


def is_function_node(fn: Any) -> bool:
    """Whether `fn` is the node of a custom autograd.Function."""
    return isinstance(fn, BackwardCFunction)


class FunctionTracker:
    """The nesting of `apply` calls and the nodes given a result hook."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        self.depth = 0
        # the arguments of each running `apply`, innermost last
        self._args: list = []
        self._hooked: set = set()
        # node id -> the grad mode the capture believed written when the
        # node's program code first changed it
        self._modes: dict = {}
        # Set while a node post-hook of a module runs (after `node_result`:
        # its ops are hook code, bracketed like a tensor hook's).
        self.hook_running = False
        # The backward (weakly: holding it would keep its graph's tensors
        # alive) and node whose node_result is written: what the engine
        # dispatches in its context afterwards (an input buffer's `add`, a
        # module's node hook) is not the Function's backward.
        self._returned: tuple = (lambda: None, None)

    def dirty(self, t: torch.Tensor) -> bool:
        """Whether `t`, an output of the running `apply`, is one of its
        arguments (`ctx.mark_dirty`): `apply` bumped its version once more
        after the forward's in-place op returned (observed in torch 2.15)."""
        if not self._args:
            return False
        return any(a is t for a in self._args[-1])

    def hides(self, fn: Any) -> bool:
        """While `apply` runs, its node is not written with an op's outputs."""
        return self.depth > 0 and is_function_node(fn)

    def applied(self, cls: Any, args: tuple, out: Any) -> None:
        """`apply` returned `out`: the `function` event, then the node event
        when it attached one. Every `apply` takes a sequence number, node or
        not (observed in torch 2.15: under `no_grad`, or with no argument
        that requires grad, the counter still advances by one)."""
        rec = self.rec
        outputs = _tensors(out)
        fn = next((t.grad_fn for t in outputs if is_function_node(t.grad_fn)), None)
        if fn is not None and rec.nodes.get(fn) is not None:
            return
        rec.flush()
        if rec.ctx[0] == ftr.CTX_TOP_LEVEL:
            rec.check_state()
        inputs = [rec.tensor_id(a) for a in args if isinstance(a, torch.Tensor)]
        out_ids = [rec.tensor_id(t) for t in outputs]
        name = fn.name() if fn is not None else f"{cls.__name__}Backward"
        rec.emit(ftr.API, ftr.API_FUNCTION, ftr.p_function(name, inputs, out_ids))
        if fn is None:
            return
        attached = sorted({(t.output_nr, rec.tensor_id(t)) for t in outputs if t.grad_fn is fn})
        rec.emit_node(fn, [tid for _, tid in attached])

    def in_run(self) -> bool:
        """Whether the engine is running the program's backward of a custom
        Function node (its ops are program code: state changes before each
        are written, as before a top-level op)."""
        rec = self.rec
        bw = rec.backward
        return (
            bw is not None
            and not self.hook_running
            and not (self._returned[0]() is bw and self._returned[1] == bw.current)
            and bw.current in self._hooked
            and bw.prehooked == bw.current
            and rec.ctx == ftr.context(ftr.CTX_NODE, bw.current)
        )

    def before_program_code(self) -> None:
        """Before an op or a `backward()` of a running Function's backward:
        the state changes since the last check are written (at the run's
        first check, a grad mode that differs from the belief or from the
        engine's). The engine restores the node's grad mode afterwards
        (thread-local state is guarded per node), so what the capture
        believed written before is restored at `node_result`."""
        rec = self.rec
        rec.flush()
        bw = rec.backward
        if bw.current not in self._modes:
            self._modes[bw.current] = rec._grad_mode
            # The run began in the engine's grad mode (`create_graph`),
            # which no event wrote: the program's mode is written at its
            # first check when it differs from that one too (a backward
            # that starts with `torch.enable_grad()` under a top level
            # with grad enabled), as the runtime writes it.
            engine = (bw.call.create, False)
            if (torch.is_grad_enabled(), torch.is_inference_mode_enabled()) != engine:
                rec._grad_mode = engine
        rec.check_state()

    def plan(self, fn: Any, nid: int) -> None:
        """A backward reaches node `fn`: a post-hook that writes its
        `node_result` (once per node)."""
        if not is_function_node(fn) or nid in self._hooked:
            return
        self._hooked.add(nid)
        fn.register_hook(self._result_hook(nid))

    def _result_hook(self, nid: int) -> Callable:
        rec = self.rec

        def hook(grad_inputs: Any, grad_outputs: Any) -> None:
            if not rec.observing() or rec.backward is None:
                return None

            def write() -> None:
                rec.flush()
                rec._check_anomaly()
                grads = [None if g is None else rec.input_ref(g) for g in grad_outputs]
                results = [None if g is None else rec.input_ref(g) for g in grad_inputs]
                rec.emit(ftr.AUTOGRAD, ftr.AG_NODE_RESULT, ftr.p_node_result(nid, grads, results))
                self._returned = (weakref.ref(rec.backward), nid)
                if nid in self._modes:
                    rec._grad_mode = self._modes.pop(nid)

            rec.guarded(write)
            return None

        return hook


def _tensors(out: Any) -> list:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for t in out if isinstance(t, torch.Tensor)]
    return []


def install(patches: Any, rec: Any) -> None:
    """Wraps `Function.apply` (undone with the other patches)."""
    original = Function.__dict__["apply"]
    tracker = rec.functions

    def apply(cls, *args, **kwargs):
        bound = original.__get__(None, cls)
        if not rec.observing():
            return bound(*args, **kwargs)
        tracker.depth += 1
        tracker._args.append(args)
        try:
            out = bound(*args, **kwargs)
            rec.guarded(rec.flush)
        finally:
            tracker.depth -= 1
            tracker._args.pop()
        rec.guarded(lambda: tracker.applied(cls, args, out))
        return out

    patches._saved.append((Function, "apply", original))
    setattr(Function, "apply", classmethod(apply))

