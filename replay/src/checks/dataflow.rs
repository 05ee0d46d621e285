//! Dataflow: do aligned events refer to corresponding tensors, storages and nodes?
//!
//! Alignment keys leave ids out, so two runs can agree on every op and still
//! feed an op the wrong tensor (a backward formula using its input where
//! PyTorch uses its saved output). Walking the aligned pairs in stream order,
//! this check builds a one-to-one correspondence between the two runs' ids and
//! reports the first place where an id would have to map to two different ids.

use foldhash::{HashMap, HashMapExt};

use ft_trace::{ApiEvent, AutogradEvent, Context, DeviceEvent, DispatchEvent, EventBody};

use crate::describe::describe;
use crate::report::{CheckResult, Divergence};
use crate::trace_data::TraceView;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum IdKind {
    Tensor,
    Storage,
    Node,
}

impl IdKind {
    fn letter(self) -> &'static str {
        match self {
            IdKind::Tensor => "tensor T",
            IdKind::Storage => "storage S",
            IdKind::Node => "node #",
        }
    }
}

/// The ids an event mentions, in wire order, into `out` (cleared first; the
/// check reuses two buffers for every pair).
fn ids(body: &EventBody, out: &mut Vec<(IdKind, u64)>) {
    out.clear();
    for t in body.tensor_refs() {
        out.push((IdKind::Tensor, t.id));
        out.push((IdKind::Storage, t.storage));
    }
    match body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            if let Context::Node(n) = op.context {
                out.push((IdKind::Node, n));
            }
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => {
            if let Context::Node(n) = op.context {
                out.push((IdKind::Node, n));
            }
        }
        EventBody::Api(api) => match api {
            ApiEvent::SetRequiresGrad(s) => out.push((IdKind::Tensor, s.tensor)),
            ApiEvent::Release(r) => out.push((IdKind::Tensor, r.tensor)),
            ApiEvent::Backward(b) => {
                out.extend(b.roots.iter().map(|&r| (IdKind::Tensor, r)));
                out.extend(b.grads.iter().flatten().map(|&g| (IdKind::Tensor, g)));
            }
            ApiEvent::SetGrad(s) => {
                out.push((IdKind::Tensor, s.tensor));
                out.extend(s.grad.map(|g| (IdKind::Tensor, g)));
            }
            ApiEvent::RegisterHook(h) => out.push((IdKind::Tensor, h.tensor)),
            ApiEvent::RetainGrad(r) => out.push((IdKind::Tensor, r.tensor)),
            ApiEvent::Data(d) => out.push((IdKind::Tensor, d.source)),
            _ => {}
        },
        EventBody::Autograd(a) => match a {
            AutogradEvent::Node(n) => {
                out.push((IdKind::Node, n.node));
                out.extend(
                    n.next
                        .iter()
                        .filter_map(|e| e.node)
                        .map(|id| (IdKind::Node, id)),
                );
                out.extend(n.tensors.iter().map(|&t| (IdKind::Tensor, t)));
            }
            AutogradEvent::GraphTaskBegin(g) => {
                out.extend(
                    g.roots
                        .iter()
                        .filter_map(|e| e.node)
                        .map(|id| (IdKind::Node, id)),
                );
            }
            AutogradEvent::Push(q) | AutogradEvent::Pop(q) => out.push((IdKind::Node, q.node)),
            AutogradEvent::Accumulate(acc) => {
                out.push((IdKind::Node, acc.node));
                out.push((IdKind::Tensor, acc.tensor));
            }
            _ => {}
        },
        EventBody::Device(DeviceEvent::Transfer(t)) => {
            out.push((IdKind::Tensor, t.src));
            out.push((IdKind::Tensor, t.dst));
        }
        _ => {}
    }
}

/// Checks id correspondence over `pairs` (event indices, any order).
pub fn compare(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    mut pairs: Vec<(usize, usize)>,
) -> CheckResult {
    pairs.sort_unstable();
    // Sized up front: a long run maps hundreds of thousands of ids, and
    // growing the tables rehashed them into fresh memory again and again.
    // A run mentions about as many distinct ids as it has paired events
    // (each op introduces its outputs' tensors and storages, each node one id).
    let mut forward: HashMap<(IdKind, u64), u64> = HashMap::with_capacity(pairs.len());
    let mut backward: HashMap<(IdKind, u64), u64> = HashMap::with_capacity(pairs.len());
    let (mut exp_ids, mut act_ids) = (Vec::new(), Vec::new());
    let mut result = CheckResult {
        name: "dataflow",
        expected: pairs.len(),
        actual: pairs.len(),
        ..CheckResult::default()
    };
    for &(e, a) in &pairs {
        let (Some(exp_event), Some(act_event)) =
            (expected.data.events.get(e), actual.data.events.get(a))
        else {
            continue;
        };
        ids(&exp_event.body, &mut exp_ids);
        ids(&act_event.body, &mut act_ids);
        let mut conflict = None;
        for (&(kind, x), &(_, y)) in exp_ids.iter().zip(&act_ids) {
            let fwd = *forward.entry((kind, x)).or_insert(y);
            let bwd = *backward.entry((kind, y)).or_insert(x);
            if fwd != y || bwd != x {
                conflict = Some((kind, x, y, fwd, bwd));
                break;
            }
        }
        match conflict {
            None => result.matched += 1,
            Some((kind, x, y, fwd, bwd)) => {
                let l = kind.letter();
                let why = if fwd != y {
                    format!(
                        "expected {l}{x} corresponds to actual {l}{fwd} elsewhere, but here to {l}{y}"
                    )
                } else {
                    format!(
                        "actual {l}{y} corresponds to expected {l}{bwd} elsewhere, but here to {l}{x}"
                    )
                };
                result.divergences.push(Divergence {
                    check: "dataflow",
                    kind: "mismatch",
                    expected_seq: Some(exp_event.seq),
                    actual_seq: Some(act_event.seq),
                    message: format!("{}: {why}", describe(exp_event, expected)),
                });
            }
        }
    }
    result
}
