"""The recorder's node events (FORMAT.md §3.4): nodes as autograd creates
them, and nodes first reached through an edge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ftr

from .errors import CaptureError
from .ops import live_tensors
from .values import grad_fn_of, node_name


class NodeRecorder:
    """Recorder part: node events."""

    _created_nodes: int
    _in_node_hook: bool

    if TYPE_CHECKING:
        # The other parts' state and methods live on `Recorder`.
        def __getattr__(self, name: str) -> Any: ...

    def node_created(self, fn: Any) -> None:
        """Node-creation hook: autograd just attached `fn` to the outputs of
        the op that returned last, saved its tensors and wired its edges.

        Writes the op event (once) and the node event, preceded by those of
        the not-yet-seen nodes its edges reach, while the outputs are
        certainly alive. AccumulateGrad nodes are created before their op
        even reaches the dispatch mode; they are written when first reached
        through an edge, as FORMAT.md §3.6.2 orders them. A node that belongs
        to no output of the pending op is left to be written when reached.
        """
        if not self.observing():
            return
        if node_name(fn) == "DifferentiableGraphBackward":
            # Optimised TorchScript, switched back on by the program
            # (`torch.jit.optimized_execution(True)`): see
            # `torchscript_unoptimised`.
            raise self.fail(
                "unsupported: a TorchScript function ran optimised (DifferentiableGraphBackward): its operators "
                "run without autograd and its gradient is TorchScript's symbolic formula; leave "
                "torch.jit.optimized_execution off while capturing"
            )
        if node_name(fn) != "AccumulateGrad":
            if self.functorch.active() and self.functorch.wrapper_node(fn, self._attached(fn)):
                # A torch.func transform's node on its wrappers (§6.8).
                return
            # GraphRoot's sequence number is derived from this count (§6.2).
            self._created_nodes += 1
        if self._in_node_hook:
            return
        self._in_node_hook = True
        try:
            self._node_created(fn)
        except CaptureError:
            raise
        except ftr.TraceError as e:
            raise self.fail(str(e)) from e
        except Exception as e:
            raise self.fail(f"internal error in the node-creation observer: {e!r}") from e
        finally:
            self._in_node_hook = False

    def _attached(self, fn: Any) -> bool:
        """Whether `fn` is the `grad_fn` of an output of the pending op. An
        in-place op on a view is judged by `requires_grad` (reading a view's
        `grad_fn` there may deadlock, see `_node_created`)."""
        op = self._pending
        if op is None:
            return False
        outputs = live_tensors(op.outputs)
        if op.mutates and any(t._is_view() for t in outputs):
            return any(t.requires_grad for t in outputs)
        return any(grad_fn_of(t) is fn for t in outputs)

    def _node_created(self, fn: Any) -> None:
        op = self._pending
        if node_name(fn) == "AccumulateGrad":
            # The engine makes the AccumulateGrad of a leaf root that has none.
            if self.backward is not None and self.backward.pending_leaves:
                self._root_accumulator(fn)
            return
        if op is None or self.nodes.get(fn) is not None or self.functions.hides(fn):
            return
        outputs = live_tensors(op.outputs)
        if op.mutates and any(t._is_view() for t in outputs):
            # An in-place op on a view: autograd moves the base's history onto
            # a CopySlices node, then regenerates the view's grad_fn and calls
            # this hook for it while holding the view's lock (reading that
            # grad_fn here would deadlock). CopySlices's own call comes after,
            # outside the lock: write the op and its outputs' nodes then.
            if node_name(fn) == "CopySlices":
                if op.wire_outputs is None:
                    self._emit_op_event(op)
                self._emit_created_nodes(outputs)
            return
        tensors = sorted({(t.output_nr, self.tensor_id(t)) for t in outputs if grad_fn_of(t) is fn})
        if not tensors:
            return
        if op.wire_outputs is None:
            self._emit_op_event(op)
        self.emit_node(fn, [tid for _, tid in tensors])

    def _emit_created_nodes(self, outputs: list) -> None:
        groups: dict = {}
        order: list = []
        for t in outputs:
            if not t.requires_grad:
                continue
            fn = grad_fn_of(t)
            if fn is None or self.nodes.get(fn) is not None or self.functions.hides(fn):
                continue
            key = id(fn)
            if key not in groups:
                groups[key] = (fn, [])
                order.append(key)
            groups[key][1].append((t.output_nr, self.tensor_id(t)))
        for key in order:
            fn, tensors = groups[key]
            if self.nodes.get(fn) is None:
                self.emit_node(fn, [tid for _, tid in sorted(set(tensors))])

    def node_id(self, fn: Any) -> int:
        """Id of a node, emitting its node event first if it has none yet."""
        nid = self.nodes.get(fn)
        if nid is None:
            tensors = []
            if node_name(fn) == "AccumulateGrad":
                tensors = [self.tensor_id(fn.variable)]
            nid = self.emit_node(fn, tensors)
        return nid

    def emit_node(self, fn: Any, tensors: list) -> int:
        """Node event, preceded by those of not-yet-seen nodes its edges reach."""
        edges = []
        for nxt, input_nr in fn.next_functions:
            edges.append(ftr.edge(None if nxt is None else self.node_id(nxt), input_nr))
        nid = self.nodes.assign(fn)
        payload = ftr.p_node(nid, node_name(fn), self.node_seq(fn), edges, tensors)
        self.emit(ftr.AUTOGRAD, ftr.AG_NODE, payload)
        return nid

    def node_seq(self, fn: Any) -> int:
        """Sequence number counted from the start of the recording."""
        raw = fn._sequence_nr()
        if raw == ftr.ACCUMULATE_GRAD_SEQ:
            return raw
        if raw < self._seq_base:
            raise self.fail(f"node {node_name(fn)} was created before the capture started")
        return self.functorch.seq(raw)
