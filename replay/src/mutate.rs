//! Hostile variants of a trace, derived from arbitrary bytes: what the diff
//! fuzz target (`fuzz/fuzz_targets/diff.rs`) feeds to [`crate::diff`], and
//! what its regression tests replay.
//!
//! The diff trusts nothing about the two streams it is given — the actual
//! side may be any recording, including one written by something else — so
//! a mutated stream must give a verdict, never a panic. [`mutate`] reads the
//! bytes as a list of edits, five bytes each (`[what, at: u16 LE, arg: u16
//! LE]`), applied in order to a copy of the trace: drop, duplicate, swap or
//! move events, renumber a seq, and perturb the fields the checks index by
//! (tensor ids and versions, node ids and their edges, ReadyQueue keys, op
//! names, value digests, and the values themselves: a changed byte, a cut
//! buffer, another dtype). Edits address events modulo the stream's length,
//! so every input means something.

use std::collections::BTreeMap;

use ft_trace::{
    ApiEvent, AutogradEvent, BlobRecord, Digest, DispatchEvent, Event, EventBody, TensorRef, Value,
};

use crate::blob_store::BlobStore;
use crate::trace_data::TraceData;

/// Bytes per edit.
pub const EDIT_LEN: usize = 5;

/// Dtype names an edit may give a value (some not matching its bytes).
const DTYPES: &[&str] = &[
    "float32",
    "float64",
    "float16",
    "int64",
    "bool",
    "complex64",
];

/// Node names an edit may give a node.
const NODE_NAMES: &[&str] = &["AccumulateGrad", "AddmmBackward0", "MulBackward0", ""];

/// What the `diff` fuzz target (and its regression test) does with one
/// input: `[head]` then edits; bit 0 of `head` picks one of `bases`,
/// `(head >> 1) % 3` whether the edits apply to the actual side, the
/// expected side, or half to each. The two traces are diffed and the report
/// rendered as text, JSON and JUnit; none of it may panic.
pub fn exercise_diff(bases: &[TraceData], input: &[u8]) {
    let Some((&head, edits)) = input.split_first() else {
        return;
    };
    let Some(base) = bases.get(usize::from(head & 1)) else {
        return;
    };
    let half = edits.len() / 2 / EDIT_LEN * EDIT_LEN;
    let (left, right) = edits.split_at(half);
    let (expected, actual) = match (head >> 1) % 3 {
        0 => (base.clone(), mutate(base, edits)),
        1 => (mutate(base, edits), base.clone()),
        _ => (mutate(base, left), mutate(base, right)),
    };
    let report = crate::diff(&expected, &actual, &crate::Tolerances::default());
    let _ = report.exit();
    let _ = report.to_text(false);
    let _ = serde_json::to_string(&report).expect("a report serialises");
    let _ = crate::junit::to_junit(&report).expect("a report renders as JUnit");
}

/// A copy of `trace` with the edits `bytes` describe. Its values are copied
/// into memory (all of them: `trace` should be small), so they can be edited.
pub fn mutate(trace: &TraceData, bytes: &[u8]) -> TraceData {
    let mut events = trace.events.clone();
    let mut blobs = values_of(trace);
    for edit in bytes.chunks_exact(EDIT_LEN) {
        let what = edit[0];
        let at = usize::from(u16::from_le_bytes([edit[1], edit[2]]));
        let arg = u16::from_le_bytes([edit[3], edit[4]]);
        apply(&mut events, &mut blobs, what, at, arg);
    }
    TraceData {
        label: format!("{} (mutated)", trace.label),
        meta: trace.meta.clone(),
        events,
        blobs: BlobStore::in_memory(blobs),
        produced: Default::default(),
    }
}

/// Every value the trace records, read into memory.
fn values_of(trace: &TraceData) -> BTreeMap<Digest, BlobRecord> {
    let mut out = BTreeMap::new();
    for event in &trace.events {
        for (_, _, digest) in crate::trace_data::recorded_values(event) {
            if let Some(blob) = trace.blobs.get(&digest) {
                out.insert(digest, blob.into_owned());
            }
        }
    }
    out
}

fn apply(
    events: &mut Vec<Event>,
    blobs: &mut BTreeMap<Digest, BlobRecord>,
    what: u8,
    at: usize,
    arg: u16,
) {
    if events.is_empty() {
        return;
    }
    let n = events.len();
    let i = at % n;
    let j = usize::from(arg) % n;
    let small = u64::from(arg % 64);
    match what % 12 {
        0 => {
            events.remove(i);
        }
        1 => {
            let copy = events[i].clone();
            events.insert(j, copy);
        }
        2 => events.swap(i, j),
        3 => {
            let moved = events.remove(i);
            events.insert(j.min(events.len()), moved);
        }
        4 => events[i].seq = u64::from(arg),
        5 => edit_tensors(&mut events[i], |t| t.id = small),
        6 => edit_tensors(&mut events[i], |t| {
            t.version = t.version.wrapping_add(small)
        }),
        7 => edit_nodes(&mut events[i], arg),
        8 => edit_op(&mut events[i], arg),
        9 => {
            // Point a value at another recorded value, or at none.
            let digests: Vec<Digest> = blobs.keys().copied().collect();
            let to = digests
                .get(usize::from(arg) % digests.len().max(1))
                .copied();
            edit_tensors(&mut events[i], |t| {
                t.value = if arg.is_multiple_of(7) {
                    None
                } else {
                    to.or(t.value)
                }
            });
        }
        10 => edit_blob(blobs, at, arg),
        _ => edit_tensors(&mut events[i], |t| {
            t.shape = t
                .shape
                .iter()
                .copied()
                .chain([i64::from(arg % 5)])
                .collect();
            t.dtype = DTYPES[usize::from(arg) % DTYPES.len()].to_owned().into();
        }),
    }
}

/// Changes one stored value: a byte, its length, or its dtype (the digest
/// stays, so the bytes no longer prove out).
fn edit_blob(blobs: &mut BTreeMap<Digest, BlobRecord>, at: usize, arg: u16) {
    if blobs.is_empty() {
        return;
    }
    let k = at % blobs.len();
    let Some(blob) = blobs.values_mut().nth(k) else {
        return;
    };
    match arg % 3 {
        0 => {
            if !blob.data.is_empty() {
                let k = usize::from(arg) % blob.data.len();
                blob.data[k] ^= 0x5a;
            }
        }
        1 => {
            let keep = usize::from(arg >> 2) % (blob.data.len() + 1);
            blob.data.truncate(keep);
        }
        _ => blob.dtype = DTYPES[usize::from(arg >> 2) % DTYPES.len()].to_owned(),
    }
}

/// Renames an op, or reorders its dispatch keys.
fn edit_op(event: &mut Event, arg: u16) {
    let (op, keyset) = match &mut event.body {
        EventBody::Dispatch(DispatchEvent::Op(o)) => (&mut o.op, &mut o.keyset),
        EventBody::Dispatch(DispatchEvent::OpError(o)) => (&mut o.op, &mut o.keyset),
        _ => return,
    };
    match arg % 3 {
        0 => *op = format!("{op}.x").into(),
        1 => *op = "".into(),
        _ => *keyset = keyset.iter().rev().cloned().collect(),
    }
}

/// Perturbs node ids, edges, names and ReadyQueue keys.
fn edit_nodes(event: &mut Event, arg: u16) {
    let id = u64::from(arg % 32);
    let EventBody::Autograd(e) = &mut event.body else {
        return;
    };
    match e {
        AutogradEvent::Node(n) => match arg % 4 {
            0 => n.node = id,
            1 => n.name = NODE_NAMES[usize::from(arg >> 2) % NODE_NAMES.len()].to_owned(),
            2 => {
                if let Some(edge) = n.next.first_mut() {
                    edge.node = if arg % 8 == 2 { None } else { Some(id) };
                    edge.input_nr = u32::from(arg >> 8);
                }
            }
            _ => n.tensors.push(id),
        },
        AutogradEvent::Push(q) | AutogradEvent::Pop(q) => match arg % 3 {
            0 => q.node = id,
            1 => q.seq_nr = u64::from(arg),
            _ => q.depth = u32::from(arg % 3),
        },
        AutogradEvent::GraphTaskBegin(b) => {
            if let Some(root) = b.roots.first_mut() {
                root.node = Some(id);
            } else {
                b.depth = u32::from(arg);
            }
        }
        AutogradEvent::Accumulate(a) => a.node = id,
        AutogradEvent::GraphTaskEnd(g) => g.executed = u64::from(arg),
        AutogradEvent::HookBegin(h) => h.node = id,
        AutogradEvent::NodeResult(r) => r.node = id,
        _ => {}
    }
}

/// Applies `f` to every tensor reference of an event.
fn edit_tensors(event: &mut Event, mut f: impl FnMut(&mut TensorRef)) {
    match &mut event.body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            for (_, v) in &mut op.args {
                edit_value(v, &mut f);
            }
            for v in &mut op.outputs {
                edit_value(v, &mut f);
            }
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => {
            for (_, v) in &mut op.args {
                edit_value(v, &mut f);
            }
        }
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => f(&mut a.grad),
        EventBody::Api(ApiEvent::Tensor(t)) => f(&mut t.tensor),
        _ => {}
    }
}

fn edit_value(value: &mut Value, f: &mut impl FnMut(&mut TensorRef)) {
    match value {
        Value::Tensor(t) => f(t),
        Value::List(items) => {
            for item in items {
                edit_value(item, f);
            }
        }
        _ => {}
    }
}
