"""The recorder's backward: engine calls, the derived ReadyQueue schedule
checked against the order the engine runs nodes in, accumulations
(FORMAT.md §3.4, docs/CAPTURE.md §6)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

import torch

import ftr

from . import engine as capture_engine
from .collector import collection_point
from .engine import GRAPH_ROOT, EngineCall
from .errors import CaptureError
from .ops import format_program_error
from .schedule import dependency_counts, simulate_schedule
from .values import node_name

_C = torch._C
_anomaly_enabled = torch.is_anomaly_enabled
_anomaly_check_nan = torch.is_anomaly_check_nan_enabled


@dataclass
class NodePlan:
    """What a backward needs to know about one reachable node."""

    nid: int
    seq: int
    deps: int = 0
    leaf: Optional[weakref.ref] = None
    accumulated: bool = False


@dataclass
class BackwardState:
    """One running call into the engine (`backward()`, `autograd.grad`).

    `plan` and `successors` are keyed by node id, the hidden GraphRoot of
    several roots by `GRAPH_ROOT` (its `NodePlan.nid` becomes its id when
    its node event is written). The schedule is derived when the GraphTask
    starts: a leaf root's AccumulateGrad may only appear once the engine
    created it.
    """

    call: EngineCall
    root: int
    root_edges: list
    plan: dict
    successors: dict
    handles: list = field(default_factory=list)
    # root index -> weak reference to a leaf root whose AccumulateGrad the
    # engine has yet to create
    pending_leaves: dict = field(default_factory=dict)
    created_at_begin: int = 0
    steps: list = field(default_factory=list)
    position: int = 0
    started: bool = False
    closed: bool = False
    current: Optional[int] = None
    # the node whose pre-hook last ran: its tensor hooks and retain-grad
    # hooks are done, a custom Function's backward runs next
    prehooked: Optional[int] = None
    mismatch: Optional[str] = None
    # reentrant depth: 0, or 1 + the running GraphTask's for a backward()
    # called while the engine runs a node (a reentrant checkpoint)
    depth: int = 0
    # the running GraphTask's state and context, restored when this ends
    outer: Optional[tuple] = None


class BackwardRecorder:
    """Recorder part: backward() and autograd.grad."""

    backward: Optional[BackwardState]
    ctx: list

    if TYPE_CHECKING:
        # The other parts' state and methods live on `Recorder`.
        def __getattr__(self, name: str) -> Any: ...

    def begin_backward(self, call: EngineCall) -> None:
        """Emits the api event (`backward`, or `grad` for a call naming
        inputs) and plans the GraphTask."""
        outer = None
        if self.backward is not None:
            # A backward() called while the engine runs a node (reentrant
            # checkpointing): a nested GraphTask at depth + 1 (§6.7).
            outer = (self.backward, self.ctx)
            if self.functions.in_run():
                self.functions.before_program_code()
        self.flush()
        if outer is None:
            # The capture's collection point (collector.collector_pinned):
            # tensors only a dropped reference cycle held are released here.
            collection_point()
        self.check_state()
        roots = [self.tensor_id(t) for t in call.roots]
        grads = [None if g is None else self.tensor_id(g) for g in call.grads]
        if call.restricted:
            inputs = [self.tensor_id(t) for t in call.inputs or ()]
            payload = ftr.p_grad(roots, grads, inputs, call.keep, call.create, call.accumulate, call.allow_unused)
            self.emit(ftr.API, ftr.API_GRAD, payload)
        else:
            self.emit(ftr.API, ftr.API_BACKWARD, ftr.p_backward(roots, grads, call.keep, call.create))
        self.ctx = ftr.context(ftr.CTX_BACKWARD)
        if call.roots and all(t.requires_grad for t in call.roots):
            self.backward = self._plan(call)
            if outer is not None:
                self.backward.depth = outer[0].depth + 1
                self.backward.outer = outer
            self.hooks.mark_retaining(self.backward)
        elif outer is not None:
            raise self.fail("unsupported: a backward() inside a running backward whose roots do not all require grad")

    def _plan(self, call: EngineCall) -> BackwardState:
        """Walks the graph below the roots: node events for unseen nodes, a
        pre-hook on every reachable node. A leaf root without a live
        AccumulateGrad is left pending (`_root_accumulator`)."""
        bw = BackwardState(call, GRAPH_ROOT if len(call.roots) > 1 else -2, [], {}, {}, created_at_begin=self._created_nodes)
        root_fns = []
        for index, t in enumerate(call.roots):
            fn = t.grad_fn if t.grad_fn is not None else capture_engine.find_accumulator(self, t)
            if fn is None:
                bw.pending_leaves[index] = weakref.ref(t)
                bw.root_edges.append(None)
                continue
            nid = self.node_id(fn)
            bw.root_edges.append(ftr.edge(nid, t.output_nr if t.grad_fn is not None else 0))
            root_fns.append(fn)
        if len(call.roots) == 1 and root_fns:
            bw.root = bw.root_edges[0][0]
        for fn in root_fns:
            self._walk(bw, fn)
        return bw

    def _walk(self, bw: BackwardState, root_fn: Any) -> None:
        nid = self.nodes.get(root_fn)
        if nid in bw.plan:
            return
        bw.plan[nid] = self._node_plan(root_fn, nid)
        stack = [root_fn]
        while stack:
            fn = stack.pop()
            nid = self.nodes.get(fn)
            bw.successors[nid] = []
            bw.handles.append(fn.register_prehook(self._prehook(nid, bw)))
            self.functions.plan(fn, nid)
            for nxt, _ in fn.next_functions:
                if nxt is None:
                    continue
                nxt_id = self.node_id(nxt)
                bw.successors[nid].append(nxt_id)
                if nxt_id not in bw.plan:
                    bw.plan[nxt_id] = self._node_plan(nxt, nxt_id)
                    stack.append(nxt)

    def _root_accumulator(self, fn: Any) -> None:
        """The engine created the AccumulateGrad of a leaf root (node-creation
        hook): its node event, its pre-hook, its place among the roots."""
        bw = self.backward
        assert bw is not None, "an AccumulateGrad root outside backward()"
        leaf = fn.variable
        for index, ref in list(bw.pending_leaves.items()):
            if ref() is not leaf:
                continue
            self.flush()
            del bw.pending_leaves[index]
            nid = self.node_id(fn)
            bw.root_edges[index] = ftr.edge(nid, 0)
            if len(bw.call.roots) == 1:
                bw.root = nid
            self._walk(bw, fn)

    def _derive_schedule(self, bw: BackwardState) -> None:
        """Dependency counts, which nodes run or capture, and the ReadyQueue
        order, once every root's node is known."""
        if bw.pending_leaves:
            index = min(bw.pending_leaves)
            raise self.fail(
                f"unsupported: backward from leaf root {index} whose AccumulateGrad the capture cannot reach "
                "(no tracked graph holds it and the engine did not create one)"
            )
        if bw.root == GRAPH_ROOT:
            bw.successors[GRAPH_ROOT] = [edge[0] for edge in bw.root_edges]
            bw.plan[GRAPH_ROOT] = NodePlan(GRAPH_ROOT, self._graph_root_seq(bw))
        for nid, count in dependency_counts(bw.root, bw.successors).items():
            bw.plan[nid].deps = count
        key = {nid: (0, p.seq) for nid, p in bw.plan.items()}
        if bw.call.restricted:
            outputs = [self._input_node(bw, t) for t in bw.call.inputs or ()]
            runs, captures = capture_engine.exec_marks(bw.root, bw.successors, outputs, bw.call.accumulate)
            bw.steps = simulate_schedule(bw.root, bw.successors, key, runs, captures)
        else:
            bw.steps = simulate_schedule(bw.root, bw.successors, key)

    def _input_node(self, bw: BackwardState, t: torch.Tensor) -> Optional[int]:
        """The plan key of an input's node: its `grad_fn`, or for a leaf the
        AccumulateGrad found below the roots (None: no edge reaches it, so
        it is PyTorch's fresh `Identity` or a node of another graph)."""
        if t.grad_fn is not None:
            nid = self.nodes.get(t.grad_fn)
            return nid if nid in bw.plan else None
        for nid, p in bw.plan.items():
            if p.leaf is not None and p.leaf() is t:
                return nid
        return None

    def _graph_root_seq(self, bw: BackwardState) -> int:
        """GraphRoot's sequence number, derived from the counter: the engine
        made it last before running (after any `Identity` of an unreachable
        input), and since then only nodes the creation hook saw took numbers.
        Observed in torch 2.15: `backward([y, z])` advances the counter by
        one; at the first node's pre-hook it stands at GraphRoot's + 1."""
        since = self._created_nodes - bw.created_at_begin
        return self.functorch.seq(_C._autograd._get_sequence_nr() - 1 - since)

    def _node_plan(self, fn: Any, nid: int) -> NodePlan:
        leaf = None
        if node_name(fn) == "AccumulateGrad":
            leaf = weakref.ref(fn.variable)
        return NodePlan(nid, self.node_seq(fn), leaf=leaf)

    def _prehook(self, nid: int, bw: BackwardState) -> Callable:
        def hook(grad_outputs: Any) -> None:
            if self.backward is not bw:
                # A node of an outer GraphTask that a nested one also runs.
                return None
            try:
                self.node_started(nid)
                self.hooks.retained(nid)
                bw.prehooked = nid
            except BaseException as e:  # never raise through the engine
                self.fail(f"internal error in the autograd observer: {e!r}")
            return None

        return hook

    def _queue_event(self, kind: int, key: int) -> None:
        bw = self.backward
        assert bw is not None, "a ReadyQueue event outside backward()"
        p = bw.plan[key]
        self.emit(ftr.AUTOGRAD, kind, ftr.p_queue(p.nid, bw.depth, p.seq, p.deps))

    def node_started(self, nid: int) -> None:
        """The engine popped node `nid` and is about to run it: called by
        its pre-hook, or earlier by the first hook PyTorch runs for it
        (tensor hooks run before pre-hooks); later calls do nothing."""
        bw = self.backward
        if bw is None or bw.mismatch is not None or bw.current == nid or bw.closed:
            return
        self.flush()
        if not bw.started:
            self._start_graph_task(bw)
        else:
            self._finish_node()
        self._advance(bw, nid)
        if bw.mismatch is not None:
            return
        bw.current = nid
        self._queue_event(ftr.AG_POP, nid)
        self.ctx = ftr.context(ftr.CTX_NODE, bw.plan[nid].nid)

    def graph_root_checked(self) -> None:
        """An `isnan` in backward context before any node ran: with several
        roots, in anomaly mode with check_nan, the engine has popped its
        hidden GraphRoot (which no hook shows running) and checks the root
        gradients it returned (observed in torch 2.15; CAPTURE.md §6.9). The
        GraphTask starts here, with GraphRoot as the running node, so the
        check is in its context after its pop, where the engine ran it."""
        bw = self.backward
        if bw is None or bw.started or bw.root != GRAPH_ROOT or not (_anomaly_enabled() and _anomaly_check_nan()):
            return
        self.node_started(GRAPH_ROOT)

    def _start_graph_task(self, bw: BackwardState) -> None:
        """The engine began: the schedule is derived now (every root's node
        exists); GraphRoot's node event, graph_task_begin, the root's push."""
        bw.started = True
        self._derive_schedule(bw)
        if bw.root == GRAPH_ROOT:
            edges = [ftr.edge(e[0], e[1]) for e in bw.root_edges]
            nid = self.nodes.assign_id()
            bw.plan[GRAPH_ROOT].nid = nid
            self.emit(ftr.AUTOGRAD, ftr.AG_NODE, ftr.p_node(nid, "GraphRoot", bw.plan[GRAPH_ROOT].seq, edges, []))
        call = bw.call
        self.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_BEGIN, ftr.p_graph_task_begin(bw.root_edges, bw.depth, call.keep, call.create))
        self._queue_event(ftr.AG_PUSH, bw.root)

    def _advance(self, bw: BackwardState, nid: Optional[int]) -> None:
        """Writes the derived pops before node `nid` (None: the end of the
        GraphTask): GraphRoot's (it has no pre-hook) with its pushes, and
        those of nodes that only capture (popped, never run). Any other
        step before `nid` is a node the engine should have run: mismatch."""
        while bw.position < len(bw.steps):
            step = bw.steps[bw.position]
            if step.node == nid:
                return
            if step.runs and step.node != GRAPH_ROOT:
                break
            self._queue_event(ftr.AG_POP, step.node)
            for pushed in step.pushed:
                self._queue_event(ftr.AG_PUSH, pushed)
            bw.position += 1
        if nid is None and bw.position == len(bw.steps):
            return
        expected = bw.steps[bw.position].node if bw.position < len(bw.steps) else "nothing"
        got = "nothing more" if nid is None else f"node {nid}"
        bw.mismatch = (
            f"derived ReadyQueue order differs from the observed order at pop {bw.position}: "
            f"derived node {expected}, engine ran {got}"
        )
        self.fail(bw.mismatch)

    def _finish_node(self) -> None:
        bw = self.backward
        assert bw is not None, "a node finished outside backward()"
        nid = bw.current
        if nid is None:
            return
        plan = bw.plan[nid]
        step = bw.steps[bw.position]
        if step.runs and plan.leaf is not None and not plan.accumulated:
            self._accumulate(nid, plan.leaf())
        if not step.runs:
            # Seen through its tensor hooks only (no pre-hook): its retain-grad
            # hooks ran all the same (observed in torch 2.15).
            self.hooks.retained(nid)
        for pushed in step.pushed:
            self._queue_event(ftr.AG_PUSH, pushed)
        bw.position += 1
        bw.current = None
        self.ctx = ftr.context(ftr.CTX_BACKWARD)

    def accumulate_now(self, nid: int) -> None:
        """AccumulateGrad `nid` stored its gradient and is about to call a
        post-accumulate-grad hook: its `accumulate` event comes first (the
        hook may change `.grad`)."""
        bw = self.backward
        plan = None if bw is None else bw.plan.get(nid)
        if plan is None or plan.leaf is None or plan.accumulated:
            return
        self.flush()
        plan.accumulated = True
        self._accumulate(nid, plan.leaf())

    def _accumulate(self, nid: int, leaf: Optional[torch.Tensor]) -> None:
        grad = None if leaf is None else leaf.grad
        if grad is None:
            return
        leaf_id = self.tensor_id(leaf)
        self.tensor_id(grad)
        # A sparse gradient has no storage: its value is read first, as the
        # refusal expects (`DigestCache` needs the storage id otherwise).
        sid = self.storages.lookup(grad)[0] if grad.layout == torch.strided else None
        digest = self.value_digest(grad, self.policy == "all", sid) if self.policy in ("all", "stats") else None
        ref = self.output_ref(grad, digest, sid)
        self.releases.reachable(ref[0])
        info = self._info(leaf)
        info.grad = weakref.ref(grad)
        info.grad_watch = True
        self.emit(ftr.AUTOGRAD, ftr.AG_ACCUMULATE, ftr.p_accumulate(nid, leaf_id, ref))

    def end_backward(self, completed: bool, error: Optional[BaseException] = None) -> None:
        """After the engine returned (or raised): closes the GraphTask.

        When the program's backward raised `error`, a graph_task_error takes
        graph_task_end's place, where the engine stopped: after the pop of
        the node that raised and the ops it ran (observed in torch 2.15: the
        version check of a saved tensor raises from the node's apply, after
        its pre-hook; "element 0 of tensors does not require grad" and
        "grad can be implicitly created only for scalar outputs" raise before
        the engine starts, so no graph_task_begin precedes it).
        """
        bw = self.backward
        try:
            self.flush()
            if bw is not None and completed and bw.mismatch is None and not bw.closed:
                self._close_graph_task(bw)
            elif error is not None and not isinstance(error, CaptureError) and (bw is None or (bw.mismatch is None and not bw.closed)):
                self.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_ERROR, ftr.p_graph_task_error(format_program_error(error)))
        finally:
            self._leave_backward(bw)
            for handle in bw.handles if bw is not None else ():
                handle.remove()
        if bw is not None and bw.mismatch is not None:
            raise self.fail(bw.mismatch)

    def engine_returned(self, result: Any) -> None:
        """The engine call of `backward()` / `autograd.grad` returned: the
        GraphTask ends here (graph_task_end, then grad_result for
        `autograd.grad`); what Python runs after it in the same call
        (`materialize_grads`) is top-level code."""
        bw = self.backward
        if bw is None or bw.mismatch is not None or bw.closed:
            return
        self.flush()
        self._close_graph_task(bw)
        if bw.call.restricted and not bw.call.accumulate and result is not None:
            self._grad_result(result)
        self.ctx = ftr.context(ftr.CTX_TOP_LEVEL) if bw.outer is None else bw.outer[1]

    def _leave_backward(self, bw: Optional[BackwardState]) -> None:
        """The engine call of `bw` is over: back to the GraphTask it ran in
        (and that one's node context), or to the top level."""
        if bw is not None and bw.outer is not None:
            self.backward, self.ctx = bw.outer
        else:
            self.backward = None
            self.ctx = ftr.context(ftr.CTX_TOP_LEVEL)

    def _close_graph_task(self, bw: BackwardState) -> None:
        bw.closed = True
        if not bw.started:
            self._start_graph_task(bw)
        self._finish_node()
        self._advance(bw, None)
        if bw.mismatch is not None:
            raise self.fail(bw.mismatch)
        executed = sum(1 for step in bw.steps if step.runs)
        self.emit(ftr.AUTOGRAD, ftr.AG_GRAPH_TASK_END, ftr.p_graph_task_end(executed))

    def _grad_result(self, grads: Any) -> None:
        """api grad_result: the returned gradients as references (no value);
        the program holds them, so they are released when they die."""
        refs: list = []
        for g in grads:
            if g is None:
                refs.append(None)
                continue
            self.tensor_id(g)
            ref = self.output_ref(g, None)
            self.releases.reachable(ref[0])
            refs.append(ref)
        self.emit(ftr.API, ftr.API_GRAD_RESULT, ftr.p_grad_result(refs))
