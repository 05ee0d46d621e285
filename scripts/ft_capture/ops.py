"""The dispatch layer of the recorder: op and op_error events, their
arguments and outputs, device transfers (FORMAT.md §3.3)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import torch

import ftr

from .errors import UnrecordableValue
from .keys import TlsState, call_dispatch_keys
from .values import EMPTY_OPS, OPAQUE_OUTPUTS, RANDOM_OPS, TypeText, covers_storage, flatten_values, grad_fn_of, op_schema, tensor_version, typed_scalar_value, zero_uninitialised

# Operators whose results may lie on memory that other code writes (a file
# mapped shared): their storages are never trusted by `DigestCache`.
FILE_BACKED_OPS = frozenset({"from_file"})


@dataclass
class OutTensor:
    """An operator output waiting for its op event (weakly referenced)."""

    ref: weakref.ref
    wire: list


@dataclass
class OutList:
    """A list-valued operator output (`Tensor[]`)."""

    items: list


@dataclass
class PendingOp:
    """An op recorded when it returned to the dispatch mode, before autograd
    has attached `grad_fn` or bumped version counters.

    Its event is written when autograd creates its node (the node-creation
    hook: outputs still alive, history set, versions bumped) or, for an op
    without a node, at the next event boundary. The op stays pending until
    that boundary, which writes the nodes the hook could not and the device
    transfers.
    """

    op: str
    keyset: list
    chain: list
    args: list
    outputs: list
    ctx: list
    mutates: bool = False
    wire_outputs: Optional[list] = None


class OpRecorder:
    """Recorder part: calls that reach the dispatch mode."""

    _pending: Optional[PendingOp]
    # Storage ids an `empty*` call made (see `_note_uninitialised`).
    _uninitialised_storages: frozenset = frozenset()

    if TYPE_CHECKING:
        # The other parts' state and methods live on `Recorder`.
        def __getattr__(self, name: str) -> Any: ...

    def op_arguments(self, func: Any, args: tuple, kwargs: dict) -> tuple:
        """`(named arguments, wire arguments)` of a call about to run.

        Taken before the operator runs: introductions carry the values from
        before it, and argument references its versions from before it.
        """
        schema = op_schema(func)
        named = schema.bind(args, kwargs)
        wire_args = []
        for a in schema.params:
            value = named[a.name]
            if isinstance(value, torch.Tensor):
                # `arg_value` of a tensor, without the call.
                wire_args.append([a.name, [ftr.TAG_TENSOR, self.input_ref(value)]])
                continue
            try:
                wire_args.append([a.name, self.arg_value(value, a.type)])
            except UnrecordableValue as e:
                raise self.fail(str(e.at(func, f"argument {a.name!r}"))) from None
        return named, wire_args

    def record_op(self, func: Any, named: dict, wire_args: list, out: Any, tls: TlsState) -> None:
        """Records a call that returned (`tls`: the state it entered the
        dispatcher with); emitted at the next boundary."""
        if (self.backward is not None and self.functions.in_run()) or self.unpacking:
            # Program code the engine called back: grad mode, requires_grad
            # and releases are written before its ops (FORMAT.md §3.4.3,
            # §3.4.5).
            self.functions.before_program_code()
        schema = op_schema(func)
        keyset, chain = self.dispatch.derive(func, call_dispatch_keys(named), named, tls)
        keep_value = self._keeps_output_value(schema.base)
        if self._uninitialised_storages:
            if schema.mutable:
                self._note_written(out, named)
            elif keep_value and self._uninitialised(out):
                keep_value = None
        if self._values:
            if schema.mutable:
                self._forget_digests(wire_args)
                self._reuse_digests = False
            elif schema.base in FILE_BACKED_OPS:
                self._reuse_digests = False
        try:
            outputs = [
                self.out_value(v, None if (schema.base, i) in OPAQUE_OUTPUTS else keep_value)
                for i, v in enumerate(schema.split_returns(out))
            ]
        except UnrecordableValue as e:
            raise self.fail(str(e.at(func, "a result"))) from None
        finally:
            self._reuse_digests = True
        if schema.base in EMPTY_OPS:
            zero_uninitialised(out)
            self._note_uninitialised(out)
        if self.ctx[0] == ftr.CTX_TOP_LEVEL:
            for value in outputs:
                self._mark_reachable(value)
        self._pending = PendingOp(schema.wire_name, keyset, chain, wire_args, outputs, self.ctx, schema.mutable)

    def record_op_error(self, func: Any, named: dict, wire_args: list, error: BaseException, tls: TlsState) -> None:
        """Writes the op_error event of a call that raised (format 1.3): the
        call as `record_op` would record it, the exception instead of
        outputs. Nothing is pending (the call's boundary flushed it) and
        nothing follows it: no node, no version bump."""
        if self._values and op_schema(func).mutable:
            self._forget_digests(wire_args)  # it may have written part of them
        keyset, chain = self.dispatch.derive(func, call_dispatch_keys(named), named, tls)
        payload = ftr.p_op_error(op_schema(func).wire_name, keyset, chain, wire_args, format_program_error(error), self.ctx)
        self.emit(ftr.DISPATCH, ftr.DISPATCH_OP_ERROR, payload)

    def _forget_digests(self, wire_args: list) -> None:
        """A mutating call ran: the storages of its tensor arguments may
        have been written (`DigestCache`)."""
        written = self.digests.written
        for _, value in wire_args:
            tag = value[0]
            if tag == ftr.TAG_TENSOR:
                written(value[1][5])
            elif tag == ftr.TAG_LIST:
                for item in flatten_values(value[1]):
                    if item[0] == ftr.TAG_TENSOR:
                        written(item[1][5])

    def _mark_reachable(self, value: Any) -> None:
        if isinstance(value, OutList):
            for v in value.items:
                self._mark_reachable(v)
        elif isinstance(value, OutTensor):
            self.releases.reachable(value.wire[0])

    def _keeps_output_value(self, base: str) -> Optional[str]:
        """How the outputs' values are kept: "full" (a BLOB), "stats" (a
        STATS record, policy `stats`) or None. Random outputs are kept in
        full by every policy that keeps values: replay feeds them back."""
        if self.policy == "none" or base in EMPTY_OPS:
            return None
        if base in RANDOM_OPS or self.policy == "all":
            return "full"
        return "stats" if self.policy == "stats" else None

    def arg_value(self, value: Any, arg_type: TypeText) -> list:
        """Wire value of an operator argument of type `arg_type`."""
        if isinstance(value, torch.Tensor):
            return [ftr.TAG_TENSOR, self.input_ref(value)]
        if isinstance(value, (list, tuple)):
            elem = arg_type.elem()
            return [ftr.TAG_LIST, [self.arg_value(v, elem) for v in value]]
        return typed_scalar_value(value, arg_type.text)

    def _note_uninitialised(self, out: Any) -> None:
        """Remembers the storages an `empty*` call made: their bytes are
        whatever the allocator left there, so a view of one (the `select`s
        of the `empty` base grid in `affine_grid`'s backward) carries no
        value until something writes the storage and its version moves."""
        tensors = out if isinstance(out, (list, tuple)) else [out]
        sids = {self.storages.lookup(t)[0] for t in tensors if isinstance(t, torch.Tensor)}
        self._uninitialised_storages = self._uninitialised_storages | sids

    def _uninitialised(self, out: Any) -> bool:
        """Whether the single tensor result `out` of a call that writes
        nothing views a storage an `empty*` call made and no call has written
        since. (Versions cannot tell: a view's version counter is its base's
        only once the dispatch mode has returned.)"""
        return isinstance(out, torch.Tensor) and self.storages.lookup(out)[0] in self._uninitialised_storages

    def _note_written(self, out: Any, named: dict) -> None:
        """A mutating call wrote its results (in place, `out=`), or its
        first tensor argument when it returns none (`_foreach_*_`); a
        storage counts as written once one write covers all of it (a write
        into one column of an `empty` grid leaves the others garbage)."""
        tensors = [t for t in (out if isinstance(out, (list, tuple)) else [out]) if isinstance(t, torch.Tensor)]
        if not tensors:
            first = next((v for v in named.values() if isinstance(v, torch.Tensor)), None)
            tensors = [first] if first is not None else []
        sids = {self.storages.lookup(t)[0] for t in tensors if covers_storage(t)}
        self._uninitialised_storages = self._uninitialised_storages - sids

    def out_value(self, value: Any, keep_value: Optional[str]) -> Any:
        """Output value; tensors become `OutTensor`s finished at emission."""
        if isinstance(value, torch.Tensor):
            if value.layout != torch.strided or value.is_nested:
                # No storage to name: reading its value first fails with the
                # refusal of its layout (`layout_refusal`).
                digest = self.value_digest(value, keep_value == "full") if keep_value else None
                return OutTensor(weakref.ref(value), self.output_ref(value, digest))
            sid, new_storage = self.storages.lookup(value)
            if self._values:
                # `DigestCache`: a storage a non-mutating call allocated can
                # be trusted; a mutating call may write what it returns.
                if not self._reuse_digests:
                    self.digests.written(sid)
                elif new_storage:
                    self.digests.trust(sid)
            digest = self.value_digest(value, keep_value == "full", sid) if keep_value else None
            return OutTensor(weakref.ref(value), self.output_ref(value, digest, sid))
        if isinstance(value, (list, tuple)):
            return OutList([self.out_value(v, keep_value) for v in value])
        return typed_scalar_value(value, "")

    def _finish_out(self, value: Any, alive: list, bumped: frozenset = frozenset(), view_version: Optional[int] = None) -> list:
        """Wire value of an output once autograd has finished with the call.

        `version` is read now (ADInplaceOrView bumps it after the kernel).
        `requires_grad` is true when the call attached a `grad_fn`, else it is
        the flag the kernel returned the tensor with: a flag set afterwards
        without an operator (`torch.randn(..., requires_grad=True)`,
        `requires_grad_()`) is a set_requires_grad event. A tensor already
        gone keeps what the call showed, except its version: the output of
        an in-place op that went through ADInplaceOrView (`bumped`: the ids of
        the op's tensor arguments then) was bumped once after the kernel
        returned (a weight re-initialised with `uniform_` and then replaced
        by weight tying dies before the boundary); the output of a view op
        (`view_version`: its `self`'s version) was given its base's version
        counter after the kernel returned (observed in torch 2.15: a
        `detach()` of a parameter dropped at once, as `state_dict()` inside
        `torch.save` does, shows version 0 to the mode and its base's after).
        """
        if isinstance(value, OutList):
            return ftr.v_list(self._finish_out(v, alive, bumped, view_version) for v in value.items)
        if not isinstance(value, OutTensor):
            return value
        wire = list(value.wire)
        t = value.ref()
        if t is not None:
            # A custom Function's node is attached when `apply` returns: the
            # operator of its forward returned the tensor without it.
            grad_fn = grad_fn_of(t)
            hidden = self.functions.hides(grad_fn)
            if grad_fn is not None and not hidden:
                wire[7] = True
            wire[8] = tensor_version(t)
            if hidden and self.functions.dirty(t):
                # The op returned it before `apply` bumped a dirty output.
                wire[8] -= 1
            info = self._info(t)
            if info is not None:
                info.requires_grad, info.leaf = wire[7] or hidden, grad_fn is None
            # The next state check reads it: a flag set after the kernel
            # returned (`requires_grad=True` of a factory) is written there.
            self.state_marks.mark(t)
            alive.append(t)
        elif wire[0] in bumped:
            wire[8] += 1
        elif view_version is not None:
            wire[8] = view_version
        return ftr.v_tensor(wire)

    def _emit_op_event(self, op: PendingOp) -> list:
        """Writes the op event; returns the outputs that are still alive."""
        alive: list = []
        bumped = bumped_tensor_ids(op)
        view_version = view_base_version(op)
        op.wire_outputs = [self._finish_out(v, alive, bumped, view_version) for v in op.outputs]
        # `ftr.p_op`'s wire shape, built directly: every field already has
        # its wire type (names and keys are strings, values wire values).
        self.emit(ftr.DISPATCH, ftr.DISPATCH_OP, [op.op, op.keyset, op.chain, op.args, op.wire_outputs, op.ctx])
        return alive

    def _emit_op(self, op: PendingOp) -> None:
        if op.wire_outputs is None:
            alive = self._emit_op_event(op)
        else:
            alive = live_tensors(op.outputs)
        self._emit_created_nodes(alive)
        self._emit_transfers(op.args, op.wire_outputs)

    def _emit_transfers(self, wire_args: list, outputs: Optional[list]) -> None:
        """Device transfers: each output paired with the first tensor argument
        that lives on another device (none while every tensor was on the CPU)."""
        if self.only_cpu:
            return
        inputs = [v[1] for v in flatten_values([value for _, value in wire_args]) if v[0] == ftr.TAG_TENSOR]
        for value in flatten_values(outputs or []):
            if value[0] != ftr.TAG_TENSOR:
                continue
            dst = value[1]
            src = next((ref for ref in inputs if ref[6] != dst[6]), None)
            if src is not None:
                self.emit(ftr.DEVICE, ftr.DEV_TRANSFER, ftr.p_transfer(src[0], dst[0], src[6], dst[6]))


def live_tensors(outputs: list) -> list:
    """The tensors among pending outputs (`OutTensor`, `OutList`) still alive."""
    out = []
    for value in outputs:
        if isinstance(value, OutList):
            out.extend(live_tensors(value.items))
        elif isinstance(value, OutTensor):
            t = value.ref()
            if t is not None:
                out.append(t)
    return out


def bumped_tensor_ids(op: PendingOp) -> frozenset:
    """Ids of the tensor arguments whose version ADInplaceOrView bumps after
    the kernel of a mutating op: every tensor argument of an op whose chain
    ran the ADInplaceOrView kernel (inference tensors skip the key)."""
    if not op.mutates or ["ADInplaceOrView", "kernel"] not in op.chain:
        return frozenset()
    ids = set()

    def collect(value: list) -> None:
        if value[0] == ftr.TAG_TENSOR:
            ids.add(value[1][0])
        elif value[0] == ftr.TAG_LIST:
            for item in value[1]:
                collect(item)

    for _, value in op.args:
        collect(value)
    return frozenset(ids)


def view_base_version(op: PendingOp) -> Optional[int]:
    """The version of `self` for a view op (a non-mutating op whose chain ran
    the ADInplaceOrView kernel): its outputs share `self`'s version counter."""
    if op.mutates or ["ADInplaceOrView", "kernel"] not in op.chain:
        return None
    for _, value in op.args:
        if value[0] == ftr.TAG_TENSOR:
            return value[1][8]
    return None


def format_program_error(exc: BaseException) -> str:
    """`ExceptionType: message`."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
