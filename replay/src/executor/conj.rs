//! Replaying PyTorch's Conjugate and Negative fallbacks: a top-level
//! `clone` of a tensor with the conjugate (negative) bit that the next
//! operator's fallback dispatched (`z.conj() * w` records `_conj`,
//! `clone`, `mul(clone, w)`; `z.conj().imag * 2` records `_neg_view`,
//! `select`, `clone`, `mul`).
//!
//! The program never called that `clone`: the replayer does not call it
//! either. It calls the next operator with the conjugate tensor in the
//! clone's place, the runtime's own fallback dispatches the clone, and the
//! runtime's clone is bound to the recorded one (as the clones of in-place
//! operators' original selves are).

use ft_trace::{AutogradEvent, Context, DispatchEvent, Event, EventBody, OpCall};

use super::Replayer;

/// Whether the top-level `clone` `op` at `seq` is a Conjugate-fallback
/// materialization: its walk has the Conjugate key, it got no graph node
/// (the fallback runs below autograd; a program's own clone of a conjugate
/// view that requires grad records CloneBackward0), and the next top-level
/// operator (after any further such clones) takes its output as an
/// argument. A program's own `clone` without a node, used at once by the
/// next operator, is taken for the fallback's; both resolve the conjugate
/// (observed in torch 2.15: `z.conj().clone().is_conj()` is False), so the
/// replay computes the same values either way.
pub(super) fn is_fallback_clone(events: &[Event], seq: u64, op: &OpCall) -> bool {
    if !is_math_bit_clone(op) {
        return false;
    }
    let Some(out) = op.outputs.iter().flat_map(|v| v.tensors()).next() else {
        return false;
    };
    let start = events.partition_point(|e| e.seq <= seq);
    let has_node = events[start..]
        .iter()
        .take_while(|e| !matches!(e.body, EventBody::Dispatch(_)))
        .any(|e| {
            matches!(&e.body, EventBody::Autograd(AutogradEvent::Node(n)) if n.tensors.contains(&out.id))
        });
    if has_node {
        return false;
    }
    let next = events[start..].iter().find_map(|e| match &e.body {
        EventBody::Dispatch(DispatchEvent::Op(o))
            if o.context == Context::TopLevel && !is_math_bit_clone(o) =>
        {
            Some(o)
        }
        _ => None,
    });
    next.is_some_and(|o| {
        o.args
            .iter()
            .flat_map(|(_, v)| v.tensors())
            .any(|t| t.id == out.id)
    })
}

/// Whether `op` is a `clone` whose walk has the Conjugate or Negative key.
fn is_math_bit_clone(op: &OpCall) -> bool {
    op.op == "aten.clone.default"
        && op
            .keyset
            .iter()
            .any(|k| k == "Conjugate" || k == "Negative")
}

impl Replayer<'_> {
    /// Defers a fallback clone to the operator that follows: its output
    /// stands for the cloned (conjugate) tensor until the runtime's own
    /// clone is bound to it.
    pub(super) fn defer_fallback_clone(&mut self, op: &OpCall) {
        let source = op
            .args
            .first()
            .and_then(|(_, v)| v.tensors().into_iter().next());
        for out in op.outputs.iter().flat_map(|v| v.tensors()) {
            if let Some(source) = source {
                self.conj_sources.insert(out.id, source.id);
            }
            self.pending_clones.push(out.clone());
        }
    }
}
